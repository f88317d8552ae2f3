"""Logs as JSON lines (``LOG_FORMAT=json``, production's default) or plain lines (the embedded
default), through structlog and django-structlog. A request gets a ``request_id`` (the
``X-Request-ID`` header when the load balancer sends one, else a new UUID) bound to every
line it logs; django-structlog carries it in the headers of each Celery task the request
publishes, and the worker binds it to that task's lines, so one id follows a publication from
the click to the email."""

from __future__ import annotations

import structlog

FORMATS = ("json", "plain")

_SHARED = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_structlog() -> None:
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )


def logging_config(log_format: str, level: str) -> dict:
    """Django's ``LOGGING``: every logger (Django's, Celery's, ours) through one formatter."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    renderer = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
                "foreign_pre_chain": [*_SHARED, structlog.stdlib.ExtraAdder()],
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # django-structlog logs each request (request_started / request_finished).
            "django.server": {"level": "WARNING"},
            # The task_enqueued / task_started lines are for following a request_id through
            # the JSON logs; at a terminal (load_demo, make run) they would bury the rest.
            **({"django_structlog.celery": {"level": "WARNING"}} if log_format == "plain" else {}),
        },
    }
