"""Electronic signatures (FDA 21 CFR Part 11): the one home of the signing rule.

Four verbs sign: a board member's review with an approving decision, and the editor's approve,
publish and retract. Each asks the signer for their password again, in the same form, and for
the meaning of the signature from the short list that fits the verb (``MEANINGS``; §11.50(a)).
``sign`` checks both and builds the record (``Signature``: the printed name with credentials,
the moment in UTC, the meaning, the version and the SHA-256 of its frozen content); the verb's
service saves it in its own transaction and puts its facts in the verb's audit event.

A wrong password (or another person's) is refused with ``SigningRefused`` and writes one thing:
a ``SIGNING_REFUSED`` audit event, committed in its own transaction before the refusal is
raised, so no rollback of the verb can take it away. It also counts toward the sign-in
throttle (django-axes hears Django's ``user_login_failed``, as for a failed sign-in): enough
failed signings lock the account's sign-in, and a locked account cannot sign.

Call ``sign`` before the verb's transaction opens (the services do): the refusal's event must
commit whatever the verb does next.

``EDITORIAL_SIGNING_WINDOW_MINUTES`` (§11.200(a)(1)): a signer with a second factor
(``editorial.second_factor``) gives a code from their app as well as the password at the first
signing of a session, and whenever the last full signing of the session is older than the window;
within the window, a later signing needs the password only. A full signing is remembered in the
session. A code is accepted once (a replayed or stale one is refused like a wrong password). A
signer without a second factor signs with the password alone, every time. The signature records
which components it was made with (``Signature.components``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils import timezone

from articles.models import ArticleVersion, Reference
from editorial import audit, second_factor
from editorial.errors import WorkflowError
from editorial.models import AuditAction, BoardMember, Signature, SignatureMeaning
from editorial.roles import member_name

# The verbs that sign, and the meanings a signer may choose for each (the first is the form's default).
MEANINGS: dict[str, tuple[SignatureMeaning, ...]] = {
    "review": (SignatureMeaning.MEDICAL_ACCURACY, SignatureMeaning.DOSES_AND_CITATIONS),
    "approve": (SignatureMeaning.APPROVAL,),
    "publish": (SignatureMeaning.PUBLICATION,),
    "retract": (SignatureMeaning.WITHDRAWAL,),
    "confirm": (SignatureMeaning.STILL_CURRENT,),
}
SIGNING_VERBS = tuple(MEANINGS)

# Where the session keeps the moment of the last full signing (ISO 8601, UTC).
SESSION_KEY = "editorial_full_signing_at"

# The identification components a signature was made with (``Signature.components``).
COMPONENTS_PASSWORD = "password"
COMPONENTS_PASSWORD_AND_CODE = "password+code"


class SigningRefused(WorkflowError):
    """The signature was refused: no password, a wrong one, or a meaning that does not fit."""

    status = 403


@dataclass(frozen=True)
class Signing:
    """What the signer gives with the verb: their password, the meaning they chose, and (from a
    web page) the request, whose session and address the window and the throttle read."""

    password: str = field(repr=False)
    meaning: str
    request: object | None = field(default=None, repr=False, compare=False)
    otp_code: str = field(default="", repr=False)


def meaning_choices(verb: str) -> list[tuple[str, str]]:
    return [(meaning.value, meaning.label) for meaning in MEANINGS[verb]]


def window() -> timedelta:
    return timedelta(minutes=settings.EDITORIAL["SIGNING_WINDOW_MINUTES"])


def within_window(request, *, now: datetime | None = None) -> bool:
    """Whether ``request``'s session made a full signing less than the window ago."""
    session = getattr(request, "session", None)
    stamp = session.get(SESSION_KEY) if session is not None else None
    if not stamp:
        return False
    try:
        last = datetime.fromisoformat(stamp)
    except ValueError:
        return False
    now = now or timezone.now()
    return last <= now < last + window()


def code_state(request) -> dict:
    """For a signing form: whether it asks this signer for a code (they have a second factor),
    and whether one is needed now (no full signing in this session within the window)."""
    has_device = second_factor.has_device(request.user)
    return {"second_factor": has_device, "code_needed": has_device and not within_window(request)}


