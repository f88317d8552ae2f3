"""Signing a verb as a test user would: their password (every factory user has the same one)
and the first meaning the verb offers (``editorial.signatures.MEANINGS``); and a second factor
set up as a person does it, with the codes their app would show (pyotp)."""

from __future__ import annotations

from base64 import b32encode

import pyotp

from editorial import second_factor
from editorial.signatures import MEANINGS, Signing

PASSWORD = "test-pass-123"  # tests.support.factories.UserFactory's


def signed(user, verb: str, *, password: str = PASSWORD, request=None, otp_code: str = "") -> Signing:
    return Signing(password=password, meaning=MEANINGS[verb][0].value, request=request, otp_code=otp_code)


def authenticator_for(device) -> pyotp.TOTP:
    """The app a person scanned the device's QR code into."""
    return pyotp.TOTP(b32encode(device.bin_key).decode())


def enrol(user) -> tuple[pyotp.TOTP, list[str]]:
    """Set up ``user``'s second factor through the service, confirming it with the app's code for
    the current time step (spent: a later code must come from a later step). Returns the app
    and the recovery codes."""
    device = second_factor.start_enrolment(user)
    app = authenticator_for(device)
    codes = second_factor.confirm_enrolment(user, device, app.now())
    assert codes is not None
    return app, codes
