"""Re-review of a live version: the board confirms it is still accurate and current, or asks
for a revision; a board member marks a reference superseded (evidence watch).

A cycle (``ReReview``) is opened by the reminder sweep when the live version comes due
(``Article.next_review_due``; exactly once per due date), by an editor with a reason, by a
reference marked superseded, or from a reader's report. Its assignments are ordinary
``ReviewAssignment`` rows pointing at the cycle, created by ``workflow.assignment_create``: due
dates, invitations, reminders and escalation are the ordinary ones (``editorial.reminders``
sweeps every open assignment). Each assigned reviewer records one decision:

- ``confirm``: an electronic signature with its own meaning (``signatures.MEANINGS``). A quorum
  of confirmations (``EDITORIAL["QUORUM"]``, the same number as a first review's approvals)
  closes the cycle: the version's ``last_reviewed_at`` becomes that moment, so its next review
  falls due one interval later, and readers' history says "Re-reviewed on <date> by <names>: no
  changes needed".
- ``request_revision``: names what changed in the evidence; the cycle closes at once, the
  author is asked for a new version (the ordinary workflow) and the live version stays up.

Every change writes an audit event; a refusal raises a ``WorkflowError`` before anything is
written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from articles.models import Article, ArticleVersion, Reference, VersionState
from editorial import audit, notifications, signatures, workflow
from editorial.errors import ConcurrentChange, InvalidInput, NotPermitted, TransitionRefused, WorkflowError
from editorial.models import (
    OPEN_ASSIGNMENT_STATES,
    AuditAction,
    Decision,
    NotificationKind,
    ReferenceFlag,
    ReReview,
    ReReviewState,
    ReReviewTrigger,
    Review,
    ReviewAssignment,
    Signature,
)
from editorial.roles import member_name
from editorial.signatures import Signing


def grace() -> timedelta:
    return timedelta(days=settings.EDITORIAL["RE_REVIEW_GRACE_DAYS"])


def overdue_since(article: Article, *, now: datetime | None = None) -> datetime | None:
    """When the live version came due for re-review, if it is now overdue by more than the
    grace period (readers are told, the JSON-LD stops claiming the old review date); else None.
    A confirming re-review or a newer published version moves the due date on."""
    due = article.next_review_due
    if due is None or article.live_version.state != VersionState.PUBLISHED:
        return None
    now = now or timezone.now()
    return due if now >= due + grace() else None


def open_cycle(version: ArticleVersion | int) -> ReReview | None:
    version_id = version if isinstance(version, int) else version.pk
    return ReReview.objects.filter(version_id=version_id, state=ReReviewState.OPEN).first()


def open_cycles(version_ids: list[int]) -> dict[int, ReReview]:
    """The open cycle of each of these versions that has one, in one query."""
    return {
        cycle.version_id: cycle
        for cycle in ReReview.objects.filter(version_id__in=version_ids, state=ReReviewState.OPEN)
    }


# Who may: one home for the re-review verbs' refusals --------------------------------------


def refusal(verb: str, target, user) -> WorkflowError | None:
    """Why ``user`` may not use re-review verb ``verb`` on ``target`` now; None when they may.
    ``target``: the article (open_re_review), the assignment (confirm, request_revision), the
    reference (flag_reference)."""
    active = user is not None and getattr(user, "is_authenticated", False) and user.is_active
    if verb == "open_re_review":
        if not active or not user.has_perm("articles.decide_version"):
            return NotPermitted("Only editors can open a re-review.")
        live = target.live_version
        if live is None or live.state != VersionState.PUBLISHED:
            return TransitionRefused("Only a published article can be re-reviewed.")
        if open_cycle(live) is not None:
            return TransitionRefused(f"A re-review of version {live.number} is already open.")
        return None
    if verb in ("confirm", "request_revision"):
        assignment: ReviewAssignment = target
        if not active or not user.has_perm("articles.review_version"):
            return NotPermitted("Only board reviewers can record a re-review decision.")
        if assignment.reviewer_id != user.pk:
            return NotPermitted("Only the assigned reviewer can record this decision.")
        if assignment.version.author_id == user.pk:
            return NotPermitted("Nobody re-reviews a version they wrote.")
        cycle = assignment.re_review
        if cycle is None:
            return TransitionRefused("This assignment is not part of a re-review.")
        if not cycle.is_open:
            return TransitionRefused(f"This re-review is closed ({cycle.get_state_display().lower()}).")
        if assignment.state not in OPEN_ASSIGNMENT_STATES:
            return TransitionRefused(f"This assignment is {assignment.get_state_display().lower()}.")
        return None
    if verb == "flag_reference":
        reference: Reference = target
        board = active and (
            user.has_perm("articles.review_version") or user.has_perm("articles.decide_version")
        )
        if not board:
            return NotPermitted("Only board members can mark a reference superseded.")
        version = reference.version
        if version.state != VersionState.PUBLISHED or version.article.live_version_id != version.pk:
            return TransitionRefused("Only a reference of a live version can be marked superseded.")
        if ReferenceFlag.objects.filter(reference=reference).exists():
            return TransitionRefused(f"Reference {reference.number} is already marked superseded.")
        return None
    raise ValueError(f"{verb!r} is not a re-review verb")


def _refuse(verb: str, target, user) -> None:
    error = refusal(verb, target, user)
    if error is not None:
        raise error


# Opening ------------------------------------------------------------------------------------


def _open(
    *,
    version: ArticleVersion,
    trigger: str,
    actor=None,
    reason: str = "",
    due_at: datetime | None = None,
    data: dict | None = None,
) -> ReReview:
    """Open a cycle on ``version`` (its article locked by the caller) and record it."""
    try:
        with transaction.atomic():
            cycle = ReReview.objects.create(
                article_id=version.article_id,
                version=version,
                trigger=trigger,
                reason=reason,
                due_at=due_at,
                opened_by=actor,
            )
    except IntegrityError as exc:
        raise ConcurrentChange(f"A re-review of version {version.number} is already open.") from exc
    label = ReReviewTrigger(trigger).label
    audit.record(
        article=version.article_id,
        version=version,
        actor=actor,
        action=AuditAction.RE_REVIEW_OPENED,
        state_after=cycle.state,
        message=f"The board is re-reviewing version {version.number}: {label[0].lower()}{label[1:]}.",
        data={
            "re_review": cycle.pk,
            "trigger": trigger,
            **({"due": due_at.date().isoformat()} if due_at else {}),
            **(data or {}),
        },
    )
    return cycle


@transaction.atomic
def re_review_open(
    *, article: Article, actor, reason: str, trigger: str = ReReviewTrigger.EDITOR, data: dict | None = None
) -> ReReview:
    """An editor opens a re-review of the live version at any time, with a reason."""
    reason = workflow._checked_words(reason, "reason")
    if not reason.strip():
        raise InvalidInput("Give the reason for the re-review.", fields={"reason": "Give the reason."})
    Article.objects.select_for_update().filter(pk=article.pk).values_list("pk", flat=True).get()
    article = Article.objects.select_related("live_version").get(pk=article.pk)
    _refuse("open_re_review", article, actor)
    return _open(version=article.live_version, trigger=trigger, actor=actor, reason=reason, data=data)


def open_scheduled(*, version: ArticleVersion, due_at: datetime) -> ReReview | None:
    """The sweep's opening, inside its transaction with the article locked: the cycle for this
    due date, unless one exists already (for that date, or open). None when not opened."""
    if (
        ReReview.objects.filter(version=version).filter(state=ReReviewState.OPEN).exists()
        or ReReview.objects.filter(version=version, trigger=ReReviewTrigger.SCHEDULE, due_at=due_at).exists()
    ):
        return None
    return _open(version=version, trigger=ReReviewTrigger.SCHEDULE, due_at=due_at)


def suggested_reviewers(cycle: ReReview) -> list:
    """The board members who last reviewed the version (its approvers, and the reviewers of its
    last re-review), still active reviewers, never its author: the editor's suggestion."""
    reviews = (
        Review.objects.filter(version=cycle.version, decision__in=[Decision.APPROVE, Decision.CONFIRM])
        .exclude(reviewer_id=cycle.version.author_id)
        .order_by("-created_at")
        .values_list("reviewer_id", flat=True)
    )
    ids = list(dict.fromkeys(reviews))
    users = get_user_model().objects.filter(pk__in=ids, is_active=True).select_related("board_member")
    found = {user.pk: user for user in users if user.has_perm("articles.review_version")}
    return [found[pk] for pk in ids if pk in found]


