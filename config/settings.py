"""Base settings, read from the environment (django-environ), and from a ``.env`` file at the
project root if there is one.

Every default here needs no server: SQLite under ``var/``, a filesystem Celery broker,
mail written to ``var/mail``. Production (``config.production``) refuses to start without
its secrets. Point ``DATABASE_URL`` at PostgreSQL and ``REDIS_URL`` at Redis for the
real stack.
"""

from datetime import timedelta
from pathlib import Path

import environ

from config.logs import configure_structlog, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
# A .env file at the project root, if there is one (never committed: .env.example shows the
# names). A variable already in the environment wins over the file.
environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Secrets are read as they are: django-environ 0.14 takes a value starting with "$" for the
# name of another variable, so a generated key starting with "$" would quietly become the default.
SECRET_KEY = env.ENVIRON.get("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", cast=str.strip, default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", cast=str.strip, default=[])

INSTALLED_APPS = [
    "editorial.admin.apps.BoardAdminConfig",  # django.contrib.admin with the board's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "csp",
    "articles.apps.ArticlesConfig",
    "reader.apps.ReaderConfig",
    "editorial.apps.EditorialConfig",
    "workspace.apps.WorkspaceConfig",
    "accounts.apps.AccountsConfig",
    "api.apps.ApiConfig",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "health_check",
    "django_structlog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_structlog.middlewares.RequestMiddleware",  # a request_id on every line of the request
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Answers a conditional GET with 304 when the ETag or Last-Modified still matches (the
    # reader's article page sets both from its page cache).
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): a second factor this session
    "config.middleware.LogUserMiddleware",  # user_id on the lines, if the request read the user
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.CSPMiddleware",  # django-csp's, with a stable directive order
    "config.middleware.WorkflowErrorMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a refused sign-in into its answer
]

# Security headers on every page (reader, workspace, admin), in every environment.
# One Content-Security-Policy, from django-csp: no page carries inline script or style (the
# reader's JSON-LD is data, never run; Django 5.2's admin has none), so only this site's files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# An empty DATABASE_URL counts as unset: SQLite under VAR_DIR.
DATABASES = {
    "default": {
        **env.db_url_config(env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        "CONN_MAX_AGE": env.int("DB_CONN_MAX_AGE", default=0),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Authors sign in to the workspace at /author/; the board signs in to the admin.
LOGIN_URL = "workspace:login"
LOGIN_REDIRECT_URL = "workspace:dashboard"
# Failed sign-ins, at the workspace's door and the admin's alike: django-axes counts them in the
# cache (accounts/lockout.py). After LOGIN_THROTTLE_ATTEMPTS failures for one username from one
# address, or LOGIN_THROTTLE_ADDRESS_ATTEMPTS from one address over any usernames, sign-in from
# there is refused with a 429 until LOGIN_THROTTLE_WINDOW_SECONDS after the last failure. Signing
# in clears that username's count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in unchecked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "accounts.lockout.AddressLimitCacheHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("LOGIN_THROTTLE_ATTEMPTS", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_THROTTLE_ADDRESS_ATTEMPTS", default=30)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("LOGIN_THROTTLE_WINDOW_SECONDS", default=15 * 60))
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_ENABLE_ADMIN = False  # the cache handler keeps nothing in axes' tables to show
# Behind nginx (or a load balancer) every request arrives from the proxy's address. Requests
# from these addresses or networks (e.g. "127.0.0.1,10.0.0.0/24") are counted under the client
# address the proxy wrote in X-Forwarded-For (accounts/lockout.py); from anywhere else that
# header is ignored. Empty: REMOTE_ADDR, as the site sees it.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", cast=str.strip, default=[])
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_VERBOSE = False
# The name authenticator apps show beside the account (django-otp's TOTP devices).
OTP_TOTP_ISSUER = "Medical Advisory Board"

# Limits on what a request may carry: refused before anything reaches the database.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1_000_000)
# The draft editor posts about 10 fields per reference: EDITORIAL["MAX_REFERENCES"] rows fit.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
# No form takes a file: an uploaded file is read in 64 KB chunks and dropped, never kept in
# memory or written to a temporary file on disk (Django's default handlers would).
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]

# Redis, when configured, is the Celery broker and the cache; otherwise nothing needs a server.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis keeps one client per server (Django's own backend builds a client
            # for every operation, which cost the reader's cache hits more than the round trip).
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="medreview"),
            # A cache that does not answer is skipped (reader/pagecache.py), not waited for.
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": env.int("REDIS_CONNECT_TIMEOUT", default=2),
                "SOCKET_TIMEOUT": env.int("REDIS_CONNECT_TIMEOUT", default=2),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost//"  # the host is ignored; naming it stops a warning
_BROKER_DIR = VAR_DIR / "broker"
if not REDIS_URL:
    for _sub in ("queue", "processed", "control"):
        (_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"socket_connect_timeout": env.int("REDIS_CONNECT_TIMEOUT", default=2)}
    if REDIS_URL
    else {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        # kombu's default is ./control, in whatever directory the worker started.
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# Tasks are handed over after a commit, inside a request: with the broker down, give up fast.
# The outbox row stays pending and the next sweep hands it over (editorial/notifications.py).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# The queue tasks go to and workers read by default (tests give each run a queue of its own).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Mail: files under var/mail unless SMTP is configured.
if env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.ENVIRON.get("EMAIL_HOST_PASSWORD", "")  # as it is: see SECRET_KEY
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="board@medreview.localhost")

# The editorial policy. The reader's policy page quotes these numbers.
EDITORIAL = {
    # Board approvals needed before an editor may approve a version.
    "QUORUM": env.int("EDITORIAL_QUORUM", default=2),
    # Minutes after a full electronic signing (every identification component) during which a
    # later signing in the same session needs the password only (21 CFR 11.200(a)(1)).
    "SIGNING_WINDOW_MINUTES": env.int("EDITORIAL_SIGNING_WINDOW_MINUTES", default=15),
    # The admin refuses a board member whose session was not verified with a second factor
    # (editorial/second_factor.py). Off here so the demo's logins work; on in production.
    "REQUIRE_2FA": env.bool("EDITORIAL_REQUIRE_2FA", default=False),
    # Days a reviewer has to answer an invitation, and to deliver the review.
    "RESPONSE_DAYS": env.int("EDITORIAL_RESPONSE_DAYS", default=3),
    "REVIEW_DAYS": env.int("EDITORIAL_REVIEW_DAYS", default=14),
    # Months until a published article comes due for re-review.
    "RE_REVIEW_MONTHS": env.int("EDITORIAL_RE_REVIEW_MONTHS", default=12),
    # Days past its re-review due date after which an article's page says it is overdue for
    # review, its JSON-LD stops claiming the old review date, and the dashboard shows it red.
    "RE_REVIEW_GRACE_DAYS": env.int("EDITORIAL_RE_REVIEW_GRACE_DAYS", default=30),
    # Reader reports ("Report a problem with this page"): the reporter's email is deleted this
    # many days after the report; at most this many reports per address per hour, and per
    # article per day.
    "REPORT_RETENTION_DAYS": env.int("EDITORIAL_REPORT_RETENTION_DAYS", default=90),
    "REPORTS_PER_ADDRESS_PER_HOUR": env.int("EDITORIAL_REPORTS_PER_ADDRESS_PER_HOUR", default=5),
    "REPORTS_PER_ARTICLE_PER_DAY": env.int("EDITORIAL_REPORTS_PER_ARTICLE_PER_DAY", default=50),
    # Authors see the board's comments without the reviewers' names.
    "ANONYMOUS_REVIEWS_TO_AUTHORS": env.bool("EDITORIAL_ANONYMOUS_REVIEWS", default=True),
    # Show submitted and under-review articles to readers, with a caution banner.
    "PENDING_REVIEW_VISIBLE": env.bool("EDITORIAL_PENDING_REVIEW_VISIBLE", default=False),
    # The reminder policy (editorial/reminders.py). An invitation still unanswered this many
    # days after it was sent is reminded once.
    "INVITATION_REMINDER_DAYS": env.int("EDITORIAL_INVITATION_REMINDER_DAYS", default=2),
    # An accepted review is reminded once, this many days before it is due.
    "DUE_SOON_DAYS": env.int("EDITORIAL_DUE_SOON_DAYS", default=3),
    # An overdue review is reminded every K days, up to M times; K days after the M-th
    # reminder came due the editors are alerted and the assignment is flagged overdue.
    "OVERDUE_EVERY_DAYS": env.int("EDITORIAL_OVERDUE_EVERY_DAYS", default=3),
    "OVERDUE_MAX_REMINDERS": env.int("EDITORIAL_OVERDUE_MAX_REMINDERS", default=3),
    # The sweep: how often beat runs it, and how many rows one transaction handles.
    "SWEEP_MINUTES": env.int("EDITORIAL_SWEEP_MINUTES", default=5),
    "SWEEP_BATCH": env.int("EDITORIAL_SWEEP_BATCH", default=500),
    # A notification not handed to Celery this long after its commit (the broker was down)
    # is handed over by the sweep; one handed over but unsent for an hour is handed again.
    "OUTBOX_GRACE_SECONDS": env.int("EDITORIAL_OUTBOX_GRACE_SECONDS", default=60),
    "OUTBOX_REDISPATCH_MINUTES": env.int("EDITORIAL_OUTBOX_REDISPATCH_MINUTES", default=60),
    "MAIL_MAX_ATTEMPTS": env.int("EDITORIAL_MAIL_MAX_ATTEMPTS", default=10),
    # The editors' dashboard warns when mail has waited unsent in the outbox longer than this.
    "OUTBOX_WARN_MINUTES": env.int("EDITORIAL_OUTBOX_WARN_MINUTES", default=30),
    # What one version may hold (editorial/workflow.py and the workspace forms refuse more):
    # the body's length in characters, its references, and each comment or reason.
    "MAX_BODY_CHARS": env.int("EDITORIAL_MAX_BODY_CHARS", default=100_000),
    "MAX_REFERENCES": env.int("EDITORIAL_MAX_REFERENCES", default=80),
    "MAX_COMMENT_CHARS": env.int("EDITORIAL_MAX_COMMENT_CHARS", default=10_000),
    # The most annotations (comments anchored to a passage) one version may hold.
    "MAX_ANNOTATIONS_PER_VERSION": env.int("EDITORIAL_MAX_ANNOTATIONS_PER_VERSION", default=300),
    # How often beat advances every audit chain's checkpoint (editorial/checkpoints.py) and
    # writes a new signed heads file (editorial/audit_heads.py).
    "AUDIT_VERIFY_MINUTES": env.int("EDITORIAL_AUDIT_VERIFY_MINUTES", default=60),
    # Links in emails start with this.
    "SITE_URL": env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/"),
}

# Celery beat runs the reminder sweep; a sweep that could not start in time is dropped,
# the next one finds the same state.
# The content API for partners (api/): requests per minute per key (a partner's own quota,
# when set, wins), and how many days the cache keeps each key's daily count.
CONTENT_API = {
    "REQUESTS_PER_MINUTE": env.int("API_REQUESTS_PER_MINUTE", default=120),
    # Webhook endpoints: https only (production sets it), and never a loopback or private
    # address unless allowed (a local receiver while developing).
    "WEBHOOK_REQUIRE_HTTPS": env.bool("WEBHOOK_REQUIRE_HTTPS", default=False),
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False),
    "WEBHOOK_MAX_ATTEMPTS": env.int("WEBHOOK_MAX_ATTEMPTS", default=16),
    "USAGE_DAYS_KEPT": env.int("API_USAGE_DAYS_KEPT", default=40),
}

CELERY_BEAT_SCHEDULE = {
    "editorial-reminder-sweep": {
        "task": "editorial.tasks.sweep_reminders",
        "schedule": EDITORIAL["SWEEP_MINUTES"] * 60,
        "options": {"expires": EDITORIAL["SWEEP_MINUTES"] * 60},
    },
    "editorial-audit-checkpoints": {
        "task": "editorial.tasks.verify_audit_checkpoints",
        "schedule": EDITORIAL["AUDIT_VERIFY_MINUTES"] * 60,
        "options": {"expires": EDITORIAL["AUDIT_VERIFY_MINUTES"] * 60},
    },
    "api-webhook-sweep": {
        "task": "api.tasks.sweep_webhooks",
        "schedule": EDITORIAL["SWEEP_MINUTES"] * 60,
        "options": {"expires": EDITORIAL["SWEEP_MINUTES"] * 60},
    },
    "api-record-usage": {
        "task": "api.tasks.record_usage",
        "schedule": 15 * 60,
        "options": {"expires": 15 * 60},
    },
    "editorial-audit-heads": {
        "task": "editorial.tasks.write_audit_heads",
        "schedule": EDITORIAL["AUDIT_VERIFY_MINUTES"] * 60,
        "options": {"expires": EDITORIAL["AUDIT_VERIFY_MINUTES"] * 60},
    },
}

# Where manage.py backup writes (docs/deploy.md): keep it on another disk, or copy it off.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))

# Signed chain heads (editorial/audit_heads.py). The Ed25519 private key that signs them: PEM
# (PKCS#8) or base64 of its 32 raw bytes, read as it is (see SECRET_KEY). Unset, a key is
# generated once into AUDIT_SIGNING_KEY_FILE (mode 0600); production requires the setting.
AUDIT_SIGNING_KEY = env.ENVIRON.get("AUDIT_SIGNING_KEY", "")
AUDIT_SIGNING_KEY_FILE = VAR_DIR / "audit-signing-key.pem"
# Where beat writes the signed heads files; the newest is served at /audit/heads.json.
AUDIT_HEADS_DIR = Path(env.str("AUDIT_HEADS_DIR", default=str(VAR_DIR / "audit-heads")))

# Logs (config/logs.py): plain lines here, JSON lines in production (LOG_FORMAT=json), each
# with the request_id that follows a request into the Celery tasks it publishes.
configure_structlog()
LOGGING = logging_config(env.str("LOG_FORMAT", default="plain"), env.str("LOG_LEVEL", default="INFO"))
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_USER_ID_FIELD = None  # config.middleware.LogUserMiddleware binds it, without a query
# Take the request_id from the X-Request-ID header: only behind a proxy that always sets it
# (deploy/nginx does), or a client could pick the id of its own lines.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = env.bool("TRUST_X_REQUEST_ID", default=False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # the worker logs through LOGGING too (config/celery.py)
