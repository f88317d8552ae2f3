"""Reader reports: "Report a problem with this page", and the editors' triage of them.

A reader (no account) says what is wrong, and may leave an email for a reply. The report lands
on the editors' dashboard; an editor dismisses it with a reason, replies (by email, to the
address the reader left), or opens a re-review of the live version (``editorial.rereview``).
The reporter's email is never in the audit trail, never shown publicly, and is deleted
``REPORT_RETENTION_DAYS`` after the report (the reminder sweep: ``reminders.forget_reporters``).

Abuse: the rate limits are counters in the cache (per address per hour, per article per day);
the form's honeypot, length limits and CSRF are the view's (``reader.views``). The counters
key the address by a keyed hash, never the address itself.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from articles.models import Article, VersionState
from editorial import audit, rereview, workflow
from editorial.errors import InvalidInput, NotPermitted, TransitionRefused, WorkflowError
from editorial.models import AuditAction, ReaderReport, ReportState, ReReviewTrigger


class TooManyReports(WorkflowError):
    """A flood: too many reports from one address, or on one article."""

    status = 429


HOUR, DAY = 60 * 60, 24 * 60 * 60


def _address_key(address: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]
    return f"reports:address:{digest}"


def _count(key: str, timeout: int) -> int:
    """Add one to a counter that expires ``timeout`` seconds after its first count."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def admit(*, address: str, article_id: int) -> None:
    """Count one report from ``address`` on the article; refuse a flood (``TooManyReports``)."""
    policy = settings.EDITORIAL
    if _count(_address_key(address or "unknown"), HOUR) > policy["REPORTS_PER_ADDRESS_PER_HOUR"]:
        raise TooManyReports("You have sent several reports in the last hour: please try again later.")
    if _count(f"reports:article:{article_id}", DAY) > policy["REPORTS_PER_ARTICLE_PER_DAY"]:
        raise TooManyReports("This page has received many reports today: please try again tomorrow.")


@transaction.atomic
def report_submit(*, article: Article, message: str, email: str = "") -> ReaderReport:
    """Record a reader's report on the live version of a published article."""
    if not isinstance(message, str) or not isinstance(email, str):
        raise InvalidInput("Say what is wrong with the page.")
    message, email = message.strip(), email.strip()
    if not message:
        raise InvalidInput("Say what is wrong with the page.", fields={"message": "Say what is wrong."})
    Article.objects.select_for_update().filter(pk=article.pk).values_list("pk", flat=True).get()
    article = Article.objects.select_related("live_version").get(pk=article.pk)
    if article.live_version is None or article.live_version.state != VersionState.PUBLISHED:
        raise TransitionRefused("Reports are taken on published articles only.")
    report = ReaderReport(article=article, version=article.live_version, message=message, email=email)
    try:
        report.full_clean(exclude=["article", "version", "triaged_by"])
    except ValidationError as exc:
        fields = {name: errors[0] for name, errors in exc.message_dict.items()}
        raise InvalidInput(" ".join(fields.values()), fields=fields) from None
    report.save()
    # The trail holds that a report came, never its words or the reporter's address.
    audit.record(
        article=article,
        version=article.live_version,
        action=AuditAction.REPORT_RECEIVED,
        data={"report": report.pk, "digest": audit.words_digest(message)},
    )
    return report


# Triage -----------------------------------------------------------------------------------


def refusal(verb: str, report: ReaderReport, user) -> WorkflowError | None:
    """Why ``user`` may not triage ``report`` with ``verb`` now; None when they may."""
    active = user is not None and getattr(user, "is_authenticated", False) and user.is_active
    if not active or not user.has_perm("articles.decide_version"):
        return NotPermitted("Only editors can triage reader reports.")
    if report.state != ReportState.NEW:
        return TransitionRefused(f"This report was triaged already ({report.get_state_display().lower()}).")
    if verb == "reply_report" and not report.email:
        return TransitionRefused(
            "The reader left no email address (or it was deleted): there is nobody to reply to."
        )
    return None


def _lock(report: ReaderReport) -> ReaderReport:
    article_id = ReaderReport.objects.filter(pk=report.pk).values_list("article_id", flat=True).first()
    if article_id is None:
        raise TransitionRefused("That report does not exist.")
    Article.objects.select_for_update().filter(pk=article_id).values_list("pk", flat=True).get()
    return (
        ReaderReport.objects.select_for_update(of=("self",))
        .select_related("article", "version")
        .get(pk=report.pk)
    )


def _words(value, label: str) -> str:
    value = workflow._checked_words(value, label)
    if not value.strip():
        raise InvalidInput(f"Write the {label}.", fields={label: f"Write the {label}."})
    return value.strip()


def _triaged(
    report: ReaderReport, *, actor, state: str, note: str, action: AuditAction, data=None
) -> ReaderReport:
    before = report.state
    report.state = state
    report.triaged_by = actor
    report.triaged_at = timezone.now()
    report.triage_note = note
    report.save(update_fields=["state", "triaged_by", "triaged_at", "triage_note"])
    audit.record(
        article=report.article_id,
        version=report.version,
        actor=actor,
        action=action,
        state_before=before,
        state_after=state,
        data={"report": report.pk, **(data or {})},
    )
    return report


@transaction.atomic
def report_dismiss(*, report: ReaderReport, actor, reason: str) -> ReaderReport:
    reason = _words(reason, "reason")
    report = _lock(report)
    error = refusal("dismiss_report", report, actor)
    if error:
        raise error
    return _triaged(
        report, actor=actor, state=ReportState.DISMISSED, note=reason, action=AuditAction.REPORT_DISMISSED
    )


@transaction.atomic
def report_reply(*, report: ReaderReport, actor, reply: str) -> ReaderReport:
    """Answer the reader by email (the address they left; it is not kept in the trail)."""
    reply = _words(reply, "reply")
    report = _lock(report)
    error = refusal("reply_report", report, actor)
    if error:
        raise error
    to, title = report.email, report.version.title
    message = EmailMessage(
        subject=f"About your report on “{title}”",
        body=f"{reply}\n\n-- The editors\n\nYou wrote:\n{report.message}\n",
        to=[to],
    )
    transaction.on_commit(lambda: message.send(fail_silently=True))
    return _triaged(
        report, actor=actor, state=ReportState.REPLIED, note=reply, action=AuditAction.REPORT_REPLIED
    )


def report_open_re_review(*, report: ReaderReport, actor, reason: str) -> ReaderReport:
    """Open a re-review of the live version from a report (refused if one is open already)."""
    reason = _words(reason, "reason")
    with transaction.atomic():
        report = _lock(report)
        error = refusal("re_review_report", report, actor)
        if error:
            raise error
        cycle = rereview.re_review_open(
            article=report.article,
            actor=actor,
            reason=reason,
            trigger=ReReviewTrigger.REPORT,
            data={"report": report.pk},
        )
        return _triaged(
            report,
            actor=actor,
            state=ReportState.RE_REVIEW,
            note=reason,
            action=AuditAction.REPORT_ESCALATED,
            data={"re_review": cycle.pk},
        )


def waiting_reports():
    """The reports waiting for triage, oldest first, for the editors' dashboard."""
    return (
        ReaderReport.objects.filter(state=ReportState.NEW)
        .select_related("article", "version")
        .order_by("created_at", "pk")
    )
