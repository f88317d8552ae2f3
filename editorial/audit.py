"""The append-only, hash-chained audit trail.

Each event's ``hash`` is SHA-256 over the previous event's hash and a canonical JSON
serialization of the event's facts; the first event of an article chains to ``GENESIS``.
Appends to one article's chain take a row lock on the article, so two events written at
the same moment can never fork it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from articles.models import Article, ArticleVersion
from editorial.models import AuditEvent

GENESIS = "0" * 64

# Actions readers see in an article's review history, with the label they read.
PUBLIC_ACTIONS: dict[str, str] = {
    "editorial.version.created": "Version drafted",
    "editorial.version.submitted": "Submitted for review",
    "editorial.version.review_started": "Review started",
    "editorial.review.recorded": "Board review recorded",
    "editorial.version.changes_requested": "Changes requested",
    "editorial.version.rejected": "Rejected",
    "editorial.version.approved": "Approved",
    "editorial.version.published": "Published",
    "editorial.version.superseded": "Superseded by a newer version",
    "editorial.version.withdrawn": "Withdrawn",
    "editorial.version.retracted": "Retracted",
}

HASH_FIELDS = (
    "article_id", "seq", "version_id", "actor_id", "actor_label", "action", "state_before",
    "state_after", "message", "data", "created_at", "prev_hash",
)  # fmt: skip


def _canonical(values: dict) -> bytes:
    facts = dict(values)
    created_at = facts["created_at"]
    if isinstance(created_at, datetime):
        facts["created_at"] = created_at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(values: dict) -> str:
    """The hash of one event from its facts (``HASH_FIELDS``), ``prev_hash`` included."""
    return hashlib.sha256(_canonical({name: values[name] for name in HASH_FIELDS})).hexdigest()


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    member = getattr(actor, "board_member", None)
    return member.display_name if member else (actor.get_full_name() or actor.get_username())


def record(
    *,
    article: Article | int,
    action: str,
    actor=None,
    version: ArticleVersion | None = None,
    state_before: str = "",
    state_after: str = "",
    message: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Append one event to the article's chain. Call inside the transaction that made the
    change, so the event and the change commit or roll back together."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction that made the change")
    article_id = article if isinstance(article, int) else article.pk
    # Serialize appends per article: the chain head is read under the article's row lock.
    Article.objects.select_for_update().filter(pk=article_id).values_list("pk", flat=True).get()
    last = (
        AuditEvent.objects.filter(article_id=article_id).order_by("-seq").values_list("seq", "hash").first()
    )
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    values = {
        "article_id": article_id,
        "seq": seq,
        "version_id": version.pk if version else None,
        "actor_id": actor.pk if actor else None,
        "actor_label": actor_label(actor),
        "action": action,
        "state_before": state_before,
        "state_after": state_after,
        "message": message,
        "data": json.loads(json.dumps(data or {})),  # stored exactly as it will be read back
        "created_at": timezone.now(),
        "prev_hash": prev_hash,
    }
    return AuditEvent.objects.create(**values, hash=compute_hash(values))


@dataclass(frozen=True)
class ChainResult:
    checked: int
    articles: int
    broken: AuditEvent | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken is None


def _rows(article_id: int | None) -> Iterator[tuple]:
    queryset = AuditEvent.objects.order_by("article_id", "seq")
    if article_id is not None:
        queryset = queryset.filter(article_id=article_id)
    return queryset.values_list("pk", *HASH_FIELDS, "hash").iterator(chunk_size=5000)


def verify_rows(rows) -> tuple[int, int, tuple | None, str]:
    """Check chained rows (pk, *HASH_FIELDS, hash), ordered by article and seq.

    Returns (events checked, articles, first broken row or None, why it is broken).
    """
    checked = articles = 0
    current_article = None
    prev_hash = GENESIS
    expected_seq = 1
    names = HASH_FIELDS
    for row in rows:
        values = dict(zip(names, row[1:-1], strict=True))
        if values["article_id"] != current_article:
            current_article = values["article_id"]
            articles += 1
            prev_hash, expected_seq = GENESIS, 1
        if values["seq"] != expected_seq:
            return checked, articles, row, f"expected event {expected_seq}, found {values['seq']}"
        if values["prev_hash"] != prev_hash:
            return checked, articles, row, "does not chain to the event before it"
        if compute_hash(values) != row[-1]:
            return checked, articles, row, "its content does not match its hash"
        checked += 1
        prev_hash = row[-1]
        expected_seq += 1
    return checked, articles, None, ""


def verify_chain(*, article: Article | None = None) -> ChainResult:
    with transaction.atomic():
        checked, articles, broken, reason = verify_rows(_rows(article.pk if article else None))
    event = AuditEvent.objects.get(pk=broken[0]) if broken else None
    return ChainResult(checked=checked, articles=articles, broken=event, reason=reason)
