"""The admin dashboard on a 1280-pixel screen: it uses the width, and a long unbroken title
wraps inside its card. Screenshots are kept under ``var/test-artifacts/``."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from articles.models import ArticleVersion
from editorial import workflow
from tests.support import flows
from tests.support.browser import log_in
from tests.support.factories import make_user
from tests.support.signing import signed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TITLE = ("https://example.org/" + "baclofen-and-muscle-cramping-in-cirrhosis-" * 6)[:190]


def test_dashboard_uses_the_screen_and_keeps_a_long_title_in_its_card(browser_page, settings):
    # given a version waiting for a decision whose title is one long unbroken word
    author, editor = make_user("Author", username="wide-author"), make_user("Editor", username="wide-editor")
    version = flows.submitted(author, slug="a-very-long-title")
    ArticleVersion.objects.filter(pk=version.pk).update(title=LONG_TITLE)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    # when the editor opens the dashboard
    log_in(page, editor)
    folder = settings.VAR_DIR / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "admin-dashboard-1280.png"), full_page=True)
    # then the cards use most of the screen's width
    cards = page.locator(".board-dashboard").bounding_box()
    assert cards["width"] >= 1100, cards
    # and the long title stays inside its card
    panel = page.locator("#panel-decision")
    link = panel.get_by_role("link", name=LONG_TITLE[:40])
    box, inside = link.bounding_box(), panel.bounding_box()
    assert box["x"] + box["width"] <= inside["x"] + inside["width"], (box, inside)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_board_figures_fit_the_dashboard_at_1280_pixels_unshrunk(browser_page, settings):
    # given decisions that took days, reviews, open assignments and articles due for re-review
    author, editor = make_user("Author", username="fig-author"), make_user("Editor", username="fig-editor")
    board = [make_user("Reviewer", username=f"fig-reviewer{i}") for i in range(2)]
    for i, days in enumerate((2, 5, 9)):
        start = timezone.now() - timedelta(days=40 + 20 * i)
        with time_machine.travel(start, tick=False):
            version = flows.under_review(author, editor, board, slug=f"fig-{i}")
            for member in board:
                flows.review(version, member)
        with time_machine.travel(start + timedelta(days=days), tick=False):
            version = workflow.version_approve(
                version=version, actor=editor, signing=signed(editor, "approve")
            )
            workflow.version_publish(version=version, actor=editor, signing=signed(editor, "publish"))
    flows.under_review(author, editor, board, slug="fig-open")  # each reviewer has one open
    ArticleVersion.objects.filter(article__slug="fig-0").update(title=LONG_TITLE)  # in the calendar's table
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    # when the editor opens the dashboard
    log_in(page, editor)
    charts = page.locator(".board-chart svg.chart")
    assert charts.count() == 5
    folder = settings.VAR_DIR / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "admin-dashboard-figures-1280.png"), full_page=True)
    # then every chart is drawn at its own size or larger (its 12-unit labels at 12 px or more),
    # inside its card, and the page does not scroll sideways
    for i in range(charts.count()):
        chart = charts.nth(i)
        box = chart.bounding_box()
        card = page.locator(".board-chart").nth(i).bounding_box()
        width = float(chart.get_attribute("viewBox").split()[2])
        assert box["width"] >= width, (i, box, width)
        assert box["x"] + box["width"] <= card["x"] + card["width"], (i, box, card)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # and the calendar's long unbroken title wraps inside the page
    title = page.locator("#chart-re-review td.text", has_text=LONG_TITLE[:40]).bounding_box()
    assert title["x"] + title["width"] <= 1280, title
