"""API keys: made once and shown once, kept as their SHA-256, checked against a short-lived
copy in the cache so that a request with a known key costs no SQL query."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from api.models import Partner

KEY_PREFIX = "mr_"
# How long the shared cache keeps what it read about a key; a change (revocation, a new
# quota) deletes the entry at once.
CACHE_SECONDS = 300
# How long a worker trusts its own copy without asking the shared cache again (as the reader's
# page cache trusts a token, READER_LOCAL_TOKEN_SECONDS): the worker that revokes a key forgets
# it at once, another worker within this long. 0 asks every time.
LOCAL_SECONDS = float(os.environ.get("API_LOCAL_KEY_SECONDS", "1.0"))
_LOCAL_MAX = 256
_local: dict[str, tuple[float, object]] = {}
logger = logging.getLogger(__name__)


class KeyRefused(Exception):
    """A request's key is missing, unknown or revoked: ``status`` and a message for the partner."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Caller:
    """The partner behind a key, as a request needs it."""

    partner_id: int
    name: str
    requests_per_minute: int
    revoked_at: datetime | None = None


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _cache_key(key_hash: str) -> str:
    return f"api:key:{key_hash}"


def issue_key(partner: Partner) -> str:
    """Give ``partner`` (not saved yet) a new key: its prefix and hash go on the row, the key
    itself is returned to be shown once."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    partner.key_prefix = key[:12]
    partner.key_hash = digest(key)
    return key


def partner_create(*, name: str, contact_email: str = "", requests_per_minute: int | None = None):
    """A new partner and its key: ``(partner, key)``. The key is never stored nor shown again."""
    partner = Partner(name=name.strip(), contact_email=contact_email, requests_per_minute=requests_per_minute)
    key = issue_key(partner)
    partner.full_clean()
    partner.save()
    return partner, key


def partner_revoke(*, partner: Partner) -> Partner:
    """Revoke the partner's key; from the next request on it is answered 403. Idempotent."""
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if partner.revoked_at is None:
            partner.revoked_at = timezone.now()
            partner.save(update_fields=["revoked_at"])
    return partner


def on_partner_saved(sender, instance: Partner, **kwargs) -> None:
    """Forget the cached copy of the partner's key now, and again once the change commits."""
    name = _cache_key(instance.key_hash)
    _forget(name)
    transaction.on_commit(lambda: _forget(name))


def forget_local_state() -> None:
    _local.clear()


def _forget(name: str) -> None:
    _local.pop(name, None)
    try:
        cache.delete(name)
    except Exception:
        logger.warning("API key cache unavailable", exc_info=True)


def _caller(partner: Partner) -> Caller:
    return Caller(
        partner_id=partner.pk,
        name=partner.name,
        requests_per_minute=partner.requests_per_minute or settings.CONTENT_API["REQUESTS_PER_MINUTE"],
        revoked_at=partner.revoked_at,
    )


UNKNOWN = "unknown"


def _shared(name: str):
    """What the shared cache (else the database) says of a key: a ``Caller`` or ``UNKNOWN``."""
    try:
        found = cache.get(name)
    except Exception:
        logger.warning("API key cache unavailable", exc_info=True)
        found = None
    if found is None:
        partner = Partner.objects.filter(key_hash=name.rsplit(":", 1)[1]).first()
        found = _caller(partner) if partner else UNKNOWN
        try:
            cache.set(name, found, timeout=CACHE_SECONDS)
        except Exception:
            logger.warning("API key cache unavailable", exc_info=True)
    return found


def authenticate(key: str | None) -> Caller:
    """The caller behind ``key``, or ``KeyRefused``: 401 without a key or with an unknown one,
    403 with a revoked one."""
    if not key:
        raise KeyRefused(
            401,
            "An API key is required: send it in the X-API-Key header. The editors issue keys to partners.",
        )
    name = _cache_key(digest(key.strip()))
    remembered = _local.get(name)
    if remembered is not None and remembered[0] > time.monotonic():
        found = remembered[1]
    else:
        found = _shared(name)
        if LOCAL_SECONDS > 0:
            if len(_local) >= _LOCAL_MAX:
                _local.clear()
            _local[name] = (time.monotonic() + LOCAL_SECONDS, found)
    if found == UNKNOWN:
        raise KeyRefused(401, "This API key is not known. Check it, or ask the editors for a new one.")
    if found.revoked_at is not None:
        raise KeyRefused(403, f"This API key was revoked on {found.revoked_at:%Y-%m-%d}.")
    return found
