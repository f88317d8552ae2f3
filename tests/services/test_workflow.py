import pytest
from django.contrib.auth.models import AnonymousUser

from articles.models import Reference, VersionFrozen, VersionState
from editorial import annotations, workflow
from editorial.errors import ApprovalBlocked, InvalidInput, NotPermitted, TransitionRefused
from editorial.models import AssignmentState, AuditEvent, Decision
from tests.support import flows
from tests.support.attempts import snapshot, through_service
from tests.support.factories import make_user
from tests.support.permissions import OK, REFUSED, ROLES, SERVICE_VERBS, STATES, VERSION_VERBS, expected
from tests.support.signing import signed

pytestmark = pytest.mark.django_db


# The permission table (tests/support/permissions.py), through the services, from fresh data --


@pytest.fixture
def people(author, other_author, editor, reviewers):
    return {
        "anonymous": AnonymousUser(),
        "author": author,
        "other_author": other_author,
        "reviewer": reviewers[0],
        "other_reviewer": reviewers[2],
        "editor": editor,
    }


def prepare(verb, people):
    """Put a version in a state where ``verb`` applies, through the services."""
    author, editor, reviewers = people["author"], people["editor"], [people["reviewer"]]
    second = make_user("Reviewer", username="second-reviewer")
    if verb in ("submit", "edit_draft"):
        return flows.draft(author)
    if verb in ("assign", "withdraw"):
        return flows.submitted(author)
    if verb == "start_review":
        version = flows.submitted(author)
        workflow.assignment_create(version=version, reviewer=second, actor=editor)
        return version
    if verb in ("accept", "decline", "withdraw_assignment"):
        version = flows.submitted(author)
        workflow.assignment_create(version=version, reviewer=reviewers[0], actor=editor)
        return version
    if verb in ("review", "request_changes", "reject"):
        return flows.under_review(author, editor, [reviewers[0], second])
    if verb == "approve":
        version = flows.under_review(author, editor, [reviewers[0], second])
        flows.review(version, reviewers[0])
        flows.review(version, second)
        return version
    if verb == "publish":
        return flows.approved(author, editor, [reviewers[0], second])
    if verb in ("retract", "next_version"):
        return flows.published(author, editor, [reviewers[0], second])
    if verb == "annotate":
        return flows.under_review(author, editor, [reviewers[0], second])
    if verb in ("reply", "resolve"):
        version = flows.under_review(author, editor, [reviewers[0], second])
        annotations.annotation_create(
            version=version, actor=reviewers[0], exact="The answer first.", comment="Which source?"
        )
        return version
    raise AssertionError(f"{verb!r}: no state prepared for it")


