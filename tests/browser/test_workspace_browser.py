"""An author's whole path in a real browser (Debian's Chromium): from an empty account to a
submitted article, and from a request for changes to a resubmitted version."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from articles.models import Article, VersionState
from editorial import workflow
from editorial.models import Decision
from tests.support import flows
from tests.support.factories import make_user
from tests.support.signing import signed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts"


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"workspace-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_author_writes_submits_reads_the_board_and_resubmits(browser_page):
    author = make_user("Author", username="writer", first_name="Wren", last_name="Writer")
    editor = make_user("Editor", username="chair")
    reviewers = [make_user("Reviewer", username=f"board{i}") for i in (1, 2)]
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})

    # An empty account signs in.
    page.goto(page.base_url + "/author/")
    assert "/author/login/" in page.url
    shot(page, "01-login")
    page.fill("#id_username", "writer")
    page.fill("#id_password", "test-pass-123")
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/author/")
    assert page.locator("h1").text_content() == "My articles"
    assert page.locator("text=No articles yet").is_visible()

    # Start an article: the address is proposed from the title.
    page.click("text=Start an article >> nth=0")
    page.wait_for_load_state("load")  # slug.js is deferred: let it listen before typing
    page.fill("#id_title", "Is a fictional remedy useful for imaginary cramps?")
    # slug.js fills the address on input; wait for it (bounded) rather than race the script
    # (expect polls from Playwright's own script: a wait_for_function string is an eval the
    # page's Content-Security-Policy refuses)
    expect(page.locator("#id_slug")).to_have_value(
        "is-a-fictional-remedy-useful-for-imaginary-cramps", timeout=10_000
    )
    assert page.input_value("#id_slug") == "is-a-fictional-remedy-useful-for-imaginary-cramps"
    page.fill("#id_topic", "Fiction")
    shot(page, "02-start")
    page.click("button:has-text('Start the article')")
    page.wait_for_url("**/author/articles/is-a-fictional-remedy-useful-for-imaginary-cramps/v1/")

    # Write the text and two references.
    page.fill("#id_lead", "In this fictional test, the remedy is started at a low dose [1].")
    page.fill(
        "#id_body",
        "## Dosing\n\nThe fictional label advises slow increases [2].\n\n"
        "## Stopping\n\nStopping abruptly is discouraged in the fictional guideline [1].",
    )
    page.fill("#id_summary", "A made-up remedy for made-up cramps, for this test only.")
    page.select_option("#id_refs-0-kind", "guideline")
    page.fill("#id_refs-0-title", "A fictional guideline on imaginary cramps")
    page.fill("#id_refs-0-source", "The Fictional Society")
    page.fill("#id_refs-0-year", "2021")
    page.select_option("#id_refs-1-kind", "drug_label")
    page.fill("#id_refs-1-title", "Fictional remedy: prescribing information")
    page.fill("#id_refs-1-source", "A fictional manufacturer")
    page.fill("#id_refs-1-doi", "not a doi")
    page.click("button:has-text('Save and preview')")
    # A bad DOI is shown next to its field, and nothing is lost.
    error = page.locator(".ws-field-doi.ws-field-invalid .errorlist")
    assert "A DOI starts with" in error.text_content()
    assert page.input_value("#id_refs-0-title") == "A fictional guideline on imaginary cramps"
    shot(page, "03-reference-error")
    page.fill("#id_refs-1-doi", "10.5555/fictional.0001")
    page.click("button:has-text('Save and preview')")

    # The preview renders as the reader page will.
    page.wait_for_url("**/v1/preview/")
    assert page.locator("h1").text_content() == "Is a fictional remedy useful for imaginary cramps?"
    assert page.locator("#ref-2 .kind").text_content() == "Drug label"
    page.locator("sup.citation a[href='#ref-2']").first.click()
    assert page.url.endswith("#ref-2")
    shot(page, "04-preview")
    page.click("text=Back to editing")

    # The citation check is clean; submitting still asks once, saying what freezing means.
    assert "Every citation resolves" in page.locator(".ws-integrity").text_content()
    page.click("button:has-text('Save and submit to the board')")
    assert "Once submitted, version 1 is frozen." in page.locator(".ws-freeze").text_content()
    shot(page, "05a-confirm-submit")
    page.click("button:has-text('Submit version 1')")
    page.wait_for_url("**/v1/")
    assert page.locator(".ws-state").first.text_content() == "Submitted"
    assert "Version 1 submitted to the board" in page.locator(".ws-messages").text_content()
    shot(page, "05-submitted")

    # The board asks for changes, through the same services the admin uses.
    version = Article.objects.get(created_by=author).versions.get(number=1)
    for reviewer in reviewers:
        workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    workflow.version_start_review(version=version, actor=editor)
    workflow.review_record(
        assignment=version.assignments.get(reviewer=reviewers[0]),
        actor=reviewers[0],
        decision=Decision.REQUEST_CHANGES,
        no_conflict_declared=True,
        comment_to_author="Fictional reviewer comment: give the starting dose in the lead.",
        confidential_comment="CONFIDENTIAL: for the editor only.",
        signing=signed(reviewers[0], "review"),
    )
    flows.review(version, reviewers[1], Decision.APPROVE, comment="Fictional: reads well.")
    workflow.version_request_changes(
        version=version, actor=editor, message="Fictional editor message: state the starting dose."
    )

    # The author reads the feedback and starts version 2 beside it.
    page.goto(page.base_url + "/author/")
    assert page.locator(".ws-state").first.text_content() == "Changes requested"
    shot(page, "06-my-articles")
    page.click("text=Version 1")
    assert "Fictional editor message: state the starting dose." in page.content()
    assert "give the starting dose in the lead" in page.content()
    assert "CONFIDENTIAL" not in page.content()
    assert reviewers[0].last_name not in page.content()
    page.click("text=All versions")
    page.click("button:has-text('Start version 2 from version 1')")
    page.wait_for_url("**/v2/")
    aside = page.locator("aside.ws-aside")
    assert "Fictional editor message: state the starting dose." in aside.text_content()
    assert "Fictional reviewer comment" in aside.text_content()
    assert page.input_value("#id_refs-1-title") == "Fictional remedy: prescribing information"
    page.fill("#id_lead", "In this fictional test, the remedy is started at one imaginary unit a day [1].")
    page.fill("#id_change_note", "States the starting dose, as the board asked.")
    shot(page, "07-version-2")
    page.click("button:has-text('Save and submit to the board')")
    page.click("button:has-text('Submit version 2')")
    page.wait_for_url("**/v2/")
    assert page.locator(".ws-state").first.text_content() == "Submitted"
    shot(page, "08-version-2-submitted")

    version2 = version.article.versions.get(number=2)
    assert version2.state == VersionState.SUBMITTED and version2.based_on == version
    assert version2.change_note == "States the starting dose, as the board asked."
    assert page.dialogs == []
