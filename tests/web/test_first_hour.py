"""Bugs found walking the first hour of an author and a board member in a browser (issue 20):
each test failed before its fix."""

import re

import pytest
from django.urls import reverse

from tests.support import flows

pytestmark = pytest.mark.django_db


def preview_url(version) -> str:
    return reverse("workspace:preview", args=[version.article.slug, version.number])


def version_page(version) -> str:
    return reverse("admin:articles_articleversion_change", args=[version.pk])


def test_the_preview_audience_form_asks_the_preview_again(client, author):
    # given an author previewing a draft readers cannot open
    version = flows.draft(author)
    client.force_login(author)
    html = client.get(preview_url(version)).content.decode()
    # then the audience form goes back to the preview, never to the unpublished public address
    form = re.search(r'<form class="audience" method="get" action="([^"]*)"', html)
    assert form and form.group(1) == preview_url(version)
    assert f'name="next" value="{version.article.get_absolute_url()}"' not in html
    # and choosing "Clinician" there shows the preview for clinicians
    response = client.get(form.group(1), {"audience": "clinician"})
    assert response.status_code == 200
    assert "Showing this article for: <strong>Clinician</strong>" in response.content.decode()


def test_the_preview_tracker_does_not_mark_a_draft_submitted(client, author):
    version = flows.draft(author)
    client.force_login(author)
    html = client.get(preview_url(version)).content.decode()
    tracker = html[
        html.index('<ol class="tracker">') : html.index("</ol>", html.index('<ol class="tracker">'))
    ]
    assert '<li class="step todo"><span class="step-name">Submitted</span>' in tracker
    assert "Not yet submitted" in tracker


def test_a_refused_review_stays_on_the_version_page_with_the_input_kept(client, author, editor, reviewers):
    # given a version under review and its reviewer
    version = flows.under_review(author, editor, reviewers[:1])
    reviewer = reviewers[0]
    client.force_login(reviewer)
    page = client.get(version_page(version)).content.decode()
    # the review form posts to the version page's own address
    assert f'action="{version_page(version)}"' in page and 'name="verb" value="review"' in page
    # when the reviewer approves without the checklist
    response = client.post(
        version_page(version),
        {
            "verb": "review",
            "decision": "approve",
            "no_conflict_declared": "on",
            "comment_to_author": "My words, kept.",
        },
    )
    # then the refusal is shown there, with what they typed, and nothing was recorded
    assert response.status_code == 400
    html = response.content.decode()
    assert "check the citations against their sources and the doses" in html
    assert "My words, kept." in html
    assert version.reviews.count() == 0
    # and the address they are on can be opened again
    assert client.get(version_page(version)).status_code == 200


def test_an_old_action_address_opened_again_goes_back_to_the_version_page(client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:1])
    client.force_login(reviewers[0])
    response = client.get(reverse("admin:articles_articleversion_act", args=[version.pk, "review"]))
    assert response.status_code == 302 and response["Location"] == version_page(version)
    assert version.reviews.count() == 0


def test_the_citation_check_of_an_empty_draft_is_not_green(client, author):
    version = flows.draft(author, body="", references=[])
    client.force_login(author)
    html = client.get(reverse("workspace:version", args=[version.article.slug, 1])).content.decode()
    assert "Nothing to check yet" in html
    assert "ws-integrity-ok" not in html


def test_after_a_refused_save_the_citation_check_reads_what_is_on_screen(client, author):
    # given a saved draft whose citations all resolve
    version = flows.draft(author)
    client.force_login(author)
    # when a save is refused (a bad DOI) while the unsaved body cites [1], [2] and [7]
    data = {
        "title": version.title,
        "lead": version.lead,
        "body": "Cites [1], [2] and [7].",
        "summary": "",
        "change_note": "",
        "action": "save",
        "refs-TOTAL_FORMS": "1",
        "refs-INITIAL_FORMS": "0",
        "refs-MIN_NUM_FORMS": "0",
        "refs-MAX_NUM_FORMS": "1000",
        "refs-0-number": "1",
        "refs-0-kind": "other",
        "refs-0-title": "A source",
        "refs-0-doi": "not a doi",
    }
    response = client.post(reverse("workspace:version", args=[version.article.slug, 1]), data)
    assert response.status_code == 400
    html = response.content.decode()
    # then the check says it reads the screen, and names what the screen cites without a reference
    assert "of what is on screen (not saved)" in html
    assert "Citations with no reference: <strong>2, 7</strong>" in html
    version.refresh_from_db()
    assert version.body != "Cites [1], [2] and [7]."


def test_every_checklist_problem_shows_at_once_beside_its_checkbox(client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:1])
    client.force_login(reviewers[0])
    response = client.post(version_page(version), {"verb": "review", "decision": "approve"})
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("citations_checked", "doses_checked", "no_conflict_declared"):
        # the error list comes right before the checkbox it is about
        assert re.search(
            r'<ul class="errorlist"[^>]*>.*?</ul><p><input type="checkbox" name="' + field, html
        ), field
    assert version.reviews.count() == 0


def test_each_reference_row_names_its_own_number_and_marks_what_is_required(client, author):
    version = flows.draft(author, references=[])
    client.force_login(author)
    html = client.get(reverse("workspace:version", args=[version.article.slug, 1])).content.decode()
    assert "Cite it in the text as [1]." in html and "Cite it in the text as [2]." in html
    assert "Title (required)" in html and "Kind (required)" in html
    assert "Source (required for research and guidelines)" in html


def test_an_author_who_opens_the_admin_is_shown_the_way_to_the_workspace(client, author):
    client.force_login(author)
    response = client.get("/admin/", follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="{reverse("workspace:dashboard")}">author workspace</a>' in html
