"""Annotations through their services: anchoring, threads, resolution, refusals, the audit
trail, the approval rule and carrying them into the next version."""

import re

import pytest

from articles.passages import plain_text
from editorial import annotations, workflow
from editorial.errors import ApprovalBlocked, InvalidInput, NotPermitted, TransitionRefused
from editorial.models import (
    PUBLIC_AUDIT_ACTIONS,
    Anchor,
    Annotation,
    AnnotationReply,
    AuditAction,
    AuditEvent,
)
from editorial.roles import member_name
from editorial.selectors import annotations_on
from tests.support import flows
from tests.support.factories import make_user
from tests.support.flows import annotate
from tests.support.signing import signed

pytestmark = pytest.mark.django_db

BODY = (
    "Baclofen is started at a low dose [1].\n\n"
    "Stopping it abruptly is dangerous [2].\n\n"
    "Stopping it abruptly is dangerous for the liver too [1]."
)


@pytest.fixture
def version(author, editor, reviewers):
    return flows.under_review(author, editor, reviewers[:2], body=BODY)


def count(model) -> int:
    return model.objects.count()


# Anchoring -----------------------------------------------------------------------------------


def test_an_annotation_stores_the_quote_and_its_position_in_the_plain_text(version, reviewer):
    annotation = annotate(version, reviewer, severity="must_fix")
    text = plain_text(version).text
    assert text[annotation.start : annotation.end] == "started at a low dose"
    assert annotation.prefix == text[max(0, annotation.start - 32) : annotation.start]
    assert annotation.suffix == text[annotation.end : annotation.end + 32]
    assert (annotation.part, annotation.anchor, annotation.state) == ("body", Anchor.CONTEXT, "open")


def test_a_reference_is_a_part_with_its_number(version, reviewer):
    annotation = annotate(version, reviewer, exact="A prescribing information")
    assert (annotation.part, annotation.reference_number) == ("reference", 2)


def test_a_position_that_matches_the_quote_is_kept(version, reviewer):
    text = plain_text(version).text
    start = text.index("low dose")
    annotation = annotate(version, reviewer, exact="low dose", start=start, end=start + 8)
    assert (annotation.start, annotation.end) == (start, start + 8)


