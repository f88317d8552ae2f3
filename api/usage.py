"""Counting a key's requests in the cache (Redis in production): per minute for the quota,
per day for the partner's usage. A worker adds its count to the shared one at most every
``FLUSH_SECONDS`` (one round trip for both counters), and on every request once its key
reaches the quota. The daily counts are copied into ``DailyUsage`` rows by ``record_usage``."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from dataclasses import dataclass
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


def _increment(keys: dict[str, tuple[int, int]]) -> list[int]:
    """Add to each cache key (name -> (amount, seconds it lives)) and return the new totals."""
    client = _redis()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        for name, (amount, ttl) in keys.items():
            raw = cache.make_and_validate_key(name)
            pipe.incrby(raw, amount)
            pipe.expire(raw, ttl, nx=True)
        return pipe.execute()[::2]
    totals = []
    for name, (amount, ttl) in keys.items():
        cache.add(name, 0, timeout=ttl)
        totals.append(cache.incr(name, amount))
    return totals


# How long a worker may keep its count to itself before adding it to the shared one (seconds).
# Within that time another worker's requests are not seen, so the quota can be passed by what
# the other workers served in that second; a worker that finds its key at the quota asks every
# time. 0 counts every request in the cache at once (one round trip per request).
FLUSH_SECONDS = float(os.environ.get("API_COUNT_FLUSH_SECONDS", "1.0"))


@dataclass
class _Tally:
    """One partner's requests in one minute, as this worker knows them."""

    minute: int
    day: date
    unflushed: int = 0
    known: int = 0  # the shared count for the minute at the last flush
    flushed_at: float = 0.0


_tallies: dict[int, _Tally] = {}
_lock = threading.Lock()


def _flush(partner_id: int, tally: _Tally, now: float) -> None:
    if tally.unflushed:
        days_kept = settings.CONTENT_API["USAGE_DAYS_KEPT"]
        tally.known, _ = _increment(
            {
                _minute_key(partner_id, tally.minute): (tally.unflushed, MINUTE_TTL),
                _day_key(partner_id, tally.day): (tally.unflushed, days_kept * 86400),
            }
        )
        tally.unflushed = 0
    tally.flushed_at = now


def flush_all() -> None:
    """Add every count this worker holds to the shared ones (at exit, and before a report)."""
    with _lock:
        for partner_id, tally in list(_tallies.items()):
            try:
                _flush(partner_id, tally, time.time())
            except Exception:
                logger.warning("API quota cache unavailable", exc_info=True)


def forget_local_state() -> None:
    with _lock:
        _tallies.clear()


atexit.register(flush_all)


def count_request(*, partner_id: int, per_minute: int, now: float | None = None) -> int | None:
    """Count one request of the partner's key. ``None`` when it is within the quota; the
    seconds until the next minute starts when it is over. An unreachable cache counts
    nothing and refuses nothing (the content is public; the quota protects the site)."""
    now = time.time() if now is None else now
    minute = int(now // 60)
    try:
        with _lock:
            tally = _tallies.get(partner_id)
            if tally is None or tally.minute != minute:
                if tally is not None:
                    _flush(partner_id, tally, now)
                tally = _tallies[partner_id] = _Tally(
                    minute=minute, day=datetime.fromtimestamp(now, tz=UTC).date()
                )
            tally.unflushed += 1
            if (
                FLUSH_SECONDS <= 0
                or now - tally.flushed_at >= FLUSH_SECONDS
                or tally.known + tally.unflushed > per_minute
            ):
                _flush(partner_id, tally, now)
            over = tally.known + tally.unflushed > per_minute
    except Exception:
        logger.warning("API quota cache unavailable", exc_info=True)
        return None
    return max(1, 60 - int(now % 60)) if over else None


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
    flush_all()
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
