"""The append-only, hash-chained audit trail.

Each event's ``hash`` is SHA-256 over the previous event's hash and a canonical JSON
serialization of the event's facts; the first event of an article chains to ``GENESIS``.
Appends to one article's chain take a row lock on the article, so two events written at
the same moment can never fork it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Max, Min, OuterRef, Subquery
from django.dispatch import Signal
from django.utils import timezone

from articles.models import Article, ArticleVersion
from editorial.models import PUBLIC_AUDIT_ACTIONS, AuditAction, AuditEvent
from editorial.roles import member_name

GENESIS = "0" * 64

# Sent by ``record_many`` with ``article_ids`` (its bulk insert sends no ``post_save``): the
# chains of these articles grew, so what shows their head (the reader's page) must refresh.
chain_extended = Signal()


HASH_FIELDS = (
    "article_id",
    "seq",
    "version_id",
    "actor_id",
    "actor_label",
    "action",
    "state_before",
    "state_after",
    "message",
    "data",
    "created_at",
    "prev_hash",
)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def jsonb_text(value) -> str:
    """JSON text exactly as PostgreSQL prints a ``jsonb`` value (keys shorter-first, then
    bytewise; ``", "`` and ``": "`` separators), so verification on PostgreSQL can hash
    ``data::text`` without parsing it. Audit data holds str, int, bool, None, lists and dicts."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: (len(key.encode()), key.encode()))
        return (
            "{"
            + ", ".join(f"{json.dumps(key, ensure_ascii=False)}: {jsonb_text(value[key])}" for key in keys)
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(jsonb_text(item) for item in value) + "]"
    if isinstance(value, float):
        raise TypeError("Audit data holds no floats: their text is not canonical.")
    if value is not None and not isinstance(value, str | int):
        raise TypeError(f"Audit data cannot hold {type(value).__name__}.")
    return json.dumps(value, ensure_ascii=False)


def epoch_microseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def canonical_line(
    article_id,
    seq,
    version_id,
    actor_id,
    actor_label,
    action,
    state_before,
    state_after,
    message,
    data_text,
    created_us,
) -> str:
    """One event's facts in a fixed order, text fields length-prefixed so no content can
    imitate a separator. The hash is SHA-256 over this line followed by the previous hash.
    ``_FAST_SQL`` builds the same line in PostgreSQL."""
    return (
        f"{article_id}|{seq}|{version_id}|{actor_id}|{len(actor_label)}:{actor_label}|{len(action)}:{action}|"
        f"{len(state_before)}:{state_before}|{len(state_after)}:{state_after}|{len(message)}:{message}|"
        f"{len(data_text)}:{data_text}|{created_us}|"
    )


def chain_digest(line: str, prev_hash: str) -> str:
    return hashlib.sha256((line + prev_hash).encode()).hexdigest()


def compute_hash(values: dict) -> str:
    """The hash of one event from its facts (``HASH_FIELDS``), ``prev_hash`` included."""
    line = canonical_line(
        values["article_id"],
        values["seq"],
        values["version_id"],
        values["actor_id"],
        values["actor_label"],
        values["action"],
        values["state_before"],
        values["state_after"],
        values["message"],
        jsonb_text(values["data"]),
        epoch_microseconds(values["created_at"]),
    )
    return chain_digest(line, values["prev_hash"])


def words_digest(*words: str) -> str:
    """A hash of a person's words (a review, a comment), so the trail can prove them later
    without showing them: the words stay where the person's audience reads them."""
    return hashlib.sha256("\x1f".join(words).encode()).hexdigest()


def action_label(action: str) -> str:
    """How a stored action reads to people (an unknown one, as stored)."""
    try:
        return AuditAction(action).label
    except ValueError:
        return action


def record(
    *,
    article: Article | int,
    action: AuditAction,
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
        "actor_label": member_name(actor),
        "action": action,
        "state_before": state_before,
        "state_after": state_after,
        "message": message,
        "data": json.loads(jsonb_text(data or {})),  # refuses what it could not hash canonically
        "created_at": timezone.now(),
        "prev_hash": prev_hash,
    }
    return AuditEvent.objects.create(**values, hash=compute_hash(values))


def record_many(events: list[dict]) -> list[AuditEvent]:
    """``record`` for a batch of system events (no actor, no state change), in a few queries
    instead of three per event: the articles are locked in id order, their chain heads read at
    once, each event chained to the one before it, and all inserted together. Each dict holds
    ``article_id``, ``version_id``, ``action``, ``message`` and ``data``.

    The facts and hashes are exactly ``record``'s. ``bulk_create`` sends no ``post_save``:
    listeners hear of the batch through ``chain_extended`` instead (the reader's page shows the
    chain head). Use it only for actions readers never see."""
    if not events:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record_many must run inside the transaction that made the change")
    if any(event["action"] in PUBLIC_AUDIT_ACTIONS for event in events):
        raise ValueError("record_many is for actions readers never see; use record for public ones")
    article_ids = sorted({event["article_id"] for event in events})
    list(
        Article.objects.select_for_update()
        .filter(pk__in=article_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    newest_seq = (
        AuditEvent.objects.filter(article_id=OuterRef("article_id")).order_by("-seq").values("seq")[:1]
    )
    heads = {
        article_id: (seq, digest)
        for article_id, seq, digest in AuditEvent.objects.filter(
            article_id__in=article_ids, seq=Subquery(newest_seq)
        ).values_list("article_id", "seq", "hash")
    }
    created_at = timezone.now()
    rows = []
    for event in events:
        last_seq, prev_hash = heads.get(event["article_id"], (0, GENESIS))
        values = {
            "article_id": event["article_id"],
            "seq": last_seq + 1,
            "version_id": event["version_id"],
            "actor_id": None,
            "actor_label": member_name(None),
            "action": event["action"],
            "state_before": "",
            "state_after": "",
            "message": event["message"],
            "data": json.loads(jsonb_text(event["data"] or {})),
            "created_at": created_at,
            "prev_hash": prev_hash,
        }
        digest = compute_hash(values)
        heads[event["article_id"]] = (values["seq"], digest)
        rows.append(AuditEvent(**values, hash=digest))
    created = AuditEvent.objects.bulk_create(rows)
    chain_extended.send(sender=AuditEvent, article_ids=article_ids)
    return created


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
    """Check chained rows (pk, *HASH_FIELDS, hash), ordered by article and seq, with Python
    values (``data`` a dict, ``created_at`` a datetime): from the ORM or an exported file.

    Returns (events checked, articles, first broken row or None, why it is broken).
    """
    return _verify_lines(
        (
            pk,
            article_id,
            seq,
            canonical_line(
                article_id,
                seq,
                version_id,
                actor_id,
                label,
                action,
                before,
                after,
                message,
                jsonb_text(data),
                epoch_microseconds(created_at),
            ),
            prev_hash,
            digest,
        )
        for (
            pk,
            article_id,
            seq,
            version_id,
            actor_id,
            label,
            action,
            before,
            after,
            message,
            data,
            created_at,
            prev_hash,
            digest,
        ) in rows
    )


# PostgreSQL builds each event's canonical line (all but the previous hash) itself, exactly
# as ``canonical_line`` does, so Python only hashes and follows the chain.
_FAST_SQL = """
    SELECT id, article_id, seq,
           article_id || '|' || seq || '|' || coalesce(version_id::text, 'None') || '|'
           || coalesce(actor_id::text, 'None') || '|'
           || char_length(actor_label) || ':' || actor_label || '|'
           || char_length(action) || ':' || action || '|'
           || char_length(state_before) || ':' || state_before || '|'
           || char_length(state_after) || ':' || state_after || '|'
           || char_length(message) || ':' || message || '|'
           || char_length(data::text) || ':' || data::text || '|'
           || (extract(epoch FROM created_at) * 1000000)::bigint || '|',
           prev_hash, hash
    FROM editorial_auditevent {where} ORDER BY article_id, seq
"""


def _verify_lines(rows) -> tuple[int, int, tuple | None, str]:
    """The chain check over rows (pk, article_id, seq, canonical line, prev_hash, hash)."""
    checked = articles = 0
    current_article = None
    prev_hash = GENESIS
    expected_seq = 1
    sha256 = hashlib.sha256
    for row in rows:
        pk, article_id, seq, line, stored_prev, digest = row
        if article_id != current_article:
            current_article = article_id
            articles += 1
            prev_hash, expected_seq = GENESIS, 1
        if seq != expected_seq:
            return checked, articles, row, f"expected event {expected_seq}, found {seq}"
        if stored_prev != prev_hash:
            return checked, articles, row, "does not chain to the event before it"
        if sha256((line + prev_hash).encode()).hexdigest() != digest:  # chain_digest, inlined
            return checked, articles, row, "its content does not match its hash"
        checked += 1
        prev_hash = digest
        expected_seq += 1
    return checked, articles, None, ""


def _fast_rows(where: str, params: list, batch: int = 5_000) -> Iterator[tuple]:
    """PostgreSQL: stream canonical lines through a server-side cursor."""
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(_FAST_SQL.format(where=where), params)
        while chunk := cursor.fetchmany(batch):
            yield from chunk
    finally:
        cursor.close()


def _verify_id_range(low: int, high: int) -> tuple[int, int, tuple | None, str]:
    """One worker: the chains of articles with low < id <= high, on this thread's connection."""
    try:
        with transaction.atomic():
            return _verify_lines(_fast_rows("WHERE article_id > %s AND article_id <= %s", [low, high]))
    finally:
        connection.close()


def _verify_parallel(workers: int) -> tuple[int, int, tuple | None, str]:
    """Split the articles into ``workers`` id ranges, each verified on its own connection, so
    PostgreSQL builds the canonical lines on several cores while Python hashes."""
    bounds = AuditEvent.objects.aggregate(low=Min("article_id"), high=Max("article_id"))
    if bounds["low"] is None:
        return 0, 0, None, ""
    low, high = bounds["low"] - 1, bounds["high"]
    cuts = [low + (high - low) * i // workers for i in range(workers + 1)]
    ranges = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]
    with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
        parts = list(pool.map(lambda r: _verify_id_range(*r), ranges))
    checked = sum(part[0] for part in parts)
    articles = sum(part[1] for part in parts)
    broken = next((part for part in parts if part[2] is not None), None)  # ranges are in article order
    return checked, articles, broken[2] if broken else None, broken[3] if broken else ""


def verify_chain(*, article: Article | None = None, workers: int | None = None) -> ChainResult:
    """Re-compute every chain (or one article's). On PostgreSQL the whole table is checked by
    ``workers`` threads (default: one per core, at most 4), each over its own article range;
    inside a transaction, one connection checks what that transaction sees."""
    parallel = connection.vendor == "postgresql" and article is None and not connection.in_atomic_block
    if parallel:
        checked, articles, broken, reason = _verify_parallel(workers or min(os.cpu_count() or 1, 4))
    else:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                where, params = ("WHERE article_id = %s", [article.pk]) if article else ("", [])
                checked, articles, broken, reason = _verify_lines(_fast_rows(where, params))
            else:
                checked, articles, broken, reason = verify_rows(_rows(article.pk if article else None))
    event = AuditEvent.objects.get(pk=broken[0]) if broken else None
    return ChainResult(checked=checked, articles=articles, broken=event, reason=reason)
