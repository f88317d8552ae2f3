"""The board's admin: who sees which page, who may press which button, and what a press does.

Every workflow state is reached through the real services (``tests.support.flows``); every button
press goes through the admin's URL, which calls the same services.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from articles.models import VersionState
from editorial import workflow
from editorial.admin import diff
from editorial.admin import forms as board_forms
from editorial.models import AssignmentState, AuditEvent, BoardMember, Decision, Review
from tests.support import flows
from tests.support.attempts import ADMIN_POST, act_url, press_admin, snapshot
from tests.support.factories import make_user
from tests.support.permissions import ADMIN_LOGIN, ADMIN_VERBS, OK, ROLES, expected, expected_http
from tests.support.signing import signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(author, other_author, editor, reviewers):
    return {
        "anonymous": None,
        "author": author,
        "other_author": other_author,
        "reviewer": reviewers[0],  # assigned to the version under test
        "other_reviewer": reviewers[2],  # a board member, not assigned to it
        "editor": editor,
    }


def login(client, user):
    if user is not None:
        client.force_login(user)
    return client


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def version_page(version) -> str:
    return reverse("admin:articles_articleversion_change", args=[version.pk])


# Pages, per role ------------------------------------------------------------------------

# page -> expected status per role; "login" means redirected to the login page.
PAGES = {
    "index": {"reviewer": 200, "other_reviewer": 200, "editor": 200},
    "versions": {"reviewer": 200, "other_reviewer": 200, "editor": 200},
    "version": {"reviewer": 200, "other_reviewer": 404, "editor": 200},
    "assign": {"reviewer": 403, "other_reviewer": 404, "editor": 200},
    "version_add": {"reviewer": 403, "other_reviewer": 403, "editor": 403},
    "version_delete": {"reviewer": 403, "other_reviewer": 403, "editor": 403},
    "assignments": {"reviewer": 200, "other_reviewer": 200, "editor": 200},
    "reviews": {"reviewer": 200, "other_reviewer": 200, "editor": 200},
    "members": {"reviewer": 403, "other_reviewer": 403, "editor": 200},
    "articles": {"reviewer": 403, "other_reviewer": 403, "editor": 200},
    "article": {"reviewer": 403, "other_reviewer": 403, "editor": 200},
    "audit": {"reviewer": 403, "other_reviewer": 403, "editor": 200},
    "audit_event": {"reviewer": 403, "other_reviewer": 403, "editor": 200},
    "audit_add": {"reviewer": 403, "other_reviewer": 403, "editor": 403},
    "audit_delete": {"reviewer": 403, "other_reviewer": 403, "editor": 403},
    "audit_export": {"reviewer": 403, "other_reviewer": 403, "editor": 200},
    "users": {"reviewer": 403, "other_reviewer": 403, "editor": 403},
}


def page_url(name: str, version) -> str:
    event = AuditEvent.objects.filter(article=version.article).first()
    return {
        "index": reverse("admin:index"),
        "versions": reverse("admin:articles_articleversion_changelist"),
        "version": version_page(version),
        "assign": reverse("admin:articles_articleversion_assign", args=[version.pk]),
        "version_add": reverse("admin:articles_articleversion_add"),
        "version_delete": reverse("admin:articles_articleversion_delete", args=[version.pk]),
        "assignments": reverse("admin:editorial_reviewassignment_changelist"),
        "reviews": reverse("admin:editorial_review_changelist"),
        "members": reverse("admin:editorial_boardmember_changelist"),
        "articles": reverse("admin:articles_article_changelist"),
        "article": reverse("admin:articles_article_change", args=[version.article_id]),
        "audit": reverse("admin:editorial_auditevent_changelist"),
        "audit_event": reverse("admin:editorial_auditevent_change", args=[event.pk]),
        "audit_add": reverse("admin:editorial_auditevent_add"),
        "audit_delete": reverse("admin:editorial_auditevent_delete", args=[event.pk]),
        "audit_export": reverse("admin:editorial_auditevent_export", args=[version.article_id]),
        "users": reverse("admin:auth_user_changelist"),
    }[name]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(PAGES))
def test_page_access_per_role(client, people, author, editor, reviewers, page, role):
    # given a version under review, assigned to one reviewer and not the other
    version = flows.under_review(author, editor, reviewers[:2])
    login(client, people[role])
    # when the role opens the page
    response = client.get(page_url(page, version))
    # then anonymous users and authors are sent to the login page; the board as designed
    if role in ("anonymous", "author", "other_author"):
        assert is_login_redirect(response), response.status_code
    else:
        assert response.status_code == PAGES[page][role]


def test_an_author_who_logs_in_is_told_the_admin_is_not_for_them(client, author):
    client.force_login(author)
    response = client.get(reverse("admin:index"), follow=True)
    assert "not authorized to access this page" in response.content.decode()


def test_a_staff_author_still_has_no_admin(client):
    staff_author = make_user("Author", is_staff=True)
    client.force_login(staff_author)
    assert is_login_redirect(client.get(reverse("admin:index")))


def test_audit_events_cannot_be_changed_by_a_post_even_by_an_editor(client, author, editor):
    version = flows.submitted(author)
    event = AuditEvent.objects.filter(article=version.article).first()
    client.force_login(editor)
    url = reverse("admin:editorial_auditevent_change", args=[event.pk])
    response = client.post(url, {"message": "rewritten"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).message == event.message


def test_superusers_cannot_add_change_or_delete_audit_events_either(client, author):
    version = flows.submitted(author)
    event = AuditEvent.objects.filter(article=version.article).first()
    root = make_user(is_staff=True, is_superuser=True)
    client.force_login(root)
    assert client.get(reverse("admin:editorial_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:editorial_auditevent_delete", args=[event.pk])).status_code == 403
    page = client.get(reverse("admin:editorial_auditevent_change", args=[event.pk])).content.decode()
    assert 'name="_save"' not in page


# Actions, per role: the permission table (tests/support/permissions.py), button by button ------


# The admin's buttons: one per verb of the table the admin serves.
ADMIN_ACTIONS = list(ADMIN_VERBS.values())


def _stage(name, author, editor, reviewers):
    """A version in a state where ``name`` applies, with reviewers[0..1] assigned."""
    assigned = reviewers[:2]
    if name == "submit":
        return flows.draft(author)
    if name == "start_review":
        version = flows.submitted(author)
        for reviewer in assigned:
            workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
        return version
    if name in ("accept", "decline", "review", "withdraw", "reject", "withdraw_assignment"):
        return flows.under_review(author, editor, assigned)
    if name in ("approve", "request_changes"):
        version = flows.under_review(author, editor, assigned)
        for reviewer in assigned:
            flows.review(version, reviewer)
        return version
    if name == "publish":
        return flows.approved(author, editor, assigned)
    if name == "retract":
        return flows.published(author, editor, assigned)
    if name == "assign":
        return flows.under_review(author, editor, assigned[:1])
    if name == "annotate":
        return flows.under_review(author, editor, assigned)
    if name in ("reply", "resolve"):
        version = flows.under_review(author, editor, assigned)
        flows.annotate(version, reviewers[0], exact="The answer first.")
        return version
    raise AssertionError(f"{name!r}: no state staged for it")


def _press(client, name, version, reviewers):
    """Press the button: ``assign`` invites reviewers[1]; ``withdraw_assignment`` withdraws theirs."""
    assignment = version.assignments.filter(reviewer=reviewers[1]).first()
    return press_admin(client, name, version, newcomer=reviewers[1], assignment=assignment)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ADMIN_ACTIONS)
def test_action_allowed_or_refused_per_role(client, people, author, editor, reviewers, action, role):
    # given a version in a state where the action applies
    version = _stage(action, author, editor, reviewers)
    assert OK in {expected(action, someone, version.state) for someone in ROLES}, version.state
    status, outcome = expected_http(f"admin_{action}", role, version.state)
    before = snapshot(version.pk)
    login(client, people[role])
    # when the role presses the button (or posts the form)
    response = _press(client, action, version, reviewers)
    after = snapshot(version.pk)
    assert response.status_code == status, f"{role} {action}: {response.status_code}, the table says {status}"
    if outcome == OK:
        # then a role the table allows gets it done, recorded in the audit trail
        assert response["Location"].split("#")[0] == version_page(
            version
        )  # an annotation's own: #annotation-N
        assert after != before and after[1] > before[1]
    else:
        # then everyone else is refused, and nothing was written
        assert after == before
        if outcome == ADMIN_LOGIN:
            assert is_login_redirect(response)
        elif status in (403, 409):
            assert messages_of(response), "a refusal says why"


@pytest.mark.parametrize("verb", ["start_review", "approve", "publish"])
def test_get_never_acts(client, editor, author, reviewers, verb):
    version = _stage(verb, author, editor, reviewers)
    client.force_login(editor)
    response = client.get(act_url(version, verb))
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:articles_articleversion_change", args=[version.pk]
    )
    assert snapshot(version.pk)[0] == version.state


def test_an_unknown_verb_is_a_404(client, editor, author):
    version = flows.submitted(author)
    client.force_login(editor)
    assert client.post(act_url(version, "delete")).status_code == 404


# Buttons appear only when they can be used -----------------------------------------------


def _buttons(html: str) -> set[str]:
    found = set(re.findall(r'<input type="hidden" name="verb" value="([a-z_]+)">', html))
    if "/assign/" in html:
        found.add("assign")
    return found


@pytest.mark.parametrize(
    "stage, role, expected",
    [
        ("submitted_unassigned", "editor", {"assign", "withdraw"}),
        ("start_review", "editor", {"assign", "start_review", "withdraw"}),
        ("start_review", "reviewer", {"accept", "decline"}),
        ("review", "editor", {"assign", "request_changes", "reject", "withdraw"}),
        ("review", "reviewer", {"accept", "decline", "review"}),
        ("approve", "editor", {"assign", "approve", "request_changes", "reject", "withdraw"}),
        ("approve", "reviewer", set()),
        ("publish", "editor", {"publish"}),
        ("publish", "reviewer", set()),
        ("retract", "editor", {"retract"}),
    ],
)
def test_buttons_are_offered_only_when_usable(
    client, people, author, editor, reviewers, stage, role, expected
):
    if stage == "submitted_unassigned":
        version = flows.submitted(author)
    else:
        version = _stage(stage, author, editor, reviewers)
    client.force_login(people[role])
    html = client.get(version_page(version)).content.decode()
    assert _buttons(html) == expected


def test_approval_blockers_are_shown_instead_of_the_button(client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    flows.review(version, reviewers[0])
    client.force_login(editor)
    html = client.get(version_page(version)).content.decode()
    assert "approve" not in _buttons(html)
    assert "Approval is blocked" in html and "2 board approvals are needed, 1 recorded" in html


def test_an_editor_who_wrote_the_version_gets_no_decision_buttons(client, editor, reviewers):
    # given an editor who is also an author, and their own version with two approvals
    writer = make_user("Editor")
    writer.groups.add(*make_user("Author").groups.all())
    writer = type(writer).objects.get(pk=writer.pk)
    version = flows.under_review(writer, editor, reviewers[:2])
    for reviewer in reviewers[:2]:
        flows.review(version, reviewer)
    client.force_login(writer)
    # then no decision is offered, and pressing approve anyway is refused
    html = client.get(version_page(version)).content.decode()
    assert not {"approve", "request_changes", "reject"} & _buttons(html)
    response = client.post(act_url(version, "approve"), {})
    assert response.status_code == 403
    assert "someone else must decide" in " ".join(messages_of(response))
    assert snapshot(version.pk)[0] == VersionState.UNDER_REVIEW


# Decisions that need words ----------------------------------------------------------------


def test_request_changes_without_a_comment_is_refused_and_nothing_changes(client, author, editor, reviewers):
    version = _stage("request_changes", author, editor, reviewers)
    before = snapshot(version.pk)
    client.force_login(editor)
    response = client.post(act_url(version, "request_changes"), {"request_changes-message": "  "})
    assert response.status_code == 400
    assert "the author reads this comment" in " ".join(messages_of(response))
    assert snapshot(version.pk) == before


def test_approving_without_the_checklist_is_refused_and_the_words_are_kept(client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    client.force_login(reviewers[0])
    data = {
        "decision": Decision.APPROVE,
        "no_conflict_declared": "on",
        "confidential_comment": "My private note to the editors.",
    }
    response = client.post(act_url(version, "review"), data)
    assert response.status_code == 400
    assert "check the citations against their sources and the doses" in " ".join(messages_of(response))
    assert "My private note to the editors." in response.content.decode()  # the form kept it
    assert not Review.objects.filter(version=version).exists()


def test_a_review_records_the_checklist_and_the_confidential_comment(client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    client.force_login(reviewers[0])
    data = {**ADMIN_POST["review"], "confidential_comment": "For the editors."}
    assert client.post(act_url(version, "review"), data).status_code == 302
    review = Review.objects.get(version=version, reviewer=reviewers[0])
    assert (review.decision, review.citations_checked, review.doses_checked) == (Decision.APPROVE, True, True)
    assert review.confidential_comment == "For the editors."
    assert AuditEvent.objects.filter(version=version, action="editorial.review.recorded").count() == 1


def test_a_declared_conflict_cannot_approve(client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    client.force_login(reviewers[0])
    data = {**ADMIN_POST["review"], "no_conflict_declared": "", "conflict_statement": "I advise the maker."}
    response = client.post(act_url(version, "review"), data)
    assert response.status_code == 400
    assert "conflict of interest cannot approve" in " ".join(messages_of(response))


def test_reviewers_see_confidential_comments_only_of_their_own(client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    workflow.review_record(
        assignment=version.assignments.get(reviewer=reviewers[1]),
        actor=reviewers[1],
        decision=Decision.APPROVE,
        confidential_comment="SECRET-FOR-EDITORS",
        no_conflict_declared=True,
        citations_checked=True,
        doses_checked=True,
        signing=signed(reviewers[1], "review"),
    )
    client.force_login(reviewers[0])
    html = client.get(version_page(version)).content.decode()
    assert "SECRET-FOR-EDITORS" not in html
    assert "you will see it once yours is in" in html  # others' decisions wait until theirs is in
    flows.review(version, reviewers[0])
    html = client.get(version_page(version)).content.decode()
    assert "SECRET-FOR-EDITORS" not in html and "Approve" in html
    client.force_login(editor)
    assert "SECRET-FOR-EDITORS" in client.get(version_page(version)).content.decode()


# Reading a version ------------------------------------------------------------------------


def test_the_version_page_shows_the_body_as_readers_see_it_with_findings(client, author, editor, reviewers):
    body = "Start low [1]. Taper slowly [3]."
    version = flows.submitted(author, body=body)  # reference 3 does not exist; 2 is never cited
    client.force_login(editor)
    html = client.get(version_page(version)).content.decode()
    assert 'href="#ref-1"' in html and 'id="ref-1"' in html and "A prescribing information" in html
    assert 'class="citation-unresolved"' in html
    assert re.search(r'id="finding-unresolved".*?3', html, re.S)
    assert re.search(r'id="finding-uncited".*?2', html, re.S)
    assert "first version of the article" in html


def test_the_diff_shows_what_changed_escaped(client, author, editor, reviewers):
    # given version 2 of a published article, with a changed body and a new reference
    first = flows.published(author, editor, reviewers[:2])
    second = workflow.version_create_next(article=first.article, author=author)
    refs = [*flows.REFERENCES, {"number": 3, "kind": "review", "title": "A <b>systematic</b> review"}]
    workflow.version_edit_draft(
        version=second,
        actor=author,
        body=flows.CLEAN_BODY + " <script>alert(1)</script> Taper [3].",
        references=refs,
    )
    second = workflow.version_submit(version=second, actor=author)
    client.force_login(editor)
    html = client.get(version_page(second)).content.decode()
    # then body and references are diffed side by side, every word escaped
    assert "What changed since version 1" in html
    assert "<ins>" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "A &lt;b&gt;systematic&lt;/b&gt; review" in html
    assert "Unchanged: Title, Lead answer, Plain-language summary." in html


def test_side_by_side_marks_changed_words_and_folds_unchanged_lines():
    old = "\n".join(f"line {n}" for n in range(1, 11))
    new = old.replace("line 5", "line five")
    rows = diff.side_by_side(old, new)
    kinds = [row.kind for row in rows]
    assert kinds[0] == "skip" and kinds[-1] == "skip" and "replace" in kinds
    changed = next(row for row in rows if row.kind == "replace")
    assert str(changed.left) == "line <del>5</del>" and str(changed.right) == "line <ins>five</ins>"
    assert diff.side_by_side("same", "same") == []


def test_the_version_audit_trail_is_on_the_page(client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    client.force_login(reviewers[0])
    html = client.get(version_page(version)).content.decode()
    for label in ("Submitted for review", "Review started", "Assignment created"):
        assert label in html


# Assigning reviewers --------------------------------------------------------------------


def test_assign_page_searches_by_specialty_never_offers_the_author_and_shows_load(client, author, editor):
    # given board members of two specialties, one of them with open work, and an author on the board
    neuro = make_user("Reviewer", first_name="Tomas", last_name="Lindqvist")
    BoardMember.objects.filter(user=neuro).update(specialty="Neurology")
    hepato = make_user("Reviewer", first_name="Priya", last_name="Raman")
    BoardMember.objects.filter(user=hepato).update(specialty="Hepatology")
    writer = make_user("Reviewer", first_name="Writing", last_name="Member")
    writer.groups.add(*make_user("Author").groups.all())
    writer = type(writer).objects.get(pk=writer.pk)
    busy = flows.submitted(author, slug="busy")
    workflow.assignment_create(version=busy, reviewer=neuro, actor=editor)
    version = flows.submitted(writer, slug="mine")
    client.force_login(editor)
    url = reverse("admin:articles_articleversion_assign", args=[version.pk])
    # when the editor searches
    html = client.get(url, {"q": "neuro"}).content.decode()
    assert "Lindqvist" in html and "Raman" not in html
    assert re.search(r"Neurology</td>\s*<td class=\"load load-some\">1</td>", html)
    html = client.get(url).content.decode()
    assert "Raman" in html and "Writing Member" not in html  # the author is never offered
    # and the default due dates follow the policy
    response_due, review_due = board_forms.default_due_dates()
    assert response_due.isoformat() in html and review_due.isoformat() in html


def test_several_reviewers_are_assigned_at_once_with_the_chosen_dates(client, author, editor, reviewers):
    version = flows.submitted(author)
    client.force_login(editor)
    due = timezone.localdate() + timedelta(days=20)
    data = {
        "reviewers": [r.pk for r in reviewers],
        "response_due": timezone.localdate() + timedelta(days=2),
        "review_due": due,
    }
    response = client.post(reverse("admin:articles_articleversion_assign", args=[version.pk]), data)
    assert response.status_code == 302
    assignments = list(version.assignments.all())
    assert len(assignments) == 3
    assert {timezone.localtime(a.review_due).date() for a in assignments} == {due}


def test_assigning_several_is_all_or_nothing(client, author, editor, reviewers):
    # given reviewer 2 assigned by someone else after the editor opened the page
    version = flows.submitted(author)
    client.force_login(editor)
    url = reverse("admin:articles_articleversion_assign", args=[version.pk])
    client.get(url)
    workflow.assignment_create(version=version, reviewer=reviewers[1], actor=editor)
    today = timezone.localdate()
    data = {
        "reviewers": [reviewers[0].pk, reviewers[2].pk],
        "response_due": today + timedelta(days=3),
        "review_due": today + timedelta(days=14),
    }
    # when the editor assigns reviewers 1 and 2, and 2's slot fails (the author, say)
    data["reviewers"].append(reviewers[1].pk)
    response = client.post(url, data)
    # then the offer was stale: the form refuses the already assigned member, nothing is written
    assert response.status_code == 400
    assert version.assignments.count() == 1


def test_assign_refuses_past_dates(client, author, editor, reviewers):
    version = flows.submitted(author)
    client.force_login(editor)
    yesterday = timezone.localdate() - timedelta(days=1)
    data = {"reviewers": [reviewers[0].pk], "response_due": yesterday, "review_due": yesterday}
    response = client.post(reverse("admin:articles_articleversion_assign", args=[version.pk]), data)
    assert response.status_code == 400 and "cannot be due in the past" in response.content.decode()
    assert not version.assignments.exists()


def test_assign_rolls_back_every_assignment_when_one_is_refused(
    client, author, editor, reviewers, monkeypatch
):
    version = flows.submitted(author)
    client.force_login(editor)
    real = workflow.assignment_create
    calls = []

    def second_one_fails(**kwargs):
        calls.append(kwargs["reviewer"].pk)
        if len(calls) == 2:
            raise workflow.ConcurrentChange("Someone else assigned this member at the same moment.")
        return real(**kwargs)

    monkeypatch.setattr(workflow, "assignment_create", second_one_fails)
    today = timezone.localdate()
    data = {
        "reviewers": [reviewers[0].pk, reviewers[1].pk],
        "response_due": today + timedelta(days=3),
        "review_due": today + timedelta(days=14),
    }
    response = client.post(reverse("admin:articles_articleversion_assign", args=[version.pk]), data)
    assert response.status_code == 409
    assert "Nobody was assigned" in " ".join(messages_of(response))
    assert not version.assignments.exists()
    assert not AuditEvent.objects.filter(action="editorial.assignment.created").exists()


def test_assign_page_refuses_a_decided_version(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    client.force_login(editor)
    response = client.get(reverse("admin:articles_articleversion_assign", args=[version.pk]), follow=True)
    assert "reviewers are assigned only to submitted versions" in " ".join(messages_of(response))


# Assignment admin actions --------------------------------------------------------------


def test_bulk_accept_is_all_or_nothing(client, author, editor, reviewers):
    first = flows.under_review(author, editor, reviewers[:1], slug="one")
    second = flows.under_review(author, editor, reviewers[:1], slug="two")
    workflow.assignment_accept(assignment=second.assignments.get(), actor=reviewers[0])
    client.force_login(reviewers[0])
    ids = [first.assignments.get().pk, second.assignments.get().pk]
    response = client.post(
        reverse("admin:editorial_reviewassignment_changelist"),
        {"action": "accept_selected", "_selected_action": ids},
        follow=True,
    )
    assert "Nothing was changed" in " ".join(messages_of(response))
    assert first.assignments.get().state == AssignmentState.INVITED


def test_editors_cannot_accept_for_a_reviewer_in_bulk(client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:1])
    client.force_login(editor)
    response = client.post(
        reverse("admin:editorial_reviewassignment_changelist"),
        {"action": "accept_selected", "_selected_action": [version.assignments.get().pk]},
        follow=True,
    )
    assert version.assignments.get().state == AssignmentState.INVITED
    assert "No action selected" in response.content.decode() or messages_of(response)


def test_reviewers_see_only_their_own_assignments_and_reviews(client, author, editor, reviewers):
    mine = flows.under_review(author, editor, reviewers[:2], slug="shared")
    flows.under_review(author, editor, reviewers[1:2], slug="not-mine")
    flows.review(mine, reviewers[1])
    client.force_login(reviewers[0])
    html = client.get(reverse("admin:articles_articleversion_changelist")).content.decode()
    assert "shared v1" in html and "not-mine" not in html
    listed = client.get(reverse("admin:editorial_reviewassignment_changelist")).context["cl"].result_list
    assert [a.version_id for a in listed] == [mine.pk]
    listed = client.get(reverse("admin:editorial_review_changelist")).context["cl"].result_list
    assert list(listed) == []  # reviewer 1's review is not theirs


# The dashboard ----------------------------------------------------------------------------


def _panel(html: str, key: str) -> str:
    match = re.search(rf'<div class="board-panel panel-{key}" id="panel-{key}">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


def _count(html: str, key: str) -> int | None:
    match = re.search(r'data-count="(\d+)"', _panel(html, key))
    return int(match.group(1)) if match else None


def test_dashboard_for_a_reviewer(client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    flows.under_review(author, editor, reviewers[1:2], slug="other")
    client.force_login(reviewers[0])
    html = client.get(reverse("admin:index")).content.decode()
    assert _count(html, "mine") == 1 and version_page(version) in _panel(html, "mine")
    assert _count(html, "overdue") == 0
    assert _count(html, "decision") is None and _count(html, "re_review") is None
    queue = client.get(reverse("admin:articles_articleversion_changelist") + "?queue=mine").content.decode()
    assert "an-article v1" in queue and "other v1" not in queue


def test_dashboard_for_an_editor(client, author, editor, reviewers, time_machine):
    # given: one submitted version, one under review with quorum, one under review still open
    flows.submitted(author, slug="fresh")
    ready = flows.under_review(author, editor, reviewers[:2], slug="ready")
    for reviewer in reviewers[:2]:
        flows.review(ready, reviewer)
    flows.under_review(author, editor, reviewers[:1], slug="waiting")
    client.force_login(editor)
    html = client.get(reverse("admin:index")).content.decode()
    decision = _panel(html, "decision")
    assert _count(html, "decision") == 2 and "fresh v1" in decision and "ready v1" in decision
    assert "2 of 2 approvals" in decision and "waiting" not in decision
    assert _count(html, "overdue") == 0
    # when the review deadline passes, the open assignment is overdue for the editor
    time_machine.move_to(timezone.now() + timedelta(days=30))
    client.force_login(editor)  # the old session has expired by then
    html = client.get(reverse("admin:index")).content.decode()
    assert _count(html, "overdue") == 1 and "waiting v1" in _panel(html, "overdue")
    queue = client.get(
        reverse("admin:articles_articleversion_changelist") + "?queue=overdue"
    ).content.decode()
    assert "waiting v1" in queue and "ready v1" not in queue


def test_dashboard_shows_articles_due_for_re_review(
    client, author, editor, reviewers, time_machine, settings
):
    settings.EDITORIAL = {**settings.EDITORIAL, "RE_REVIEW_MONTHS": 12}
    version = flows.published(author, editor, reviewers[:2])
    client.force_login(editor)
    assert _count(client.get(reverse("admin:index")).content.decode(), "re_review") == 0
    time_machine.move_to(timezone.now() + timedelta(days=340))  # due in ~25 days
    client.force_login(editor)  # the old session has expired by then
    html = client.get(reverse("admin:index")).content.decode()
    assert _count(html, "re_review") == 1 and version.title in _panel(html, "re_review")
    listed = client.get(reverse("admin:articles_article_changelist") + "?re_review=due").content.decode()
    assert version.article.slug in listed


# The audit trail --------------------------------------------------------------------------


def test_audit_trail_filters_by_article_action_actor_and_date(client, author, editor, reviewers):
    first = flows.under_review(author, editor, reviewers[:2], slug="first")
    flows.submitted(author, slug="second")
    client.force_login(editor)
    url = reverse("admin:editorial_auditevent_changelist")
    listed = client.get(url, {"article__id__exact": first.article_id}).context["cl"].result_list
    assert {event.article_id for event in listed} == {first.article_id}
    listed = client.get(url, {"action": "editorial.version.review_started"}).context["cl"].result_list
    assert [event.action for event in listed] == ["editorial.version.review_started"]
    response = client.get(url, {"actor__id__exact": reviewers[0].pk})
    assert response.context["cl"].result_count == 0
    response = client.get(url, {"actor__id__exact": editor.pk})
    assert response.context["cl"].result_count == 3  # two assignments and the start of review
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    response = client.get(
        url, {"created_at__gte": str(midnight), "created_at__lt": str(midnight + timedelta(days=1))}
    )
    assert response.context["cl"].result_count == AuditEvent.objects.count()


def _listed(client, **params) -> list[AuditEvent]:
    return list(
        client.get(reverse("admin:editorial_auditevent_changelist"), params).context["cl"].result_list
    )


def test_audit_search_goes_by_article_person_action_and_day(client, author, editor, reviewers):
    first = flows.under_review(author, editor, reviewers[:2], slug="first")
    second = flows.submitted(author, slug="second")
    BoardMember.objects.filter(user=editor).update(display_name="Dr Imaginary Editor")
    client.force_login(editor)
    # an article, by slug or by a word of its title; newest first
    by_slug = _listed(client, q="first")
    assert by_slug and {e.article_id for e in by_slug} == {first.article_id}
    assert [e.seq for e in by_slug] == sorted((e.seq for e in by_slug), reverse=True)
    assert {e.article_id for e in _listed(client, q="this a question")} == {
        first.article_id,
        second.article_id,
    }
    # a person, by board name or user name
    by_person = _listed(client, q="imaginary")
    assert by_person and {e.actor_id for e in by_person} == {editor.pk}
    assert {e.actor_id for e in _listed(client, q=reviewers[0].username)} <= {reviewers[0].pk}
    # an action, by its label
    assert {e.action for e in _listed(client, q="review started")} == {"editorial.version.review_started"}
    # a day, alone or with a name
    today = timezone.localdate().isoformat()
    assert len(_listed(client, q=today)) == AuditEvent.objects.count()
    assert {e.article_id for e in _listed(client, q=f"second {today}")} == {second.article_id}
    assert _listed(client, q="2001-01-01") == []
    # the messages are not searched, and a name that matches nothing finds nothing
    assert _listed(client, q="zzz-nothing") == []
    response = client.get(reverse("admin:editorial_auditevent_changelist"), {"q": "2026-02-30"})
    assert response.status_code == 200 and list(response.context["cl"].result_list) == []
    assert messages_of(response) == ["Not a date: 2026-02-30 (write it as YYYY-MM-DD)."]


def test_audit_list_never_counts_the_whole_table(client, author, editor, reviewers, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from editorial.admin.audit import CappedPaginator

    flows.under_review(author, editor, reviewers[:2])
    total = AuditEvent.objects.count()
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    client.force_login(editor)
    url = reverse("admin:editorial_auditevent_changelist")
    with CaptureQueriesContext(connection) as queries:  # facet counts asked for, and not given
        html = client.get(url, {"q": "an-article", "_facets": "True"}).content.decode()
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 4" in sql for sql in counts), counts
    assert "the newest 3 of more matching events" in html and "more than 3 results" in html
    monkeypatch.setattr(CappedPaginator, "cap", total)
    html = client.get(url, {"q": "an-article"}).content.decode()
    assert f"{total} audit events" in html and "of more matching" not in html


def test_audit_list_filters_read_no_table_wide_values(client, author, editor, reviewers):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    version = flows.under_review(author, editor, reviewers[:2])
    client.force_login(editor)
    url = reverse("admin:editorial_auditevent_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"article__id__exact": version.article_id, "actor__id__exact": editor.pk})
    assert response.status_code == 200
    assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"].upper()]
    html = response.content.decode()
    assert version.article.slug in html and "Review started" in html
    assert client.get(url, {"article__id__exact": "x"}).context["cl"].result_count == 0


def _verify_button(html: str, article_id: int) -> bool:
    return reverse("admin:articles_article_verify_chain", args=[article_id]) in html


def test_chain_checkpoint_is_shown_and_verify_now_advances_it(client, author, editor, reviewers):
    # given a published article whose chain no run has verified yet
    version = flows.published(author, editor, reviewers[:2])
    article_id = version.article_id
    count = AuditEvent.objects.filter(article=version.article).count()
    client.force_login(editor)
    articles = reverse("admin:articles_article_changelist")
    trail = reverse("admin:editorial_auditevent_changelist")
    html = client.get(articles).content.decode()
    assert f"not verified yet ({count} events)" in html and _verify_button(html, article_id)
    # when the editor presses Verify now on the article list
    response = client.post(
        reverse("admin:articles_article_verify_chain", args=[article_id]),
        HTTP_REFERER=f"http://testserver{articles}",
    )
    assert response.status_code == 302 and response["Location"] == f"http://testserver{articles}"
    assert messages_of(client.get(articles)) == [
        f"Audit chain of {version.article.slug}: {count} new events verified, up to event {count}."
    ]
    # then both lists show the checkpoint at the head, with nothing left to verify
    html = client.get(articles).content.decode()
    assert f"verified up to event {count} at " in html and not _verify_button(html, article_id)
    html = client.get(trail, {"article__id__exact": article_id}).content.decode()
    assert f"audit chain verified up to event {count} at " in html and "not checked yet" not in html
    # and events appended later are counted as not checked yet, until the next verification
    workflow.version_retract(
        version=version,
        actor=editor,
        reason="A newer guideline contradicts it.",
        signing=signed(editor, "retract"),
    )
    newer = AuditEvent.objects.filter(article=version.article).count() - count
    html = client.get(trail, {"article__id__exact": article_id}).content.decode()
    assert f"; {newer} newer event{'s' if newer > 1 else ''} not checked yet" in html
    assert _verify_button(html, article_id)
    client.post(
        reverse("admin:articles_article_verify_chain", args=[article_id]),
        HTTP_REFERER="https://evil.example/",
    )
    html = client.get(articles).content.decode()
    assert f"verified up to event {count + newer} at " in html


def test_verify_now_is_a_post_for_editors(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    url = reverse("admin:articles_article_verify_chain", args=[version.article_id])
    client.force_login(reviewers[0])
    assert client.post(url).status_code == 403
    client.force_login(editor)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:articles_article_changelist"
    )
    assert not version.article.__class__.objects.filter(
        pk=version.article_id, audit_checkpoint__seq__gt=0
    ).exists()
    assert client.post(reverse("admin:articles_article_verify_chain", args=[999999])).status_code == 404


def test_chain_status_names_the_broken_event(client, on_postgres, author, editor, reviewers):
    from django.db import connection

    version = flows.published(author, editor, reviewers[:2])
    target = AuditEvent.objects.get(article=version.article, seq=4)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE editorial_auditevent SET message = 'edited' WHERE id = %s", [target.pk])
        cursor.execute("SET session_replication_role = DEFAULT")
    client.force_login(editor)
    url = reverse("admin:articles_article_verify_chain", args=[version.article_id])
    messages = messages_of(client.post(url, follow=True))
    assert messages == [
        f"Audit chain of {version.article.slug} is broken at event 4: its content does not match its hash. "
        "Verified up to event 3. The editors have been emailed."
    ]
    html = client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "broken at event 4: its content does not match its hash" in html
    assert not _verify_button(html, version.article_id)
    html = client.get(
        reverse("admin:editorial_auditevent_changelist"), {"article__id__exact": version.article_id}
    ).content.decode()
    assert "broken at event 4" in html
    # the dashboard names it for editors (the panel appears only when a chain is broken)
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert _count(dashboard, "broken_chains") == 1
    assert f"{version.article.slug}: broken at event 4" in _panel(dashboard, "broken_chains")
    # a second press does not alert again
    messages = messages_of(client.post(url, follow=True))
    assert messages[0].endswith("Verified up to event 3.")
    client.force_login(reviewers[0])
    assert _count(client.get(reverse("admin:index")).content.decode(), "broken_chains") is None


def test_dashboard_tells_editors_when_beat_or_the_mail_falls_behind(
    client, author, editor, reviewers, settings
):
    from editorial import operations
    from editorial.models import Notification, PeriodicJob

    settings.EDITORIAL = {**settings.EDITORIAL, "SWEEP_MINUTES": 5, "OUTBOX_WARN_MINUTES": 30}
    flows.under_review(author, editor, reviewers[:1])  # an invitation in the outbox
    Notification.objects.update(sent_at=timezone.now())
    client.force_login(editor)
    # nothing has run yet: both jobs need a look
    panel = _panel(client.get(reverse("admin:index")).content.decode(), "operations")
    assert "Needs a look:</strong> Reminder sweep: has not run yet" in panel
    assert "Needs a look:</strong> Audit chain verification: has not run yet" in panel
    assert "Outbox: no email has waited more than 30 min" in panel
    # both ran just now: nothing needs a look
    operations.note_run(PeriodicJob.REMINDER_SWEEP)
    operations.note_run(PeriodicJob.AUDIT_VERIFICATION)
    html = client.get(reverse("admin:index")).content.decode()
    assert _count(html, "operations") == 0 and "Needs a look" not in _panel(html, "operations")
    assert "Reminder sweep: last finished less than a minute ago" in _panel(html, "operations")
    # the sweep stops, and an email waits unsent for 45 minutes
    operations.note_run(PeriodicJob.REMINDER_SWEEP, now=timezone.now() - timedelta(minutes=12))
    Notification.objects.update(sent_at=None, created_at=timezone.now() - timedelta(minutes=45))
    html = client.get(reverse("admin:index")).content.decode()
    panel = _panel(html, "operations")
    assert _count(html, "operations") == 2
    assert "Reminder sweep: last finished 12 min ago, stale (it runs every 5 min)" in panel
    assert "Outbox: 1 email has waited more than 30 min (the oldest since" in panel
    outbox = client.get(reverse("admin:editorial_notification_changelist"), {"delivery": "late"})
    assert outbox.context["cl"].result_count == 1
    # reviewers do not see the panel, nor the outbox
    client.force_login(reviewers[0])
    assert _count(client.get(reverse("admin:index")).content.decode(), "operations") is None
    assert client.get(reverse("admin:editorial_notification_changelist")).status_code == 403


def test_dashboard_has_no_broken_chain_panel_when_none_is_broken(client, author, editor, reviewers):
    flows.published(author, editor, reviewers[:2])
    client.force_login(editor)
    client.post(reverse("admin:articles_article_verify_chain", args=[AuditEvent.objects.first().article_id]))
    assert _count(client.get(reverse("admin:index")).content.decode(), "broken_chains") is None


def test_exported_trail_verifies_offline_and_tampering_is_named(client, author, editor, reviewers, tmp_path):
    # given an article's trail exported from the admin
    version = flows.published(author, editor, reviewers[:2])
    client.force_login(editor)
    response = client.get(reverse("admin:editorial_auditevent_export", args=[version.article_id]))
    assert response["Content-Disposition"] == f'attachment; filename="audit-{version.article.slug}.json"'
    document = json.loads(response.content)
    count = AuditEvent.objects.filter(article=version.article).count()
    assert document["count"] == count and len(document["events"]) == count
    path = tmp_path / "trail.json"
    path.write_text(response.content.decode())
    # when verify_audit checks the file
    out = _verify_file(path)
    assert f"{count} events in 1 chains checked: OK" in out
    # then a changed message in the file is named
    document["events"][2]["message"] = "Nothing happened here."
    path.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="BROKEN at event 3 .*its content does not match its hash"):
        _verify_file(path)
    # and so is a removed event
    document = json.loads(response.content)
    del document["events"][4]
    document["count"] -= 1
    path.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="BROKEN at event 6 .*expected event 5, found 6"):
        _verify_file(path)


def test_verify_file_refuses_what_is_not_a_trail(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(CommandError, match="not a readable audit trail"):
        _verify_file(path)
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not a readable audit trail"):
        _verify_file(path)
    with pytest.raises(CommandError, match="Cannot read"):
        _verify_file(tmp_path / "missing.json")


def _verify_file(path) -> str:
    import io

    out = io.StringIO()
    call_command("verify_audit", "--file", str(path), stdout=out)
    return out.getvalue()


# Query budgets: flat as rows grow ---------------------------------------------------------


def _many(author, editor, reviewers, n: int) -> None:
    for i in range(n):
        if i % 2:  # a published one has a live version to list
            flows.published(author, editor, reviewers[:2], slug=f"article-{i}")
            continue
        version = flows.under_review(author, editor, reviewers[:2], slug=f"article-{i}")
        flows.review(version, reviewers[0])


CHANGELISTS = [  # each budget is what the page takes today: one more query per row fails it
    # 12, the five figures (one query each: editorial/board_figures.py), and the reader reports waiting
    ("editor", "admin:index", 18),
    ("reviewer", "admin:index", 8),
    ("editor", "admin:articles_articleversion_changelist", 7),
    ("reviewer", "admin:articles_articleversion_changelist", 7),
    ("editor", "admin:articles_articleversion_changelist?queue=decision", 7),
    ("editor", "admin:editorial_reviewassignment_changelist", 7),
    ("reviewer", "admin:editorial_reviewassignment_changelist", 7),
    ("editor", "admin:editorial_review_changelist", 7),
    ("editor", "admin:editorial_boardmember_changelist", 7),
    ("editor", "admin:articles_article_changelist", 9),
    ("editor", "admin:editorial_auditevent_changelist", 10),
]


@pytest.mark.parametrize("rows", [1, 6])
@pytest.mark.parametrize("role, name, budget", CHANGELISTS)
def test_changelist_query_budget_is_flat(
    client, django_assert_max_num_queries, author, editor, reviewers, rows, role, name, budget
):
    _many(author, editor, reviewers, rows)
    client.force_login(editor if role == "editor" else reviewers[0])
    route, _, query = name.partition("?")
    url = reverse(route) + (f"?{query}" if query else "")
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("reviewer_count", [1, 3])
def test_version_page_query_budget_is_flat(
    client, django_assert_max_num_queries, author, editor, reviewers, reviewer_count
):
    first = flows.published(author, editor, reviewers[:2])
    second = workflow.version_create_next(article=first.article, author=author)
    second = workflow.version_submit(version=second, actor=author)
    for reviewer in reviewers[:reviewer_count]:
        workflow.assignment_create(version=second, reviewer=reviewer, actor=editor)
    workflow.version_start_review(version=second, actor=editor)
    for reviewer in reviewers[:reviewer_count]:
        flows.review(second, reviewer)
    client.force_login(editor)
    # 13, one for the annotations beside the passages (their threads: one more, when any), and
    # one for whether the signer has a second factor (the signing forms ask for its code)
    with django_assert_max_num_queries(15):
        assert client.get(version_page(second)).status_code == 200


def test_the_demo_board_can_open_every_admin_page(client):
    # given the demo: version 1 with changes requested, version 2 published
    import io

    from django.contrib.auth import get_user_model

    from articles.models import Article, ArticleVersion

    call_command("load_demo", stdout=io.StringIO())
    users = get_user_model().objects
    article = Article.objects.get(slug="baclofen-muscle-cramping")
    for username in ("helen.brandt", "priya.raman"):
        client.force_login(users.get(username=username))
        assert client.get(reverse("admin:index")).status_code == 200
        versions = ArticleVersion.objects.filter(article=article)
        if username == "priya.raman":
            versions = versions.filter(assignments__reviewer__username=username)
        assert versions
        for version in versions:
            html = client.get(version_page(version)).content.decode()
            assert version.title in html
        if username == "helen.brandt":
            v1 = article.versions.get(number=1)
            assert "Unresolved citations" in client.get(version_page(v1)).content.decode()
            v2 = article.versions.get(number=2)
            assert "What changed since version 1" in client.get(version_page(v2)).content.decode()
            assert "verified" in client.get(reverse("admin:articles_article_changelist")).content.decode()


def test_an_editor_can_read_a_draft_with_its_live_findings(client, author, editor):
    version = flows.draft(author, body="Unsourced claim [7].")
    client.force_login(editor)
    html = client.get(version_page(version)).content.decode()
    assert "Unresolved citations" in html
    assert _buttons(html) == {"withdraw"}  # an editor may withdraw a draft; nothing else applies
