"""Celery tasks of the content API: thin."""

from __future__ import annotations

from celery import shared_task

from api import usage, webhooks


@shared_task(acks_late=True, ignore_result=True)
def record_usage() -> int:
    """Beat's periodic copy of each key's daily request count into ``DailyUsage``."""
    return usage.record_usage()


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=webhooks.RETRIES)
def deliver_webhook(self, delivery_id: int) -> bool:
    """POST one signed webhook; a failure is retried with backoff (or after the endpoint's
    Retry-After)."""
    try:
        return webhooks.deliver(delivery_id) is not None
    except webhooks.DeliveryFailed as exc:
        delay = webhooks.retry_delay(self.request.retries, retry_after=exc.retry_after)
        raise self.retry(exc=exc, countdown=delay) from exc


@shared_task(acks_late=True, ignore_result=True)
def sweep_webhooks() -> int:
    """Beat's periodic hand-over of webhook deliveries the broker never got."""
    return webhooks.sweep()
