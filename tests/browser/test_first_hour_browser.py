"""The first hour of an author and the board, through the pages alone (issue 20).

An author writes a new article with two references, previews it, picks an audience in the
preview and submits; the editor assigns two reviewers and starts the review; a reviewer's
first try without the checklist is refused on the version page, with the input kept; both
reviewers accept and approve; the editor decides and publishes; a reader reads it. Nothing
in the test body calls a service: every step is a click or a keystroke in Chromium.
Screenshots are kept under ``var/test-artifacts/first-hour-*.png``.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.support.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-pass-123"  # tests.support.factories.UserFactory
SLUG = "is-a-fictional-remedy-useful-for-imaginary-cramps"


def shot(page, name: str) -> None:
    folder = settings.VAR_DIR / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"first-hour-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def admin_log_in(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto(page.base_url + "/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))


def success(page) -> str:
    return page.locator("ul.messagelist li.success").inner_text()


def review_and_approve(page, username: str, *, first_try_without_checklist: bool = False) -> None:
    admin_log_in(page, username)
    page.locator("#panel-mine").get_by_role("link", name=re.compile("fictional remedy")).click()
    version_page = page.url
    form = page.locator("#your-review")
    if first_try_without_checklist:
        # the invitation is still open: the form says recording accepts it
        expect(form.locator(".hint").first).to_contain_text("recording your review accepts it")
        form.get_by_label("I declare no conflict of interest with this article.").check()
        form.get_by_label("Approve").check()
        form.get_by_label("Comment to the author").fill("Fictional: the doses read well.")
        form.get_by_role("button", name="Record my review").click()
        # refused on the version page's own address, with what was typed
        assert page.url == version_page
        expect(page.locator("ul.messagelist li.error")).to_contain_text("check the citations")
        expect(page.locator("#your-review").get_by_label("Comment to the author")).to_have_value(
            "Fictional: the doses read well."
        )
        shot(page, "06-review-refused")
        page.reload()  # the address opens again (it was a 405 before)
        assert page.url == version_page
    else:
        page.get_by_role("button", name="Accept the invitation").click()
        assert "You accepted the invitation" in success(page)
    form = page.locator("#your-review")
    form.get_by_label("I checked every citation against its source.").check()
    form.get_by_label("I checked every dose, unit and interval.").check()
    form.get_by_label("I declare no conflict of interest with this article.").check()
    form.get_by_label("Approve").check()
    form.get_by_label("Comment to the author").fill("Fictional: the doses read well.")
    # an approving review is an electronic signature: its meaning, and the password again
    form.get_by_label("I reviewed this version for medical accuracy").check()
    form.get_by_label("Your password (this is your electronic signature)").fill(PASSWORD)
    form.get_by_role("button", name="Record my review").click()
    assert "Your review is recorded" in success(page)


def test_first_hour_of_an_author_and_the_board_through_the_pages(browser_page):
    make_user("Author", username="wren", first_name="Wren", last_name="Writer")
    make_user("Editor", username="chair", first_name="Helen", last_name="Chair")
    make_user("Reviewer", username="priya", first_name="Priya", last_name="Raman")
    make_user("Reviewer", username="tomas", first_name="Tomas", last_name="Lindqvist")
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})

    # The author signs in and starts an article.
    page.goto(page.base_url + "/author/login/")
    page.fill("#id_username", "wren")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/author/")
    page.click("text=Start an article >> nth=0")
    page.wait_for_load_state("load")  # slug.js is deferred: let it listen before typing
    page.fill("#id_title", "Is a fictional remedy useful for imaginary cramps?")
    expect(page.locator("#id_slug")).to_have_value(SLUG, timeout=10_000)
    page.click("button:has-text('Start the article')")
    page.wait_for_url(f"**/author/articles/{SLUG}/v1/")
    # an empty draft is not reported as clean
    expect(page.locator(".ws-integrity")).to_contain_text("Nothing to check yet")
    shot(page, "01-empty-draft")

    # The text and two references, then the preview.
    page.fill("#id_lead", "In this fictional test, the remedy is started at a low dose [1].")
    page.fill("#id_body", "## Dosing\n\nThe fictional label advises slow increases [2].")
    page.select_option("#id_refs-0-kind", "guideline")
    page.fill("#id_refs-0-title", "A fictional guideline on imaginary cramps")
    page.fill("#id_refs-0-source", "The Fictional Society")
    page.select_option("#id_refs-1-kind", "drug_label")
    page.fill("#id_refs-1-title", "Fictional remedy: prescribing information")
    page.fill("#id_refs-1-source", "A fictional manufacturer")
    page.click("button:has-text('Save and preview')")
    page.wait_for_url("**/v1/preview/")
    # the breadcrumb-free preview tracker does not call a draft submitted
    expect(page.locator("ol.tracker li").first).to_have_class(re.compile(r"\btodo\b"))
    # the audience form stays in the preview (it was a 404 before)
    page.get_by_label("Clinician").check()
    page.get_by_role("button", name="Show this article for me").click()
    page.wait_for_url("**/v1/preview/?audience=clinician*")
    expect(page.locator(".audience-current")).to_contain_text("Clinician")
    shot(page, "02-preview-clinician")

    # Submit from the preview: asked once, told what freezing means.
    page.get_by_role("link", name="Submit to the board…").click()
    expect(page.locator(".ws-freeze")).to_contain_text("Once submitted, version 1 is frozen.")
    shot(page, "03-confirm-submit")
    page.get_by_role("button", name="Submit version 1").click()
    page.wait_for_url("**/v1/")
    expect(page.locator(".ws-messages")).to_contain_text("Version 1 submitted to the board")

    # The editor assigns two reviewers and starts the review.
    admin_log_in(page, "chair")
    page.locator("#panel-decision").get_by_role("link", name=re.compile("fictional remedy")).click()
    page.get_by_role("link", name="Assign reviewers").click()
    page.get_by_label("Dr. Priya Raman, MD").check()
    page.get_by_label("Dr. Tomas Lindqvist, MD").check()
    shot(page, "04-assign")
    page.get_by_role("button", name="Invite the selected members").click()
    assert "Invited to review" in success(page)
    page.get_by_role("button", name="Start the review").click()
    assert "The review has started" in success(page)
    shot(page, "05-review-started")

    # Both reviewers approve with the checklist; the first tries without it first.
    review_and_approve(page, "priya", first_try_without_checklist=True)
    review_and_approve(page, "tomas")

    # The editor decides: with the quorum reached, deciding is the page's next step.
    admin_log_in(page, "chair")
    decision = page.locator("#panel-decision")
    expect(decision).to_contain_text("2 of 2 approvals")
    decision.get_by_role("link", name=re.compile("fictional remedy")).click()
    expect(page.locator("#verb-approve h3")).to_have_text("Next step: Decide")
    shot(page, "07-decide")
    page.locator("#verb-approve textarea").fill("Two approvals; every citation resolves.")
    approve = page.locator("#verb-approve")
    approve.get_by_label("I approve this version for publication").check()
    approve.get_by_label("Your password (this is your electronic signature)").fill(PASSWORD)
    page.get_by_role("button", name="Approve version 1").click()
    assert "Version 1 approved" in success(page)
    publish = page.locator("#verb-publish")
    publish.get_by_label("I authorise publication of this version").check()
    publish.get_by_label("Your password (this is your electronic signature)").fill(PASSWORD)
    page.get_by_role("button", name="Publish").click()
    assert "Published" in success(page)

    # A reader reads it, with who reviewed it.
    page.context.clear_cookies()
    page.goto(page.base_url + f"/articles/{SLUG}/")
    expect(page.locator("h1")).to_have_text("Is a fictional remedy useful for imaginary cramps?")
    expect(page.locator(".reviewed-by")).to_contain_text("Dr. Priya Raman")
    expect(page.locator(".reviewed-by")).to_contain_text("Dr. Tomas Lindqvist")
    shot(page, "08-reader")
