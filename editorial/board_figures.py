"""The board's figures for editors: how long decisions take, how long versions stay in each
state, each reviewer's load and reviews per month, and the re-review calendar.

Read from the audit trail, the assignments, the reviews and the published articles in one
query each, whatever the number of articles (tests/web/test_board_figures.py holds the count
at 1 and 10 articles). The admin dashboard draws them as SVG charts with the numbers in a
table beside each (``editorial/admin/_figures.html``); ``figures_csv`` writes the same numbers.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from articles.models import Article, VersionState
from editorial.models import OPEN_ASSIGNMENT_STATES, AuditAction, AuditEvent, Review, ReviewAssignment, late
from editorial.selectors import articles_due_for_re_review
from editorial.workflow_graph import STATE_AFTER

DECISIONS = (
    AuditAction.VERSION_APPROVED,
    AuditAction.VERSION_CHANGES_REQUESTED,
    AuditAction.VERSION_REJECTED,
)
CALENDAR_MONTHS = 12  # the re-review calendar looks this far ahead, the reviews per month back
OVERDUE = "Overdue"  # the re-review calendar's first column: due already


@dataclass(frozen=True)
class MonthFigure:
    """Days from submission to decision for the versions decided in one month."""

    month: str  # "2026-12"
    decisions: int
    median_days: float
    p90_days: float
    longest_minutes: int  # the slowest decision, so "within the hour" is a fact, not a rounding


@dataclass(frozen=True)
class StateTime:
    """How long versions stayed in one state: every stay that ended (the version moved on)."""

    state: str  # the state's label
    stays: int
    median_days: float
    total_days: float
    longest_minutes: int


@dataclass(frozen=True)
class ReviewerLoad:
    """One reviewer's open assignments, those due within the reminder policy's
    ``DUE_SOON_DAYS`` (the window the due-soon reminder uses) and those late."""

    reviewer: str
    open: int
    due_soon: int
    overdue: int


@dataclass(frozen=True)
class ReviewerMonths:
    """One reviewer's recorded reviews in each month of the calendar, oldest month first."""

    reviewer: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class ReReviewMonth:
    """The published articles whose re-review falls due in one month (or before: ``OVERDUE``)."""

    month: str
    articles: tuple[Article, ...]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (0.9: the value 90 % of the others are at or below)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _minutes(days: list[float]) -> int:
    return math.ceil(max(days) * 24 * 60)


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
            _minutes(days),
        )
        for month, days in sorted(by_month.items())
    ]


def time_in_states() -> list[StateTime]:
    """For each state a version leaves on its way to a decision, the median and total days of
    the stays that ended, in the workflow's order: one query over the audit trail. The time a
    version spends published is its life on the site, not the board's work, and a stay that
    has not ended yet has no length: neither is counted."""
    events = (
        AuditEvent.objects.filter(action__in=list(STATE_AFTER), version__isnull=False)
        .order_by("version_id", "seq")
        .values_list("version_id", "action", "created_at")
    )
    stays: dict[str, list[float]] = {}
    version, state, since = None, None, None
    for version_id, action, at in events:
        entered = str(STATE_AFTER[AuditAction(action)])
        if version_id != version:
            version, state, since = version_id, entered, at
        elif entered != state:
            stays.setdefault(state, []).append((at - since) / timedelta(days=1))
            state, since = entered, at
    return [
        StateTime(
            VersionState(value).label,
            len(stays[value]),
            round(statistics.median(stays[value]), 1),
            round(sum(stays[value]), 1),
            _minutes(stays[value]),
        )
        for value, _ in VersionState.choices
        if value in stays and value != VersionState.PUBLISHED
    ]


def _name(row: dict) -> str:
    return row["reviewer__board_member__display_name"] or row["reviewer__username"]


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
    return [ReviewerLoad(_name(row), row["n_open"], row["n_due_soon"], row["n_overdue"]) for row in rows]


def month_start(now: datetime) -> datetime:
    """The first instant of ``now``'s month, in the site's time zone."""
    return timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def past_months(*, now: datetime) -> list[str]:
    """The calendar's months up to and including ``now``'s, oldest first ("2026-12")."""
    first = month_start(now)
    return [
        (first - relativedelta(months=back)).strftime("%Y-%m") for back in range(CALENDAR_MONTHS - 1, -1, -1)
    ]