def attempt(verb, version, role, people) -> str:
    return through_service(
        verb, version, people[role], reviewer=people["reviewer"], newcomer=people["other_reviewer"]
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("verb", SERVICE_VERBS)
def test_permission_table(verb, role, people):
    # given a version in a state where the verb applies
    version = prepare(verb, people)
    assert OK in {expected(verb, someone, version.state) for someone in ROLES}, version.state
    before, events_before = snapshot(version.pk), AuditEvent.objects.count()
    # when the role tries the verb, then it is allowed or refused exactly as the table says
    want = expected(verb, role, version.state)
    assert attempt(verb, version, role, people) == want
    after = snapshot(version.pk)
    if want == OK:
        assert after != before
        assert after[1] > before[1] or verb == "edit_draft", "every state change is an audit event"
    else:
        assert after == before, "a refusal writes nothing"
        assert AuditEvent.objects.count() == events_before


# Illegal transitions ----------------------------------------------------------------------


def reach(state, people):
    author, editor = people["author"], people["editor"]
    reviewers = [people["reviewer"], people["other_reviewer"]]
    match state:
        case VersionState.DRAFT:
            return flows.draft(author)
        case VersionState.SUBMITTED:
            return flows.submitted(author)
        case VersionState.UNDER_REVIEW:
            return flows.under_review(author, editor, reviewers)
        case VersionState.CHANGES_REQUESTED:
            version = flows.under_review(author, editor, reviewers)
            return workflow.version_request_changes(version=version, actor=editor, message="More.")
        case VersionState.REJECTED:
            version = flows.under_review(author, editor, reviewers)
            return workflow.version_reject(version=version, actor=editor, reason="No.")
        case VersionState.APPROVED:
            return flows.approved(author, editor, reviewers)
        case VersionState.PUBLISHED:
            return flows.published(author, editor, reviewers)
        case VersionState.WITHDRAWN:
            return workflow.version_withdraw(version=flows.submitted(author), actor=author)
        case VersionState.RETRACTED:
            version = flows.published(author, editor, reviewers)
            return workflow.version_retract(
                version=version, actor=editor, reason="Wrong.", signing=signed(editor, "retract")
            )
        case VersionState.SUPERSEDED:
            first = flows.published(author, editor, reviewers)
            second = flows.next_approved(first, author, editor, reviewers)
            workflow.version_publish(version=second, actor=editor, signing=signed(editor, "publish"))
            first.refresh_from_db()
            return first
    raise AssertionError(state)


def permitted(verb) -> str:
    """Someone the table lets use ``verb`` where it applies (an editor, if editors may)."""
    roles = {role for role in ROLES for state in STATES if expected(verb, role, state) == OK}
    return "editor" if "editor" in roles else min(roles)


# The registry's version verbs, from every state the table says they cannot leave from.
ILLEGAL = [
    (verb, state)
    for verb in VERSION_VERBS
    for state in STATES
    if expected(verb, permitted(verb), state) == REFUSED
]


@pytest.mark.parametrize(("verb", "state"), ILLEGAL)
def test_every_illegal_transition_is_refused(verb, state, people):
    version = reach(state, people)
    assert version.state == state
    before, events_before = snapshot(version.pk), AuditEvent.objects.count()
    assert attempt(verb, version, permitted(verb), people) == REFUSED
    assert snapshot(version.pk) == before
    assert AuditEvent.objects.count() == events_before


# Rules ----------------------------------------------------------------------------------


def test_author_cannot_approve_own_version(editor, reviewers):
    # given an editor who also writes
    writer = make_user("Editor", username="writing-editor")
    writer.groups.add(*make_user("Author", username="x").groups.all())
    writer = type(writer).objects.get(pk=writer.pk)
    version = flows.under_review(writer, editor, reviewers[:2])
    for reviewer in reviewers[:2]:
        flows.review(version, reviewer)
    with pytest.raises(NotPermitted, match="You wrote version 1"):
        workflow.version_approve(version=version, actor=writer, signing=signed(writer, "approve"))
    assert (
        workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve")).state
        == VersionState.APPROVED
    )


def test_nobody_reviews_a_version_they_wrote(editor):
    reviewer_author = make_user("Reviewer", username="reviewer-author")
    reviewer_author.groups.add(*make_user("Author", username="y").groups.all())
    reviewer_author = type(reviewer_author).objects.get(pk=reviewer_author.pk)
    version = flows.submitted(reviewer_author)
    with pytest.raises(NotPermitted, match="Nobody reviews a version they wrote"):
        workflow.assignment_create(version=version, reviewer=reviewer_author, actor=editor)


def test_quorum_of_two_approvals_is_needed(author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    flows.review(version, reviewers[0])
    with pytest.raises(ApprovalBlocked, match="2 board approvals are needed, 1 recorded"):
        workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))
    flows.review(version, reviewers[1])
    assert (
        workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve")).state
        == VersionState.APPROVED
    )


