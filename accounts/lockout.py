"""Failed sign-ins, counted by django-axes at both doors (the workspace's and the admin's).

axes counts failures per username and address in Django's cache (Redis in production, so
every web process sees one count; nothing is written to the database) and refuses that pair
for ``AXES_COOLOFF_TIME`` once it reaches ``AXES_FAILURE_LIMIT``. axes has one limit for all
of its counters, so it cannot also hold a second, higher limit per address over every username
(one machine spraying guesses over many accounts): ``AddressLimitCacheHandler`` adds that
counter, ``LOGIN_ADDRESS_FAILURE_LIMIT``, to axes' own cache handler.
"""

from __future__ import annotations

import hashlib
import math

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache, get_cache_timeout, get_cool_off
from django.conf import settings
from django.shortcuts import render


class AddressLimitCacheHandler(AxesCacheHandler):
    """axes' cache handler, plus one counter per client address across every username."""

    def __init__(self) -> None:
        # axes keeps the cache it found when the handler was made; Django's caches are per
        # thread (and tests swap them), so the cache is looked up on each use instead.
        pass

    @property
    def cache(self):
        return get_cache()

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return self.cache.get(_address_key(request), 0) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        # A sign-in refused before its password was checked (axes' backend set the flag) is not
        # counted again, here as in axes (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off).
        refused_already = getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or refused_already or self.is_whitelisted(request, credentials):
            return
        key, timeout = _address_key(request), get_cache_timeout(request)
        if self.cache.add(key, 1, timeout=timeout):
            failures = 1
        else:
            failures = self.cache.incr(key)
            self.cache.touch(key, timeout=timeout)
        if failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True  # axes' middleware answers with lockout_response
            request.axes_credentials = credentials


def _address_key(request) -> str:
    address = request.axes_ip_address or ""
    return f"axes-address-{hashlib.sha256(address.encode()).hexdigest()}"


def lockout_response(request, original_response=None, credentials=None):
    """What a refused sign-in is told, at either door (``AXES_LOCKOUT_CALLABLE``)."""
    minutes = max(1, math.ceil(get_cool_off(request).total_seconds() / 60))
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