def re_review_assign(
    *,
    cycle: ReReview,
    reviewer,
    actor,
    response_due: datetime | None = None,
    review_due: datetime | None = None,
) -> ReviewAssignment:
    """Invite a board member to the re-review: the ordinary assignment, with its due dates."""
    return workflow.assignment_create(
        version=cycle.version,
        reviewer=reviewer,
        actor=actor,
        response_due=response_due,
        review_due=review_due,
        re_review=cycle,
    )


# Deciding -----------------------------------------------------------------------------------


def re_review_confirm(
    *,
    assignment: ReviewAssignment,
    actor,
    signing: Signing | None = None,
    no_conflict_declared: bool = False,
    conflict_statement: str = "",
    comment: str = "",
) -> Review:
    """The reviewer confirms the version is still accurate and current: electronically signed."""
    comment = workflow._checked_field(Review, "comment_to_author", comment)
    conflict_statement = workflow._checked_field(Review, "conflict_statement", conflict_statement)
    current = ReviewAssignment.objects.select_related("version__article", "re_review").get(pk=assignment.pk)
    _refuse("confirm", current, actor)
    _refuse_declaration(Decision.CONFIRM, no_conflict_declared, conflict_statement, comment)
    signature = signatures.sign(verb="confirm", signer=actor, signing=signing, version=current.version)
    return _decide(
        assignment=assignment,
        actor=actor,
        decision=Decision.CONFIRM,
        comment=comment,
        no_conflict_declared=no_conflict_declared,
        conflict_statement=conflict_statement,
        signature=signature,
    )


