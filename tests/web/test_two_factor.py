"""Two-factor sign-in over HTTP: the enrolment page, a code at both sign-in doors, the admin closed
to a board member without a verified second factor when the board requires one, and the
signing forms asking for the code."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from editorial import second_factor
from editorial.models import Signature
from tests.support import flows
from tests.support.attempts import ADMIN_POST, act_url
from tests.support.signing import PASSWORD, authenticator_for, enrol

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

T0 = datetime(2026, 12, 2, 9, 0, 0, tzinfo=UTC)
PAGE = "/author/two-factor/"


@pytest.fixture
def required(settings):
    settings.EDITORIAL = {**settings.EDITORIAL, "REQUIRE_2FA": True}


def recovery_codes_on(response) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())


def admin_paths() -> list[str]:
    """Every address the admin answers, with 1 for each argument (the gate answers before any
    view looks the object up)."""
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if route.startswith("^"):  # app_index: ^(?P<app_label>articles|...)/$
                route = re.sub(r"\(\?P<\w+>([^|)]+)[^)]*\)", r"\1", route.strip("^$"))
            route = re.sub(r"<[^>]+>", "1", route)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                found.append(prefix + route)

    walk(admin.site.get_urls(), "/admin/")
    return sorted(set(found))


def test_enrolment_shows_an_inline_qr_code_and_the_key_then_the_recovery_codes_once(client, author):
    client.force_login(author)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'<div class="qr-frame"><svg role="img" aria-label="QR code[^"]*"', html)
    key = re.search(r'<code class="otp-key"[^>]*>([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    device = TOTPDevice.objects.get(user=author, confirmed=False)
    app = authenticator_for(device)
    assert key == app.secret
    # a wrong code: the form again, with its error, nothing turned on
    with time_machine.travel(T0, tick=False):
        wrong = client.post(PAGE, {"action": "confirm", "code": f"{(int(app.now()) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    assert not second_factor.has_device(author)
    with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
        done = client.post(PAGE, {"action": "confirm", "code": app.now()})
    assert done.status_code == 302
    codes = recovery_codes_on(client.get(PAGE))
    assert len(codes) == 10
    assert client.session[DEVICE_ID_SESSION_KEY]  # this session is verified
    assert recovery_codes_on(client.get(PAGE)) == []  # shown once
    assert second_factor.match(author, codes[0]) is not None


def test_the_page_needs_a_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/author/login/" in response["Location"]


@pytest.mark.parametrize("door", ["/author/login/", "/admin/login/"])
def test_both_sign_in_doors_ask_for_the_code_of_a_person_who_set_one_up(door, editor):
    with time_machine.travel(T0, tick=False):
        app, _ = enrol(editor)
    client = Client()
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        missing = client.post(door, {"username": editor.username, "password": PASSWORD})
        assert missing.status_code == 200 and "_auth_user_id" not in client.session
        assert "Enter the code from your authenticator app" in missing.content.decode()
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        wrong = client.post(door, {"username": editor.username, "password": PASSWORD, "otp_code": "12345x"})
        assert "_auth_user_id" not in client.session
        assert "That code is not right" in wrong.content.decode()
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        right = client.post(door, {"username": editor.username, "password": PASSWORD, "otp_code": app.now()})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(editor.pk) and client.session[DEVICE_ID_SESSION_KEY]


def test_a_person_without_a_device_signs_in_with_the_password_alone(author):
    client = Client()
    response = client.post("/author/login/", {"username": author.username, "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(author.pk)


def test_failed_codes_at_sign_in_count_toward_the_throttle(settings, editor):
    settings.AXES_FAILURE_LIMIT = 2
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 100
    with time_machine.travel(T0, tick=False):
        app, _ = enrol(editor)
    client = Client()
    for minute in (1, 2):
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
            client.post(
                "/author/login/", {"username": editor.username, "password": PASSWORD, "otp_code": "000000"}
            )
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        locked = client.post(
            "/author/login/", {"username": editor.username, "password": PASSWORD, "otp_code": app.now()}
        )
    assert "_auth_user_id" not in client.session
    assert locked.status_code in (403, 429)


def test_when_required_a_board_member_without_a_device_reaches_no_admin_page(
    required, author, editor, reviewers
):
    client = Client()
    client.force_login(editor)
    paths = admin_paths()
    assert len(paths) > 40  # every model admin's pages, the board's own views, the CSV
    reached = []
    for path in paths:
        if path in ("/admin/login/", "/admin/logout/"):
            continue
        response = client.get(path)
        if not (response.status_code == 302 and response["Location"].startswith(PAGE + "?next=")):
            reached.append((path, response.status_code))
    assert reached == []
    # a POST is turned away as well, and nothing is written
    version = flows.under_review(author, editor, reviewers[:2])
    response = client.post(act_url(version, "approve"), ADMIN_POST["approve"])
    assert response.status_code == 302 and response["Location"].startswith(PAGE)
    assert not Signature.objects.exists()
    # signing out still works
    assert client.post("/admin/logout/").status_code == 200


def test_when_required_a_verified_board_member_gets_in_and_authors_are_not_asked(required, author, editor):
    with time_machine.travel(T0, tick=False):
        enrol(editor)
    client = Client()
    client.force_login(editor)
    first = client.get("/admin/")
    assert first.status_code == 302  # signed in, but this session gave no code
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        app = authenticator_for(TOTPDevice.objects.get(user=editor))
        verified = client.post(PAGE + "?next=/admin/", {"action": "verify", "code": app.now()})
    assert verified.status_code == 302 and verified["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    author_client = Client()
    author_client.force_login(author)
    assert author_client.get("/author/").status_code == 200


def test_when_required_it_cannot_be_turned_off_and_otherwise_it_can(settings, required, editor):
    with time_machine.travel(T0, tick=False):
        app, _ = enrol(editor)
    client = Client()
    client.force_login(editor)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        refused = client.post(PAGE, {"action": "remove", "code": app.now()})
    assert refused.status_code == 400 and "cannot be turned off" in refused.content.decode()
    assert second_factor.has_device(editor)
    settings.EDITORIAL = {**settings.EDITORIAL, "REQUIRE_2FA": False}
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        removed = client.post(PAGE, {"action": "remove", "code": app.now()})
    assert removed.status_code == 302
    assert not TOTPDevice.objects.filter(user=editor).exists()


def test_new_recovery_codes_replace_the_old(editor):
    with time_machine.travel(T0, tick=False):
        app, old = enrol(editor)
    client = Client()
    client.force_login(editor)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert client.post(PAGE, {"action": "codes", "code": app.now()}).status_code == 302
    new = recovery_codes_on(client.get(PAGE))
    assert len(new) == 10 and not set(new) & set(old)
    assert second_factor.match(editor, old[0]) is None


def test_an_unknown_action_is_a_400(editor):
    with time_machine.travel(T0, tick=False):
        enrol(editor)
    client = Client()
    client.force_login(editor)
    assert client.post(PAGE, {"action": "delete-everything", "code": "1"}).status_code == 400


def test_the_signing_form_asks_for_the_code_and_the_admin_signs_with_it(author, editor, reviewers):
    version = flows.approved(author, editor, reviewers[:2])
    with time_machine.travel(T0, tick=False):
        app, _ = enrol(editor)
    client = Client()
    client.force_login(editor)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        page = client.get(reverse("admin:articles_articleversion_change", args=[version.pk])).content.decode()
        field = re.search(r'<input type="text" name="publish-otp_code"[^>]*>', page).group(0)
        assert 'autocomplete="one-time-code"' in field
        assert '<label for="id_publish-otp_code">' in page and "Needed now" in page
        refused = client.post(act_url(version, "publish"), ADMIN_POST["publish"])
        assert refused.status_code == 403
        signed = client.post(
            act_url(version, "publish"), {**ADMIN_POST["publish"], "publish-otp_code": app.now()}
        )
    assert signed.status_code == 302
    assert Signature.objects.get(verb="publish").components == "password+code"


def test_nobody_reads_anothers_key_in_the_admin():
    from django_otp.plugins.otp_static.models import StaticDevice

    # django-otp's admin (with its QR code view) is not on the board's site
    assert not admin.site.is_registered(TOTPDevice) and not admin.site.is_registered(StaticDevice)
    assert not any("otp_" in path for path in admin_paths())
