"""Django admin with the board's site (``editorial.admin.site.BoardAdminSite``) as
``admin.site``, and the board's model admins registered on it."""

from importlib import import_module

from django.contrib.admin.apps import AdminConfig


class BoardAdminConfig(AdminConfig):
    default_site = "editorial.admin.site.BoardAdminSite"

    def ready(self) -> None:
        super().ready()
        # Registered here, after the site exists: the package itself imports nothing, so that
        # building the site never registers the model admins on a second, discarded instance.
        for module in ("versions", "assignments", "audit", "outbox"):
            import_module(f"editorial.admin.{module}")
        # django-otp's own admin would show every person's TOTP key and its QR code to anyone
        # with the model permission: second factors are managed by their owner only
        # (/author/two-factor/, editorial/second_factor.py).
        from django.contrib import admin
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
