"""Periodic re-review of a live version: the sweep opens a cycle once per due date, the board
confirms (a quorum closes it) or asks for a revision, the page's dates move on; evidence watch."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from dateutil.relativedelta import relativedelta

from articles.models import VersionState
from editorial import reminders, rereview, workflow
from editorial.audit import verify_chain
from editorial.errors import ConcurrentChange, InvalidInput, NotPermitted, TransitionRefused
from editorial.models import (
    AssignmentState,
    AuditAction,
    AuditEvent,
    Notification,
    NotificationKind,
    ReferenceFlag,
    Reminder,
    ReminderRule,
    ReReview,
    ReReviewState,
    ReReviewTrigger,
    Signature,
    SignatureMeaning,
)
from tests.support import flows
from tests.support.signing import signed

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
YEAR = relativedelta(months=12)


@pytest.fixture
def policy(settings):
    settings.EDITORIAL = {
        **settings.EDITORIAL,
        "QUORUM": 2,
        "RE_REVIEW_MONTHS": 12,
        "RE_REVIEW_GRACE_DAYS": 30,
    }
    return settings.EDITORIAL


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def live(policy, clock, author, editor, reviewers):
    """Version 1, published at T0 after two approvals."""
    return flows.published(author, editor, reviewers[:2])


def sweep_at(clock, moment):
    clock.move_to(moment)
    result = reminders.sweep(dispatch=lambda ids: None)
    return sorted((claimed.rule, claimed.step) for claimed in result.claimed)


def events(version, action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(version=version, action=action).order_by("seq"))


# The sweep opens a cycle once per due date ---------------------------------------------------


def test_the_sweep_opens_one_cycle_when_the_live_version_comes_due(live, clock):
    assert sweep_at(clock, T0 + YEAR - timedelta(days=1)) == []
    assert not ReReview.objects.exists()
    assert sweep_at(clock, T0 + YEAR) == [("re_review", 1)]
    cycle = ReReview.objects.get()
    assert (cycle.version, cycle.trigger, cycle.state) == (live, ReReviewTrigger.SCHEDULE, ReReviewState.OPEN)
    assert cycle.due_at == T0 + YEAR and cycle.opened_by is None
    assert sweep_at(clock, T0 + YEAR + timedelta(days=3)) == []
    assert ReReview.objects.count() == 1
    assert len(events(live, AuditAction.RE_REVIEW_OPENED)) == 1
    assert Notification.objects.filter(kind=NotificationKind.RE_REVIEW_DUE).count() == 1


def test_a_sweep_that_ran_late_opens_the_cycle_of_the_date_it_missed_once(live, clock):
    # given no sweep ran for two months after the due date
    assert sweep_at(clock, T0 + YEAR + relativedelta(months=2)) == [("re_review", 1)]
    assert ReReview.objects.get().due_at == T0 + YEAR
    assert sweep_at(clock, T0 + YEAR + relativedelta(months=2, days=1)) == []
    assert ReReview.objects.count() == 1


def test_a_closed_cycle_is_not_reopened_for_the_same_due_date(live, clock, editor, reviewers):
    # given the sweep's cycle closed with a request for a revision (the due date does not move)
    sweep_at(clock, T0 + YEAR)
    cycle = ReReview.objects.get()
    rereview.re_review_assign(cycle=cycle, reviewer=reviewers[0], actor=editor)
    rereview.re_review_request_revision(
        assignment=cycle.assignments.get(),
        actor=reviewers[0],
        comment="A 2027 guideline changed the advice.",
        no_conflict_declared=True,
    )
    assert sweep_at(clock, T0 + YEAR + timedelta(days=5)) == []
    assert ReReview.objects.count() == 1


def test_after_a_confirmation_the_next_due_date_opens_the_next_cycle(live, clock, editor, reviewers):
    sweep_at(clock, T0 + YEAR)
    cycle = ReReview.objects.get()
    for reviewer in reviewers[:2]:
        rereview.re_review_assign(cycle=cycle, reviewer=reviewer, actor=editor)
    clock.move_to(T0 + YEAR + timedelta(days=10))
    for reviewer in reviewers[:2]:
        flows.confirm(cycle, reviewer)
    live.article.refresh_from_db()
    live.refresh_from_db()
    closed = T0 + YEAR + timedelta(days=10)
    assert live.last_reviewed_at == closed
    article = type(live.article).objects.select_related("live_version").get(pk=live.article_id)
    assert article.next_review_due == closed + YEAR
    assert sweep_at(clock, closed + YEAR - timedelta(days=1)) == []
    assert sweep_at(clock, closed + YEAR) == [("re_review", 2)]
    assert ReReview.objects.filter(state=ReReviewState.OPEN).get().due_at == closed + YEAR
    assert Reminder.objects.filter(rule=ReminderRule.RE_REVIEW).count() == 2


# Assignments, reminders and escalation are the ordinary ones ---------------------------------


def test_re_review_assignments_are_reminded_and_escalated_as_a_first_review_is(
    live, clock, editor, reviewers
):
    cycle = flows.re_review(live, editor, reviewers[:1])
    assignment = cycle.assignments.get()
    assert assignment.review_due == T0 + timedelta(days=settings_days("REVIEW_DAYS"))
    due = assignment.review_due
    assert ("overdue", 1) in sweep_at(clock, due)
    policy = reminders.Policy.from_settings()
    assert ("escalation", 1) in sweep_at(clock, due + policy.escalate_after)
    assignment.refresh_from_db()
    assert assignment.overdue


def settings_days(name: str) -> int:
    from django.conf import settings

    return settings.EDITORIAL[name]


def test_the_last_reviewers_are_suggested_and_the_author_never(live, editor, reviewers, author):
    cycle = rereview.re_review_open(article=live.article, actor=editor, reason="A reader asked.")
    assert set(rereview.suggested_reviewers(cycle)) == set(reviewers[:2])
    assert author not in rereview.suggested_reviewers(cycle)


def test_a_reviewer_who_approved_the_version_may_re_review_it(live, editor, reviewers):
    # the first review's assignment of the same reviewer to the same version is no obstacle
    cycle = flows.re_review(live, editor, reviewers[:2])
    assert cycle.assignments.count() == 2
    with pytest.raises(ConcurrentChange):
        rereview.re_review_assign(cycle=cycle, reviewer=reviewers[0], actor=editor)


# Decisions and the quorum --------------------------------------------------------------------


def test_a_quorum_of_signed_confirmations_closes_the_cycle_and_moves_the_dates(
    live, clock, editor, reviewers
):
    cycle = flows.re_review(live, editor, reviewers)
    clock.move_to(T0 + relativedelta(months=11))
    flows.confirm(cycle, reviewers[0])
    cycle.refresh_from_db()
    assert cycle.state == ReReviewState.OPEN  # one of two: below the quorum
    live.refresh_from_db()
    assert live.last_reviewed_at is None
    flows.confirm(cycle, reviewers[1])
    cycle.refresh_from_db()
    live.refresh_from_db()
    assert cycle.state == ReReviewState.CONFIRMED and cycle.closed_at == T0 + relativedelta(months=11)
    assert live.last_reviewed_at == cycle.closed_at and live.state == VersionState.PUBLISHED
    # the third reviewer's open assignment is withdrawn
    assert cycle.assignments.get(reviewer=reviewers[2]).state == AssignmentState.WITHDRAWN
    # the confirmation is a signature with its own meaning
    signature = Signature.objects.get(verb="confirm", signer=reviewers[0])
    assert signature.meaning == SignatureMeaning.STILL_CURRENT
    (closed,) = events(live, AuditAction.RE_REVIEW_CONFIRMED)
    names = [reviewers[0].board_member.display_name, reviewers[1].board_member.display_name]
    assert (
        closed.message == f"Re-reviewed on 2 February 2027 by {names[0]} and {names[1]}: no changes needed."
    )
    assert AuditEvent.objects.public().filter(pk=closed.pk).exists()
    assert verify_chain(article=live.article).ok


def test_the_versions_own_author_cannot_confirm_it(policy, clock, author, editor, reviewers):
    # given a board member who also writes, the author of the live version, reviewed by two others
    from django.contrib.auth.models import Group

    from tests.support.factories import make_user

    writer = make_user("Reviewer")
    writer.groups.add(Group.objects.get(name="Author"))
    writer = type(writer).objects.get(pk=writer.pk)
    version = flows.published(writer, editor, reviewers[:2])
    cycle = rereview.re_review_open(article=version.article, actor=editor, reason="Evidence moved on.")
    with pytest.raises(NotPermitted):
        rereview.re_review_assign(cycle=cycle, reviewer=writer, actor=editor)
    rereview.re_review_assign(cycle=cycle, reviewer=reviewers[0], actor=editor)
    # when the author tries to confirm through someone else's assignment
    with pytest.raises(NotPermitted):
        rereview.re_review_confirm(
            assignment=cycle.assignments.get(),
            actor=writer,
            no_conflict_declared=True,
            signing=signed(writer, "confirm"),
        )
    flows.confirm(cycle, reviewers[0])
    cycle.refresh_from_db()
    assert cycle.state == ReReviewState.OPEN  # one confirmation: below the quorum
    assert len(rereview.confirmations(cycle)) == 1


def test_a_confirmation_needs_the_signature_and_a_declaration(live, editor, reviewers):
    cycle = flows.re_review(live, editor, reviewers[:2])
    assignment = cycle.assignments.get(reviewer=reviewers[0])
    before = AuditEvent.objects.count()
    with pytest.raises(Exception, match="Enter your password"):
        rereview.re_review_confirm(assignment=assignment, actor=reviewers[0], no_conflict_declared=True)
    with pytest.raises(InvalidInput, match="conflict"):
        rereview.re_review_confirm(
            assignment=assignment, actor=reviewers[0], signing=signed(reviewers[0], "confirm")
        )
    assert AuditEvent.objects.count() == before
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.INVITED and not cycle.reviews.exists()


def test_a_request_for_revision_names_the_evidence_closes_the_cycle_and_asks_the_author(
    live, editor, reviewers, author
):
    cycle = flows.re_review(live, editor, reviewers[:2])
    assignment = cycle.assignments.get(reviewer=reviewers[0])
    with pytest.raises(InvalidInput, match="what changed in the evidence"):
        rereview.re_review_request_revision(
            assignment=assignment, actor=reviewers[0], no_conflict_declared=True
        )
    rereview.re_review_request_revision(
        assignment=assignment,
        actor=reviewers[0],
        comment="The 2027 label adds a warning.",
        no_conflict_declared=True,
    )
    cycle.refresh_from_db()
    live.refresh_from_db()
    assert cycle.state == ReReviewState.REVISION_REQUESTED
    assert live.state == VersionState.PUBLISHED and live.last_reviewed_at is None  # still up
    assert cycle.assignments.get(reviewer=reviewers[1]).state == AssignmentState.WITHDRAWN
    notice = Notification.objects.get(kind=NotificationKind.CHANGES_REQUESTED, recipient=author)
    assert "The 2027 label adds a warning." in str(notice.context)
    assert len(events(live, AuditAction.RE_REVIEW_REVISION_REQUESTED)) == 1
    # the revision goes through the ordinary workflow while version 1 stays live
    draft = workflow.version_create_next(article=live.article, author=author)
    assert draft.number == 2
    live.article.refresh_from_db()
    assert live.article.live_version_id == live.pk
    # and a decision on a closed cycle is refused
    with pytest.raises(TransitionRefused):
        flows.confirm(cycle, reviewers[1])


def test_opening_needs_an_editor_a_reason_a_live_version_and_no_open_cycle(policy, author, editor, reviewers):
    draft = flows.submitted(author)
    with pytest.raises(TransitionRefused):
        rereview.re_review_open(article=draft.article, actor=editor, reason="Why not.")
    live = flows.published(author, editor, reviewers[:2], slug="another")
    with pytest.raises(InvalidInput):
        rereview.re_review_open(article=live.article, actor=editor, reason="  ")
    with pytest.raises(NotPermitted):
        rereview.re_review_open(article=live.article, actor=reviewers[0], reason="A reader asked.")
    rereview.re_review_open(article=live.article, actor=editor, reason="A reader asked.")
    with pytest.raises(TransitionRefused, match="already open"):
        rereview.re_review_open(article=live.article, actor=editor, reason="Again.")
    assert ReReview.objects.count() == 1


# Overdue -------------------------------------------------------------------------------------


def test_overdue_starts_after_the_grace_period_and_ends_when_a_re_review_confirms(
    live, clock, editor, reviewers
):
    article = type(live.article).objects.select_related("live_version").get(pk=live.article_id)
    due = T0 + YEAR
    assert rereview.overdue_since(article, now=due + timedelta(days=30) - timedelta(seconds=1)) is None
    assert rereview.overdue_since(article, now=due + timedelta(days=30)) == due
    # the sweep records it once, publicly
    sweep_at(clock, due)
    sweep_at(clock, due + timedelta(days=30))
    sweep_at(clock, due + timedelta(days=31))
    (noted,) = events(live, AuditAction.RE_REVIEW_OVERDUE)
    assert noted.message == "Overdue for review since 2 March 2027."
    cycle = ReReview.objects.get()
    for reviewer in reviewers[:2]:
        rereview.re_review_assign(cycle=cycle, reviewer=reviewer, actor=editor)
        flows.confirm(cycle, reviewer)
    article = type(live.article).objects.select_related("live_version").get(pk=live.article_id)
    assert rereview.overdue_since(article, now=due + timedelta(days=32)) is None


# Evidence watch ------------------------------------------------------------------------------


def test_a_superseded_reference_opens_one_re_review_and_is_under_review(live, reviewers, author):
    first, second = live.references.order_by("number")
    flag = rereview.reference_flag(reference=first, actor=reviewers[0], note="A 2027 guideline replaced it.")
    cycle = ReReview.objects.get()
    assert cycle.trigger == ReReviewTrigger.EVIDENCE and flag.re_review == cycle
    assert rereview.flagged_references(live) == {1}
    with pytest.raises(TransitionRefused, match="already marked"):
        rereview.reference_flag(reference=first, actor=reviewers[1], note="Again.")
    # a second reference joins the open cycle
    rereview.reference_flag(reference=second, actor=reviewers[1], note="The label changed.")
    assert ReReview.objects.count() == 1 and ReferenceFlag.objects.count() == 2
    assert rereview.flagged_references(live) == {1, 2}
    assert len(events(live, AuditAction.REFERENCE_FLAGGED)) == 2
    assert len(events(live, AuditAction.RE_REVIEW_OPENED)) == 1
    with pytest.raises(NotPermitted):
        rereview.reference_flag(reference=first, actor=author, note="No.")


def test_a_reference_of_a_version_that_is_not_live_cannot_be_flagged(policy, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    with pytest.raises(TransitionRefused):
        rereview.reference_flag(reference=version.references.first(), actor=reviewers[0], note="Superseded.")
    assert not ReReview.objects.exists()


def test_publishing_the_revision_ends_an_open_re_review_of_the_old_version(live, clock, editor, reviewers):
    cycle = flows.re_review(live, editor, reviewers[:1])
    newer = flows.published_next(live.article, editor, reviewers[:2], change_note="Sentence case headings.")
    cycle.refresh_from_db()
    assert cycle.state == ReReviewState.ENDED
    assert cycle.assignments.get().state == AssignmentState.WITHDRAWN
    assert len(events(live, AuditAction.RE_REVIEW_ENDED)) == 1
    # the new version is due one interval after its own publication, and nothing is open
    assert rereview.open_cycle(newer) is None
    assert verify_chain(article=live.article).ok


def test_an_early_cycle_still_open_past_the_grace_is_recorded_overdue_once(live, clock, editor):
    # given an editor opened a re-review months before the date, and it is still open
    clock.move_to(T0 + relativedelta(months=10))
    rereview.re_review_open(article=live.article, actor=editor, reason="A newer guideline is expected.")
    assert sweep_at(clock, T0 + YEAR + timedelta(days=29)) == []  # no second cycle: one is open
    assert not events(live, AuditAction.RE_REVIEW_OVERDUE)
    sweep_at(clock, T0 + YEAR + timedelta(days=30))
    sweep_at(clock, T0 + YEAR + timedelta(days=31))
    assert len(events(live, AuditAction.RE_REVIEW_OVERDUE)) == 1
    assert ReReview.objects.count() == 1
