"""Celery tasks: thin. They take ids, call the service, and retry on mail errors."""

from __future__ import annotations

import smtplib

from celery import shared_task

from editorial import audit_heads, checkpoints, notifications, operations, reminders
from editorial.models import PeriodicJob


@shared_task(acks_late=True, ignore_result=True)
def sweep_reminders() -> int:
    """Beat's periodic sweep: claim and queue whatever the reminder policy says is due."""
    result = reminders.sweep()
    operations.note_run(
        PeriodicJob.REMINDER_SWEEP, f"{len(result.claimed)} claimed, {result.handed_over} handed over"
    )
    return len(result.claimed)


@shared_task(acks_late=True, ignore_result=True)
def verify_audit_checkpoints() -> int:
    """Beat's periodic check: advance every chain's checkpoint; return how many are broken."""
    results = checkpoints.advance_all()
    broken = sum(not result.ok for result in results)
    operations.note_run(PeriodicJob.AUDIT_VERIFICATION, f"{len(results)} chains, {broken} broken")
    return broken


@shared_task(acks_late=True, ignore_result=True)
def write_audit_heads() -> str:
    """Beat's periodic signature of every chain head, into ``AUDIT_HEADS_DIR``."""
    return str(audit_heads.write_heads_into())


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    # SMTPException and socket errors (the mail server is down or refused us) are OSErrors.
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def send_notifications(self, notification_ids: list[int]) -> int:
    """Send the notifications not sent yet; a redelivered task sends nothing twice."""
    return len(notifications.deliver_many(notification_ids))
