"""Production settings: the base settings, refusing to start without real secrets, and
behind HTTPS only. ``python manage.py check --deploy --fail-level WARNING`` passes with them
(tests/web/test_production.py runs it).

The Content-Security-Policy, X-Content-Type-Options, Referrer-Policy, Cross-Origin-Opener-
Policy and X-Frame-Options are in the base settings: every environment sends them.
"""

from django.core.exceptions import ImproperlyConfigured

from config.logs import logging_config
from config.settings import *  # noqa: F403
from config.settings import env

# Set in the environment or in .env (which the base settings read): not left to a default.
for _name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "AUDIT_SIGNING_KEY"):
    if not env.ENVIRON.get(_name):
        raise ImproperlyConfigured(f"{_name} must be set in production.")

DEBUG = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS only: plain HTTP is redirected, and browsers are told to remember it for two years,
# subdomains included, with the preload token (the header only consents to the browsers'
# preload list; the domain joins it when someone submits it at hstspreload.org, and leaving
# takes months). A domain that must keep plain-HTTP subdomains sets HSTS_PRELOAD=0 and adds
# "security.W021" to SILENCED_SYSTEM_CHECKS knowingly.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The load balancer polls /health/ on the machines' own plain-HTTP port.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=2 * 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("HSTS_PRELOAD", default=True)
# Behind a TLS-terminating proxy (a load balancer), trust its X-Forwarded-Proto header: set
# SECURE_PROXY_SSL_HEADER=1 only when the proxy always sets (and overwrites) that header.
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Cookies only over HTTPS, never readable by scripts (the CSRF token travels in the forms).
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)  # a working day

# JSON lines for the log collector, unless told otherwise.
LOGGING = logging_config(env.str("LOG_FORMAT", default="json"), env.str("LOG_LEVEL", default="INFO"))

# The board signs in with a second factor (editorial/second_factor.py), unless told otherwise.
EDITORIAL = {**EDITORIAL, "REQUIRE_2FA": env.bool("EDITORIAL_REQUIRE_2FA", default=True)}  # noqa: F405

# Partners' webhook endpoints: https only, never a loopback or private address.
CONTENT_API = {**CONTENT_API, "WEBHOOK_REQUIRE_HTTPS": True, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": False}  # noqa: F405
