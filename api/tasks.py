"""Celery tasks of the content API: thin."""

from __future__ import annotations

from celery import shared_task

from api import usage


@shared_task(acks_late=True, ignore_result=True)
def record_usage() -> int:
    """Beat's periodic copy of each key's daily request count into ``DailyUsage``."""
    return usage.record_usage()
