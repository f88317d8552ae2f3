"""Settings for the benchmarks only: production-like (DEBUG off) plus a bare constant view
that measures what Django and gunicorn cost before any page logic."""

from config.settings import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "config.bench_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
