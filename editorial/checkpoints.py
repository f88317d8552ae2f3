"""Checkpointed verification of the audit chains: each article's chain is verified from where
the last run stopped (``AuditCheckpoint``: the event number and its hash), so a run costs what
was appended since, whatever the chain's length. ``verify_audit`` keeps the full check.

A checkpoint never moves past a broken event: once one is found it is recorded on the
checkpoint, the editors are told once (an outbox notification, in the same transaction), and
later runs leave that chain alone until someone looks at it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from articles.models import Article
from editorial import notifications
from editorial.audit import GENESIS, HASH_FIELDS, canonical_line, epoch_microseconds, jsonb_text, verify_chain
from editorial.models import AuditCheckpoint, AuditEvent, NotificationKind


@dataclass(frozen=True)
class CheckpointResult:
    article_id: int
    seq: int  # verified up to this event
    checked: int  # events verified by this run
    broken_seq: int | None = None
    reason: str = ""
    alerted: bool = False  # this run told the editors

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


@dataclass(frozen=True)
class ChainCheckpoint:
    """What the board sees of one chain without verifying anything: how far its checkpoint
    got, when, and how many events came after it (read from the checkpoint row and the chain's
    last event number, so it costs the same at any length)."""

    head: int  # the chain's last event number (0: no events)
    seq: int = 0  # verified up to this event
    verified_at: datetime | None = None
    broken_seq: int | None = None
    reason: str = ""

    @property
    def state(self) -> str:
        if self.broken_seq is not None:
            return "broken"
        if self.head == 0 or self.seq == self.head:
            return "verified"
        return "unverified" if self.seq == 0 else "behind"

    @property
    def ok(self) -> bool:
        return self.broken_seq is None

    @property
    def unchecked(self) -> int:
        return max(self.head - self.seq, 0)

    def __str__(self) -> str:
        if self.state == "broken":
            return f"broken at event {self.broken_seq}: {self.reason}"
        if self.head == 0:
            return "no events yet"
        if self.seq == 0:
            return f"not verified yet ({self.head} events)"
        when = timezone.localtime(self.verified_at).strftime("%Y-%m-%d %H:%M") if self.verified_at else "?"
        said = f"verified up to event {self.seq} at {when}"
        if self.unchecked:
            noun = "event" if self.unchecked == 1 else "events"
            said += f"; {self.unchecked} newer {noun} not checked yet"
        return said


def checkpoint_of(article) -> ChainCheckpoint:
    """The checkpoint of an article from ``selectors.with_chain_checkpoint`` (no query)."""
    head = getattr(article, "audit_head_seq", None) or 0
    try:
        checkpoint = article.audit_checkpoint
    except AuditCheckpoint.DoesNotExist:
        return ChainCheckpoint(head)
    return ChainCheckpoint(
        head, checkpoint.seq, checkpoint.verified_at, checkpoint.broken_seq, checkpoint.broken_reason
    )


def _line(row: dict) -> str:
    return canonical_line(
        row["article_id"],
        row["seq"],
        row["version_id"],
        row["actor_id"],
        row["actor_label"],
        row["action"],
        row["state_before"],
        row["state_after"],
        row["message"],
        jsonb_text(row["data"]),
        epoch_microseconds(row["created_at"]),
    )


def _hashes(row: dict) -> bool:
    """The event's content and previous hash still give its hash."""
    return hashlib.sha256((_line(row) + row["prev_hash"]).encode()).hexdigest() == row["hash"]


