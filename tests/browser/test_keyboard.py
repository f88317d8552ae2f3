"""Keyboard use, visible focus, and what a screen reader is told (WCAG 2.1.1, 2.4.7, 4.1.2):
the version page and the reader's article page, tabbed through in Chromium; the audience
choice and the annotation controls found by their roles and names."""

from __future__ import annotations

import re

import pytest

from articles.models import ArticleVersion
from editorial.demo import DEMO_SLUG
from tests.browser.test_accessibility import DESKTOP, EDITOR, artifacts, sign_in_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


FOCUS_STYLE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return {
        tag: el.tagName.toLowerCase(),
        text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40),
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
        shadow: style.boxShadow !== 'none',
        visible: box.width > 0 && box.height > 0,
    };
}"""


def tab_through(page, presses: int) -> list[dict]:
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_STYLE)
        if focused is None:
            break
        seen.append(focused)
    return seen


def test_the_version_page_is_used_by_keyboard_with_a_visible_focus(browser_page, demo):
    # given the editor on the version under review
    page = browser_page
    page.set_viewport_size(DESKTOP)
    sign_in_admin(page, EDITOR)
    version = ArticleVersion.objects.filter(article=demo.article).latest("number")
    page.goto(page.base_url + f"/admin/articles/articleversion/{version.pk}/change/")
    # when they move through it with the Tab key alone
    seen = tab_through(page, 60)
    page.screenshot(path=str(artifacts() / "a11y-keyboard-version.png"), full_page=False)
    # then every stop is a visible element drawn with a focus outline
    assert len(seen) >= 20, seen
    unmarked = [stop for stop in seen if not (stop["visible"] and stop["outline"])]
    assert not unmarked, unmarked
    # and the board's controls are among the stops, reached without a mouse
    names = " | ".join(stop["text"] for stop in seen)
    assert "Request changes" in names and "Annotate a passage" in names, names
    # and a verb opens from the keyboard: Enter on its summary shows its form
    page.get_by_text("Request changes", exact=True).first.focus()
    page.keyboard.press("Enter")
    assert page.locator("#verb-request_changes").get_attribute("open") is not None


def test_the_reader_pages_are_used_by_keyboard_with_a_visible_focus(browser_page, demo):
    page = browser_page
    page.set_viewport_size(DESKTOP)
    page.goto(page.base_url + f"/articles/{DEMO_SLUG}/")
    seen = tab_through(page, 40)
    assert seen and seen[0]["text"].lower().startswith("skip"), seen[:1]
    unmarked = [stop for stop in seen if not (stop["visible"] and stop["outline"])]
    assert not unmarked, unmarked
    # the audience is chosen with the keyboard alone: arrows move within the radio group
    page.get_by_role("radio", name="Patient or caregiver").focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    assert page.get_by_role("radio", name="Clinician").is_checked()
    page.get_by_role("button", name="Show this article for me").press("Enter")
    page.wait_for_url("**#answer")
    assert page.locator("#answer-title").text_content() == "The clinical answer"


def test_the_audience_and_annotation_controls_are_announced(browser_page, demo):
    # given a reader on the article
    page = browser_page
    page.goto(page.base_url + f"/articles/{DEMO_SLUG}/")
    # then the audience choice is a named form holding a named group of named radio buttons
    form = page.get_by_role("form", name="Personalize")
    group = form.get_by_role("group", name="Which best describes you?")
    for label in ("Patient or caregiver", "Clinician", "Student"):
        radio = group.get_by_role("radio", name=label)
        assert radio.count() == 1
        assert radio.get_attribute("aria-describedby") == "audience-hint"
    assert form.get_by_role("button", name="Show this article for me").count() == 1
    # and once chosen, the choice is said in a status message
    group.get_by_role("radio", name="Student").check()
    form.get_by_role("button", name="Show this article for me").click()
    page.wait_for_url("**#answer")
    assert "Student" in page.get_by_role("status").filter(has_text="Showing this article for").inner_text()

    # given the editor on the version the board is reviewing
    sign_in_admin(page, EDITOR)
    version = ArticleVersion.objects.filter(article=demo.article).latest("number")
    page.goto(page.base_url + f"/admin/articles/articleversion/{version.pk}/change/")
    # then the annotation controls have roles and names a screen reader reads out
    panel = page.locator("#annotate-panel")
    panel.get_by_text("Annotate a passage").click()
    assert panel.get_by_role("textbox", name=re.compile("passage|quote|exact", re.I)).count() == 1
    assert panel.get_by_role("group", name=re.compile("severity", re.I)).count() == 1
    assert panel.get_by_role("group", name=re.compile("severity", re.I)).get_by_role("radio").count() >= 2
    assert panel.get_by_role("checkbox").count() == 1
    assert panel.get_by_role("textbox", name=re.compile("comment", re.I)).count() == 1
    assert panel.get_by_role("button", name="Annotate").count() == 1