def re_review_request_revision(
    *,
    assignment: ReviewAssignment,
    actor,
    comment: str = "",
    no_conflict_declared: bool = False,
    conflict_statement: str = "",
) -> Review:
    """The reviewer asks for a revision, naming what changed in the evidence (the author reads it)."""
    comment = workflow._checked_field(Review, "comment_to_author", comment)
    conflict_statement = workflow._checked_field(Review, "conflict_statement", conflict_statement)
    return _decide(
        assignment=assignment,
        actor=actor,
        decision=Decision.REQUEST_REVISION,
        comment=comment,
        no_conflict_declared=no_conflict_declared,
        conflict_statement=conflict_statement,
        signature=None,
    )


def _refuse_declaration(
    decision: str, no_conflict_declared: bool, conflict_statement: str, comment: str
) -> None:
    problems = {}
    if not no_conflict_declared and not conflict_statement.strip():
        problems["no_conflict_declared"] = (
            "Declare that you have no conflict of interest, or describe the conflict."
        )
    if conflict_statement.strip() and decision == Decision.CONFIRM:
        problems["conflict_statement"] = (
            "A reviewer with a declared conflict of interest cannot confirm; decline the assignment instead."
        )
    if decision == Decision.REQUEST_REVISION and not comment.strip():
        problems["comment"] = "Name what changed in the evidence: the author reads this."
    if problems:
        raise InvalidInput(" ".join(dict.fromkeys(problems.values())), fields=problems)


@transaction.atomic
def _decide(
    *,
    assignment: ReviewAssignment,
    actor,
    decision: str,
    comment: str,
    no_conflict_declared: bool,
    conflict_statement: str,
    signature: Signature | None,
) -> Review:
    version, assignment = workflow._lock_assignment(assignment)
    assignment.version = version
    verb = "confirm" if decision == Decision.CONFIRM else "request_revision"
    _refuse(verb, assignment, actor)
    _refuse_declaration(decision, no_conflict_declared, conflict_statement, comment)
    if decision == Decision.CONFIRM:
        signatures.require(signature)
    cycle = ReReview.objects.select_for_update().get(pk=assignment.re_review_id)
    before = assignment.state
    review = Review.objects.create(
        assignment=assignment,
        version=version,
        re_review=cycle,
        reviewer=actor,
        decision=decision,
        comment_to_author=comment,
        no_conflict_declared=no_conflict_declared,
        conflict_statement=conflict_statement,
        citations_checked=decision == Decision.CONFIRM,
        doses_checked=decision == Decision.CONFIRM,
    )
    assignment.complete(at=review.created_at)
    assignment.save()
    data = {
        "decision": decision,
        "review": review.pk,
        "re_review": cycle.pk,
        "digest": audit.words_digest(decision, comment, conflict_statement),
    }
    if signature is not None:
        data["signature"] = workflow._save_signature(signature, version, review=review)
    audit.record(
        article=version.article_id,
        version=version,
        actor=actor,
        action=AuditAction.REVIEW_RECORDED,
        state_before=before,
        state_after=assignment.state,
        message=review.get_decision_display(),
        data=data,
    )
    if decision == Decision.REQUEST_REVISION:
        _close_revision(cycle, version=version, actor=actor, review=review)
    elif len(confirmations(cycle)) >= workflow.quorum():
        _close_confirmed(cycle, version=version, actor=actor)
    return review


def confirmations(cycle: ReReview) -> list[Review]:
    """The confirmations that count toward the quorum: never one by the version's own author."""
    return list(
        cycle.reviews.filter(decision=Decision.CONFIRM)
        .exclude(reviewer_id=cycle.version.author_id)
        .select_related("reviewer__board_member")
        .order_by("created_at", "pk")
    )


def _close_open_assignments(cycle: ReReview, *, version: ArticleVersion, actor) -> None:
    workflow.close_open_assignments(
        version,
        actor=actor,
        assignments=cycle.assignments.all(),
        message="The re-review closed before this decision was recorded.",
        data={"re_review": cycle.pk},
    )


