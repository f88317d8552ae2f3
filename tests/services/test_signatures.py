"""Electronic signatures (21 CFR Part 11 §11.50, §11.200): every signing verb refuses without
the signer's own password and a fitting meaning, a refusal writes one audit event and nothing
else, and a signature records the name, moment, meaning and the hash of the frozen content."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
import time_machine

from articles.models import ArticleVersion
from editorial import rereview, signatures, workflow
from editorial.models import AuditAction, AuditEvent, Signature, SignatureMeaning
from editorial.signatures import SIGNING_VERBS, Signing, SigningRefused
from tests.support import flows
from tests.support.attempts import snapshot
from tests.support.factories import make_user
from tests.support.signing import PASSWORD, signed

pytestmark = pytest.mark.django_db


def ready_for(verb: str, author, editor, reviewers) -> ArticleVersion:
    """A version on which ``verb`` is the next step."""
    match verb:
        case "review":
            return flows.under_review(author, editor, reviewers[:2])
        case "approve":
            version = flows.under_review(author, editor, reviewers[:2])
            for reviewer in reviewers[:2]:
                flows.review(version, reviewer)
            return version
        case "publish":
            return flows.approved(author, editor, reviewers[:2])
        case "retract":
            return flows.published(author, editor, reviewers[:2])
        case "confirm":  # a re-review of the live version, with the reviewer assigned
            version = flows.published(author, editor, reviewers[:2])
            flows.re_review(version, editor, reviewers[:1])
            return version
    raise AssertionError(verb)


def signer_of(verb: str, editor, reviewers):
    return reviewers[0] if verb in ("review", "confirm") else editor


def do(verb: str, version: ArticleVersion, actor, signing):
    match verb:
        case "review":
            return workflow.review_record(
                assignment=version.assignments.get(reviewer=actor),
                actor=actor,
                decision="approve",
                signing=signing,
                no_conflict_declared=True,
                citations_checked=True,
                doses_checked=True,
            )
        case "approve":
            return workflow.version_approve(version=version, actor=actor, signing=signing)
        case "publish":
            return workflow.version_publish(version=version, actor=actor, signing=signing)
        case "retract":
            return workflow.version_retract(
                version=version, actor=actor, reason="A dose was wrong.", signing=signing
            )
        case "confirm":
            return rereview.re_review_confirm(
                assignment=version.assignments.get(reviewer=actor, re_review__isnull=False),
                actor=actor,
                no_conflict_declared=True,
                signing=signing,
            )
    raise AssertionError(verb)


def frozen_hash(version: ArticleVersion) -> str:
    """The content hash, computed here from the rows (not by the code under test)."""
    refs = sorted(
        (
            {
                name: getattr(ref, name)
                for name in ("number", "kind", "title", "authors", "source", "year", "doi", "pmid", "url")
            }
            for ref in version.references.all()
        ),
        key=lambda ref: ref["number"],
    )
    content = {
        "version": version.pk,
        "number": version.number,
        "content": {
            name: getattr(version, name) for name in ("title", "lead", "body", "summary", "change_note")
        },
        "references": refs,
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def stranger(db):
    """Another board member, with a password of their own."""
    user = make_user("Editor")
    user.set_password("someone-elses-password")
    user.save()
    return user


@pytest.mark.parametrize("verb", SIGNING_VERBS)
def test_a_signing_verb_without_a_password_is_refused_and_writes_nothing(verb, author, editor, reviewers):
    version = ready_for(verb, author, editor, reviewers)
    actor = signer_of(verb, editor, reviewers)
    before = snapshot(version.pk)
    for signing in (None, Signing(password="", meaning=signatures.MEANINGS[verb][0].value)):
        with pytest.raises(SigningRefused, match="Enter your password"):
            do(verb, version, actor, signing)
    assert snapshot(version.pk) == before
    assert (
        not Signature.objects.exists()
        or verb != "review"
        and not Signature.objects.filter(verb=verb).exists()
    )


@pytest.mark.parametrize("verb", SIGNING_VERBS)
@pytest.mark.parametrize("password", ["wrong-password", "someone-elses-password"])
def test_a_wrong_password_writes_one_failed_signing_event_and_nothing_else(
    verb, password, author, editor, reviewers, stranger
):
    version = ready_for(verb, author, editor, reviewers)
    actor = signer_of(verb, editor, reviewers)
    before = snapshot(version.pk)
    signatures_before = Signature.objects.count()
    with pytest.raises(SigningRefused, match="nothing was signed"):
        do(verb, version, actor, signed(actor, verb, password=password))
    after = snapshot(version.pk)
    # then the audit trail grew by one event, and nothing else changed
    assert after[1] == before[1] + 1
    assert after[:1] + after[2:] == before[:1] + before[2:]
    assert Signature.objects.count() == signatures_before
    event = AuditEvent.objects.filter(article_id=version.article_id).order_by("-seq").first()
    assert event.action == AuditAction.SIGNING_REFUSED
    assert event.actor_id == actor.pk and event.data == {
        "verb": verb,
        "version_number": version.number,
        "refused": "password",
    }
    assert not AuditEvent.objects.public().filter(pk=event.pk).exists()


@pytest.mark.parametrize("verb", SIGNING_VERBS)
def test_a_meaning_that_does_not_fit_the_verb_is_refused(verb, author, editor, reviewers):
    version = ready_for(verb, author, editor, reviewers)
    actor = signer_of(verb, editor, reviewers)
    other = next(m for m in SignatureMeaning if m not in signatures.MEANINGS[verb])
    before = snapshot(version.pk)
    with pytest.raises(SigningRefused, match="Choose what your signature means"):
        do(verb, version, actor, Signing(password=PASSWORD, meaning=other.value))
    assert snapshot(version.pk) == before


@pytest.mark.parametrize("verb", SIGNING_VERBS)
def test_a_signature_records_name_moment_meaning_and_the_frozen_contents_hash(
    verb, author, editor, reviewers
):
    version = ready_for(verb, author, editor, reviewers)
    actor = signer_of(verb, editor, reviewers)
    with time_machine.travel(datetime(2026, 12, 2, 14, 30, tzinfo=UTC), tick=False):
        do(verb, version, actor, signed(actor, verb))
    signature = Signature.objects.get(verb=verb, version=version)
    version.refresh_from_db()
    assert signature.signer == actor
    assert signature.printed_name == f"{actor.board_member.display_name}, MD"
    assert signature.signed_at == datetime(2026, 12, 2, 14, 30, tzinfo=UTC)
    assert signature.meaning == signatures.MEANINGS[verb][0]
    assert signature.version_number == version.number
    assert signature.content_sha256 == frozen_hash(version)
    if verb == "review":
        assert signature.review == version.reviews.get(reviewer=actor)
    # and its audit event holds the same facts
    event = AuditEvent.objects.filter(version=version, data__signature__verb=verb).get()
    assert event.data["signature"] == signature.facts()
    assert event.data["signature"]["signed_at"] == "2026-12-02T14:30:00+00:00"
    assert event.data["signature"]["meaning_text"] == signature.get_meaning_display()


def test_the_hash_changes_when_the_content_could_change(author, editor, reviewers):
    first = flows.published(author, editor, reviewers[:2])
    second = flows.next_approved(
        first, author, editor, reviewers[:2], body="Baclofen is started low [1]. Never stop it abruptly [2]."
    )
    # a different body, and the same body under another version, hash differently
    assert signatures.content_sha256(first) != signatures.content_sha256(second)
    assert signatures.content_sha256(first) == frozen_hash(first)
    ref = first.references.get(number=1)
    before = signatures.content_sha256(first)
    ref.title = "Another guideline"
    assert signatures.content_sha256(first, [ref, *first.references.exclude(number=1)]) != before


def test_a_signing_by_someone_not_permitted_is_refused_for_the_person_before_the_password(
    author, editor, reviewers
):
    from editorial.errors import NotPermitted

    version = ready_for("approve", author, editor, reviewers)
    before = snapshot(version.pk)
    with pytest.raises(NotPermitted):
        workflow.version_approve(
            version=version, actor=reviewers[0], signing=signed(reviewers[0], "approve", password="x")
        )
    assert snapshot(version.pk) == before


def test_a_non_approving_review_is_not_signed(author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    flows.review(version, reviewers[0], "request_changes", "The dose is wrong.")
    assert not Signature.objects.exists()


def test_within_the_window_a_session_has_signed_in_full(settings, rf):
    settings.EDITORIAL = {**settings.EDITORIAL, "SIGNING_WINDOW_MINUTES": 15}
    request = rf.post("/")
    request.session = {}
    assert not signatures.within_window(request)
    request.session[signatures.SESSION_KEY] = "2026-12-02T14:30:00+00:00"
    assert signatures.within_window(request, now=datetime(2026, 12, 2, 14, 44, tzinfo=UTC))
    assert not signatures.within_window(request, now=datetime(2026, 12, 2, 14, 45, tzinfo=UTC))


def test_a_full_signing_is_remembered_in_the_session(rf, author, editor, reviewers):
    version = ready_for("publish", author, editor, reviewers)
    request = rf.post("/")
    request.session = {}
    request.META["REMOTE_ADDR"] = "10.0.0.9"
    with time_machine.travel(datetime(2026, 12, 2, 14, 30, tzinfo=UTC), tick=False):
        workflow.version_publish(
            version=version, actor=editor, signing=signed(editor, "publish", request=request)
        )
    assert request.session[signatures.SESSION_KEY] == "2026-12-02T14:30:00+00:00"


def test_the_json_export_carries_each_signature(author, editor, reviewers):
    from editorial.audit_export import trail_export

    version = flows.published(author, editor, reviewers[:2])
    document = trail_export(version.article)
    exported = [event["data"]["signature"] for event in document["events"] if "signature" in event["data"]]
    assert exported == [signature.facts() for signature in Signature.objects.filter(version=version)]
    assert [facts["verb"] for facts in exported] == ["review", "review", "approve", "publish"]
