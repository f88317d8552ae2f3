"""The board's figures on the admin dashboard (editorial/board_figures.py): the numbers, the
query count that does not grow with the articles, the charts' text alternatives, the CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from editorial import board_figures, workflow
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
        flows.approved(author, editor, board, slug=f"figures-{i}")
        flows.under_review(author, editor, board, slug=f"open-{i}")
    with django_assert_num_queries(1):
        months = board_figures.decision_times_by_month()
    with django_assert_num_queries(1):
        loads = board_figures.reviewer_loads(now=timezone.now())
    assert sum(m.decisions for m in months) == articles
    assert sum(load.open for load in loads) == 2 * articles


def test_reviewer_loads_count_open_due_soon_and_overdue(demo):
    loads = {load.reviewer: load for load in board_figures.reviewer_loads(now=timezone.now())}
    assert loads["Dr. Tomas Lindqvist"].overdue == 1
    assert all(load.open >= load.overdue + load.due_soon for load in loads.values())


def test_the_dashboard_draws_each_chart_with_a_title_a_text_alternative_and_a_table(client, demo):
    client.force_login(make_user("Editor", username="figures-editor"))
    html = client.get(reverse("admin:index")).content.decode()
    for chart in ("chart-decision-time", "chart-reviewer-load"):
        assert f'aria-labelledby="{chart}-svg-title {chart}-svg-desc"' in html
        assert f'<title id="{chart}-svg-title">' in html and f'<desc id="{chart}-svg-desc">' in html
    assert html.count('<table class="chart-table">') == 2
    assert "Dr. Tomas Lindqvist" in html
    assert (
        "style="
        not in html[
            html.index('class="board-figures"') : html.index(
                "</section>", html.index('class="board-figures"')
            )
        ]
    )


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
