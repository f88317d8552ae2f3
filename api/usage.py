"""Counting a key's requests in the cache (Redis in production): per minute for the quota,
per day for the partner's usage, one cache round trip per request. The daily counts are
copied into ``DailyUsage`` rows by ``record_usage``."""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache

from api.models import DailyUsage, Partner

logger = logging.getLogger(__name__)
MINUTE_TTL = 120


def _minute_key(partner_id: int, minute: int) -> str:
    return f"api:rate:{partner_id}:{minute}"


def _day_key(partner_id: int, day: date) -> str:
    return f"api:usage:{partner_id}:{day.isoformat()}"


def _redis():
    """The raw Redis client behind Django's cache, or None for another backend."""
    try:
        from django_redis import get_redis_connection

        return get_redis_connection("default")
    except (ImportError, NotImplementedError):
        return None


def _increment(keys: dict[str, int]) -> list[int]:
    """Add 1 to each cache key (name -> seconds it lives) and return the new counts."""
    client = _redis()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        for name, ttl in keys.items():
            raw = cache.make_and_validate_key(name)
            pipe.incr(raw)
            pipe.expire(raw, ttl, nx=True)
        return pipe.execute()[::2]
    counts = []
    for name, ttl in keys.items():
        cache.add(name, 0, timeout=ttl)
        counts.append(cache.incr(name))
    return counts


def count_request(*, partner_id: int, per_minute: int, now: float | None = None) -> int | None:
    """Count one request of the partner's key. ``None`` when it is within the quota; the
    seconds until the next minute starts when it is over. An unreachable cache counts
    nothing and refuses nothing (the content is public; the quota protects the site)."""
    now = time.time() if now is None else now
    minute = int(now // 60)
    today = datetime.fromtimestamp(now, tz=UTC).date()
    days_kept = settings.CONTENT_API["USAGE_DAYS_KEPT"]
    try:
        this_minute, _ = _increment(
            {_minute_key(partner_id, minute): MINUTE_TTL, _day_key(partner_id, today): days_kept * 86400}
        )
    except Exception:
        logger.warning("API quota cache unavailable", exc_info=True)
        return None
    if this_minute > per_minute:
        return max(1, 60 - int(now % 60))
    return None


def requests_on(*, partner_id: int, day: date) -> int:
    """The day's count in the cache (0 if none, or the cache is unreachable)."""
    try:
        return int(cache.get(_day_key(partner_id, day)) or 0)
    except Exception:
        logger.warning("API usage cache unavailable", exc_info=True)
        return 0


def record_usage(*, today: date | None = None) -> int:
    """Copy today's and yesterday's counts from the cache into ``DailyUsage`` (the larger of
    the two wins, so a cache that lost its keys never lowers a recorded count). Returns the
    rows written."""
    today = today or datetime.now(tz=UTC).date()
    written = 0
    for partner_id in Partner.objects.values_list("pk", flat=True):
        for day in (today - timedelta(days=1), today):
            count = requests_on(partner_id=partner_id, day=day)
            if not count:
                continue
            row, _ = DailyUsage.objects.get_or_create(partner_id=partner_id, day=day)
            if count > row.requests:
                DailyUsage.objects.filter(pk=row.pk).update(requests=count)
                written += 1
    return written
