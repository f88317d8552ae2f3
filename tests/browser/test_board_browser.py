"""The board page in Debian's Chromium: reached from an article's "Reviewed by", the member in
view, no console error, nothing loaded from elsewhere, readable on a phone.

Screenshots are kept under ``var/test-artifacts/`` for a person to look at.
"""

from pathlib import Path

import pytest
from django.conf import settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTICLE = "/articles/baclofen-muscle-cramping/"


@pytest.fixture
def artifacts() -> Path:
    folder = Path(settings.BASE_DIR) / "var" / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_reviewed_by_leads_to_the_member_on_the_board_page(browser_page, demo, artifacts):
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(page.base_url + ARTICLE)
    # the reviewer's name, with the declaration for this review beside it
    reviewer = page.locator(".reviewer").filter(has_text="Dr. Grace Okafor")
    assert "Conflict of interest: None declared" in reviewer.text_content()
    reviewer.get_by_role("link", name="Dr. Grace Okafor, PharmD").click()
    page.wait_for_url("**/board/#member-*")
    member = page.locator(page.url[page.url.index("#") :])
    assert "Dr. Grace Okafor" in member.locator("h2").text_content()
    assert member.is_visible()
    assert "What is the role of baclofen in treating muscle cramping?" in member.text_content()
    assert "Conflicts of interest:" in member.text_content()
    lindqvist = page.locator(".board-member").filter(has_text="Dr. Tomas Lindqvist")
    assert "fictional company" in lindqvist.locator(".conflict-statement").text_content()
    page.screenshot(path=str(artifacts / "board-desktop.png"), full_page=True)
    # readable on a phone: nothing wider than the screen
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts / "board-phone.png"), full_page=True)
    assert errors == []
    assert all(url.startswith(page.base_url) for url in requests), requests
