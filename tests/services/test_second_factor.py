"""The second factor (editorial/second_factor.py) and what it adds to electronic signing
(21 CFR 11.200(a)(1)): a code at the first signing of a session and after the window, refused
when wrong, replayed or stale; the password alone within the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.backends.cache import SessionStore

from editorial import second_factor, signatures
from editorial.models import AuditAction, AuditEvent, Signature
from editorial.signatures import SIGNING_VERBS, SigningRefused
from tests.services.test_signatures import do, ready_for, signer_of
from tests.support.attempts import snapshot
from tests.support.signing import authenticator_for, enrol, signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

T0 = datetime(2026, 12, 2, 9, 0, 0, tzinfo=UTC)
STEP = timedelta(seconds=30)


def session_request(rf):
    request = rf.post("/")
    request.session = SessionStore()
    request.META["REMOTE_ADDR"] = "10.0.0.7"
    return request


def test_enrolment_confirms_with_the_apps_code_and_gives_ten_single_use_recovery_codes(author):
    assert not second_factor.has_device(author)
    device = second_factor.start_enrolment(author)
    assert second_factor.start_enrolment(author).pk == device.pk  # a second visit shows the same key
    app = authenticator_for(device)
    with time_machine.travel(T0, tick=False):
        wrong = f"{(int(app.now()) + 1) % 1_000_000:06d}"
        assert second_factor.confirm_enrolment(author, device, wrong) is None
        assert not second_factor.has_device(author)
        # django-otp makes the next try wait a second after a wrong code
        assert second_factor.confirm_enrolment(author, device, app.now()) is None
    with time_machine.travel(T0 + timedelta(seconds=2), tick=False):
        codes = second_factor.confirm_enrolment(author, device, app.now())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert second_factor.has_device(author) and second_factor.recovery_codes_left(author) == 10
    assert second_factor.match(author, codes[0]) is not None
    assert second_factor.match(author, codes[0]) is None  # used up
    assert second_factor.recovery_codes_left(author) == 9


def test_the_qr_code_is_an_inline_svg_of_the_devices_key(author):
    device = second_factor.start_enrolment(author)
    svg = second_factor.qr_svg(device)
    assert svg.startswith("<svg ") and 'role="img"' in svg and "aria-label=" in svg
    assert "<script" not in svg and "style=" not in svg and "href" not in svg
    assert second_factor.key_text(device).replace(" ", "") == authenticator_for(device).secret


def test_a_code_is_accepted_once_and_not_when_stale(author):
    with time_machine.travel(T0, tick=False):
        app, _ = enrol(author)  # spends the code of T0's step
        assert second_factor.match(author, app.at(T0)) is None  # replayed
    later = T0 + 4 * STEP
    with time_machine.travel(later, tick=False):
        assert second_factor.match(author, app.at(T0 + STEP)) is None  # three steps old: stale
    with time_machine.travel(later + timedelta(seconds=2), tick=False):  # past the throttle's second
        assert second_factor.match(author, app.at(later)) is not None
    with time_machine.travel(later + timedelta(seconds=5), tick=False):
        assert second_factor.match(author, app.at(later)) is None  # replayed


@pytest.mark.parametrize("verb", SIGNING_VERBS)
def test_the_first_signing_of_a_session_needs_the_code(verb, rf, author, editor, reviewers):
    version = ready_for(verb, author, editor, reviewers)
    actor = signer_of(verb, editor, reviewers)
    with time_machine.travel(T0, tick=False):
        enrol(actor)
    request = session_request(rf)
    before = snapshot(version.pk)
    with (
        time_machine.travel(T0 + 2 * STEP, tick=False),
        pytest.raises(SigningRefused, match="code from your authenticator app"),
    ):
        do(verb, version, actor, signed(actor, verb, request=request))
    # a missing code is not an attempt: nothing is written
    assert snapshot(version.pk) == before
    assert signatures.SESSION_KEY not in request.session


@pytest.mark.parametrize("verb", SIGNING_VERBS)
@pytest.mark.parametrize("code", ["wrong", "replayed", "stale"])
def test_a_wrong_replayed_or_stale_code_is_refused_and_recorded(code, verb, rf, author, editor, reviewers):
    version = ready_for(verb, author, editor, reviewers)
    actor = signer_of(verb, editor, reviewers)
    with time_machine.travel(T0, tick=False):
        app, _ = enrol(actor)
    now = T0 + 4 * STEP
    given = {
        "wrong": f"{(int(app.at(now)) + 1) % 1_000_000:06d}",
        "replayed": app.at(T0),
        "stale": app.at(T0 + STEP),
    }[code]
    request = session_request(rf)
    before = snapshot(version.pk)
    with time_machine.travel(now, tick=False), pytest.raises(SigningRefused, match="nothing was signed"):
        do(verb, version, actor, signed(actor, verb, request=request, otp_code=given))
    after = snapshot(version.pk)
    assert after[1] == before[1] + 1 and after[:1] + after[2:] == before[:1] + before[2:]
    event = AuditEvent.objects.filter(article_id=version.article_id).order_by("-seq").first()
    assert event.action == AuditAction.SIGNING_REFUSED and event.data["refused"] == "second_factor"
    assert not Signature.objects.filter(verb=verb).exists()
    assert signatures.SESSION_KEY not in request.session


def test_within_the_window_the_password_is_enough_and_after_it_the_code_is_needed(
    rf, settings, author, editor, reviewers
):
    settings.EDITORIAL = {**settings.EDITORIAL, "SIGNING_WINDOW_MINUTES": 15}
    first = ready_for("approve", author, editor, reviewers)
    with time_machine.travel(T0, tick=False):
        app, _ = enrol(editor)
    request = session_request(rf)
    signed_at = T0 + 2 * STEP
    with time_machine.travel(signed_at, tick=False):
        do("approve", first, editor, signed(editor, "approve", request=request, otp_code=app.now()))
    full = Signature.objects.get(verb="approve", version=first)
    assert full.components == signatures.COMPONENTS_PASSWORD_AND_CODE
    # 14 minutes later, in the same session: the password alone
    with time_machine.travel(signed_at + timedelta(minutes=14), tick=False):
        do("publish", first, editor, signed(editor, "publish", request=request))
    assert Signature.objects.get(verb="publish", version=first).components == signatures.COMPONENTS_PASSWORD
    # 15 minutes after the full signing: the code again
    with time_machine.travel(signed_at + timedelta(minutes=15), tick=False):
        with pytest.raises(SigningRefused, match="code from your authenticator app"):
            do("retract", first, editor, signed(editor, "retract", request=request))
        do("retract", first, editor, signed(editor, "retract", request=request, otp_code=app.now()))
    assert Signature.objects.get(verb="retract").components == signatures.COMPONENTS_PASSWORD_AND_CODE


def test_another_session_does_not_inherit_the_window(rf, author, editor, reviewers):
    version = ready_for("publish", author, editor, reviewers)
    with time_machine.travel(T0, tick=False):
        app, _ = enrol(editor)
        signed_in = session_request(rf)
        signed_in.session[signatures.SESSION_KEY] = T0.isoformat()
        elsewhere = session_request(rf)
        with pytest.raises(SigningRefused, match="code from your authenticator app"):
            do("publish", version, editor, signed(editor, "publish", request=elsewhere))


def test_a_failed_code_counts_toward_the_sign_in_throttle(rf, settings, author, editor, reviewers):
    from axes.handlers.proxy import AxesProxyHandler

    settings.AXES_FAILURE_LIMIT = 2
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 100
    version = ready_for("publish", author, editor, reviewers)
    with time_machine.travel(T0, tick=False):
        enrol(editor)
    with time_machine.travel(T0 + 2 * STEP, tick=False):
        for _ in range(2):
            with pytest.raises(SigningRefused, match="nothing was signed"):
                do(
                    "publish",
                    version,
                    editor,
                    signed(editor, "publish", request=session_request(rf), otp_code="000000"),
                )
        assert AxesProxyHandler.is_locked(session_request(rf), {"username": editor.get_username()})
        with pytest.raises(SigningRefused, match="locked"):
            do(
                "publish",
                version,
                editor,
                signed(editor, "publish", request=session_request(rf), otp_code="000000"),
            )


def test_a_recovery_code_signs_once(rf, author, editor, reviewers):
    version = ready_for("publish", author, editor, reviewers)
    with time_machine.travel(T0, tick=False):
        _, codes = enrol(editor)
    do("publish", version, editor, signed(editor, "publish", request=session_request(rf), otp_code=codes[3]))
    assert Signature.objects.get(verb="publish").components == signatures.COMPONENTS_PASSWORD_AND_CODE
    assert second_factor.recovery_codes_left(editor) == 9


def test_required_only_of_the_board_and_only_when_the_setting_is_on(settings, author, editor, reviewer):
    settings.EDITORIAL = {**settings.EDITORIAL, "REQUIRE_2FA": False}
    assert not second_factor.required_for(editor)
    settings.EDITORIAL = {**settings.EDITORIAL, "REQUIRE_2FA": True}
    assert second_factor.required_for(editor) and second_factor.required_for(reviewer)
    assert not second_factor.required_for(author)


@pytest.mark.parametrize("verb", SIGNING_VERBS)
def test_a_signing_in_another_users_session_is_refused(verb, rf, author, editor, reviewers):
    version = ready_for(verb, author, editor, reviewers)
    actor = signer_of(verb, editor, reviewers)
    request = session_request(rf)
    request.user = author  # the session is the author's; the signer's own password is given
    before = snapshot(version.pk)
    with pytest.raises(SigningRefused, match="someone else's"):
        do(verb, version, actor, signed(actor, verb, request=request))
    assert snapshot(version.pk) == before
    assert not Signature.objects.filter(verb=verb).exists()
