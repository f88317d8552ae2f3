"""Whether the machinery around the workflow is alive: when beat's periodic jobs last
finished (stale after two of their intervals) and how long mail has waited in the outbox.
The health endpoint (config/health.py) and the editors' dashboard read the same answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from editorial.models import JobRun, Notification, PeriodicJob

STALE_AFTER_INTERVALS = 2


def job_interval(job: PeriodicJob) -> timedelta:
    minutes = {
        PeriodicJob.REMINDER_SWEEP: settings.EDITORIAL["SWEEP_MINUTES"],
        PeriodicJob.AUDIT_VERIFICATION: settings.EDITORIAL["AUDIT_VERIFY_MINUTES"],
    }[job]
    return timedelta(minutes=minutes)


def note_run(job: PeriodicJob, detail: str = "", *, now: datetime | None = None) -> None:
    """Record that ``job`` finished (beat's tasks call this at the end of each run)."""
    JobRun.objects.update_or_create(
        job=job, defaults={"finished_at": now or timezone.now(), "detail": detail[:200]}
    )


@dataclass(frozen=True)
class Freshness:
    job: PeriodicJob
    last: datetime | None
    interval: timedelta
    now: datetime
    detail: str = ""

    @property
    def stale(self) -> bool:
        return self.last is None or self.now - self.last > STALE_AFTER_INTERVALS * self.interval

    def __str__(self) -> str:
        if self.last is None:
            return f"{self.job.label}: has not run yet"
        minutes = int((self.now - self.last).total_seconds() // 60)
        ago = "less than a minute ago" if minutes < 1 else f"{minutes} min ago"
        said = f"{self.job.label}: last finished {ago}"
        if self.stale:
            said += f", stale (it runs every {int(self.interval.total_seconds() // 60)} min)"
        return said


def freshness(*, now: datetime | None = None) -> list[Freshness]:
    """Every periodic job's last run, one query."""
    now = now or timezone.now()
    runs = {run.job: run for run in JobRun.objects.all()}
    return [
        Freshness(
            job,
            runs[job].finished_at if job in runs else None,
            job_interval(job),
            now,
            runs[job].detail if job in runs else "",
        )
        for job in PeriodicJob
    ]


@dataclass(frozen=True)
class OutboxWait:
    waiting: int  # unsent notifications older than the limit
    oldest: datetime | None
    limit: timedelta

    @property
    def late(self) -> bool:
        return self.waiting > 0


def outbox_wait(*, now: datetime | None = None) -> OutboxWait:
    """Mail not sent ``EDITORIAL_OUTBOX_WARN_MINUTES`` after it was written (one query, on the
    outbox's partial index of unsent rows)."""
    now = now or timezone.now()
    limit = timedelta(minutes=settings.EDITORIAL["OUTBOX_WARN_MINUTES"])
    late = Notification.objects.filter(sent_at__isnull=True, created_at__lt=now - limit).aggregate(
        n=Count("pk"), oldest=Min("created_at")
    )
    return OutboxWait(late["n"], late["oldest"], limit)
