"""Failed sign-ins, counted by django-axes at both doors (the workspace's and the admin's).

axes counts failures per username and address in Django's cache (Redis in production, so
every web process sees one count; nothing is written to the database) and refuses that pair
for ``AXES_COOLOFF_TIME`` once it reaches ``AXES_FAILURE_LIMIT``. axes has one limit for all
of its counters, so it cannot also hold a second, higher limit per address over every username
(one machine spraying guesses over many accounts): ``AddressLimitCacheHandler`` adds that
counter, ``LOGIN_ADDRESS_FAILURE_LIMIT``, to axes' own cache handler.

Behind nginx every request comes from nginx's address: ``client_address`` names the client
that nginx (or a load balancer) saw, from ``X-Forwarded-For``, but only when the request came
from one of ``TRUSTED_PROXIES``; anyone else could write that header themselves.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from functools import lru_cache

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


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted if entry.strip())


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request) -> str:
    """The address failed sign-ins are counted under (``AXES_CLIENT_IP_CALLABLE``).

    ``REMOTE_ADDR``, unless that is a trusted proxy: then the right-most address in
    ``X-Forwarded-For`` that is not a trusted proxy (each proxy appends the address it saw, so
    anything left of that was written by the client, and is ignored)."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(remote, networks):
        return remote
    forwarded = [
        hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()
    ]
    for hop in reversed(forwarded):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:  # not an address: the header is not what a proxy writes
                return remote
    return remote


def lockout_response(request, original_response=None, credentials=None):
    """What a refused sign-in is told, at either door (``AXES_LOCKOUT_CALLABLE``)."""
    minutes = max(1, math.ceil(get_cool_off(request).total_seconds() / 60))
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
