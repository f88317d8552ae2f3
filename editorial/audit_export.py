"""One article's audit trail as a JSON file an outsider can check offline
(``verify_audit --file``), and the chain status of several articles at once."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

from articles.models import Article
from editorial.audit import HASH_FIELDS, verify_rows
from editorial.models import AuditEvent


@dataclass(frozen=True)
class ChainStatus:
    checked: int
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None

    def __str__(self) -> str:
        if self.ok:
            return f"verified ({self.checked} events)"
        return f"broken at event {self.broken_seq}: {self.reason}"


def chain_statuses(article_ids) -> dict[int, ChainStatus]:
    """Verify the chains of several articles with one query (``audit.verify_rows`` per article)."""
    rows = (
        AuditEvent.objects.filter(article_id__in=list(article_ids))
        .order_by("article_id", "seq")
        .values_list("pk", *HASH_FIELDS, "hash")
    )
    article_index = 1 + HASH_FIELDS.index("article_id")
    statuses = {}
    for article_id, group in itertools.groupby(
        rows.iterator(chunk_size=2000), key=lambda row: row[article_index]
    ):
        checked, _, broken, reason = verify_rows(group)
        # The broken row comes back as verify_rows checked it: (pk, article_id, seq, ...).
        statuses[article_id] = ChainStatus(checked, broken[2] if broken else None, reason)
    return statuses


TRAIL_FORMAT = "medreview-audit-trail/1"


def _json_value(name: str, value):
    if name == "created_at":
        # The form ``audit.compute_hash`` hashes: UTC, microseconds.
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def trail_export(article: Article) -> dict:
    """One article's whole chain, as ``verify_audit --file`` checks it offline."""
    rows = AuditEvent.objects.filter(article=article).order_by("seq").values_list("pk", *HASH_FIELDS, "hash")
    events = [
        {
            "id": row[0],
            **{name: _json_value(name, value) for name, value in zip(HASH_FIELDS, row[1:-1], strict=True)},
            "hash": row[-1],
        }
        for row in rows
    ]
    return {
        "format": TRAIL_FORMAT,
        "article": {"id": article.pk, "slug": article.slug},
        "exported_at": timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
        "hash_fields": list(HASH_FIELDS),
        "count": len(events),
        "head": events[-1]["hash"] if events else None,
        "events": events,
    }


def trail_rows(document: dict) -> list[tuple]:
    """The rows of an exported trail in the shape ``audit.verify_rows`` reads (``created_at``
    back to a datetime). Raises ``ValueError`` when the document is not an exported trail."""
    if not isinstance(document, dict) or document.get("format") != TRAIL_FORMAT:
        raise ValueError(f"not an exported audit trail (expected format “{TRAIL_FORMAT}”)")
    if list(document.get("hash_fields", [])) != list(HASH_FIELDS):
        raise ValueError("the trail was exported with different hash fields")
    events = document.get("events")
    if not isinstance(events, list):
        raise ValueError("the trail has no list of events")
    rows = []
    for position, event in enumerate(events, start=1):
        try:
            values = {name: event[name] for name in HASH_FIELDS}
            values["created_at"] = datetime.fromisoformat(values["created_at"])
            rows.append((event["id"], *values.values(), event["hash"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"event {position} in the file is unreadable: {exc}") from exc
    if document.get("count") != len(rows):
        raise ValueError(f"the file says {document.get('count')} events but holds {len(rows)}")
    return rows
