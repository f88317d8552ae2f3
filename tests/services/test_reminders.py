"""The reminder policy, step by step with the clock moved; exactly once; catch-up."""

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from editorial import reminders, workflow
from editorial.audit import verify_chain
from editorial.models import (
    AuditEvent,
    Decision,
    Notification,
    NotificationKind,
    Reminder,
    ReminderRule,
    ReviewAssignment,
)
from tests.support import flows
from tests.support.factories import make_user

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def days(n: float, **kwargs) -> timedelta:
    return timedelta(days=n, **kwargs)


@pytest.fixture
def policy(settings):
    settings.EDITORIAL = {
        **settings.EDITORIAL,
        "RESPONSE_DAYS": 3,
        "REVIEW_DAYS": 14,
        "INVITATION_REMINDER_DAYS": 2,
        "DUE_SOON_DAYS": 3,
        "OVERDUE_EVERY_DAYS": 3,
        "OVERDUE_MAX_REMINDERS": 3,
        "SWEEP_BATCH": 500,
        "QUORUM": 2,
    }
    return settings.EDITORIAL


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def sweep(**kwargs) -> list[tuple[str, int]]:
    """One sweep; what it claimed, as (rule, step). Mail is not handed to any broker."""
    result = reminders.sweep(dispatch=lambda ids: None, **kwargs)
    return sorted((claimed.rule, claimed.step) for claimed in result.claimed)


def sweep_at(clock, moment: datetime) -> list[tuple[str, int]]:
    clock.move_to(moment)
    return sweep()


# The policy, step by step ------------------------------------------------------------------


def test_policy_reminds_then_escalates_step_by_step(policy, clock, author, editor, reviewer):
    # given a review invited at T0: answer due T0+3, review due T0+14
    version = flows.under_review(author, editor, [reviewer])
    assignment = version.assignments.get()
    assert assignment.review_due == T0 + days(14)
    # then, as the days go by
    assert sweep_at(clock, T0 + days(1)) == []
    assert sweep_at(clock, T0 + days(2)) == [("invitation", 1)]
    assert sweep_at(clock, T0 + days(2, hours=1)) == []  # already sent
    clock.move_to(T0 + days(3))
    workflow.assignment_accept(assignment=assignment, actor=reviewer)
    assert sweep_at(clock, T0 + days(10, hours=23)) == []
    assert sweep_at(clock, T0 + days(11)) == [("due_soon", 1)]
    assert sweep_at(clock, T0 + days(13)) == []
    assert sweep_at(clock, T0 + days(14)) == [("overdue", 1)]
    assert sweep_at(clock, T0 + days(16, hours=23)) == []
    assert sweep_at(clock, T0 + days(17)) == [("overdue", 2)]
    assert sweep_at(clock, T0 + days(20)) == [("overdue", 3)]
    assert sweep_at(clock, T0 + days(22)) == []
    assert not ReviewAssignment.objects.get(pk=assignment.pk).overdue
    assert sweep_at(clock, T0 + days(23)) == [("escalation", 1)]
    assert sweep_at(clock, T0 + days(60)) == []  # M reminders, one escalation, then silence

    assignment.refresh_from_db()
    assert assignment.overdue
    kinds = list(Notification.objects.filter(reminder__isnull=False).values_list("kind", "to_email"))
    assert kinds == [
        (NotificationKind.REMINDER_INVITATION, reviewer.email),
        (NotificationKind.REMINDER_DUE_SOON, reviewer.email),
        (NotificationKind.REMINDER_OVERDUE, reviewer.email),
        (NotificationKind.REMINDER_OVERDUE, reviewer.email),
        (NotificationKind.REMINDER_OVERDUE, reviewer.email),
        (NotificationKind.ESCALATED, editor.email),
    ]
    events = AuditEvent.objects.filter(action__startswith="editorial.assignment.")
    assert events.filter(action="editorial.assignment.reminded").count() == 5
    escalated = events.get(action="editorial.assignment.escalated")
    assert escalated.actor_label == "system" and escalated.data["assignment"] == assignment.pk
    assert "9 days overdue" in escalated.message
    assert verify_chain().ok

    # when the review finally arrives, the flag clears and nothing more is sent
    clock.move_to(T0 + days(61))
    flows.review(version, reviewer, decision=Decision.REQUEST_CHANGES, comment="Late, sorry.")
    assignment.refresh_from_db()
    assert not assignment.overdue
    assert sweep_at(clock, T0 + days(90)) == []