def test_quorum_comes_from_settings(settings, author, editor, reviewers):
    settings.EDITORIAL = {**settings.EDITORIAL, "QUORUM": 3}
    version = flows.under_review(author, editor, reviewers)
    flows.review(version, reviewers[0])
    flows.review(version, reviewers[1])
    with pytest.raises(ApprovalBlocked, match="3 board approvals are needed, 2 recorded"):
        workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))
    flows.review(version, reviewers[2])
    assert (
        workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve")).state
        == VersionState.APPROVED
    )


def test_an_open_request_for_changes_blocks_approval(author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers)
    flows.review(version, reviewers[0])
    flows.review(version, reviewers[1])
    flows.review(version, reviewers[2], Decision.REQUEST_CHANGES, "Dose is wrong.")
    with pytest.raises(ApprovalBlocked, match="requested changes"):
        workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))


def test_unresolved_citation_does_not_block_submission_but_blocks_approval(author, editor, reviewers):
    # given a body citing 3 with only references 1 and 2
    version = flows.submitted(author, body="Claim [1]. Other claim [2]. Third claim [3].")
    assert version.state == VersionState.SUBMITTED
    assert version.integrity["unresolved"] == [3]
    for reviewer in reviewers[:2]:
        workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    workflow.version_start_review(version=version, actor=editor)
    for reviewer in reviewers[:2]:
        flows.review(version, reviewer)
    # then approval is refused and names the citation
    with pytest.raises(ApprovalBlocked, match=r"unresolved citations \(no reference\): 3"):
        workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))


def test_unresolved_citation_in_the_lead_is_found(author):
    version = workflow.article_create(
        author=author,
        slug="lead",
        title="Q?",
        lead="Answer [9].",
        body="Body [1].",
        references=flows.REFERENCES[:1],
    )
    version = workflow.version_submit(version=version, actor=author)
    assert version.integrity["unresolved"] == [9]


def test_submitted_content_and_references_are_frozen(author):
    version = flows.submitted(author)
    version.title = "A quiet change"
    with pytest.raises(VersionFrozen):
        version.save()
    with pytest.raises(VersionFrozen):
        Reference.objects.create(version=version, number=9, kind="other", title="Sneaked in")
    with pytest.raises(VersionFrozen):
        version.references.first().delete()
    with pytest.raises(TransitionRefused, match="frozen"):
        workflow.version_edit_draft(version=version, actor=author, title="Another try")


def test_next_version_copies_content_and_references(author, editor, reviewers):
    first = flows.published(author, editor, reviewers[:2])
    second = workflow.version_create_next(article=first.article, author=author)
    assert (second.number, second.state, second.body) == (2, VersionState.DRAFT, first.body)
    assert [r.title for r in second.references.all()] == [r.title for r in first.references.all()]
    with pytest.raises(TransitionRefused, match="still draft"):
        workflow.version_create_next(article=first.article, author=author)


def test_publishing_n_plus_1_supersedes_n_which_stayed_live_until_then(author, editor, reviewers):
    first = flows.published(author, editor, reviewers[:2])
    second = workflow.version_create_next(article=first.article, author=author)
    workflow.version_submit(version=second, actor=author)
    for reviewer in reviewers[:2]:
        workflow.assignment_create(version=second, reviewer=reviewer, actor=editor)
    workflow.version_start_review(version=second, actor=editor)
    first.article.refresh_from_db()
    assert first.article.live_version_id == first.pk  # N stays live while N+1 is reviewed
    for reviewer in reviewers[:2]:
        flows.review(second, reviewer)
    workflow.version_approve(version=second, actor=editor, signing=signed(editor, "approve"))
    workflow.version_publish(version=second, actor=editor, signing=signed(editor, "publish"))
    first.refresh_from_db()
    first.article.refresh_from_db()
    assert first.state == VersionState.SUPERSEDED
    assert first.article.live_version_id == second.pk


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"decision": Decision.APPROVE, "no_conflict_declared": False}, "conflict of interest"),
        (
            {"decision": Decision.APPROVE, "no_conflict_declared": True, "citations_checked": False},
            "check the citations",
        ),
        ({"decision": Decision.REQUEST_CHANGES, "no_conflict_declared": True}, "author reads"),
        (
            {
                "decision": Decision.APPROVE,
                "conflict_statement": "I consult for the maker.",
                "citations_checked": True,
                "doses_checked": True,
            },
            "cannot approve",
        ),
        ({"decision": "maybe", "no_conflict_declared": True}, "Unknown decision"),
    ],
)
def test_a_review_needs_its_declaration_checklist_and_words(author, editor, reviewers, kwargs, message):
    version = flows.under_review(author, editor, reviewers[:1])
    assignment = version.assignments.get()
    with pytest.raises(InvalidInput, match=message):
        workflow.review_record(
            assignment=assignment, actor=reviewers[0], **kwargs, signing=signed(reviewers[0], "review")
        )
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.INVITED
    assert not version.reviews.exists()


