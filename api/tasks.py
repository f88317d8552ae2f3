"""Celery tasks of the content API: thin."""

from __future__ import annotations

from celery import shared_task

from api import usage, webhooks


@shared_task(acks_late=True, ignore_result=True)
def record_usage() -> int:
    """Beat's periodic copy of each key's daily request count into ``DailyUsage``."""
    return usage.record_usage()


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(webhooks.DeliveryFailed,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def deliver_webhook(self, delivery_id: int) -> bool:
    """POST one signed webhook; a failure is retried with backoff."""
    return webhooks.deliver(delivery_id) is not None


@shared_task(acks_late=True, ignore_result=True)
def sweep_webhooks() -> int:
    """Beat's periodic hand-over of webhook deliveries the broker never got."""
    return webhooks.sweep()