def test_prefix_and_suffix_choose_between_two_occurrences(version, reviewer):
    annotation = annotate(
        version, reviewer, exact="Stopping it abruptly is dangerous", suffix=" for the liver"
    )
    text = plain_text(version).text
    assert annotation.start == text.index("Stopping it abruptly is dangerous for")


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"exact": "Baclofen cures cramps"}, "is not in the text"),
        ({"exact": "   "}, "quote is empty"),
        ({"exact": "Stopping it abruptly is dangerous"}, "appears 2 times"),
        ({"exact": "low dose", "start": 0, "end": 8}, "not the quote"),
        ({"exact": "low dose", "start": 5, "end": 99_999}, "outside version 1's text"),
        ({"exact": "low dose", "start": 5}, "both the start and the end"),
        ({"exact": "low dose", "start": "five", "end": 9}, "whole number"),
        ({"exact": "low dose [1]. Stopping"}, "not in the text"),
        ({"comment": ""}, "empty comment"),
        ({"comment": "   "}, "empty comment"),
        ({"severity": "urgent"}, "must fix or suggestion"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(version, reviewer, fields, says):
    before = (count(Annotation), count(AuditEvent))
    with pytest.raises(InvalidInput, match=says):
        annotate(version, reviewer, **fields)
    assert (count(Annotation), count(AuditEvent)) == before


def test_a_passage_across_two_paragraphs_is_refused(version, reviewer):
    text = plain_text(version)
    first, second = text.passages[2], text.passages[3]
    with pytest.raises(InvalidInput, match="within one paragraph"):
        annotate(
            version,
            reviewer,
            exact=text.text[first.end - 5 : second.start + 5],
            start=first.end - 5,
            end=second.start + 5,
        )


def test_a_comment_over_the_limit_is_refused(version, reviewer, settings):
    settings.EDITORIAL = {**settings.EDITORIAL, "MAX_COMMENT_CHARS": 50}
    with pytest.raises(InvalidInput, match="the limit is 50"):
        annotate(version, reviewer, comment="x" * 51)
    assert count(Annotation) == 0


def test_a_version_holds_at_most_the_set_number_of_annotations(version, reviewer, settings):
    settings.EDITORIAL = {**settings.EDITORIAL, "MAX_ANNOTATIONS_PER_VERSION": 2}
    annotate(version, reviewer)
    annotate(version, reviewer, exact="low dose")
    with pytest.raises(InvalidInput, match="already holds 2 annotations"):
        annotate(version, reviewer, exact="Baclofen")
    assert count(Annotation) == 2


def test_crossing_an_open_annotation_is_refused_but_inside_and_around_are_not(version, reviewer, reviewers):
    annotate(version, reviewer, exact="started at a low dose")
    with pytest.raises(InvalidInput, match="crosses"):
        annotate(version, reviewers[1], exact="is started at")
    annotate(version, reviewers[1], exact="low dose")  # inside
    annotate(version, reviewers[1], exact="Baclofen is started at a low dose")  # around
    annotate(version, reviewers[1], exact="started at a low dose")  # the same claim
    assert count(Annotation) == 4


def test_html_in_a_comment_is_stored_as_written(version, reviewer):
    annotation = annotate(version, reviewer, comment="<script>alert(1)</script>")
    assert Annotation.objects.get(pk=annotation.pk).comment == "<script>alert(1)</script>"


# Who may ---------------------------------------------------------------------------------------


def test_the_author_never_annotates_their_own_version(version, author):
    with pytest.raises(NotPermitted):
        annotate(version, author)


def test_a_draft_is_not_annotated(author, editor):
    draft = flows.draft(author)
    with pytest.raises(TransitionRefused):
        annotate(draft, editor, exact="The answer first.")


def test_a_reviewer_who_declined_is_no_longer_on_the_version(author, editor, reviewers):
    version = flows.submitted(author, body=BODY)
    assignment = workflow.assignment_create(version=version, reviewer=reviewers[0], actor=editor)
    workflow.assignment_decline(assignment=assignment, actor=reviewers[0], reason="time")
    with pytest.raises(NotPermitted):
        annotate(version, reviewers[0])


def test_the_author_reads_and_answers_only_after_the_decision(version, author, editor, reviewer):
    annotation = annotate(version, reviewer)
    with pytest.raises(NotPermitted):
        annotations.annotation_reply(annotation=annotation, actor=author, comment="Fixed.")
    assert annotations_on(version=version, for_author=True) == []
    version = workflow.version_request_changes(version=version, actor=editor, message="See the annotations.")
    assert [a.pk for a in annotations_on(version=version, for_author=True)] == [annotation.pk]


def test_confidential_annotations_never_reach_the_author(version, author, editor, reviewer):
    secret = annotate(version, reviewer, confidential=True, comment="The author misread [2].")
    workflow.version_request_changes(version=version, actor=editor, message="See the annotations.")
    assert annotations_on(version=version, for_author=True) == []
    nxt = workflow.version_create_next(article=version.article, author=author)
    carried = Annotation.objects.get(version=nxt, carried_from=secret)
    assert annotations_on(version=nxt, for_author=True) == []
    with pytest.raises(NotPermitted):
        annotations.annotation_reply(annotation=carried, actor=author, comment="What did I misread?")


def test_reviewers_are_anonymous_to_the_author(version, author, editor, reviewer):
    annotate(version, reviewer)
    version = workflow.version_request_changes(version=version, actor=editor, message="See the annotations.")
    [shown] = annotations_on(version=version, for_author=True)
    assert shown.creator_label == "A board member"


# Threads and resolution ---------------------------------------------------------------------------


def test_reply_and_resolve_are_audit_events_that_readers_never_see(version, reviewer, editor):
    annotation = annotate(version, reviewer, severity="must_fix")
    annotations.annotation_reply(annotation=annotation, actor=editor, comment="Agreed.")
    annotations.annotation_resolve(annotation=annotation, actor=reviewer, note="The dose is cited now.")
    actions = list(AuditEvent.objects.filter(version=version).values_list("action", flat=True))
    new = [AuditAction.ANNOTATION_CREATED, AuditAction.ANNOTATION_REPLIED, AuditAction.ANNOTATION_RESOLVED]
    assert actions[-3:] == new
    assert not set(new) & PUBLIC_AUDIT_ACTIONS
    event = AuditEvent.objects.filter(action=AuditAction.ANNOTATION_CREATED).get()
    assert "Which dose" not in str(event.data) + event.message  # a digest, not the words
    annotation.refresh_from_db()
    assert (annotation.state, annotation.resolved_by, annotation.resolution_note) == (
        "resolved",
        reviewer,
        "The dose is cited now.",
    )


def test_a_must_fix_needs_a_note_to_be_resolved(version, reviewer):
    annotation = annotate(version, reviewer, severity="must_fix")
    with pytest.raises(InvalidInput, match="note is required"):
        annotations.annotation_resolve(annotation=annotation, actor=reviewer, note=" ")
    assert Annotation.objects.get(pk=annotation.pk).state == "open"


def test_only_its_maker_or_an_editor_resolves(version, reviewers, editor):
    annotation = annotate(version, reviewers[0], severity="must_fix")
    with pytest.raises(NotPermitted):
        annotations.annotation_resolve(annotation=annotation, actor=reviewers[1], note="Fine by me.")
    annotations.annotation_resolve(annotation=annotation, actor=editor, note="Settled at the meeting.")
    with pytest.raises(TransitionRefused, match="already resolved"):
        annotations.annotation_resolve(annotation=annotation, actor=editor, note="Again.")
    with pytest.raises(TransitionRefused, match="thread is closed"):
        annotations.annotation_reply(annotation=annotation, actor=editor, comment="Late.")


def test_an_empty_answer_is_refused(version, reviewer, editor):
    annotation = annotate(version, reviewer)
    with pytest.raises(InvalidInput, match="empty answer"):
        annotations.annotation_reply(annotation=annotation, actor=editor, comment="")
    assert count(AnnotationReply) == 0


# Approval -----------------------------------------------------------------------------------------


def test_an_open_must_fix_blocks_approval_and_the_refusal_names_it(version, reviewers, editor):
    annotation = annotate(version, reviewers[0], severity="must_fix", exact="low dose")
    annotate(version, reviewers[1], exact="Baclofen")  # a suggestion blocks nothing
    for reviewer in reviewers[:2]:
        flows.review(version, reviewer)
    named = f"open must-fix annotations: “low dose” ({member_name(reviewers[0])})"
    with pytest.raises(ApprovalBlocked, match=re.escape(named)):
        workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))
    annotations.annotation_resolve(annotation=annotation, actor=reviewers[0], note="Dose cited.")
    assert (
        workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve")).state
        == "approved"
    )