def test_deciding_closes_open_assignments(author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers)
    workflow.version_request_changes(version=version, actor=editor, message="Add sources.")
    assert set(version.assignments.values_list("state", flat=True)) == {AssignmentState.WITHDRAWN}


def test_start_review_needs_a_reviewer(author, editor):
    version = flows.submitted(author)
    with pytest.raises(TransitionRefused, match="Assign at least one"):
        workflow.version_start_review(version=version, actor=editor)


def test_assigning_twice_is_refused_with_a_message(author, editor, reviewer):
    version = flows.submitted(author)
    workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    with pytest.raises(Exception, match="already assigned"):
        workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)


def test_invited_reviewer_declines_with_a_reason(author, editor, reviewer):
    version = flows.submitted(author)
    assignment = workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    with pytest.raises(InvalidInput, match="Choose a reason"):
        workflow.assignment_decline(assignment=assignment, actor=reviewer, reason="bored")
    with pytest.raises(NotPermitted):
        workflow.assignment_decline(assignment=assignment, actor=editor, reason="time")
    declined = workflow.assignment_decline(
        assignment=assignment, actor=reviewer, reason="conflict", note="I advise the maker."
    )
    assert declined.state == AssignmentState.DECLINED
    event = AuditEvent.objects.get(action="editorial.assignment.declined")
    assert event.data == {"assignment": assignment.pk, "reason": "conflict"}
    assert "maker" not in event.message
    with pytest.raises(TransitionRefused):
        workflow.assignment_accept(assignment=assignment, actor=reviewer)


def test_editor_withdraws_an_accepted_assignment(author, editor, reviewer):
    version = flows.submitted(author)
    assignment = workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    workflow.assignment_accept(assignment=assignment, actor=reviewer)
    with pytest.raises(NotPermitted):
        workflow.assignment_withdraw(assignment=assignment, actor=reviewer)
    assert (
        workflow.assignment_withdraw(assignment=assignment, actor=editor).state == AssignmentState.WITHDRAWN
    )


def test_next_review_due_is_publication_plus_interval(settings, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    article = version.article
    article.refresh_from_db()
    due = article.next_review_due
    assert (due.year - version.published_at.year) * 12 + due.month - version.published_at.month == 12
    article.re_review_months = 6
    assert (article.next_review_due.year * 12 + article.next_review_due.month) - (
        version.published_at.year * 12 + version.published_at.month
    ) == 6


@pytest.mark.parametrize("kind", ["research", "guideline"])
def test_research_and_guideline_references_need_a_source_in_the_service(author, kind):
    refs = [{"number": 1, "kind": kind, "title": "A study with no journal named"}]
    with pytest.raises(InvalidInput, match="needs its source"):
        flows.draft(author, body="Claim [1].", references=refs)
    # a drug label or "other" may stand without one
    assert flows.draft(
        author,
        slug="label",
        body="Claim [1].",
        references=[{"number": 1, "kind": "drug_label", "title": "A label"}],
    )
