"""Checkpointed verification (editorial/checkpoints.py): a run verifies what was appended since
the last, never moves a checkpoint past a broken event, and alerts the editors once."""

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from editorial import audit, checkpoints, tasks
from editorial.models import AuditAction, AuditCheckpoint, AuditEvent, Notification, NotificationKind
from editorial.notifications import build_message
from tests.support import flows
from tests.support.tampering import rewrite_history, tamper

pytestmark = pytest.mark.django_db


def append(version, count: int) -> None:
    with transaction.atomic():
        for _ in range(count):
            audit.record(article=version.article, version=version, action=AuditAction.ARTICLE_RE_REVIEW_DUE)


def alerts() -> list[Notification]:
    return list(Notification.objects.filter(kind=NotificationKind.AUDIT_CHAIN_BROKEN))


def test_a_run_verifies_only_what_was_appended_since_the_last(author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    total = AuditEvent.objects.filter(article=version.article).count()
    first = checkpoints.verify_from_checkpoint(version.article)
    assert first.ok and first.seq == total and first.checked == total
    assert checkpoints.verify_from_checkpoint(version.article).checked == 0
    append(version, 10)
    again = checkpoints.verify_from_checkpoint(version.article)
    assert again.ok and again.checked == 10 and again.seq == total + 10
    checkpoint = AuditCheckpoint.objects.get(article=version.article)
    newest = AuditEvent.objects.filter(article=version.article).order_by("-seq").first()
    assert (checkpoint.seq, checkpoint.hash) == (newest.seq, newest.hash)
    assert checkpoint.verified_at is not None


def test_the_checkpoint_never_passes_a_broken_event_and_the_editors_are_alerted_once(
    on_postgres, author, editor, reviewers
):
    # given a chain verified up to its head, then grown by five events
    version = flows.published(author, editor, reviewers[:2])
    verified = checkpoints.verify_from_checkpoint(version.article).seq
    append(version, 5)
    # when the third new event is altered behind the system's back
    target = AuditEvent.objects.get(article=version.article, seq=verified + 3)
    tamper(target.pk, message="altered")
    result = checkpoints.verify_from_checkpoint(version.article)
    # then the checkpoint stops just before it and names it
    assert not result.ok and result.broken_seq == target.seq and result.seq == target.seq - 1
    assert result.checked == 2 and result.alerted
    assert "does not match its hash" in result.reason
    (alert,) = alerts()
    assert alert.recipient == editor and alert.context["broken_seq"] == target.seq
    # and later runs, with more events appended, never pass it and never alert again
    append(version, 3)
    for _ in range(3):
        again = checkpoints.verify_from_checkpoint(version.article)
        assert again.broken_seq == target.seq and again.seq == target.seq - 1 and not again.alerted
    assert tasks.verify_audit_checkpoints() == 1
    assert len(alerts()) == 1
    checkpoint = AuditCheckpoint.objects.get(article=version.article)
    assert checkpoint.seq == target.seq - 1 and checkpoint.alerted_at is not None


def test_the_database_refuses_a_checkpoint_past_its_broken_event(author):
    version = flows.submitted(author)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditCheckpoint.objects.create(article=version.article, seq=5, broken_seq=5)


def test_a_rewrite_behind_the_checkpoint_is_caught(on_postgres, author, editor, reviewers):
    # given a verified chain
    version = flows.published(author, editor, reviewers[:2])
    verified = checkpoints.verify_from_checkpoint(version.article).seq
    # when a superuser rewrites event 2 and recomputes every later hash (the chain still verifies)
    rewrite_history(version.article_id, 2, "A quietly changed decision")
    assert audit.verify_chain().ok
    # then the checkpointed hash no longer matches: broken, back to nothing vouched for
    result = checkpoints.verify_from_checkpoint(version.article)
    assert result.broken_seq == verified and result.seq == 0
    assert "history rewritten" in result.reason
    assert len(alerts()) == 1


def test_a_tampered_checkpointed_event_is_caught_and_named(on_postgres, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    checkpoints.verify_from_checkpoint(version.article)
    head = AuditEvent.objects.filter(article=version.article).order_by("-seq").first()
    tamper(head.pk, message="altered")  # the checkpointed event itself: its hash no longer fits
    result = checkpoints.verify_from_checkpoint(version.article)
    assert result.broken_seq == head.seq and result.seq == head.seq - 1
    assert "does not match its hash" in result.reason


def test_older_events_are_left_to_the_full_check(on_postgres, author, editor, reviewers):
    # what checkpointing trades away: an event before the checkpoint is not read again
    version = flows.published(author, editor, reviewers[:2])
    checkpoints.verify_from_checkpoint(version.article)
    tamper(AuditEvent.objects.get(article=version.article, seq=2).pk, message="altered")
    assert checkpoints.verify_from_checkpoint(version.article).ok
    assert audit.verify_chain().broken.seq == 2  # verify_audit's full mode names it


def test_the_alert_email_names_the_article_and_the_event(on_postgres, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    target = AuditEvent.objects.get(article=version.article, seq=4)
    tamper(target.pk, message="altered")
    checkpoints.verify_from_checkpoint(version.article)
    message = build_message(alerts()[0])
    assert "event 4" in message.subject and version.title in message.subject
    assert "failed verification at event 4" in message.body
    assert f"verify_audit --article {version.article.slug}" in message.body
    assert "failed verification at event 4" in message.alternatives[0].content


def test_beat_advances_every_chain(author):
    first, second = flows.submitted(author), flows.submitted(author, slug="second-article")
    assert tasks.verify_audit_checkpoints() == 0
    heads = dict(AuditCheckpoint.objects.values_list("article_id", "seq"))
    for version in (first, second):
        assert heads[version.article_id] == AuditEvent.objects.filter(article=version.article).count()
    schedule = settings.CELERY_BEAT_SCHEDULE["editorial-audit-checkpoints"]
    assert schedule["task"] == "editorial.tasks.verify_audit_checkpoints"
    assert schedule["schedule"] == settings.EDITORIAL["AUDIT_VERIFY_MINUTES"] * 60
