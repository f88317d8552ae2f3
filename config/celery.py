"""The Celery app. Settings come from Django's, under the ``CELERY_`` prefix."""

import logging.config
import os

from celery import Celery
from celery.signals import beat_init, setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("medreview")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker binds the request_id a task was published with to the task's own log lines.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def log_through_django_settings(**kwargs):
    """Celery configures no logging of its own: the worker and beat use Django's LOGGING."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@beat_init.connect
def run_the_periodic_jobs_at_start(sender, **kwargs):
    """Beat's first interval would leave the health check without a sweep or a verification
    to judge for minutes (an hour, for the chains): run both once as beat starts. Both are
    safe to run at the same time as another machine's (claims are exactly once)."""
    for task in ("editorial.tasks.sweep_reminders", "editorial.tasks.verify_audit_checkpoints"):
        sender.app.send_task(task)
