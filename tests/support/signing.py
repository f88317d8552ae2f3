"""Signing a verb as a test user would: their password (every factory user has the same one)
and the first meaning the verb offers (``editorial.signatures.MEANINGS``)."""

from __future__ import annotations

from editorial.signatures import MEANINGS, Signing

PASSWORD = "test-pass-123"  # tests.support.factories.UserFactory's


def signed(user, verb: str, *, password: str = PASSWORD, request=None) -> Signing:
    return Signing(password=password, meaning=MEANINGS[verb][0].value, request=request)
