"""What one person may do on one version, now: the buttons the version page shows. The
services decide again when one is pressed."""

from __future__ import annotations

from dataclasses import dataclass, field

from articles.models import ArticleVersion, VersionState
from editorial import workflow
from editorial.models import AssignmentState, ReviewAssignment
from editorial.roles import is_editor
from editorial.verbs import VERBS


@dataclass
class VersionActions:
    """The buttons to show. The services decide again when one is pressed."""

    start_review: bool = False
    start_review_hint: str = ""
    approve: bool = False
    approve_blockers: list[str] = field(default_factory=list)
    request_changes: bool = False
    reject: bool = False
    publish: bool = False
    withdraw: bool = False
    retract: bool = False
    assign: bool = False
    withdraw_assignment: bool = False
    my_assignment: ReviewAssignment | None = None
    accept: bool = False
    decline: bool = False
    review: bool = False
    review_hint: str = ""

    @property
    def editor_any(self) -> bool:
        return any(
            (
                self.start_review,
                self.approve,
                self.request_changes,
                self.reject,
                self.publish,
                self.withdraw,
                self.retract,
                self.assign,
                self.approve_blockers,
            )
        )


def actions_for(version: ArticleVersion, user, assignments: list[ReviewAssignment]) -> VersionActions:
    actions = VersionActions()
    active = [a for a in assignments if a.state not in (AssignmentState.DECLINED, AssignmentState.WITHDRAWN)]
    if VERBS["start_review"].may(version, user):
        actions.start_review = bool(active)
        if not active:
            actions.start_review_hint = workflow.NEEDS_A_REVIEWER
    if VERBS["approve"].may(version, user):
        actions.approve_blockers = workflow.approval_blockers(version)
        actions.approve = not actions.approve_blockers
    actions.request_changes = VERBS["request_changes"].may(version, user)
    actions.reject = VERBS["reject"].may(version, user)
    actions.publish = VERBS["publish"].may(version, user)
    actions.withdraw = VERBS["withdraw"].may(version, user)
    actions.retract = VERBS["retract"].may(version, user)
    editor = is_editor(user)
    actions.assign = editor and version.state in (VersionState.SUBMITTED, VersionState.UNDER_REVIEW)
    actions.withdraw_assignment = editor
    mine = next((a for a in assignments if a.reviewer_id == user.pk), None)
    actions.my_assignment = mine
    if mine is not None and user.has_perm("articles.review_version"):
        open_ = mine.state in (AssignmentState.INVITED, AssignmentState.ACCEPTED)
        actions.accept = actions.decline = mine.state == AssignmentState.INVITED
        if open_ and version.author_id != user.pk:
            actions.review = version.state == VersionState.UNDER_REVIEW
            if not actions.review:
                actions.review_hint = (
                    f"The review opens when an editor starts it (the version is "
                    f"{version.get_state_display().lower()})."
                )
    return actions