def test_an_answered_or_closed_assignment_gets_no_reminder(policy, clock, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    declined, withdrawn = version.assignments.order_by("pk")
    workflow.assignment_decline(assignment=declined, actor=declined.reviewer, reason="time")
    workflow.assignment_withdraw(assignment=withdrawn, actor=editor)
    assert sweep_at(clock, T0 + days(30)) == []
    assert not Reminder.objects.exists()


def test_accepting_inside_the_due_soon_window_sends_no_due_soon_reminder(
    policy, clock, author, editor, reviewer
):
    version = flows.submitted(author)
    assignment = workflow.assignment_create(
        version=version, reviewer=reviewer, actor=editor, review_due=T0 + days(2)
    )
    workflow.assignment_accept(assignment=assignment, actor=reviewer)
    assert sweep_at(clock, T0 + days(1)) == []
    assert sweep_at(clock, T0 + days(2)) == [("overdue", 1)]


def test_policy_must_be_positive(policy, settings):
    settings.EDITORIAL = {**policy, "OVERDUE_EVERY_DAYS": 0}
    with pytest.raises(ImproperlyConfigured, match="overdue_every_days"):
        sweep()


# Catch-up after an outage ------------------------------------------------------------------


def test_catch_up_after_a_skipped_week_sends_one_reminder_per_due_step(
    policy, clock, author, editor, reviewers
):
    # given at T0: one accepted review due at T0+5, one invitation never answered
    version = flows.submitted(author)
    late = workflow.assignment_create(
        version=version, reviewer=reviewers[0], actor=editor, review_due=T0 + days(5)
    )
    workflow.assignment_accept(assignment=late, actor=reviewers[0])
    silent = workflow.assignment_create(version=version, reviewer=reviewers[1], actor=editor)
    assert sweep_at(clock, T0) == []
    # when no sweep runs for a week (the invitation reminder at +2, overdue steps at +5 and +8
    # all came due meanwhile)
    clock.move_to(T0 + days(8, hours=1))
    result = reminders.sweep(dispatch=lambda ids: None)
    # then one reminder per assignment: the step due now, not one per missed step or day
    got = sorted((c.rule, c.step, c.subject) for c in result.claimed)
    assert got == [
        ("invitation", 1, silent.reviewer.board_member.display_name),
        ("overdue", 2, late.reviewer.board_member.display_name),
    ]
    assert list(Reminder.objects.filter(assignment=late).values_list("step", flat=True)) == [2]
    assert sweep() == []
    # and the policy carries on from there
    assert sweep_at(clock, T0 + days(11)) == [("overdue", 3)]


def test_catch_up_long_past_the_escalation_reminds_the_reviewer_and_alerts_the_editors_once(
    policy, clock, author, editor, reviewer
):
    version = flows.submitted(author)
    assignment = workflow.assignment_create(
        version=version, reviewer=reviewer, actor=editor, review_due=T0 - days(30)
    )
    assert sweep_at(clock, T0) == [("escalation", 1), ("overdue", 3)]
    assert sweep_at(clock, T0 + days(10)) == []
    assert ReviewAssignment.objects.get(pk=assignment.pk).overdue


# Exactly once ------------------------------------------------------------------------------


def test_a_claim_that_conflicts_sends_nothing(policy, author, editor, reviewer):
    version = flows.submitted(author)
    assignment = workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    key = [(ReminderRule.OVERDUE, 1, assignment.pk, version.pk, assignment.review_due)]
    with transaction.atomic():
        first = reminders._claim(key, now=assignment.review_due)
    with transaction.atomic():
        second = reminders._claim(key, now=assignment.review_due)
    assert list(first) == [("overdue", 1, assignment.pk, version.pk)]
    assert second == {}
    assert Reminder.objects.count() == 1


def test_an_assignment_closed_after_the_sweep_read_it_gets_no_reminder(
    policy, clock, author, editor, reviewers
):
    version = flows.under_review(author, editor, reviewers[:1])
    clock.move_to(T0 + days(15))
    policy_now = reminders.Policy.from_settings()
    rule = ReminderRule.OVERDUE
    (batch,) = reminders._candidate_batches(
        reminders.assignments_due(rule, now=T0 + days(15), policy=policy_now), 500
    )
    # the review arrives between the sweep's read and its claim
    flows.review(version, reviewers[0])
    claimed = reminders._process_assignments(
        rule, batch, now=T0 + days(15), policy=policy_now, editors=[editor], dispatch=lambda ids: None
    )
    assert claimed == [] and not Reminder.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_reminder_once(on_postgres, settings, policy):
    # given 4 articles with 5 reviews each, all long overdue (2 reminders due each), in
    # batches of 7 so the two sweeps interleave batch by batch
    settings.EDITORIAL = {**policy, "SWEEP_BATCH": 7}
    author, editor = make_user("Author"), make_user("Editor")
    reviewers = [make_user("Reviewer") for _ in range(5)]
    now = datetime.now(UTC)
    for n in range(4):
        version = flows.submitted(author, slug=f"article-{n}")
        for reviewer in reviewers:
            workflow.assignment_create(
                version=version, reviewer=reviewer, actor=editor, review_due=now - days(30)
            )
    # when two sweeps start at the same moment
    barrier = threading.Barrier(2)
    results, errors = [None, None], []

    def run(index):
        try:
            barrier.wait()
            results[index] = reminders.sweep(dispatch=lambda ids: None)
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every due reminder was claimed by exactly one of them
    assert errors == []
    ids = [c.reminder_id for result in results for c in result.claimed]
    assert len(ids) == len(set(ids)) == 40
    assert Reminder.objects.count() == 40
    assert Notification.objects.filter(kind=NotificationKind.REMINDER_OVERDUE).count() == 20
    assert Notification.objects.filter(kind=NotificationKind.ESCALATED, to_email=editor.email).count() == 20
    assert AuditEvent.objects.filter(action="editorial.assignment.reminded").count() == 20
    assert AuditEvent.objects.filter(action="editorial.assignment.escalated").count() == 20
    assert verify_chain().ok
    assert sweep() == []


def test_sweep_queries_grow_with_batches_not_rows(policy, settings, author, editor):
    reviewers = [make_user("Reviewer") for _ in range(12)]
    version = flows.submitted(author)

    def overdue(people):
        for reviewer in people:
            workflow.assignment_create(
                version=version, reviewer=reviewer, actor=editor, review_due=T0 - days(1)
            )

    def queries() -> int:
        with time_machine.travel(T0, tick=False), CaptureQueriesContext(connection) as captured:
            reminders.sweep(dispatch=lambda ids: None)
        return len(captured.captured_queries)

    overdue(reviewers[:2])
    with_two = queries()
    overdue(reviewers[2:])
    with_ten = queries()
    assert Reminder.objects.count() == 12
    assert with_ten == with_two  # 2 or 10 due: the same queries
    settings.EDITORIAL = {**policy, "SWEEP_BATCH": 4}
    overdue([make_user("Reviewer") for _ in range(12)])
    assert queries() > with_ten  # 12 due in batches of 4: more batches, more queries


# Re-review ---------------------------------------------------------------------------------


def test_published_article_comes_due_for_re_review_and_the_editors_are_told(
    policy, clock, author, editor, reviewers
):
    version = flows.published(author, editor, reviewers[:2])
    article = version.article
    assert article.next_review_due == T0 + relativedelta(months=12)
    assert sweep_at(clock, T0 + relativedelta(months=12) - days(1)) == []
    assert sweep_at(clock, T0 + relativedelta(months=12)) == [("re_review", 1)]
    assert sweep_at(clock, T0 + relativedelta(months=13)) == []
    notice = Notification.objects.get(kind=NotificationKind.RE_REVIEW_DUE)
    assert notice.to_email == editor.email and notice.version_id == version.pk
    event = AuditEvent.objects.get(action="editorial.article.re_review_due")
    assert event.version_id == version.pk and event.actor_id is None


def test_a_per_article_interval_overrides_the_board_default(policy, clock, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    type(version.article).objects.filter(pk=version.article_id).update(re_review_months=6)
    assert sweep_at(clock, T0 + relativedelta(months=6) - days(1)) == []
    assert sweep_at(clock, T0 + relativedelta(months=6)) == [("re_review", 1)]


# The command -------------------------------------------------------------------------------


def test_send_reminders_prints_what_it_sent_and_then_that_it_sent_nothing(
    policy, clock, author, editor, reviewer, mailoutbox
):
    version = flows.submitted(author)
    workflow.assignment_create(version=version, reviewer=reviewer, actor=editor, review_due=T0 - days(1))
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    first = out.getvalue()
    assert f"review overdue (reminder 1): {reviewer.board_member.display_name}" in first
    assert reviewer.email in first
    # the invitation written when the assignment was made was never handed to a broker here,
    # so the command sends it too
    assert "Sent 2 email(s)" in first
    assert sorted(m.subject.split(":")[0] for m in mailoutbox) == ["Invitation to review", "Overdue"]
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    assert "Sent nothing" in out.getvalue()
    assert len(mailoutbox) == 2
