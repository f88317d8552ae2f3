"""The board's figures for editors: how long decisions take, and each reviewer's load.

Read from the audit trail and the assignments in one query each, whatever the number of
articles (tests/web/test_board_figures.py holds the count at 1 and 10 articles). The admin
dashboard draws them as SVG bar charts with the numbers in a table beside each
(``editorial/admin/_bar_chart.html``); ``figures_csv`` writes the same numbers.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from editorial.models import OPEN_ASSIGNMENT_STATES, AuditAction, AuditEvent, ReviewAssignment, late

DECISIONS = (
    AuditAction.VERSION_APPROVED,
    AuditAction.VERSION_CHANGES_REQUESTED,
    AuditAction.VERSION_REJECTED,
)


@dataclass(frozen=True)
class MonthFigure:
    """Days from submission to decision for the versions decided in one month."""

    month: str  # "2026-12"
    decisions: int
    median_days: float
    p90_days: float


@dataclass(frozen=True)
class ReviewerLoad:
    """One reviewer's open assignments, those due within the reminder policy's
    ``DUE_SOON_DAYS`` (the window the due-soon reminder uses) and those late."""

    reviewer: str
    open: int
    due_soon: int
    overdue: int


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (0.9: the value 90 % of the others are at or below)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def decision_times_by_month() -> list[MonthFigure]:
    """Median and 90th percentile of the days from a version's submission to its editor's
    decision, per month of the decision, oldest first: one query over the audit trail."""
    events = (
        AuditEvent.objects.filter(
            action__in=[AuditAction.VERSION_SUBMITTED, *DECISIONS], version__isnull=False
        )
        .order_by("version_id", "seq")
        .values_list("version_id", "action", "created_at")
    )
    submitted: dict[int, datetime] = {}
    by_month: dict[str, list[float]] = {}
    for version_id, action, at in events:
        if action == AuditAction.VERSION_SUBMITTED:
            submitted.setdefault(version_id, at)
        elif version_id in submitted:
            start = submitted.pop(version_id)
            month = timezone.localtime(at).strftime("%Y-%m")
            by_month.setdefault(month, []).append((at - start) / timedelta(days=1))
    return [
        MonthFigure(
            month,
            len(days),
            round(statistics.median(days), 1),
            round(percentile(days, 0.9), 1),
        )
        for month, days in sorted(by_month.items())
    ]


def reviewer_loads(*, now: datetime) -> list[ReviewerLoad]:
    """Every reviewer with an open assignment: open, due soon and overdue; one query."""
    soon = now + timedelta(days=settings.EDITORIAL["DUE_SOON_DAYS"])
    on_time = ~late(now)
    rows = (
        ReviewAssignment.objects.filter(state__in=OPEN_ASSIGNMENT_STATES)
        .values("reviewer_id", "reviewer__username", "reviewer__board_member__display_name")
        .annotate(
            # (named apart from the model's own ``overdue`` field, which ``late`` reads)
            n_open=Count("pk"),
            n_overdue=Count("pk", filter=late(now)),
            n_due_soon=Count("pk", filter=on_time & Q(review_due__lte=soon)),
        )
        .order_by("reviewer__board_member__display_name", "reviewer__username")
    )
    return [
        ReviewerLoad(
            row["reviewer__board_member__display_name"] or row["reviewer__username"],
            row["n_open"],
            row["n_due_soon"],
            row["n_overdue"],
        )
        for row in rows
    ]


def figures_csv(*, now: datetime) -> str:
    """The dashboard's figures as CSV: one block per chart, a header row each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["figure", "month", "decisions", "median_days", "p90_days"])
    for month in decision_times_by_month():
        writer.writerow(["decision_time", month.month, month.decisions, month.median_days, month.p90_days])
    writer.writerow([])
    writer.writerow(["figure", "reviewer", "open", "due_soon", "overdue"])
    for load in reviewer_loads(now=now):
        # A name that starts like a formula is quoted so a spreadsheet shows it as text.
        name = "'" + load.reviewer if load.reviewer[:1] in "=+-@" else load.reviewer
        writer.writerow(["reviewer_load", name, load.open, load.due_soon, load.overdue])
    return out.getvalue()


