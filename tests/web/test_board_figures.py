"""The board's figures on the admin dashboard (editorial/board_figures.py): the numbers, the
query count that does not grow with the articles, the charts' text alternatives, the CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from editorial import board_figures, workflow
from editorial.models import Decision
from tests.support import flows
from tests.support.factories import make_user
from tests.support.signing import signed

pytestmark = pytest.mark.django_db


def decide(author, editor, board, slug, submitted_on, decided_on):
    with time_machine.travel(submitted_on, tick=False):
        version = flows.under_review(author, editor, board, slug=slug)
        for member in board:
            flows.review(version, member)
    with time_machine.travel(decided_on, tick=False):
        return workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))


@pytest.fixture
def cast(author, editor, reviewers):
    return author, editor, reviewers[:2]


def test_days_to_decision_per_month_median_and_90th_percentile(cast, settings):
    settings.TIME_ZONE = "UTC"
    author, editor, board = cast
    for i, days in enumerate((2, 4, 10)):
        decide(
            author,
            editor,
            board,
            f"march-{i}",
            datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 3, 1 + days, tzinfo=UTC),
        )
    decide(
        author, editor, board, "april", datetime(2026, 3, 30, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC)
    )
    assert board_figures.decision_times_by_month() == [
        board_figures.MonthFigure("2026-03", 3, 4.0, 10.0, 10 * 24 * 60),
        board_figures.MonthFigure("2026-04", 1, 3.0, 3.0, 3 * 24 * 60),
    ]


@pytest.mark.parametrize("articles", [1, 10])
def test_the_figures_take_one_query_each_whatever_the_number_of_articles(
    cast, articles, django_assert_num_queries
):
    author, editor, board = cast
    for i in range(articles):
        flows.published(author, editor, board, slug=f"figures-{i}")
        flows.under_review(author, editor, board, slug=f"open-{i}")
    now = timezone.now()
    with django_assert_num_queries(1):
        months = board_figures.decision_times_by_month()
    with django_assert_num_queries(1):
        stays = board_figures.time_in_states()
    with django_assert_num_queries(1):
        loads = board_figures.reviewer_loads(now=now)
    with django_assert_num_queries(1):
        _, reviewers = board_figures.reviews_per_month(now=now)
    with django_assert_num_queries(1):
        calendar = board_figures.re_review_calendar(now=now)
        titles = [article.title for month in calendar for article in month.articles]
    with django_assert_num_queries(5):
        board_figures.charts(now=now)
    assert sum(m.decisions for m in months) == articles
    assert {s.state: s.stays for s in stays}["Under review"] == articles
    assert sum(load.open for load in loads) == 2 * articles
    assert sum(r.total for r in reviewers) == 2 * articles
    assert titles == ["Is this a question?"] * articles


def test_reviewer_loads_count_open_due_soon_and_overdue(demo):
    loads = {load.reviewer: load for load in board_figures.reviewer_loads(now=timezone.now())}
    assert loads["Dr. Tomas Lindqvist"].overdue == 1
    assert all(load.open >= load.overdue + load.due_soon for load in loads.values())


CHARTS = (
    "chart-decision-time",
    "chart-time-in-state",
    "chart-reviewer-load",
    "chart-reviews-per-month",
    "chart-re-review",
)


def test_the_dashboard_draws_each_chart_with_a_title_a_text_alternative_and_a_table(client, demo):
    client.force_login(make_user("Editor", username="figures-editor"))
    html = client.get(reverse("admin:index")).content.decode()
    # the demo's decisions and stays all came within the hour: said in words, not drawn
    drawn = [chart for chart in CHARTS if chart not in ("chart-decision-time", "chart-time-in-state")]
    for chart in drawn:
        assert f'aria-labelledby="{chart}-svg-title {chart}-svg-desc"' in html
        assert f'<title id="{chart}-svg-title">' in html and f'<desc id="{chart}-svg-desc">' in html
    for chart in CHARTS:
        assert f'<figure class="board-chart" id="{chart}"' in html
    assert "Every decision so far (2) came within the hour of its submission" in html
    assert html.count('<table class="chart-table">') == len(CHARTS)
    assert "Dr. Tomas Lindqvist" in html
    figures = html[
        html.index('class="board-figures"') : html.index("</section>", html.index('class="board-figures"'))
    ]
    assert "style=" not in figures


def test_the_figures_as_csv_for_editors_only(client, demo):
    client.force_login(make_user("Editor", username="csv-editor"))
    response = client.get(reverse("admin:board_figures_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert body.startswith("figure,month,decisions,median_days,p90_days")
    assert "reviewer_load,Dr. Tomas Lindqvist," in body
    client.force_login(make_user("Reviewer", username="csv-reviewer"))
    assert client.get(reverse("admin:board_figures_csv")).status_code == 403
    # and the dashboard of a reviewer has no figures
    assert "board-figures" not in client.get(reverse("admin:index")).content.decode()


def test_due_soon_is_the_reminder_policys_window(cast, settings):
    # an accepted review due in 7 days: not "due soon" under a 3-day policy, due soon under 10
    author, editor, board = cast
    version = flows.under_review(author, editor, board[:1], slug="due-in-seven")
    version.assignments.update(review_due=timezone.now() + timedelta(days=7))
    settings.EDITORIAL = {**settings.EDITORIAL, "DUE_SOON_DAYS": 3}
    assert [load.due_soon for load in board_figures.reviewer_loads(now=timezone.now())] == [0]
    settings.EDITORIAL = {**settings.EDITORIAL, "DUE_SOON_DAYS": 10}
    assert [load.due_soon for load in board_figures.reviewer_loads(now=timezone.now())] == [1]


# The demo's decision times ---------------------------------------------------------------------


def test_the_demo_decides_both_versions_within_the_hour_so_its_bars_were_empty(demo):
    # load_demo runs every step in one go: version 1's changes were requested and version 2
    # approved seconds after each was submitted. The selector finds both decisions; their
    # days round to 0.0, so bars would have no height: the chart says it in words instead.
    months = board_figures.decision_times_by_month()
    month = timezone.localtime(timezone.now()).strftime("%Y-%m")
    assert [(m.month, m.decisions, m.median_days, m.p90_days) for m in months] == [(month, 2, 0.0, 0.0)]
    assert months[0].longest_minutes <= 60
    chart = board_figures.charts(now=timezone.now())[0]
    assert chart["drawing"] is None
    assert chart["summary"] == (
        "Every decision so far (2) came within the hour of its submission: "
        "too quick to draw in days (the table has the figures)."
    )
    assert chart["rows"] == [(month, 2, "0", "0")]


@pytest.mark.parametrize(("minutes", "drawn"), [(30, False), (60, False), (61, True), (3 * 24 * 60, True)])
def test_decisions_within_the_hour_are_said_in_words_and_slower_ones_drawn(cast, settings, minutes, drawn):
    settings.TIME_ZONE = "UTC"
    author, editor, board = cast
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    decide(author, editor, board, "quick", start, start + timedelta(minutes=minutes))
    with time_machine.travel(datetime(2026, 3, 20, tzinfo=UTC), tick=False):
        chart = board_figures.charts(now=timezone.now())[0]
    assert (chart["drawing"] is not None) is drawn
    assert ("within the hour" in chart["summary"]) is not drawn


# Time in each state ----------------------------------------------------------------------------


def step(when, action, **kwargs):
    with time_machine.travel(when, tick=False):
        return action(**kwargs)


def test_time_in_each_state_median_and_total_of_the_stays_that_ended(cast, settings):
    settings.TIME_ZONE = "UTC"
    author, editor, board = cast

    def day(n):
        return datetime(2026, 3, n, 9, tzinfo=UTC)

    # given version A: draft 1 day, submitted 2, under review 4, approved 1, then published
    a = step(day(1), flows.draft, author=author, slug="state-a")
    step(day(2), workflow.version_submit, version=a, actor=author)
    with time_machine.travel(day(4), tick=False):
        for member in board:
            workflow.assignment_create(version=a, reviewer=member, actor=editor)
        workflow.version_start_review(version=a, actor=editor)
        for member in board:
            flows.review(a, member)
    step(day(8), workflow.version_approve, version=a, actor=editor, signing=signed(editor, "approve"))
    step(day(9), workflow.version_publish, version=a, actor=editor, signing=signed(editor, "publish"))
    # and version B: draft 3 days, submitted 1, under review 6, then changes requested
    b = step(day(1), flows.draft, author=author, slug="state-b")
    step(day(4), workflow.version_submit, version=b, actor=author)
    with time_machine.travel(day(5), tick=False):
        workflow.assignment_create(version=b, reviewer=board[0], actor=editor)
        workflow.version_start_review(version=b, actor=editor)
        flows.review(b, board[0], decision=Decision.REQUEST_CHANGES)
    step(day(11), workflow.version_request_changes, version=b, actor=editor, message="Cite it.")
    # when the figures are read
    stays = board_figures.time_in_states()
    # then each state has its stays that ended: none for published (still live) or changes requested
    day_minutes = 24 * 60
    assert stays == [
        board_figures.StateTime("Draft", 2, 2.0, 4.0, 3 * day_minutes),
        board_figures.StateTime("Submitted", 2, 1.5, 3.0, 2 * day_minutes),
        board_figures.StateTime("Under review", 2, 5.0, 10.0, 6 * day_minutes),
        board_figures.StateTime("Approved", 1, 1.0, 1.0, day_minutes),
    ]
    # and the chart, its text alternative, its table and the CSV carry the same numbers
    with time_machine.travel(day(20), tick=False):
        chart = board_figures.charts(now=timezone.now())[1]
        body = board_figures.figures_csv(now=timezone.now())
    assert chart["id"] == "chart-time-in-state"
    assert [bar.label for bar in chart["drawing"]["bars"]] == [
        "Draft, median days: 2",
        "Submitted, median days: 1.5",
        "Under review, median days: 5",
        "Approved, median days: 1",
    ]
    assert chart["summary"].startswith("Draft: median 2 days over 2 stays, 4 in all; Submitted: median 1.5")
    assert chart["rows"][2] == ("Under review", 2, "5", "10")
    assert "time_in_state,Under review,2,5.0,10.0\r\n" in body
    assert "time_in_state,Draft,2,2.0,4.0\r\n" in body


# Reviews per month ------------------------------------------------------------------------------


def test_each_reviewers_reviews_per_month_over_the_last_twelve_months(cast, settings):
    settings.TIME_ZONE = "UTC"
    author, editor, board = cast
    first, second = board
    reviews = [
        (first, datetime(2026, 3, 3, tzinfo=UTC)),
        (first, datetime(2026, 3, 28, tzinfo=UTC)),
        (first, datetime(2026, 12, 1, tzinfo=UTC)),
        (second, datetime(2025, 11, 30, tzinfo=UTC)),  # before the twelve months: not counted
        (second, datetime(2026, 6, 15, tzinfo=UTC)),
    ]
    for i, (member, when) in enumerate(reviews):
        with time_machine.travel(when, tick=False):
            version = flows.under_review(author, editor, [member], slug=f"reviewed-{i}")
            flows.review(version, member)
    now = datetime(2026, 12, 15, tzinfo=UTC)
    months, rows = board_figures.reviews_per_month(now=now)
    assert months == [f"2026-{m:02d}" for m in range(1, 13)]
    counts = {row.reviewer: row.counts for row in rows}
    name = {member: member.board_member.display_name for member in board}
    assert counts == {
        name[first]: (0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1),
        name[second]: (0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0),
    }
    with time_machine.travel(now, tick=False):
        chart = board_figures.charts(now=timezone.now())[3]
        body = board_figures.figures_csv(now=timezone.now())
    assert chart["id"] == "chart-reviews-per-month"
    assert chart["head"][:3] == ("Reviewer", "Jan 2026", "Feb 2026") and chart["head"][-1] == "Total"
    assert (name[first], 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3) in chart["rows"]
    assert f"{name[first]}: 3 reviews (Mar 2026: 2, Dec 2026: 1)" in chart["summary"]
    bars = {bar.label: bar.height for bar in chart["drawing"]["bars"]}
    assert bars[f"{name[first]}, Mar 2026: 2"] == 2 * bars[f"{name[first]}, Dec 2026: 1"] > 0
    assert bars[f"{name[second]}, Mar 2026: 0"] == 0
    assert f"reviews_per_month,{name[first]},2026-03,2\r\n" in body
    assert f"reviews_per_month,{name[second]},2026-06,1\r\n" in body
    assert f"reviews_per_month,{name[second]},2025-11" not in body


# The re-review calendar -------------------------------------------------------------------------


def test_re_review_calendar_lists_the_published_articles_due_in_the_next_twelve_months(cast, settings):
    settings.TIME_ZONE = "UTC"
    settings.EDITORIAL = {**settings.EDITORIAL, "RE_REVIEW_MONTHS": 12}
    author, editor, board = cast
    published = {
        "due-already": (datetime(2025, 12, 1, tzinfo=UTC), None),  # due 2026-12-01, before now
        "due-january": (datetime(2026, 1, 20, tzinfo=UTC), None),  # due 2027-01-20
        "due-february": (datetime(2026, 11, 1, tzinfo=UTC), 3),  # its own 3 months: 2027-02-01
        "due-at-the-horizon": (datetime(2026, 12, 10, tzinfo=UTC), None),  # due 2027-12-10
        "due-later": (datetime(2026, 1, 20, tzinfo=UTC), 24),  # due 2028-01-20: too far
    }
    for slug, (when, months) in published.items():
        with time_machine.travel(when, tick=False):
            version = flows.published(author, editor, board, slug=slug)
        if months:
            type(version.article).objects.filter(pk=version.article_id).update(re_review_months=months)
    flows.approved(author, editor, board, slug="not-published")
    now = datetime(2026, 12, 15, tzinfo=UTC)
    calendar = board_figures.re_review_calendar(now=now)
    assert [m.month for m in calendar] == ["Overdue"] + [
        f"{year}-{month:02d}" for year, month in [(2026, 12)] + [(2027, m) for m in range(1, 13)]
    ]
    assert {m.month: [a.slug for a in m.articles] for m in calendar if m.articles} == {
        "Overdue": ["due-already"],
        "2027-01": ["due-january"],
        "2027-02": ["due-february"],
        "2027-12": ["due-at-the-horizon"],
    }
    with time_machine.travel(now, tick=False):
        chart = board_figures.charts(now=timezone.now())[4]
        body = board_figures.figures_csv(now=timezone.now())
    assert chart["id"] == "chart-re-review"
    assert chart["summary"] == "Overdue: 1; Jan 2027: 1; Feb 2027: 1; Dec 2027: 1"
    assert chart["rows"] == [
        ("Overdue", "Is this a question?", "2026-12-01"),
        ("Jan 2027", "Is this a question?", "2027-01-20"),
        ("Feb 2027", "Is this a question?", "2027-02-01"),
        ("Dec 2027", "Is this a question?", "2027-12-10"),
    ]
    heights = [bar.height for bar in chart["drawing"]["bars"]]
    assert len(heights) == 14 and heights.count(0) == 10 and len(set(heights) - {0}) == 1
    assert "re_review,2027-02,due-february,Is this a question?,2027-02-01\r\n" in body
    assert "due-later" not in body and "not-published" not in body


def test_a_name_or_title_that_starts_like_a_formula_is_quoted_in_the_csv(cast, settings):
    author, editor, board = cast
    version = flows.published(author, editor, board, slug="formula")
    type(version).objects.filter(pk=version.pk).update(title="=HYPERLINK(1)")
    settings.EDITORIAL = {**settings.EDITORIAL, "RE_REVIEW_MONTHS": 1}
    body = board_figures.figures_csv(now=timezone.now())
    assert ",'=HYPERLINK(1)," in body and ",=HYPERLINK" not in body


def test_a_label_too_long_for_its_slot_wraps_onto_two_lines_and_the_chart_grows_for_it():
    assert board_figures.wrap("Dr. Ian Martinez", 17) == ["Dr. Ian Martinez"]
    assert board_figures.wrap("Dr. Christopher Walters", 17) == ["Dr. Christopher", "Walters"]
    assert board_figures.wrap("Dr. Christopher Walters", 9) == ["Dr.", "Christop…"]
    short = board_figures.bar_chart(categories=["Draft", "Approved"], series=[("articles", [1, 3])])
    long = board_figures.bar_chart(categories=["Changes requested"] * 8, series=[("days", [1] * 8)])
    assert short["height"] == board_figures.CHART_HEIGHT
    assert long["height"] == board_figures.CHART_HEIGHT + board_figures.LINE_HEIGHT
    assert [t["text"] for t in long["texts"]][-2:] == ["Changes", "requested"]
    # a scale of counts has no half tick; a scale of days keeps its middle one
    assert [t["text"] for t in short["texts"] if t["anchor"] == "end"] == ["0", "3"]
    days = board_figures.bar_chart(categories=["Draft"], series=[("days", [2.5])])
    assert [t["text"] for t in days["texts"] if t["anchor"] == "end"] == ["0", "1.5", "3"]
