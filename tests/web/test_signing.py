"""Electronic signatures over HTTP: the admin's signing forms, the throttle failed signings count
toward, and what the reader's page shows of each signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from editorial.models import AuditAction, AuditEvent, Signature
from editorial.signatures import SESSION_KEY
from tests.support import flows
from tests.support.attempts import ADMIN_POST, act_url, snapshot
from tests.support.signing import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

LOCKED = "Too many failed sign-in attempts"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def policy(settings):
    """Three failures per username and address lock that pair's sign-in for ten minutes."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 100
    settings.AXES_COOLOFF_TIME = timedelta(minutes=10)
    return settings


def approvable(author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    for reviewer in reviewers[:2]:
        flows.review(version, reviewer)
    return version


def test_the_admin_refuses_an_approval_with_a_wrong_password_and_keeps_the_page(author, editor, reviewers):
    version = approvable(author, editor, reviewers)
    client = Client()
    client.force_login(editor)
    before = snapshot(version.pk)
    data = {**ADMIN_POST["approve"], "approve-password": "not-mine"}
    response = client.post(act_url(version, "approve"), data, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 403
    assert "nothing was signed" in " ".join(messages_of(response))
    after = snapshot(version.pk)
    assert after[1] == before[1] + 1 and after[:1] + after[2:] == before[:1] + before[2:]
    assert AuditEvent.objects.filter(version=version, action=AuditAction.SIGNING_REFUSED).count() == 1
    assert not Signature.objects.filter(verb="approve").exists()
    # the form asks again: the meaning is kept, the password is not
    html = response.content.decode()
    assert 'name="approve-password"' in html and "not-mine" not in html


def test_the_admin_signs_an_approval_and_shows_the_signature(author, editor, reviewers):
    version = approvable(author, editor, reviewers)
    client = Client()
    client.force_login(editor)
    with time_machine.travel(datetime(2026, 12, 2, 9, 15, tzinfo=UTC), tick=False):
        response = client.post(act_url(version, "approve"), ADMIN_POST["approve"])
    assert response.status_code == 302
    signature = Signature.objects.get(verb="approve")
    assert client.session[SESSION_KEY] == "2026-12-02T09:15:00+00:00"
    html = client.get(response["Location"]).content.decode()
    assert signature.printed_name in html
    assert "2026-12-02 09:15:00 UTC" in html
    assert "I approve this version for publication" in html
    assert signature.content_sha256 in html


def test_failed_signings_lock_the_accounts_sign_in_like_failed_sign_ins(policy, author, editor, reviewers):
    version = approvable(author, editor, reviewers)
    client = Client()
    client.force_login(editor)
    data = {**ADMIN_POST["approve"], "approve-password": "not-mine"}
    for _ in range(2):
        assert client.post(act_url(version, "approve"), data, REMOTE_ADDR="10.0.0.1").status_code == 403
    # the third failed signing reaches the limit: answered as a locked sign-in
    assert client.post(act_url(version, "approve"), data, REMOTE_ADDR="10.0.0.1").status_code == 429
    # then the account's sign-in is locked, even with the right password
    response = Client().post(
        "/admin/login/", {"username": editor.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429 and LOCKED in response.content.decode()
    # and signing is locked with it: the right password does not sign either
    response = client.post(act_url(version, "approve"), ADMIN_POST["approve"], REMOTE_ADDR="10.0.0.1")
    assert response.status_code in (403, 429)
    assert not Signature.objects.filter(verb="approve").exists()
    assert AuditEvent.objects.filter(version=version, action=AuditAction.SIGNING_REFUSED).count() == 3


def test_two_failed_signings_do_not_lock_a_limit_of_three(policy, author, editor, reviewers):
    version = approvable(author, editor, reviewers)
    client = Client()
    client.force_login(editor)
    data = {**ADMIN_POST["approve"], "approve-password": "not-mine"}
    for _ in range(2):
        client.post(act_url(version, "approve"), data, REMOTE_ADDR="10.0.0.1")
    response = Client().post(
        "/admin/login/", {"username": editor.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302


def test_the_reader_page_shows_each_reviewers_signature(client, author, editor, reviewers):
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=UTC), tick=False):
        version = flows.published(author, editor, reviewers[:2], slug="signed-article")
    html = client.get("/articles/signed-article/").content.decode()
    for reviewer in reviewers[:2]:
        name = reviewer.board_member.display_name
        assert name in html
    # two reviewers' signatures, and the editor's approval and publication
    assert html.count("electronically signed <time") == 4
    assert (
        'electronically signed <time datetime="2026-12-02T10:00:00+00:00">2 December 2026</time>, for medical accuracy'
        in html
    )
    assert version.signatures.count() == 4  # two reviews, approve, publish


def test_the_reader_page_shows_the_editors_signatures_by_name_date_and_meaning(
    client, author, editor, reviewers
):
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=UTC), tick=False):
        flows.published(author, editor, reviewers[:2], slug="signed-off")
    html = client.get("/articles/signed-off/").content.decode()
    signed_off = html[html.index('<div class="signed-off">') :]
    signed_off = signed_off[: signed_off.index("</div>")]
    name = Signature.objects.get(verb="approve").printed_name
    assert name and signed_off.count(f'<span class="signer-name">{name}</span>') == 2
    for meaning in ("approving it for publication", "authorising its publication"):
        assert (
            'electronically signed <time datetime="2026-12-02T10:00:00+00:00">2 December 2026</time>, '
            f"{meaning}" in signed_off
        )


def test_the_api_article_carries_every_signature_with_its_content_hash(client, author, editor, reviewers):
    from api import keys

    version = flows.published(author, editor, reviewers[:2], slug="signed-api")
    _, key = keys.partner_create(name="A partner site")
    response = client.get("/api/v1/articles/signed-api", HTTP_X_API_KEY=key)
    assert response.status_code == 200, response.content
    data = response.json()
    signed = {(item["verb"], item["printed_name"]) for item in data["signatures"]}
    expected = {(s.verb, s.printed_name) for s in version.signatures.all()}
    assert signed == expected and len(signed) == 4
    hashes = {item["content_sha256"] for item in data["signatures"]}
    assert hashes == {version.signatures.first().content_sha256}