# Drawing ------------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 560, 240
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 44, 48, 12
COLOURS = ("#205067", "#a11", "#8a4b00")  # 8:1, 7.8:1 and 6.4:1 on white


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  # what a pointer's tooltip says (the SVG <title>)


def bar_chart(*, categories: list[str], series: list[tuple[str, list[float]]]) -> dict:
    """Geometry of a grouped bar chart for ``editorial/admin/_bar_chart.html``."""
    plot_width = CHART_WIDTH - MARGIN_LEFT - 8
    plot_height = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = max([value for _, values in series for value in values] + [1])
    step = 10 ** math.floor(math.log10(top)) if top >= 10 else 1
    top = math.ceil(top / step) * step
    slot = plot_width / max(len(categories), 1)
    bar_width = slot * 0.8 / max(len(series), 1)
    bars = []
    for c, category in enumerate(categories):
        for s, (name, values) in enumerate(series):
            height = values[c] / top * plot_height
            bars.append(
                Bar(
                    round(MARGIN_LEFT + c * slot + slot * 0.1 + s * bar_width, 1),
                    round(MARGIN_TOP + plot_height - height, 1),
                    round(bar_width - 2, 1),
                    round(height, 1),
                    COLOURS[s % len(COLOURS)],
                    f"{category}, {name}: {values[c]:g}",
                )
            )
    ticks = [
        {"y": round(MARGIN_TOP + plot_height - t / top * plot_height, 1), "label": f"{t:g}"}
        for t in (0, top / 2, top)
    ]
    labels = [
        {"x": round(MARGIN_LEFT + c * slot + slot / 2, 1), "text": category[:14]}
        for c, category in enumerate(categories)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "axis_x": MARGIN_LEFT,
        "axis_y": MARGIN_TOP + plot_height,
        "axis_right": CHART_WIDTH - 8,
        "label_y": MARGIN_TOP + plot_height + 18,
        "bars": bars,
        "ticks": ticks,
        "labels": labels,
        "legend": [
            {"name": name, "colour": COLOURS[s % len(COLOURS)], "x": MARGIN_LEFT + s * 150}
            for s, (name, _) in enumerate(series)
        ],
        "legend_y": CHART_HEIGHT - 10,
    }


def charts(*, now: datetime) -> list[dict]:
    """The dashboard's two charts: id, title, text alternative, geometry, and the table."""
    due_soon_days = settings.EDITORIAL["DUE_SOON_DAYS"]
    months = decision_times_by_month()
    loads = reviewer_loads(now=now)
    return [
        {
            "id": "chart-decision-time",
            "title": "Days from submission to decision, by month",
            "summary": (
                "; ".join(
                    f"{m.month}: median {m.median_days:g}, 90th percentile {m.p90_days:g}" for m in months
                )
                or "No version has been decided yet."
            ),
            "drawing": bar_chart(
                categories=[m.month for m in months],
                series=[
                    ("median", [m.median_days for m in months]),
                    ("90th percentile", [m.p90_days for m in months]),
                ],
            )
            if months
            else None,
            "head": ("Month", "Decisions", "Median (days)", "90th percentile (days)"),
            "rows": [(m.month, m.decisions, f"{m.median_days:g}", f"{m.p90_days:g}") for m in months],
        },
        {
            "id": "chart-reviewer-load",
            "title": "Each reviewer's open assignments",
            "summary": (
                "; ".join(
                    f"{r.reviewer}: {r.open} open, {r.due_soon} due soon, {r.overdue} overdue" for r in loads
                )
                or "No reviewer has an open assignment."
            ),
            "drawing": bar_chart(
                categories=[r.reviewer for r in loads],
                series=[
                    ("open", [r.open for r in loads]),
                    ("overdue", [r.overdue for r in loads]),
                    (f"due in {due_soon_days} days", [r.due_soon for r in loads]),
                ],
            )
            if loads
            else None,
            "head": ("Reviewer", "Open", f"Due in {due_soon_days} days", "Overdue"),
            "rows": [(r.reviewer, r.open, r.due_soon, r.overdue) for r in loads],
        },
    ]
