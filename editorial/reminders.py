"""The reminder sweep: reminders, escalations and re-review notices, worked out from state.

Celery beat runs ``sweep`` every few minutes (``EDITORIAL["SWEEP_MINUTES"]``); ``manage.py
send_reminders`` runs it by hand. The sweep does not read a queue of scheduled messages: it
asks the database what is due now and has not been claimed yet, so it heals itself after an
outage and a missed day is never lost.

The policy (``settings.EDITORIAL``), for an open assignment (invited or accepted):

- ``invitation``: still invited ``INVITATION_REMINDER_DAYS`` after the invitation, and the
  review not yet due: one reminder to the reviewer.
- ``due_soon``: accepted, due within ``DUE_SOON_DAYS``, and accepted before that window
  opened: one reminder to the reviewer.
- ``overdue``: past its review date. Step *n* (1..M, ``OVERDUE_MAX_REMINDERS``) comes due
  ``(n-1) * K`` days after the review date (K: ``OVERDUE_EVERY_DAYS``).
- ``escalation``: ``M * K`` days past the review date: the editors are alerted once and the
  assignment is flagged ``overdue``.

And for a published article, ``re_review``: its live version comes due for re-review
(``Article.next_review_due``): the editors are told once for that version.

Steps are positions in time. A sweep sends, per assignment and rule, the step that is due
*now*: after an outage that skipped several steps it sends the latest one, not one per
missed step or day; earlier steps are never sent late.

Exactly once: every reminder is a ``Reminder`` row with a unique key (assignment, rule,
step), or (version, rule, step) for a re-review. The sweep claims a batch with one
``INSERT ... ON CONFLICT DO NOTHING RETURNING``: only the rows this sweep inserted come back,
and only those get an audit event and a notification, in the same transaction. A second
sweep running at the same moment waits on the first one's uncommitted keys and then gets
nothing back for them. Each batch locks its articles first, in id order, as the workflow
services do, so the sweep and the services never deadlock.

Queries grow with batches, not rows: per batch one read, one article lock, one claim, one
read of the audit chain heads, one insert of audit events and one of notifications.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from articles.models import Article, VersionState
from editorial import audit, notifications, rereview, selectors
from editorial.models import (
    OPEN_ASSIGNMENT_STATES,
    AssignmentState,
    AuditAction,
    Notification,
    NotificationKind,
    ReaderReport,
    Reminder,
    ReminderRule,
    ReReview,
    ReReviewState,
    ReReviewTrigger,
    ReviewAssignment,
)
from editorial.roles import member_name

logger = logging.getLogger(__name__)


ASSIGNMENT_RULES = (
    ReminderRule.INVITATION,
    ReminderRule.DUE_SOON,
    ReminderRule.OVERDUE,
    ReminderRule.ESCALATION,
)
NOTIFICATION_KIND = {
    ReminderRule.INVITATION: NotificationKind.REMINDER_INVITATION,
    ReminderRule.DUE_SOON: NotificationKind.REMINDER_DUE_SOON,
    ReminderRule.OVERDUE: NotificationKind.REMINDER_OVERDUE,
    ReminderRule.ESCALATION: NotificationKind.ESCALATED,
    ReminderRule.RE_REVIEW: NotificationKind.RE_REVIEW_DUE,
}
# What a reminder needs of an assignment, read as plain values (thousands per sweep): not the
# version's body, which may be 100 kB.
CANDIDATE_FIELDS = {
    "pk": "pk",
    "version_id": "version_id",
    "article_id": "version__article_id",
    "article_slug": "version__article__slug",
    "version_number": "version__number",
    "version_title": "version__title",
    "reviewer_id": "reviewer_id",
    "reviewer_email": "reviewer__email",
    "reviewer_username": "reviewer__username",
    "reviewer_first_name": "reviewer__first_name",
    "reviewer_last_name": "reviewer__last_name",
    "reviewer_board_name": "reviewer__board_member__display_name",
    "created_at": "created_at",
    "response_due": "response_due",
    "review_due": "review_due",
    "open_must_fix": "open_must_fix",  # annotated: selectors.open_must_fix_count
}


@dataclass(frozen=True, slots=True)
class Candidate:
    """An open assignment a rule finds due, with what its reminder needs."""

    pk: int
    version_id: int
    article_id: int
    article_slug: str
    version_number: int
    version_title: str
    reviewer_id: int
    reviewer_email: str
    reviewer_username: str
    reviewer_first_name: str
    reviewer_last_name: str
    reviewer_board_name: str | None
    created_at: datetime
    response_due: datetime
    review_due: datetime
    open_must_fix: int

    @property
    def reviewer_name(self) -> str:
        """As ``audit.actor_label`` names a user."""
        full = f"{self.reviewer_first_name} {self.reviewer_last_name}".strip()
        return self.reviewer_board_name or full or self.reviewer_username


# The shortest re-review interval is one month: articles published more recently are never due.
SHORTEST_RE_REVIEW = timedelta(days=28)


@dataclass(frozen=True)
class Policy:
    invitation_days: int
    due_soon_days: int
    overdue_every_days: int
    overdue_max: int
    batch: int
    outbox_grace: timedelta
    outbox_redispatch: timedelta
    mail_max_attempts: int

    @classmethod
    def from_settings(cls) -> Policy:
        conf = settings.EDITORIAL
        policy = cls(
            invitation_days=conf["INVITATION_REMINDER_DAYS"],
            due_soon_days=conf["DUE_SOON_DAYS"],
            overdue_every_days=conf["OVERDUE_EVERY_DAYS"],
            overdue_max=conf["OVERDUE_MAX_REMINDERS"],
            batch=conf["SWEEP_BATCH"],
            outbox_grace=timedelta(seconds=conf["OUTBOX_GRACE_SECONDS"]),
            outbox_redispatch=timedelta(minutes=conf["OUTBOX_REDISPATCH_MINUTES"]),
            mail_max_attempts=conf["MAIL_MAX_ATTEMPTS"],
        )
        for name in ("invitation_days", "due_soon_days", "overdue_every_days", "overdue_max", "batch"):
            if getattr(policy, name) < 1:
                raise ImproperlyConfigured(f"EDITORIAL reminder policy: {name} must be at least 1.")
        return policy

    @property
    def every(self) -> timedelta:
        return timedelta(days=self.overdue_every_days)

    @property
    def escalate_after(self) -> timedelta:
        return self.every * self.overdue_max

    def overdue_step(self, review_due: datetime, now: datetime) -> int:
        """The overdue reminder due now: 1 on the review date, +1 every K days, at most M."""
        return min((now - review_due) // self.every + 1, self.overdue_max)


@dataclass(frozen=True)
class Claimed:
    """One reminder this sweep claimed (and so is the one to send)."""

    rule: str
    step: int
    reminder_id: int
    article_slug: str
    version_number: int
    recipients: tuple[str, ...]
    subject: str  # who or what it is about, for the command's report

    def __str__(self) -> str:
        rule = ReminderRule(self.rule).label.lower()
        step = f" (reminder {self.step})" if self.rule == ReminderRule.OVERDUE else ""
        to = ", ".join(self.recipients) or "nobody with an email address"
        return f"{rule}{step}: {self.subject}, {self.article_slug} v{self.version_number} -> {to}"


@dataclass
class SweepResult:
    claimed: list[Claimed] = field(default_factory=list)
    handed_over: int = 0  # pending notifications from earlier events handed over again
    overdue: int = 0  # re-reviews readers are now told are overdue
    reports_forgotten: int = 0  # reader reports whose email was deleted

    def __bool__(self) -> bool:
        return bool(self.claimed or self.handed_over)


# What is due -------------------------------------------------------------------------------


def _claimed(rule: str, condition: Q | None = None) -> Exists:
    reminders = Reminder.objects.filter(assignment=OuterRef("pk"), rule=rule)
    if condition is not None:
        reminders = reminders.filter(condition)
    return Exists(reminders)


def assignments_due(rule: str, *, now: datetime, policy: Policy) -> QuerySet[ReviewAssignment]:
    """Open assignments for which ``rule`` has a step due now that nobody has claimed."""
    open_assignments = ReviewAssignment.objects.filter(state__in=OPEN_ASSIGNMENT_STATES)
    if rule == ReminderRule.INVITATION:
        return open_assignments.filter(
            ~_claimed(rule),
            state=AssignmentState.INVITED,
            created_at__lte=now - timedelta(days=policy.invitation_days),
            review_due__gt=now,
        )
    if rule == ReminderRule.DUE_SOON:
        window = timedelta(days=policy.due_soon_days)
        return open_assignments.filter(
            ~_claimed(rule),
            state=AssignmentState.ACCEPTED,
            review_due__gt=now,
            review_due__lte=now + window,
            # Accepted inside the window: they know it is due soon.
            responded_at__lte=F("review_due") - window,
        )
    if rule == ReminderRule.OVERDUE:
        # The step due now was claimed if a reminder came due less than K days ago, or the
        # last step (M) was claimed.
        current = Q(due_at__gt=now - policy.every) | Q(step__gte=policy.overdue_max)
        return open_assignments.filter(~_claimed(rule, current), review_due__lte=now)
    if rule == ReminderRule.ESCALATION:
        return open_assignments.filter(~_claimed(rule), review_due__lte=now - policy.escalate_after)
    raise ValueError(f"Not an assignment rule: {rule}")


def step_due(
    rule: str, assignment: ReviewAssignment | Candidate, *, now: datetime, policy: Policy
) -> tuple[int, datetime]:
    """(step, when it came due) for an assignment ``assignments_due`` returned."""
    if rule == ReminderRule.INVITATION:
        return 1, assignment.created_at + timedelta(days=policy.invitation_days)
    if rule == ReminderRule.DUE_SOON:
        return 1, assignment.review_due - timedelta(days=policy.due_soon_days)
    if rule == ReminderRule.OVERDUE:
        step = policy.overdue_step(assignment.review_due, now)
        return step, assignment.review_due + policy.every * (step - 1)
    if rule == ReminderRule.ESCALATION:
        return 1, assignment.review_due + policy.escalate_after
    raise ValueError(f"Not an assignment rule: {rule}")


def articles_due_for_re_review(*, now: datetime) -> QuerySet[Article]:
    """Published articles whose live version may be due for re-review and has no open cycle
    (``next_review_due`` decides: the interval is in months, per article; the cycle for that
    due date, ``editorial.rereview.open_scheduled``, is opened once)."""
    cycle = ReReview.objects.filter(version=OuterRef("live_version"), state=ReReviewState.OPEN)
    return Article.objects.filter(
        ~Exists(cycle),
        Q(live_version__last_reviewed_at__isnull=True)
        | Q(live_version__last_reviewed_at__lte=now - SHORTEST_RE_REVIEW),
        live_version__state=VersionState.PUBLISHED,
        live_version__published_at__lte=now - SHORTEST_RE_REVIEW,
    )


def _batches(queryset: QuerySet, size: int) -> Iterator[list]:
    """Keyset pagination by primary key: each batch is one query however many rows there are."""
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not batch:
            return
        last = batch[-1].pk
        yield batch


def _candidate_batches(queryset: QuerySet[ReviewAssignment], size: int) -> Iterator[list[Candidate]]:
    names = list(CANDIDATE_FIELDS)
    rows = queryset.annotate(open_must_fix=selectors.open_must_fix_count()).values_list(
        *CANDIDATE_FIELDS.values()
    )
    last = 0
    while True:
        batch = [
            Candidate(**dict(zip(names, row, strict=True)))
            for row in rows.filter(pk__gt=last).order_by("pk")[:size]
        ]
        if not batch:
            return
        last = batch[-1].pk
        yield batch


# Claiming ----------------------------------------------------------------------------------


def _claim(keys: Sequence[tuple[str, int, int | None, int, datetime]], *, now: datetime) -> dict:
    """Insert Reminder rows (rule, step, assignment_id, version_id, due_at); return the ones
    this call inserted, as {(rule, step, assignment_id, version_id): reminder id}. A key
    someone else holds (committed, or still in flight: the insert waits for it) comes back
    absent, and its reminder is not ours to send."""
    if not keys:
        return {}
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    columns = ("rule", "step", "assignment_id", "version_id", "due_at", "created_at")
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(keys))
    sql = (
        f"INSERT INTO {quote(Reminder._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"VALUES {values} ON CONFLICT DO NOTHING "
        f"RETURNING {quote('id')}, {quote('rule')}, {quote('step')}, {quote('assignment_id')}, "
        f"{quote('version_id')}"
    )
    params = []
    for rule, step, assignment_id, version_id, due_at in keys:
        params += [str(rule), step, assignment_id, version_id, adapt(due_at), adapt(now)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {(rule, step, assignment_id, version_id): pk for pk, rule, step, assignment_id, version_id in rows}


def _lock_articles(article_ids) -> None:
    """Lock the batch's articles in id order, before anything else, as the services do."""
    list(
        Article.objects.select_for_update()
        .filter(pk__in=sorted(set(article_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# The sweep ---------------------------------------------------------------------------------


def _reminder_message(rule: str, step: int, assignment: Candidate, policy: Policy, now) -> str:
    who = assignment.reviewer_name
    due = notifications.display_date(assignment.review_due)
    if rule == ReminderRule.INVITATION:
        return f"Reminder sent to {who}: the invitation to review is unanswered."
    if rule == ReminderRule.DUE_SOON:
        return f"Reminder sent to {who}: the review is due on {due}."
    if rule == ReminderRule.OVERDUE:
        return f"Reminder {step} of {policy.overdue_max} sent to {who}: the review was due on {due}."
    days = (now - assignment.review_due).days
    return f"The review by {who}, due on {due}, is {days} days overdue: the editors were alerted."


def _process_assignments(
    rule: str, batch: list[Candidate], *, now: datetime, policy: Policy, editors: list, dispatch
) -> list[Claimed]:
    rule = str(rule)
    steps = {a.pk: step_due(rule, a, now=now, policy=policy) for a in batch}
    batch = sorted(batch, key=lambda a: (a.article_id, a.pk))
    claimed_out: list[Claimed] = []
    with transaction.atomic():
        _lock_articles(a.article_id for a in batch)
        # Under the article locks no service can change these assignments (each locks the
        # article first): drop any that closed since the batch was read.
        still_open = set(
            ReviewAssignment.objects.filter(
                pk__in=[a.pk for a in batch], state__in=OPEN_ASSIGNMENT_STATES
            ).values_list("pk", flat=True)
        )
        batch = [a for a in batch if a.pk in still_open]
        keys = [(rule, steps[a.pk][0], a.pk, a.version_id, steps[a.pk][1]) for a in batch]
        claimed = _claim(keys, now=now)
        rows, escalated, events = [], [], []
        for assignment in batch:
            step, due_at = steps[assignment.pk]
            reminder_id = claimed.get((rule, step, assignment.pk, assignment.version_id))
            if reminder_id is None:
                continue
            escalation = rule == ReminderRule.ESCALATION
            events.append(
                {
                    "article_id": assignment.article_id,
                    "version_id": assignment.version_id,
                    "action": AuditAction.ASSIGNMENT_ESCALATED
                    if escalation
                    else AuditAction.ASSIGNMENT_REMINDED,
                    "message": _reminder_message(rule, step, assignment, policy, now),
                    "data": {
                        "assignment": assignment.pk,
                        "reviewer": assignment.reviewer_id,
                        "rule": rule,
                        "step": step,
                        "reminder": reminder_id,
                        "review_due": assignment.review_due.date().isoformat(),
                    },
                }
            )
            context = {
                **notifications.article_context(
                    title=assignment.version_title,
                    slug=assignment.article_slug,
                    number=assignment.version_number,
                ),
                "reviewer_name": assignment.reviewer_name,
                "step": step,
                "max_steps": policy.overdue_max,
                "review_due": notifications.display_date(assignment.review_due),
                "response_due": notifications.display_date(assignment.response_due),
                "days_overdue": max((now - assignment.review_due).days, 0),
                "open_must_fix": assignment.open_must_fix,
                "link": notifications.admin_url("reviewassignment", assignment.pk),
            }
            if escalation:
                recipients = [(e.pk, e.email, member_name(e)) for e in editors]
            else:
                recipients = [(assignment.reviewer_id, assignment.reviewer_email, assignment.reviewer_name)]
            new_rows = [
                notifications.row_for(
                    kind=NOTIFICATION_KIND[rule],
                    recipient_id=pk,
                    email=email,
                    name=name,
                    version_id=assignment.version_id,
                    context=context,
                    reminder_id=reminder_id,
                )
                for pk, email, name in recipients
            ]
            rows += new_rows
            if escalation:
                escalated.append(assignment.pk)
            claimed_out.append(
                Claimed(
                    rule=rule,
                    step=step,
                    reminder_id=reminder_id,
                    article_slug=assignment.article_slug,
                    version_number=assignment.version_number,
                    recipients=tuple(r.to_email for r in new_rows if r is not None),
                    subject=assignment.reviewer_name,
                )
            )
        audit.record_many(events)
        if escalated:
            ReviewAssignment.objects.filter(pk__in=escalated).update(overdue=True)
        notifications.queue(rows, dispatch=dispatch)
    return claimed_out


def _process_re_reviews(batch: list[Article], *, now: datetime, editors: list, dispatch) -> list[Claimed]:
    due = [(article, article.next_review_due) for article in batch]
    due = [(article, when) for article, when in due if when is not None and when <= now]
    if not due:
        return []
    claimed_out: list[Claimed] = []
    with transaction.atomic():
        _lock_articles(article.pk for article, _ in due)
        # Under the locks: one cycle per due date. The notice's step counts the version's due
        # dates (a confirming re-review moves the date on: the next one is step 2).
        cycles = {}
        for version_id, trigger, state, due_at in ReReview.objects.filter(
            version_id__in=[article.live_version_id for article, _ in due]
        ).values_list("version_id", "trigger", "state", "due_at"):
            cycles.setdefault(version_id, []).append((trigger, state, due_at))
        steps = {}
        for article, when in due:
            known = cycles.get(article.live_version_id, [])
            if any(state == ReReviewState.OPEN for _, state, _ in known) or any(
                trigger == ReReviewTrigger.SCHEDULE and due_at == when for trigger, _, due_at in known
            ):
                continue
            steps[article.pk] = 1 + sum(trigger == ReReviewTrigger.SCHEDULE for trigger, _, _ in known)
        due = [(article, when) for article, when in due if article.pk in steps]
        claimed = _claim(
            [
                (ReminderRule.RE_REVIEW, steps[article.pk], None, article.live_version_id, when)
                for article, when in due
            ],
            now=now,
        )
        rows = []
        for article, when in due:
            version = article.live_version
            step = steps[article.pk]
            reminder_id = claimed.get((ReminderRule.RE_REVIEW, step, None, version.pk))
            if reminder_id is None:
                continue
            version.article = article
            rereview.open_scheduled(version=version, due_at=when)
            audit.record(
                article=article.pk,
                version=version,
                actor=None,
                action=AuditAction.ARTICLE_RE_REVIEW_DUE,
                message=f"Version {version.number}, published on "
                f"{notifications.display_date(version.published_at)}, came due for re-review on "
                f"{notifications.display_date(when)}: the editors were told.",
                data={"reminder": reminder_id, "due": when.date().isoformat()},
            )
            context = {
                **notifications.version_context(version),
                "published_at": notifications.display_date(version.published_at),
                "re_review_due": notifications.display_date(when),
                "link": notifications.admin_url("auditevent"),
            }
            new_rows = [
                notifications.row(
                    kind=NotificationKind.RE_REVIEW_DUE,
                    recipient=person,
                    version=version,
                    context=context,
                    reminder=Reminder(pk=reminder_id),
                )
                for person in editors
            ]
            rows += new_rows
            claimed_out.append(
                Claimed(
                    rule=ReminderRule.RE_REVIEW,
                    step=step,
                    reminder_id=reminder_id,
                    article_slug=article.slug,
                    version_number=version.number,
                    recipients=tuple(r.to_email for r in new_rows if r is not None),
                    subject="re-review",
                )
            )
        notifications.queue(rows, dispatch=dispatch)
    return claimed_out


def note_overdue_re_reviews(*, now: datetime) -> int:
    """Record, once per cycle, that a re-review is past due by the grace period: the public
    history says so and the article's cached pages are rebuilt (its page shows the notice from
    that moment: ``editorial.rereview.overdue_since``)."""
    noted = 0
    # The sweep's cycles past their date and the grace, and any open cycle (an editor may have
    # opened one before the date came: it is the one readers wait on).
    cycles = ReReview.objects.filter(
        Q(trigger=ReReviewTrigger.SCHEDULE, due_at__lte=now - rereview.grace()) | Q(state=ReReviewState.OPEN),
        overdue_noted_at__isnull=True,
        version__state=VersionState.PUBLISHED,
    ).order_by("pk")
    for cycle_id in list(cycles.values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            cycle = ReReview.objects.select_related("article__live_version", "version").get(pk=cycle_id)
            _lock_articles([cycle.article_id])
            cycle = (
                ReReview.objects.select_for_update(of=("self",))
                .select_related("article__live_version", "version")
                .get(pk=cycle_id)
            )
            if cycle.overdue_noted_at is not None:
                continue
            since = rereview.overdue_since(cycle.article, now=now)
            live = cycle.article.live_version_id == cycle.version_id
            if since is None and live and cycle.is_open:
                continue  # not overdue yet: asked again next sweep
            if since is None or not live:
                ReReview.objects.filter(pk=cycle.pk).update(overdue_noted_at=now)  # moved on: nothing to tell
                continue
            ReReview.objects.filter(pk=cycle.pk).update(overdue_noted_at=now)
            audit.record(
                article=cycle.article_id,
                version=cycle.version,
                actor=None,
                action=AuditAction.RE_REVIEW_OVERDUE,
                message=f"Overdue for review since {notifications.display_date(since)}.",
                data={"re_review": cycle.pk, "since": since.date().isoformat()},
            )
            noted += 1
    return noted


def forget_reporters(*, now: datetime) -> int:
    """Delete the email of every reader report older than ``REPORT_RETENTION_DAYS``."""
    cutoff = now - timedelta(days=settings.EDITORIAL["REPORT_RETENTION_DAYS"])
    due = ReaderReport.objects.filter(created_at__lte=cutoff).exclude(email="")
    forgotten = 0
    for batch in _batches(due.only("pk", "article_id", "version_id"), 500):
        with transaction.atomic():
            _lock_articles(report.article_id for report in batch)
            ids = set(
                ReaderReport.objects.select_for_update()
                .filter(pk__in=[report.pk for report in batch])
                .exclude(email="")
                .values_list("pk", flat=True)
            )
            ReaderReport.objects.filter(pk__in=ids).update(email="", email_deleted_at=now)
            audit.record_many(
                [
                    {
                        "article_id": report.article_id,
                        "version_id": report.version_id,
                        "action": AuditAction.REPORT_EMAIL_DELETED,
                        "message": "The reporter's email address was deleted after the retention period.",
                        "data": {"report": report.pk},
                    }
                    for report in batch
                    if report.pk in ids
                ]
            )
            forgotten += len(ids)
    return forgotten


def pending_notifications(*, now: datetime, policy: Policy, include_recent: bool = False) -> QuerySet:
    """Notifications not sent that no task is expected to be sending: never handed over (the
    broker was down at commit), or handed over long ago and still unsent."""
    never = Q(dispatched_at__isnull=True)
    if not include_recent:
        never &= Q(created_at__lte=now - policy.outbox_grace)
    return Notification.objects.filter(
        never | Q(dispatched_at__lte=now - policy.outbox_redispatch),
        sent_at__isnull=True,
        attempts__lt=policy.mail_max_attempts,
    )


def sweep(*, now: datetime | None = None, dispatch=None, include_recent: bool = False) -> SweepResult:
    """One pass of the policy over the database. ``dispatch(ids)`` is called with the ids of
    the notifications written, after their transaction commits (default: hand them to
    Celery). Safe to run at the same time as another sweep."""
    now = now or timezone.now()
    policy = Policy.from_settings()
    dispatch = dispatch or notifications.enqueue
    result = SweepResult()
    editors = notifications.editors()
    for rule in ASSIGNMENT_RULES:
        queryset = assignments_due(rule, now=now, policy=policy)
        for batch in _candidate_batches(queryset, policy.batch):
            result.claimed += _process_assignments(
                rule, batch, now=now, policy=policy, editors=editors, dispatch=dispatch
            )
    articles = articles_due_for_re_review(now=now).select_related("live_version")
    for batch in _batches(articles, policy.batch):
        result.claimed += _process_re_reviews(batch, now=now, editors=editors, dispatch=dispatch)
    result.overdue = note_overdue_re_reviews(now=now)
    result.reports_forgotten = forget_reporters(now=now)
    # The outbox: what an earlier hand-over failed to deliver to the broker.
    pending = pending_notifications(now=now, policy=policy, include_recent=include_recent)
    for ids in _id_batches(pending, policy.batch):
        try:
            dispatch(ids)
        except Exception:
            logger.warning("Could not hand %d pending notification(s) over", len(ids), exc_info=True)
            break
        result.handed_over += len(ids)
    return result


def _id_batches(queryset: QuerySet, size: int) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        last = ids[-1]
        yield ids