def reviews_per_month(*, now: datetime) -> tuple[list[str], list[ReviewerMonths]]:
    """Each reviewer's recorded reviews per month over the last ``CALENDAR_MONTHS`` months
    (this one included): the months, and one row per reviewer who reviewed in them; one query."""
    months = past_months(now=now)
    start = month_start(now) - relativedelta(months=CALENDAR_MONTHS - 1)
    rows = (
        Review.objects.filter(created_at__gte=start, created_at__lte=now)
        .annotate(month=TruncMonth("created_at"))
        .values("reviewer_id", "reviewer__username", "reviewer__board_member__display_name", "month")
        .annotate(n=Count("pk"))
        .order_by("reviewer__board_member__display_name", "reviewer__username", "month")
    )
    counts: dict[tuple[int, str], dict[str, int]] = {}
    for row in rows:
        key = (row["reviewer_id"], _name(row))
        counts.setdefault(key, {})[timezone.localtime(row["month"]).strftime("%Y-%m")] = row["n"]
    return months, [
        ReviewerMonths(name, tuple(by_month.get(month, 0) for month in months))
        for (_, name), by_month in counts.items()
    ]


def re_review_calendar(*, now: datetime) -> list[ReReviewMonth]:
    """The published articles coming due for re-review from ``now`` to ``CALENDAR_MONTHS``
    months ahead, per month (this one to the horizon's, soonest first), with those already
    due first as ``OVERDUE`` (when there are any); one query (``articles_due_for_re_review``).
    An article published today under the board's 12-month interval is in the last month."""
    horizon = now + relativedelta(months=CALENDAR_MONTHS)
    within_days = math.ceil((horizon - now) / timedelta(days=1))
    due = [
        a
        for a in articles_due_for_re_review(now=now, within_days=within_days)
        if a.next_review_due <= horizon
    ]
    first = month_start(now)
    months = [(first + relativedelta(months=ahead)).strftime("%Y-%m") for ahead in range(CALENDAR_MONTHS + 1)]
    by_month: dict[str, list[Article]] = {month: [] for month in [OVERDUE, *months]}
    for article in due:
        month = timezone.localtime(article.next_review_due).strftime("%Y-%m")
        by_month[OVERDUE if article.next_review_due < now else month].append(article)
    return [
        ReReviewMonth(month, tuple(articles))
        for month, articles in by_month.items()
        if month != OVERDUE or articles
    ]


def _text(value: str) -> str:
    """A cell that starts like a formula is quoted so a spreadsheet shows it as text."""
    return "'" + value if value[:1] in "=+-@" else value


def figures_csv(*, now: datetime) -> str:
    """The dashboard's figures as CSV: one block per chart, a header row each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["figure", "month", "decisions", "median_days", "p90_days"])
    for month in decision_times_by_month():
        writer.writerow(["decision_time", month.month, month.decisions, month.median_days, month.p90_days])
    writer.writerow([])
    writer.writerow(["figure", "state", "stays", "median_days", "total_days"])
    for stay in time_in_states():
        writer.writerow(["time_in_state", stay.state, stay.stays, stay.median_days, stay.total_days])
    writer.writerow([])
    writer.writerow(["figure", "reviewer", "open", "due_soon", "overdue"])
    for load in reviewer_loads(now=now):
        writer.writerow(["reviewer_load", _text(load.reviewer), load.open, load.due_soon, load.overdue])
    writer.writerow([])
    writer.writerow(["figure", "reviewer", "month", "reviews"])
    months, reviewers = reviews_per_month(now=now)
    for row in reviewers:
        for month, count in zip(months, row.counts, strict=True):
            writer.writerow(["reviews_per_month", _text(row.reviewer), month, count])
    writer.writerow([])
    writer.writerow(["figure", "month", "article", "title", "due"])
    for month in re_review_calendar(now=now):
        for article in month.articles:
            due = timezone.localtime(article.next_review_due).strftime("%Y-%m-%d")
            writer.writerow(["re_review", month.month, article.slug, _text(article.title), due])
    return out.getvalue()


# Drawing ------------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 560, 240
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_RIGHT = 44, 48, 12, 8
MIN_SLOT = 64  # room for a label such as "Dec 2026" under each group of bars
COLOURS = ("#205067", "#a11", "#8a4b00")  # 8:1, 7.8:1 and 6.4:1 on white
GRID, INK = "#c8c8c8", "#333"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  # what a pointer's tooltip says (the SVG <title>)


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str = GRID) -> dict:
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "stroke": stroke}


def _label(x: float, y: float, text: str, anchor: str = "middle", middle: bool = False) -> dict:
    """A text of the drawing; ``middle``: ``y`` is its vertical centre, not its baseline."""
    return {"x": round(x, 1), "y": round(y, 1), "text": text, "anchor": anchor, "middle": middle}


LINE_HEIGHT = 14
CHAR_WIDTH = 7  # about the width of a character of a 12-unit sans-serif label


def wrap(text: str, chars: int) -> list[str]:
    """``text`` on at most two lines of ``chars`` characters, broken between words; what does
    not fit ends in an ellipsis (the table beside the chart has it in full)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        elif len(lines) < 2:
            lines.append(word)
        else:
            lines[-1] += " " + word
    lines = lines or [""]
    return [line if len(line) <= chars else line[: max(chars - 1, 1)] + "…" for line in lines]


