"""The board's dashboard: the panels one board member sees on the admin index."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from articles.models import ArticleVersion, VersionState
from editorial import operations, reports, rereview, selectors, workflow
from editorial.roles import is_editor

DASHBOARD_ROWS = 10
RE_REVIEW_WINDOW_DAYS = 30


@dataclass
class Panel:
    key: str
    title: str
    rows: list
    count: int
    link: str
    empty: str


def dashboard_for(user) -> list[Panel]:
    """The panels one board member sees on the admin index, each with its count and link."""
    from django.urls import reverse

    now = timezone.now()
    versions = reverse("admin:articles_articleversion_changelist")
    panels = []
    if user.has_perm("articles.review_version"):
        mine = selectors.assignments_waiting_for(reviewer=user)
        panels.append(
            Panel(
                "mine",
                "Waiting for my review",
                list(mine[:DASHBOARD_ROWS]),
                mine.count(),
                f"{versions}?queue=mine",
                "Nothing is waiting for your review.",
            )
        )
    editor = is_editor(user)
    if editor:
        waiting = selectors.versions_awaiting_decision(editor=user)
        rows = list(waiting[:DASHBOARD_ROWS])
        for version in rows:
            version.next_step = next_step(version)
        panels.append(
            Panel(
                "decision",
                "Waiting for a decision",
                rows,
                waiting.count(),
                f"{versions}?queue=decision",
                "No version is waiting for an editor.",
            )
        )
    overdue = selectors.overdue_assignments(now=now, reviewer=None if editor else user)
    panels.append(
        Panel(
            "overdue",
            "Overdue",
            list(overdue[:DASHBOARD_ROWS]),
            overdue.count(),
            f"{versions}?queue=overdue",
            "Nothing is overdue.",
        )
    )
    if editor:
        panels.append(operations_panel(now))
        broken = list(selectors.broken_chains()[:DASHBOARD_ROWS])
        if broken:  # only when there is one: a panel that is always empty teaches people to skip it
            panels.append(
                Panel(
                    "broken_chains",
                    "Audit trail failed verification",
                    broken,
                    selectors.broken_chains().count() if len(broken) == DASHBOARD_ROWS else len(broken),
                    reverse("admin:articles_article_changelist"),
                    "",
                )
            )
        due = selectors.articles_due_for_re_review(now=now, within_days=RE_REVIEW_WINDOW_DAYS)
        # Red when readers are told it is overdue (the grace has passed); the open cycle, if any
        # (one query for the rows shown, none when nothing is due).
        shown = due[:DASHBOARD_ROWS]
        cycles = rereview.open_cycles([article.live_version_id for article in shown]) if shown else {}
        for article in shown:
            article.overdue_since = rereview.overdue_since(article, now=now)
            article.open_re_review = cycles.get(article.live_version_id)
        waiting = list(reports.waiting_reports()[:DASHBOARD_ROWS])
        panels.append(
            Panel(
                "reports",
                "Reader reports",
                waiting,
                reports.waiting_reports().count() if len(waiting) == DASHBOARD_ROWS else len(waiting),
                reverse("admin:index") + "#panel-reports",
                "No reader report is waiting.",
            )
        )
        panels.append(
            Panel(
                "re_review",
                "Due for re-review",
                shown,
                len(due),
                reverse("admin:articles_article_changelist") + "?re_review=due",
                f"No published article comes due in the next {RE_REVIEW_WINDOW_DAYS} days.",
            )
        )
    return panels


@dataclass
class OperationsRow:
    text: str
    alarm: bool


def operations_panel(now) -> Panel:
    """Whether beat, the workers and the mail are keeping up; its count is what needs a look."""
    rows = [OperationsRow(str(job), job.stale) for job in operations.freshness(now=now)]
    outbox = operations.outbox_wait(now=now)
    minutes = int(outbox.limit.total_seconds() // 60)
    if outbox.late:
        noun = "email has" if outbox.waiting == 1 else "emails have"
        oldest = timezone.localtime(outbox.oldest).strftime("%Y-%m-%d %H:%M")
        text = f"Outbox: {outbox.waiting} {noun} waited more than {minutes} min (the oldest since {oldest})"
    else:
        text = f"Outbox: no email has waited more than {minutes} min"
    rows.append(OperationsRow(text, outbox.late))
    from django.urls import reverse

    return Panel(
        "operations",
        "Reminders, verification and mail",
        rows,
        sum(row.alarm for row in rows),
        reverse("admin:editorial_notification_changelist") + ("?delivery=late" if outbox.late else ""),
        "",
    )


def next_step(version: ArticleVersion) -> str:
    """What the editor does next with a version from ``versions_awaiting_decision``."""
    if version.state == VersionState.SUBMITTED:
        return "Assign reviewers and start the review"
    if version.state == VersionState.APPROVED:
        return "Publish"
    if getattr(version, "has_objection", False):
        return "A board member objected: request changes or reject"
    return f"Decide ({getattr(version, 'approvals', 0)} of {workflow.quorum()} approvals)"