def _continue(checkpoint: AuditCheckpoint) -> tuple[int, str, int, int | None, str]:
    """Verify the events after the checkpoint. The checkpointed event itself is read again: it
    must still carry the checkpointed hash, and its content must still give it. (Events before
    it are not read again: ``verify_audit`` checks whole chains, ``--heads`` against signed
    heads.) Returns (seq, hash verified up to, events checked,
    first broken event or None, why)."""
    seq, digest, checked = checkpoint.seq, checkpoint.hash, 0
    rows = (
        AuditEvent.objects.filter(article_id=checkpoint.article_id, seq__gte=max(seq, 1))
        .order_by("seq")
        .values("pk", *HASH_FIELDS, "hash")
        .iterator(chunk_size=5000)
    )
    if seq:
        anchor = next(rows, None)
        if anchor is None or anchor["seq"] != seq or anchor["hash"] != digest or not _hashes(anchor):
            return _from_the_start(checkpoint)
    for row in rows:
        if row["seq"] != seq + 1:
            return seq, digest, checked, seq + 1, f"expected event {seq + 1}, found {row['seq']}"
        if row["prev_hash"] != digest:
            return seq, digest, checked, row["seq"], "does not chain to the event before it"
        if not _hashes(row):
            return seq, digest, checked, row["seq"], "its content does not match its hash"
        seq, digest, checked = row["seq"], row["hash"], checked + 1
    return seq, digest, checked, None, ""


def _from_the_start(checkpoint: AuditCheckpoint) -> tuple[int, str, int, int | None, str]:
    """The checkpointed event is gone or changed: verify the whole chain to name the first
    broken event. A chain that still verifies was recomputed since the checkpoint (only a
    database superuser can): nothing in it can be vouched for, so the checkpoint goes back to 0."""
    full = verify_chain(article=Article(pk=checkpoint.article_id))
    if full.ok:
        reason = "the checkpointed event no longer has the hash it was verified with (history rewritten)"
        return 0, GENESIS, full.checked, checkpoint.seq, reason
    seq = full.broken.seq - 1
    previous = AuditEvent.objects.filter(article_id=checkpoint.article_id, seq=seq).values("hash").first()
    return seq, previous["hash"] if previous else GENESIS, full.checked, full.broken.seq, full.reason


def verify_from_checkpoint(article: Article | int) -> CheckpointResult:
    """Advance one article's checkpoint over the events appended since; on a break, record it
    (the checkpoint stays before it) and alert the editors, once."""
    article_id = article if isinstance(article, int) else article.pk
    with transaction.atomic():
        AuditCheckpoint.objects.get_or_create(article_id=article_id)
        checkpoint = AuditCheckpoint.objects.select_for_update().get(article_id=article_id)
        if checkpoint.broken_seq is not None:
            return CheckpointResult(
                article_id, checkpoint.seq, 0, checkpoint.broken_seq, checkpoint.broken_reason
            )
        seq, digest, checked, broken_seq, reason = _continue(checkpoint)
        checkpoint.seq, checkpoint.hash = seq, digest
        checkpoint.verified_at = timezone.now()
        alerted = False
        if broken_seq is not None:
            checkpoint.broken_seq, checkpoint.broken_reason = broken_seq, reason[:200]
            if checkpoint.alerted_at is None:
                alerted = bool(notify_chain_broken(checkpoint))
                checkpoint.alerted_at = timezone.now()
        checkpoint.save()
        return CheckpointResult(article_id, seq, checked, broken_seq, reason, alerted)


def advance_all() -> list[CheckpointResult]:
    """Beat's run: every article's checkpoint, one article per transaction."""
    article_ids = Article.objects.order_by("pk").values_list("pk", flat=True)
    return [verify_from_checkpoint(article_id) for article_id in article_ids]


def notify_chain_broken(checkpoint: AuditCheckpoint) -> list:
    """Tell every editor which event of which article's trail failed verification."""
    article = Article.objects.get(pk=checkpoint.article_id)
    version = article.versions.order_by("-number").first()
    if version is None:
        return []
    event = AuditEvent.objects.filter(article_id=article.pk, seq=checkpoint.broken_seq).values("pk").first()
    context = {
        **notifications.version_context(version),
        "broken_seq": checkpoint.broken_seq,
        "reason": checkpoint.broken_reason,
        "verified_up_to": checkpoint.seq,
        "link": notifications.admin_url("auditevent", event["pk"] if event else None),
    }
    return notifications.queue(
        notifications.row(
            kind=NotificationKind.AUDIT_CHAIN_BROKEN, recipient=editor, version=version, context=context
        )
        for editor in notifications.editors()
    )
