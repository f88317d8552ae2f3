"""The admin dashboard on a 1280-pixel screen: it uses the width, and a long unbroken title
wraps inside its card. Screenshots are kept under ``var/test-artifacts/``."""

from __future__ import annotations

import pytest

from articles.models import ArticleVersion
from tests.support import flows
from tests.support.browser import log_in
from tests.support.factories import make_user

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
