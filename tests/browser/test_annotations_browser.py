"""A reviewer selects words on the version page and annotates them; the author sees the
annotation beside its paragraph in the next version and answers it; the reviewer resolves it.
In Debian's Chromium, with the site's Content-Security-Policy. Screenshots under
``var/test-artifacts/``."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from articles.passages import plain_text
from editorial import workflow
from editorial.models import Annotation
from tests.support import flows
from tests.support.browser import PASSWORD, log_in
from tests.support.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = "Baclofen is started at a low dose [1].\n\nStopping it abruptly is dangerous [2]."
QUOTE = "started at a low dose"


def shot(page, name: str) -> None:
    folder = settings.VAR_DIR / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"annotations-{name}.png"), full_page=True)


def select_words(page, words: str) -> None:
    """Select ``words`` in the passage that holds them as a person does: press the mouse
    button at the first letter, drag to the last, release."""
    box = page.evaluate(
        """(words) => {
            const passage = [...document.querySelectorAll('[data-passage]')]
                .find((p) => p.textContent.includes(words));
            passage.scrollIntoView({block: 'center'});  // the mouse works in the viewport
            const walker = document.createTreeWalker(passage, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode()) && !node.data.includes(words)) {}
            const at = node.data.indexOf(words);
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + words.length);
            const rect = range.getBoundingClientRect();
            return {left: rect.left + 1, right: rect.right - 1, y: rect.top + rect.height / 2};
        }""",
        words,
    )
    page.mouse.move(box["left"], box["y"])
    page.mouse.down()
    page.mouse.move(box["right"], box["y"], steps=8)
    page.mouse.up()


def test_reviewer_annotates_a_selection_author_answers_in_the_next_version_reviewer_resolves(browser_page):
    author = make_user("Author", username="dana")
    editor = make_user("Editor", username="helen", first_name="Helen", last_name="Brandt")
    reviewer = make_user("Reviewer", username="priya", first_name="Priya", last_name="Raman")
    second = make_user("Reviewer", username="grace", first_name="Grace", last_name="Okafor")
    version = flows.under_review(author, editor, [reviewer, second], body=BODY, slug="baclofen-cramps")
    page = browser_page
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    # the reviewer selects a few words of the body: the Annotate control fills the form
    log_in(page, reviewer)
    page.goto(page.base_url + f"/admin/articles/articleversion/{version.pk}/change/")
    select_words(page, QUOTE)
    page.locator("#annotate-control").click()
    assert page.locator("#annotate-panel").get_attribute("open") is not None
    assert page.input_value("#id_exact") == QUOTE
    page.get_by_label("Must fix").check()
    page.fill("#id_comment", "Which dose, and which source says so?")
    page.get_by_role("button", name="Annotate", exact=True).click()
    assert "Your annotation is recorded" in page.locator("ul.messagelist li.success").inner_text()
    annotation = Annotation.objects.get()
    text = plain_text(version).text
    assert (annotation.exact, text[annotation.start : annotation.end]) == (QUOTE, QUOTE)
    assert annotation.prefix.endswith("Baclofen is ") and annotation.severity == "must_fix"
    beside = page.locator(f"#annotation-{annotation.pk}")
    assert "Which dose, and which source says so?" in beside.inner_text()
    shot(page, "1-admin-version-page")

    # the editor asks for changes; the author starts version 2 and finds it beside its paragraph
    workflow.version_request_changes(version=version, actor=editor, message="See the annotation.")
    draft = workflow.version_create_next(article=version.article, author=author)
    page.context.clear_cookies()
    page.goto(page.base_url + f"/author/articles/baclofen-cramps/v{draft.number}/")
    page.fill("#id_username", "dana")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf".*/author/articles/baclofen-cramps/v{draft.number}/$"))
    copy = Annotation.objects.get(version=draft)
    thread = page.locator(f"#ws-annotation-{copy.pk}")
    passage = thread.locator("xpath=ancestor::div[contains(@class, 'ws-passage')]")
    assert "Baclofen is started at a low dose 1." in passage.locator(".ws-passage-text").inner_text()
    assert "Which dose, and which source says so?" in thread.inner_text()
    thread.locator("textarea").fill("It is 5 mg three times a day, as the label says.")
    thread.get_by_role("button", name="Answer").click()
    page.wait_for_url(re.compile(r".*#ws-annotation-\d+$"))
    assert "It is 5 mg three times a day" in page.locator(f"#ws-annotation-{copy.pk}").inner_text()
    shot(page, "2-workspace-editor")

    # version 2 goes to the board; the reviewer resolves the annotation with a note
    workflow.version_submit(version=draft, actor=author)
    workflow.assignment_create(version=draft, reviewer=reviewer, actor=editor)
    workflow.version_start_review(version=draft, actor=editor)
    log_in(page, reviewer)
    page.goto(page.base_url + f"/admin/articles/articleversion/{draft.pk}/change/")
    thread = page.locator(f"#annotation-{copy.pk}")
    assert "It is 5 mg three times a day" in thread.inner_text()
    thread.locator("summary", has_text="Resolve").click()
    thread.locator("textarea[name=note]").fill("Answered: the dose is stated.")
    thread.get_by_role("button", name="Resolve").click()
    assert "The annotation is resolved." in page.locator("ul.messagelist li.success").inner_text()
    copy.refresh_from_db()
    assert (copy.state, copy.resolved_by, copy.resolution_note) == (
        "resolved",
        reviewer,
        "Answered: the dose is stated.",
    )
    assert "Resolved by" in page.locator(f"#annotation-{copy.pk}").inner_text()
    shot(page, "3-admin-resolved")
    assert csp_errors == [] and page.dialogs == []
