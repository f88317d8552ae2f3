"""The board carries version 2 of an article from review to the readers, in a real browser.

Screenshots are kept under ``var/test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from articles.models import VersionState
from editorial import workflow
from editorial.audit import verify_chain
from editorial.models import AuditEvent, BoardMember, Review
from tests.support import flows
from tests.support.browser import log_in
from tests.support.factories import make_user
from tests.support.signing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_LEAD = "Baclofen may ease cramps in some people; start low and never stop it abruptly."


def artifacts():
    folder = settings.VAR_DIR / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def success_message(page) -> str:
    return page.locator("ul.messagelist li.success").inner_text()


def test_reviewer_and_editor_carry_version_two_to_the_readers(browser_page):
    # given a published article whose author has submitted version 2 (from the workspace)
    author = make_user("Author", username="dana")
    editor = make_user("Editor", username="helen", first_name="Helen", last_name="Brandt")
    first_reviewer = make_user("Reviewer", username="priya", first_name="Priya", last_name="Raman")
    second_reviewer = make_user("Reviewer", username="tomas", first_name="Tomas", last_name="Lindqvist")
    BoardMember.objects.filter(user=first_reviewer).update(specialty="Hepatology")
    BoardMember.objects.filter(user=second_reviewer).update(specialty="Neurology")
    first = flows.published(author, editor, [first_reviewer, second_reviewer], slug="baclofen-cramps")
    second = workflow.version_create_next(article=first.article, author=author)
    workflow.version_edit_draft(version=second, actor=author, lead=NEW_LEAD, change_note="Sharper answer.")
    second = workflow.version_submit(version=second, actor=author)
    page = browser_page
    shots = artifacts()

    # when the editor logs in, version 2 waits for reviewers
    log_in(page, editor)
    decision = page.locator("#panel-decision")
    assert "Assign reviewers and start the review" in decision.inner_text()
    decision.get_by_role("link", name="Is this a question?").click()
    assert page.get_by_role("button", name="Start the review").count() == 0  # nobody assigned yet
    page.get_by_role("link", name="Assign reviewers").click()

    # the editor finds board members by specialty and invites two at once
    page.fill("#member-q", "neuro")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.members tbody tr")).to_have_count(1)  # waits for the search page
    page.get_by_role("link", name="Show everyone").click()
    page.get_by_label("Dr. Priya Raman, MD").check()
    page.get_by_label("Dr. Tomas Lindqvist, MD").check()
    page.screenshot(path=str(shots / "admin-1-editor-assigns.png"), full_page=True)
    page.get_by_role("button", name="Invite the selected members").click()
    assert "Invited to review: Dr. Priya Raman, Dr. Tomas Lindqvist." in success_message(page)
    page.get_by_role("button", name="Start the review").click()
    assert "The review has started" in success_message(page)

    # when the first reviewer logs in, the dashboard shows what waits for them
    log_in(page, first_reviewer)
    mine = page.locator("#panel-mine")
    assert mine.locator(".count").inner_text() == "1"
    page.screenshot(path=str(shots / "admin-2-reviewer-dashboard.png"), full_page=True)
    mine.get_by_role("link", name="Is this a question?").click()

    # and the version reads as readers will see it, with what changed since version 1
    assert page.locator("#version-state").inner_text().lower() == "under review"
    assert NEW_LEAD in page.locator(".reader-preview .lead").inner_text()
    assert "What changed since version 1" in page.locator(".version-diff h2").inner_text()
    assert page.locator(".version-diff ins").count() > 0
    assert page.locator(".finding-ok").is_visible()
    page.screenshot(path=str(shots / "admin-3-reviewer-version.png"), full_page=True)

    # the reviewer approves with the checklist
    form = page.locator("#your-review")
    form.get_by_label("I checked every citation against its source.").check()
    form.get_by_label("I checked every dose, unit and interval.").check()
    form.get_by_label("I declare no conflict of interest with this article.").check()
    form.get_by_label("Approve").check()
    form.get_by_label("Comment to the author").fill("Clear, and the doses match the label.")
    form.get_by_label("Confidential comment to the editors").fill("No concerns.")
    # an approving review is an electronic signature: the meaning, and the password again
    form.get_by_label("I reviewed this version for medical accuracy").check()
    form.get_by_label("Your password (this is your electronic signature)").fill(PASSWORD)
    form.get_by_role("button", name="Record my review").click()
    assert "Your review is recorded" in success_message(page)
    page.screenshot(path=str(shots / "admin-4-reviewer-recorded.png"), full_page=True)

    # and the second board approval is recorded through the same service
    flows.review(second, second_reviewer)

    # when the editor comes back, the version waits for a decision
    log_in(page, editor)
    decision = page.locator("#panel-decision")
    assert "2 of 2 approvals" in decision.inner_text()
    page.screenshot(path=str(shots / "admin-5-editor-dashboard.png"), full_page=True)
    decision.get_by_role("link", name="Is this a question?").click()

    # the editor approves, then publishes
    # with the quorum reached, deciding is the page's next step, shown open (issue 20)
    assert page.locator("#verb-approve h3").inner_text() == "Next step: Decide"
    approve = page.locator("#verb-approve")
    approve.locator("textarea").fill("Two approvals, citations resolve.")
    approve.get_by_label("I approve this version for publication").check()
    # a wrong password is refused, and nothing is approved
    approve.get_by_label("Your password (this is your electronic signature)").fill("not-my-password")
    page.get_by_role("button", name="Approve version 2").click()
    assert "nothing was signed" in page.locator(".messagelist").inner_text()
    assert page.locator("#version-state").inner_text().lower() == "under review"
    approve = page.locator("#verb-approve")
    approve.get_by_label("I approve this version for publication").check()
    approve.get_by_label("Your password (this is your electronic signature)").fill(PASSWORD)
    page.get_by_role("button", name="Approve version 2").click()
    assert "Version 2 approved" in success_message(page)
    assert page.locator("#version-state").inner_text().lower() == "approved"
    publish = page.locator("#verb-publish")
    publish.get_by_label("I authorise publication of this version").check()
    publish.get_by_label("Your password (this is your electronic signature)").fill(PASSWORD)
    page.get_by_role("button", name="Publish").click()
    assert "readers now see this version" in success_message(page)
    # the version page lists the four signatures (two reviews, approve, publish): name, moment, meaning, content hash
    rows = page.locator(".version-signatures .signature-row")
    assert rows.count() == 4
    assert "Dr. Priya Raman, MD" in rows.nth(0).inner_text()
    assert "I authorise publication of this version" in rows.nth(3).inner_text()
    page.screenshot(path=str(shots / "admin-6-editor-published.png"), full_page=True)

    # and reads the article's whole trail, not verified yet, and verifies it now
    page.get_by_role("link", name="The article's whole trail and its chain status").click()
    assert "audit chain not verified yet" in page.locator("#chain-status").inner_text()
    page.get_by_role("button", name="Verify now").click()
    assert "new events verified, up to event" in success_message(page)
    assert "audit chain verified up to event" in page.locator("#chain-status").inner_text()
    assert page.get_by_role("button", name="Verify now").count() == 0
    page.screenshot(path=str(shots / "admin-7-audit-trail.png"), full_page=True)

    # then the reader page shows version 2
    page.context.clear_cookies()
    page.goto(page.base_url + "/articles/baclofen-cramps/")
    assert NEW_LEAD in page.locator("main").inner_text()
    assert "electronically signed" in page.locator(".reviewed-by").inner_text()
    assert "for medical accuracy" in page.locator(".reviewed-by").inner_text()
    page.screenshot(path=str(shots / "admin-8-reader-page.png"), full_page=True)
    assert page.dialogs == []

    # and every step is in the audit trail, in a chain that verifies
    second.refresh_from_db()
    assert second.state == VersionState.PUBLISHED
    assert Review.objects.get(version=second, reviewer=first_reviewer).citations_checked
    actions = set(AuditEvent.objects.filter(version=second).values_list("action", "actor_id"))
    for action, actor in [
        ("editorial.assignment.created", editor.pk),
        ("editorial.version.review_started", editor.pk),
        ("editorial.review.recorded", first_reviewer.pk),
        ("editorial.version.approved", editor.pk),
        ("editorial.version.published", editor.pk),
    ]:
        assert (action, actor) in actions
    assert verify_chain(article=second.article).ok