# Into the next version ----------------------------------------------------------------------------


def next_version_with(version, author, editor, body):
    workflow.version_request_changes(version=version, actor=editor, message="See the annotations.")
    nxt = workflow.version_create_next(article=version.article, author=author)
    return workflow.version_edit_draft(version=nxt, actor=author, body=body)


def test_open_annotations_and_their_threads_follow_into_the_next_version(version, author, editor, reviewer):
    kept = annotate(version, reviewer, severity="must_fix")
    annotations.annotation_reply(annotation=kept, actor=editor, comment="Agreed.")
    done = annotate(version, reviewer, exact="Baclofen")
    annotations.annotation_resolve(annotation=done, actor=reviewer)
    workflow.version_request_changes(version=version, actor=editor, message="See the annotations.")
    nxt = workflow.version_create_next(article=version.article, author=author)
    [copy] = Annotation.objects.filter(version=nxt)
    assert (copy.carried_from, copy.anchor, copy.exact, copy.severity) == (
        kept,
        Anchor.CONTEXT,
        kept.exact,
        "must_fix",
    )
    assert [r.comment for r in copy.replies.all()] == ["Agreed."]
    assert AuditEvent.objects.filter(version=nxt, action=AuditAction.ANNOTATIONS_CARRIED).count() == 1
    reply = annotations.annotation_reply(
        annotation=copy, actor=author, comment="The dose now cites the label."
    )
    assert reply.annotation == copy


