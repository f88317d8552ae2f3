"""Failed sign-ins counted in the cache, so guessing a password gets slow and then stops.

Two counters: one per username and client address (the usual lock-out), and one per client
address across every username (so one machine cannot spray guesses over many accounts).
Counters live in the Django cache (Redis in production), so every web process sees the same
count and nothing is written to the database.
"""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.core.cache import cache

DEFAULTS = {
    # Failed attempts for one username from one address before sign-in is refused.
    "ATTEMPTS": 5,
    # Failed attempts from one address, any username, before sign-in is refused.
    "ADDRESS_ATTEMPTS": 30,
    # How long the refusal lasts after the last failure, in seconds.
    "WINDOW_SECONDS": 15 * 60,
}


def policy() -> dict:
    return {**DEFAULTS, **getattr(settings, "LOGIN_THROTTLE", {})}


def client_address(request) -> str:
    """The peer address. Behind a proxy, configure the proxy to set REMOTE_ADDR; a client's
    own X-Forwarded-For header is not trusted here."""
    return (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"


def _key(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"workspace:login-failures:{digest}"


class LoginThrottle:
    """The failure counters for one sign-in attempt (a username from an address)."""

    def __init__(self, username: str, address: str) -> None:
        self.rules = policy()
        self.user_key = _key("user", (username or "").strip().lower(), address)
        self.address_key = _key("address", address)

    def is_locked(self) -> bool:
        counts = cache.get_many([self.user_key, self.address_key])
        return (
            counts.get(self.user_key, 0) >= self.rules["ATTEMPTS"]
            or counts.get(self.address_key, 0) >= self.rules["ADDRESS_ATTEMPTS"]
        )

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.rules["WINDOW_SECONDS"] / 60))

    def record_failure(self) -> None:
        for key in (self.user_key, self.address_key):
            # add() then incr(): two processes failing at once both count.
            cache.add(key, 0, timeout=self.rules["WINDOW_SECONDS"])
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=self.rules["WINDOW_SECONDS"])
            cache.touch(key, timeout=self.rules["WINDOW_SECONDS"])

    def reset(self) -> None:
        cache.delete(self.user_key)
