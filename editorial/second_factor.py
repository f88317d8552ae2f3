"""The second factor (TOTP, RFC 6238, with django-otp): the one home of its rules.

A person adds an authenticator app on the two-factor page (``accounts.views.two_factor``):
``start_enrolment`` makes an unconfirmed TOTP device and shows its key as a QR code (``qr_svg``,
an inline SVG drawn here by the ``qrcode`` package, no outside service) and as text;
``confirm_enrolment`` confirms it with a first code and returns ten recovery codes, shown once
(a django-otp static device; each works once).

From then on a code is a second identification component:
- at sign-in, at both doors (``SecondFactorLoginMixin``, used by the workspace's and the admin's
  sign-in forms): a person with a confirmed device gives a code with their password, and the
  session is marked verified (django-otp's ``OTPMiddleware`` reads it back);
- at electronic signing (``editorial.signatures.sign``): the first signing of a session, and any
  signing after ``EDITORIAL_SIGNING_WINDOW_MINUTES`` without one, needs a code as well as the
  password (21 CFR 11.200(a)(1)).

A code is accepted once: django-otp keeps the time step of the last code it took (a replayed
code, or an older one, is refused) and accepts one step of clock drift either side (a code more
than about a minute old is stale). Recovery codes are deleted as they are used.

``EDITORIAL_REQUIRE_2FA`` (on in production settings): a board member without a confirmed device,
or whose session was not verified with one, cannot open any admin page; the admin sends them to
the two-factor page (``editorial.admin.site``). Authors may add a device; it is never required of
them.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from editorial.roles import is_board_member

RECOVERY_CODES = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"

CACHE_ATTRIBUTE = "_editorial_has_second_factor"


def required_for(user) -> bool:
    """Whether the admin refuses ``user`` until their session is verified with a second factor."""
    return bool(settings.EDITORIAL["REQUIRE_2FA"]) and is_board_member(user)


def has_device(user) -> bool:
    """Whether ``user`` has a confirmed second factor (an app or recovery codes): one query,
    remembered on the user object for the rest of the request."""
    if user is None or not user.is_authenticated:
        return False
    known = getattr(user, CACHE_ATTRIBUTE, None)
    if known is None:
        known = (
            get_user_model()
            .objects.filter(pk=user.pk)
            .filter(
                Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
                | Exists(StaticDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
            )
            .exists()
        )
        setattr(user, CACHE_ATTRIBUTE, known)
    return known


def _forget(user) -> None:
    if hasattr(user, CACHE_ATTRIBUTE):
        delattr(user, CACHE_ATTRIBUTE)


def is_verified(request) -> bool:
    """Whether this session was verified with a second factor (django-otp's middleware)."""
    user = getattr(request, "user", None)
    return bool(user is not None and getattr(user, "is_verified", lambda: False)())


def match(user, code: str):
    """The device that accepts ``code`` for ``user`` (and uses it up), or None.

    Codes are tried on the user's confirmed devices with their rows locked, so two requests
    cannot both spend one code. A wrong code counts toward the device's own throttle
    (django-otp doubles the wait after each failure)."""
    code = "".join((code or "").split()).lower()
    if not code or len(code) > 16:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(code):
                return device
    return None


def start_enrolment(user) -> TOTPDevice:
    """An unconfirmed app device for ``user`` (the one shown until confirmed; a new visit to the
    page keeps it, so a code from the app scanned earlier still works)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def confirm_enrolment(user, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm ``device`` with ``code`` from the app: returns the new recovery codes (shown once),
    or None when the code is wrong. Any other app device of ``user`` is removed."""
    if device.user_id != user.pk or device.confirmed:
        return None
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not locked.verify_token("".join((code or "").split())):
            return None
        locked.confirmed = True
        locked.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=locked.pk).delete()
        codes = new_recovery_codes(user)
    _forget(user)
    device.confirmed = True
    device.last_t = locked.last_t
    return codes


def new_recovery_codes(user) -> list[str]:
    """Replace ``user``'s recovery codes with ten new ones (returned once, stored as django-otp
    stores them)."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def remove(user) -> None:
    """Remove every second factor of ``user`` (refused by the page when it is required)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    _forget(user)


def qr_svg(device: TOTPDevice) -> str:
    """The device's key as a QR code, an SVG to put inline in the page (no image request, no
    outside service, nothing the CSP refuses)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    return svg.replace(
        "<svg ",
        '<svg role="img" aria-label="QR code holding the key for your authenticator app" class="qr-code" ',
        1,
    )


def key_text(device: TOTPDevice) -> str:
    """The key as people type it into an app by hand: base 32, in groups of four."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


class SecondFactorLoginMixin(forms.Form):
    """A sign-in form's code field: after the password is right, a person with a confirmed
    device must give a code, and a wrong one is a failed sign-in like a wrong password."""

    otp_code = forms.CharField(
        required=False,
        label="Two-factor code (only if you have set it up)",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    code_missing = "Enter the code from your authenticator app (or a recovery code) to sign in."
    code_wrong = "That code is not right, or it was used already. Enter the current code from your app."

    def check_second_factor(self, user) -> None:
        """Call from ``confirm_login_allowed`` once the password and the door's own rules passed."""
        if not has_device(user):
            return
        from django.contrib.auth.signals import user_login_failed

        code = self.cleaned_data.get("otp_code", "")
        device = match(user, code) if code else None
        if device is None:
            user_login_failed.send(
                sender=__name__, credentials={"username": user.get_username()}, request=self.request
            )
            raise forms.ValidationError(self.code_wrong if code else self.code_missing, code="invalid_otp")
        # django-otp marks the session verified when Django's login() sees this attribute.
        user.otp_device = device