def _close_confirmed(cycle: ReReview, *, version: ArticleVersion, actor) -> None:
    now = timezone.now()
    before = cycle.state
    cycle.confirm(at=now)
    cycle.save()
    ArticleVersion.objects.filter(pk=version.pk).update(last_reviewed_at=now)
    version.last_reviewed_at = now
    names = [member_name(review.reviewer) for review in confirmations(cycle)]
    _close_open_assignments(cycle, version=version, actor=actor)
    audit.record(
        article=version.article_id,
        version=version,
        actor=None,
        action=AuditAction.RE_REVIEW_CONFIRMED,
        state_before=before,
        state_after=cycle.state,
        message=f"Re-reviewed on {notifications.display_date(now)} by {_and(names)}: no changes needed.",
        data={"re_review": cycle.pk, "reviewed_on": now.date().isoformat(), "quorum": workflow.quorum()},
    )


def _close_revision(cycle: ReReview, *, version: ArticleVersion, actor, review: Review) -> None:
    before = cycle.state
    cycle.request_revision(at=timezone.now())
    cycle.save()
    _close_open_assignments(cycle, version=version, actor=actor)
    audit.record(
        article=version.article_id,
        version=version,
        actor=actor,
        action=AuditAction.RE_REVIEW_REVISION_REQUESTED,
        state_before=before,
        state_after=cycle.state,
        message=f"The board asked for a revision of version {version.number}; "
        "it stays up until the revision is published.",
        data={"re_review": cycle.pk, "review": review.pk},
    )
    author = version.author
    notifications.queue(
        [
            notifications.row(
                kind=NotificationKind.CHANGES_REQUESTED,
                recipient=author,
                version=version,
                context={
                    **notifications.version_context(version),
                    "message": "A re-review of the published version asks for a revision. "
                    "Start the next version in your workspace; the published one stays up meanwhile.",
                    "comments": [
                        {
                            "reviewer": "A board member",
                            "decision": "Ask for a revision",
                            "comment": review.comment_to_author,
                        }
                    ],
                    "link": notifications.site_url("/author/"),
                },
            )
        ]
    )


def _and(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# Evidence watch -----------------------------------------------------------------------------


@transaction.atomic
def reference_flag(*, reference: Reference, actor, note: str) -> ReferenceFlag:
    """A board member marks a reference of the live version superseded, with a note: readers see
    it "under review", and a re-review opens (or the open one takes it)."""
    note = workflow._checked_field(ReferenceFlag, "note", note)
    if not note.strip():
        raise InvalidInput("Say what superseded it (a newer guideline, a withdrawn paper, a changed label).")
    found = (
        Reference.objects.filter(pk=getattr(reference, "pk", None))
        .values_list("version__article_id", flat=True)
        .first()
    )
    if found is None:
        raise TransitionRefused("That reference does not exist.")
    Article.objects.select_for_update().filter(pk=found).values_list("pk", flat=True).get()
    reference = Reference.objects.select_related("version__article").get(pk=reference.pk)
    _refuse("flag_reference", reference, actor)
    version = reference.version
    cycle = open_cycle(version)
    if cycle is None:
        cycle = _open(
            version=version,
            trigger=ReReviewTrigger.EVIDENCE,
            actor=actor,
            reason=note,
            data={"reference": reference.number},
        )
    try:
        with transaction.atomic():
            flag = ReferenceFlag.objects.create(
                reference=reference, version=version, re_review=cycle, flagged_by=actor, note=note
            )
    except IntegrityError as exc:
        raise ConcurrentChange(f"Reference {reference.number} is already marked superseded.") from exc
    audit.record(
        article=version.article_id,
        version=version,
        actor=actor,
        action=AuditAction.REFERENCE_FLAGGED,
        message=f"Reference {reference.number} is under review: a board member marked it superseded.",
        data={"reference": reference.number, "re_review": cycle.pk, "flag": flag.pk},
    )
    return flag


def reference_under_review() -> Exists:
    """An annotation for references: whether readers see it "under review" (marked superseded,
    and no re-review has confirmed the version since; a revision keeps it under review until it
    replaces the version). ``flagged_references`` is the same rule for one version."""
    return Exists(
        ReferenceFlag.objects.filter(reference=OuterRef("pk")).exclude(
            re_review__state=ReReviewState.CONFIRMED
        )
    )


def flagged_references(version: ArticleVersion) -> set[int]:
    """The numbers of ``version``'s references readers see "under review": marked superseded,
    and no re-review has confirmed the version since (a revision keeps them under review until
    it replaces the version)."""
    return set(
        ReferenceFlag.objects.exclude(re_review__state=ReReviewState.CONFIRMED)
        .filter(version=version)
        .values_list("reference__number", flat=True)
    )