def month_label(month: str) -> str:
    """ "2026-12" as "Dec 2026"; any other category as it is."""
    try:
        return datetime.strptime(month, "%Y-%m").strftime("%b %Y")
    except ValueError:
        return month


def bar_chart(*, categories: list[str], series: list[tuple[str, list[float]]]) -> dict:
    """Geometry of a grouped bar chart for ``editorial/admin/_figures.html``: as wide as its
    categories need (``MIN_SLOT`` each), at least ``CHART_WIDTH``."""
    width = max(CHART_WIDTH, MARGIN_LEFT + MARGIN_RIGHT + MIN_SLOT * len(categories))
    plot_width = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    axis_y = MARGIN_TOP + plot_height
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
                    round(axis_y - height, 1),
                    round(bar_width - 2, 1),
                    round(height, 1),
                    COLOURS[s % len(COLOURS)],
                    f"{category}, {name}: {values[c]:g}",
                )
            )
    lines, texts = [], []
    counts = all(float(value).is_integer() for _, values in series for value in values)
    for t in (0, top) if counts and top % 2 else (0, top / 2, top):  # no "0.5" on a scale of counts
        y = round(axis_y - t / top * plot_height, 1)
        lines.append(_line(MARGIN_LEFT, y, width - MARGIN_RIGHT, y))
        texts.append(_label(MARGIN_LEFT - 6, y, f"{t:g}", anchor="end", middle=True))
    lines.append(_line(MARGIN_LEFT, axis_y, width - MARGIN_RIGHT, axis_y, INK))
    wrapped = [wrap(month_label(category), int(slot // CHAR_WIDTH)) for category in categories]
    for c, label in enumerate(wrapped):
        for n, line in enumerate(label):
            texts.append(_label(MARGIN_LEFT + c * slot + slot / 2, axis_y + 18 + LINE_HEIGHT * n, line))
    height = CHART_HEIGHT + LINE_HEIGHT * (max(map(len, wrapped), default=1) - 1)  # room for a second line
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "lines": lines,
        "texts": texts,
        "legend": [
            {"name": name, "colour": COLOURS[s % len(COLOURS)], "x": MARGIN_LEFT + s * 150}
            for s, (name, _) in enumerate(series)
        ],
        "legend_y": height - 10,
    }


NAME_WIDTH, MONTH_SLOT, ROW_HEIGHT, ROW_BAR = 180, 52, 44, 26


def small_multiples(*, columns: list[str], rows: list[tuple[str, tuple[int, ...]]]) -> dict:
    """Geometry of one row of bars per name (a reviewer's reviews in each month), all on one
    scale, each bar with its number above it: as readable for ten reviewers as for two."""
    width = NAME_WIDTH + MONTH_SLOT * len(columns) + MARGIN_RIGHT
    top = max([count for _, counts in rows for count in counts] + [1])
    bars, lines, texts = [], [], []
    for r, (name, counts) in enumerate(rows):
        base = MARGIN_TOP + (r + 1) * ROW_HEIGHT
        lines.append(_line(NAME_WIDTH - 8, base, width - MARGIN_RIGHT, base, INK))
        texts.append(
            _label(
                NAME_WIDTH - 14,
                base - ROW_BAR / 2,
                name if len(name) <= 23 else name[:22] + "…",
                anchor="end",
                middle=True,
            )
        )
        for c, count in enumerate(counts):
            height = round(count / top * ROW_BAR, 1)
            x = NAME_WIDTH + c * MONTH_SLOT
            bars.append(
                Bar(
                    x + 10,
                    round(base - height, 1),
                    MONTH_SLOT - 20,
                    height,
                    COLOURS[0],
                    f"{name}, {month_label(columns[c])}: {count}",
                )
            )
            if count:
                texts.append(_label(x + MONTH_SLOT / 2, base - height - 4, str(count)))
    label_y = MARGIN_TOP + len(rows) * ROW_HEIGHT + 18
    for c, column in enumerate(columns):
        month, year = month_label(column).split(" ") if " " in month_label(column) else (column, "")
        texts.append(_label(NAME_WIDTH + c * MONTH_SLOT + MONTH_SLOT / 2, label_y, month))
        if c == 0 or month == "Jan":
            texts.append(_label(NAME_WIDTH + c * MONTH_SLOT + MONTH_SLOT / 2, label_y + 16, year))
    return {
        "width": width,
        "height": label_y + 26,
        "bars": bars,
        "lines": lines,
        "texts": texts,
        "legend": [],
        "legend_y": 0,
    }


def _within_the_hour(figures) -> bool:
    """Whether every figure's longest time was an hour or less: bars of 0.0 days show nothing,
    so the chart says so in words instead."""
    return bool(figures) and all(f.longest_minutes <= 60 for f in figures)


def charts(*, now: datetime) -> list[dict]:
    """The dashboard's charts: id, title, text alternative, geometry, and the table."""
    due_soon_days = settings.EDITORIAL["DUE_SOON_DAYS"]
    months = decision_times_by_month()
    stays = time_in_states()
    loads = reviewer_loads(now=now)
    review_months, reviewers = reviews_per_month(now=now)
    calendar = re_review_calendar(now=now)
    due_total = sum(len(m.articles) for m in calendar)
    return [
        {
            "id": "chart-decision-time",
            "title": "Days from submission to decision, by month",
            "summary": (
                f"Every decision so far ({sum(m.decisions for m in months)}) came within the hour of "
                "its submission: too quick to draw in days (the table has the figures)."
                if _within_the_hour(months)
                else "; ".join(
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
            if months and not _within_the_hour(months)
            else None,
            "head": ("Month", "Decisions", "Median (days)", "90th percentile (days)"),
            "text_columns": (),
            "rows": [(m.month, m.decisions, f"{m.median_days:g}", f"{m.p90_days:g}") for m in months],
        },
        {
            "id": "chart-time-in-state",
            "title": "Days spent in each state (median of the stays that ended)",
            "summary": (
                f"Every stay in a state so far ({sum(s.stays for s in stays)}) ended within the hour: "
                "too short to draw in days (the table has the figures)."
                if _within_the_hour(stays)
                else "; ".join(
                    f"{s.state}: median {s.median_days:g} days over {s.stays} stays, {s.total_days:g} in all"
                    for s in stays
                )
                or "No version has moved on from a state yet."
            ),
            "drawing": bar_chart(
                categories=[s.state for s in stays], series=[("median days", [s.median_days for s in stays])]
            )
            if stays and not _within_the_hour(stays)
            else None,
            "head": ("State", "Stays", "Median (days)", "Total (days)"),
            "text_columns": (),
            "rows": [(s.state, s.stays, f"{s.median_days:g}", f"{s.total_days:g}") for s in stays],
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
            "text_columns": (),
            "rows": [(r.reviewer, r.open, r.due_soon, r.overdue) for r in loads],
        },
        {
            "id": "chart-reviews-per-month",
            "title": f"Reviews per month by each reviewer, the last {CALENDAR_MONTHS} months",
            "summary": (
                "; ".join(
                    f"{r.reviewer}: {r.total} reviews ("
                    + ", ".join(
                        f"{month_label(m)}: {n}" for m, n in zip(review_months, r.counts, strict=True) if n
                    )
                    + ")"
                    for r in reviewers
                )
                or f"No review was recorded in the last {CALENDAR_MONTHS} months."
            ),
            "drawing": small_multiples(
                columns=review_months, rows=[(r.reviewer, r.counts) for r in reviewers]
            )
            if reviewers
            else None,
            "head": ("Reviewer", *(month_label(m) for m in review_months), "Total"),
            "text_columns": (),
            "rows": [(r.reviewer, *r.counts, r.total) for r in reviewers],
        },
        {
            "id": "chart-re-review",
            "title": f"Re-review calendar: published articles coming due in the next {CALENDAR_MONTHS} months",
            "summary": (
                "; ".join(f"{month_label(m.month)}: {len(m.articles)}" for m in calendar if m.articles)
                if due_total
                else f"No published article comes due for re-review in the next {CALENDAR_MONTHS} months."
            ),
            "drawing": bar_chart(
                categories=[m.month for m in calendar],
                series=[("articles due", [len(m.articles) for m in calendar])],
            )
            if due_total
            else None,
            "head": ("Month", "Article", "Due"),
            "text_columns": (1,),
            "rows": [
                (
                    month_label(m.month),
                    article.title,
                    timezone.localtime(article.next_review_due).strftime("%Y-%m-%d"),
                )
                for m in calendar
                for article in m.articles
            ],
        },
    ]