def content_sha256(version: ArticleVersion, references: list[Reference] | None = None) -> str:
    """SHA-256 of the version's frozen content: its content fields and its references, as
    canonical JSON (sorted keys, no spaces). The one function that says what a signature signs."""
    refs = references if references is not None else list(version.references.all())
    content = {
        "version": version.pk,
        "number": version.number,
        "content": {name: getattr(version, name) for name in ArticleVersion.CONTENT_FIELDS},
        "references": sorted(
            ({name: getattr(ref, name) for name in Reference.CONTENT_FIELDS} for ref in refs),
            key=lambda ref: ref["number"],
        ),
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def printed_name(user) -> str:
    """The signer's name as the record prints it: their board name and credentials."""
    member = BoardMember.objects.filter(user=user).first()
    if member is None:
        return member_name(user)
    return f"{member.display_name}, {member.credentials}" if member.credentials else member.display_name


def sign(*, verb: str, signer, signing: Signing | None, version: ArticleVersion) -> Signature | None:
    """Check ``signing`` for ``signer`` on ``version`` and return the unsaved ``Signature``
    (the service saves it). Refuses with ``SigningRefused``; a wrong password first commits a
    ``SIGNING_REFUSED`` audit event and counts toward the sign-in throttle.

    Nobody signed in (or an inactive account) cannot sign: None, and the service refuses them
    as it refuses anyone without the verb (``require``), after the state check."""
    if verb not in MEANINGS:
        raise ValueError(f"{verb!r} is not a signing verb")
    if signer is None or not getattr(signer, "is_authenticated", False) or not signer.is_active:
        return None
    if signing is None or not isinstance(signing.password, str) or not signing.password:
        raise SigningRefused("Enter your password to sign: this action is an electronic signature.")
    if signing.meaning not in MEANINGS[verb]:
        choices = "; ".join(f"“{meaning.label}”" for meaning in MEANINGS[verb])
        raise SigningRefused(f"Choose what your signature means: {choices}.")
    session_user = getattr(signing.request, "user", None)
    if session_user is not None and getattr(session_user, "pk", None) != signer.pk:
        raise SigningRefused(
            "This session is someone else's: sign in as yourself to sign. Nothing was signed."
        )
    if _sign_in_locked(signer, signing.request):
        raise SigningRefused(
            "Your sign-in is locked after too many failed attempts; signing is locked with it. "
            "Try again later."
        )
    if not signer.check_password(signing.password):
        _refuse(verb=verb, signer=signer, version=version, request=signing.request, reason="password")
        raise SigningRefused(
            "The password is not yours: nothing was signed. Enter your own password to sign."
        )
    now = timezone.now()
    components = _second_component(verb=verb, signer=signer, signing=signing, version=version, now=now)
    return Signature(
        version=version,
        verb=verb,
        signer=signer,
        printed_name=printed_name(signer),
        meaning=signing.meaning,
        signed_at=now,
        version_number=version.number,
        content_sha256=content_sha256(version),
        components=components,
    )


def _second_component(*, verb: str, signer, signing: Signing, version: ArticleVersion, now: datetime) -> str:
    """Check the code a full signing needs and remember a full signing in the session; returns
    the components the signature is made with."""
    request = signing.request
    in_window = request is not None and within_window(request, now=now)
    if not second_factor.has_device(signer):
        if request is not None and not in_window:
            request.session[SESSION_KEY] = now.astimezone(UTC).isoformat()
        return COMPONENTS_PASSWORD
    code = (signing.otp_code or "").strip()
    if in_window and not code:
        return COMPONENTS_PASSWORD
    if not code:
        minutes = settings.EDITORIAL["SIGNING_WINDOW_MINUTES"]
        raise SigningRefused(
            "Enter the code from your authenticator app as well as your password: the first "
            f"signing of a session, and any signing more than {minutes} minutes after your last "
            "signing with a code, takes both."
        )
    device = second_factor.match(signer, code)
    if device is None:
        _refuse(verb=verb, signer=signer, version=version, request=request, reason="second_factor")
        raise SigningRefused(
            "The code is not right, or it was used already: nothing was signed. Enter the code "
            "your app shows now."
        )
    if request is not None:
        request.session[SESSION_KEY] = now.astimezone(UTC).isoformat()
    return COMPONENTS_PASSWORD_AND_CODE


def _refuse(*, verb: str, signer, version: ArticleVersion, request, reason: str) -> None:
    """The one write of a refused signing: its audit event, in its own transaction."""
    with transaction.atomic():
        audit.record(
            article=version.article_id,
            version=version,
            actor=signer,
            action=AuditAction.SIGNING_REFUSED,
            data={"verb": verb, "version_number": version.number, "refused": reason},
        )
    # django-axes counts it as it counts a failed sign-in (per username and address).
    user_login_failed.send(sender=__name__, credentials={"username": signer.get_username()}, request=request)


def _sign_in_locked(signer, request) -> bool:
    if request is None:
        return False
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": signer.get_username()})


def require(signature: Signature | None) -> Signature:
    """The service's last word before it writes: a signing verb is never done unsigned."""
    if signature is None:
        raise SigningRefused("Enter your password to sign: this action is an electronic signature.")
    return signature


def check_unchanged(signature: Signature, version: ArticleVersion) -> None:
    """Inside the verb's transaction, with the version locked: what was hashed is what is
    signed (a frozen version cannot change; this holds it)."""
    if content_sha256(version) != signature.content_sha256:
        raise SigningRefused("The version changed while you signed: reload it and sign again.")