def reanchored(version, author, editor, reviewer, exact, new_body, **kwargs):
    old = annotate(version, reviewer, exact=exact, **kwargs)
    next_version_with(version, author, editor, new_body)
    copy = Annotation.objects.get(carried_from=old)
    return old, copy


def test_reanchoring_a_kept_passage(version, author, editor, reviewer):
    old, copy = reanchored(version, author, editor, reviewer, "started at a low dose", BODY)
    assert (copy.anchor, copy.start, copy.end) == (Anchor.CONTEXT, old.start, old.end)


def test_reanchoring_a_moved_passage(version, author, editor, reviewer):
    moved = "A new opening paragraph.\n\n" + BODY
    old, copy = reanchored(version, author, editor, reviewer, "started at a low dose", moved)
    text = plain_text(copy.version).text
    # the paragraph before it changed: the exact words, found elsewhere
    assert copy.anchor == Anchor.EXACT and copy.start > old.start
    assert text[copy.start : copy.end] == "started at a low dose"


def test_reanchoring_a_passage_moved_with_its_surroundings(version, author, editor, reviewer):
    moved = BODY + "\n\nA closing paragraph."
    old, copy = reanchored(version, author, editor, reviewer, "Stopping it abruptly is dangerous 2", moved)
    assert copy.anchor == Anchor.CONTEXT


def test_reanchoring_a_passage_edited_around_the_quote(version, author, editor, reviewer):
    edited = BODY.replace(
        "Baclofen is started at a low dose [1].", "Doctors say it is started at a low dose, slowly [1]."
    )
    old, copy = reanchored(version, author, editor, reviewer, "started at a low dose", edited)
    text = plain_text(copy.version).text
    assert copy.anchor == Anchor.EXACT
    assert text[copy.start : copy.end] == "started at a low dose"


def test_reanchoring_a_deleted_passage(version, author, editor, reviewer):
    deleted = BODY.replace("Baclofen is started at a low dose [1].\n\n", "")
    old, copy = reanchored(version, author, editor, reviewer, "started at a low dose", deleted)
    assert (copy.anchor, copy.start, copy.end, copy.exact) == (
        Anchor.CHANGED,
        None,
        None,
        "started at a low dose",
    )


def test_reanchoring_picks_the_occurrence_with_the_same_context(version, author, editor, reviewer):
    old = annotate(version, reviewer, exact="Stopping it abruptly is dangerous", suffix=" for the liver")
    swapped = (
        "Baclofen is started at a low dose [1].\n\n"
        "Stopping it abruptly is dangerous for the liver too [1].\n\n"
        "Stopping it abruptly is dangerous [2]."
    )
    next_version_with(version, author, editor, swapped)
    copy = Annotation.objects.get(carried_from=old)
    text = plain_text(copy.version).text
    assert copy.anchor == Anchor.EXACT  # what followed the last paragraph changed
    assert text[copy.end :].startswith(" for the liver")


# Reviewer emails -------------------------------------------------------------------------------


def test_the_invitation_and_the_reminder_name_the_open_must_fix_annotations(
    version, reviewers, editor, reviewer
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from editorial import reminders
    from editorial.models import Notification, NotificationKind
    from editorial.notifications import build_message

    annotate(version, reviewer, severity="must_fix")
    annotate(version, reviewer, exact="low dose", severity="must_fix")
    annotate(version, reviewer, exact="Baclofen")  # a suggestion is not counted
    newcomer = make_user("Reviewer", username="newcomer")
    assignment = workflow.assignment_create(version=version, reviewer=newcomer, actor=editor)
    invitation = Notification.objects.get(kind=NotificationKind.INVITED, recipient=newcomer)
    message = build_message(invitation)
    assert "Open must-fix annotations on this version: 2 (each blocks approval" in message.body
    assert "<strong>2</strong>" in message.alternatives[0][0]
    with time_machine.travel(assignment.review_due + timedelta(days=1), tick=False):
        reminders.sweep(dispatch=lambda ids: None, now=timezone.now())
    reminder = Notification.objects.filter(recipient=newcomer, reminder__isnull=False).latest("pk")
    assert "Open must-fix annotations on this version: 2" in build_message(reminder).body
