"""The reader's page in Debian's Chromium: audience switch, citations, phone and desktop.

Screenshots are kept under ``var/test-artifacts/`` for a person to look at.
"""

from pathlib import Path

import pytest
from django.conf import settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = "/articles/baclofen-muscle-cramping/"
TITLE = "What is the role of baclofen in treating muscle cramping?"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def artifacts() -> Path:
    folder = Path(settings.BASE_DIR) / "var" / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_reader_switches_audience_and_follows_a_citation_to_its_reference_and_back(
    browser_page, demo, artifacts
):
    page = browser_page
    errors = console_errors(page)
    page.set_viewport_size(DESKTOP)
    page.goto(page.base_url + URL)
    assert page.title() == TITLE
    assert page.locator("h1").text_content() == TITLE
    assert page.locator("#answer-title").text_content() == "The answer in brief"
    page.screenshot(path=str(artifacts / "reader-desktop.png"), full_page=True)

    # Switch audience: a radio button and a submit button, answered by a redirect back.
    page.get_by_label("Patient or caregiver").check()
    page.get_by_role("button", name="Show this article for me").click()
    page.wait_for_url("**" + URL + "#answer")
    assert page.locator("#answer-title").text_content() == "In plain language"
    assert "relaxes muscles" in page.locator("#answer .summary").text_content()
    assert page.get_by_label("Patient or caregiver").is_checked()
    assert {c["name"]: c["value"] for c in page.context.cookies()}["audience"] == "patient"
    page.screenshot(path=str(artifacts / "reader-desktop-patient.png"), full_page=False)

    # The choice is kept: a fresh visit still reads in plain language.
    page.goto(page.base_url + URL)
    assert page.locator("#answer-title").text_content() == "In plain language"

    # Follow a citation to its reference, and come back to where it is cited.
    page.locator("sup.citation a[href='#ref-2']").first.click()
    assert page.url.endswith("#ref-2")
    assert "Drug label" in page.locator("#ref-2").text_content()
    assert page.locator("#ref-2").is_visible()
    page.locator("#ref-2 a.backref").first.click()
    assert page.url.endswith("#cite-2-1")
    assert page.locator("#cite-2-1").is_visible()

    # Clinician language.
    page.get_by_label("Clinician").check()
    page.get_by_role("button", name="Show this article for me").click()
    page.wait_for_url("**#answer")
    assert page.locator("#answer-title").text_content() == "The clinical answer"
    assert page.locator("#answer .summary").count() == 0

    # A phone: the same page, without sideways scrolling.
    page.set_viewport_size(PHONE)
    page.goto(page.base_url + URL)
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(artifacts / "reader-phone.png"), full_page=True)
    page.screenshot(path=str(artifacts / "reader-phone-top.png"), full_page=False)
    for part in ("audience", "answer", "references", "history"):
        page.locator(f".{part}").first.screenshot(path=str(artifacts / f"reader-phone-{part}.png"))

    for name in (
        "reader-desktop.png",
        "reader-desktop-patient.png",
        "reader-phone.png",
        "reader-phone-top.png",
    ):
        assert (artifacts / name).stat().st_size > 10_000
    # No CSP violation or script error: they are reported on the console.
    assert errors == []
    assert page.dialogs == []


def test_audience_picker_works_with_javascript_off(browser_page, demo):
    context = browser_page.context.browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(browser_page.base_url + URL)
        page.get_by_label("Student").check()
        page.get_by_role("button", name="Show this article for me").click()
        page.wait_for_url("**#answer")
        assert page.get_by_label("Student").is_checked()
        assert page.locator("#answer .summary").count() == 1
        assert page.locator("#answer .lead").count() == 1
    finally:
        context.close()


def test_keyboard_reaches_the_skip_link_and_the_audience_choice(browser_page, demo):
    page = browser_page
    page.goto(page.base_url + URL)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    page.wait_for_url("**#main", timeout=10_000)  # the fragment changes after the key event, not with it
    radio = page.get_by_label("Clinician")
    radio.focus()
    page.keyboard.press("Space")
    assert radio.is_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**#answer")
    assert page.locator("#answer-title").text_content() == "The clinical answer"


def test_home_and_policy_pages_fit_a_phone(browser_page, demo, artifacts):
    page = browser_page
    errors = console_errors(page)
    page.set_viewport_size(PHONE)
    page.goto(page.base_url + "/")
    assert no_horizontal_scroll(page)
    page.get_by_label("Search the articles").fill("cramps")
    page.get_by_role("button", name="Search").click()
    assert page.locator("a.article-link").first.text_content() == TITLE
    page.screenshot(path=str(artifacts / "home-phone.png"), full_page=True)
    page.goto(page.base_url + "/editorial-policy/")
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(artifacts / "policy-phone.png"), full_page=True)
    assert errors == []
