"""The registry of workflow verbs: one entry per thing a person can do to a version or to a
review assignment.

Each entry names the service that does it (in ``editorial.workflow``), the audit action it
records, how a refusal reads (wrong state, wrong person), what the person is told when it
worked, and which words it needs. The services read their refusal phrases and audit actions
here; the admin's buttons and the workspace's buttons read the labels, the words and ``may``;
the tests' permission table reads the list. Who may act and from which states is the model's
transition graph (``articles.models.ArticleVersion``, ``editorial.models.ReviewAssignment``),
which ``may`` asks.

A new verb: a transition on the model, a service in ``editorial.workflow``, one entry here.

The annotation verbs (annotate a passage, reply, resolve) act on a version's passages, not on
its state: their service module is ``editorial.annotations``, which holds the rules for who may
use them and when (``editorial.annotations.refusal``); ``may`` asks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from importlib import import_module

from django_fsm import can_proceed, has_transition_perm

from editorial.models import AuditAction


class Target(StrEnum):
    VERSION = "version"
    ASSIGNMENT = "assignment"
    ANNOTATION = "annotation"  # annotate: on a version's passage; reply, resolve: on an annotation
    RE_REVIEW = "re_review"  # a live version's re-review (editorial.rereview) and reader reports


@dataclass(frozen=True)
class Verb:
    """One workflow verb, as every interface and the services see it."""

    name: str  # the model's transition (for version verbs) and the admin's URL slug
    label: str  # the button
    target: Target
    service: str  # the function in ``editorial.workflow``
    action: AuditAction
    done: str  # what the person reads when it worked ({number}: the version's number)
    refused_state: str = ""  # "<version is X>: <this>." when the state does not allow it
    refused_person: str = ""  # "You do not have permission to <this>."
    words: str = ""  # the service's keyword for the person's words ("message", "reason"), if any
    words_required: bool = False
    words_label: str = ""
    module: str = "workflow"  # where ``service`` lives, in ``editorial``

    def done_for(self, version) -> str:
        return self.done.format(number=version.number)

    def call(self, **kwargs):
        """Run the service (``version=`` or ``assignment=``, ``actor=``, and the verb's words)."""
        function: Callable = getattr(import_module(f"editorial.{self.module}"), self.service)
        return function(**kwargs)

    def may(self, version, user, *, standing=None) -> bool:
        """Whether ``user`` may use this verb on ``version`` now, as the model's graph says (the
        service checks again, under a lock, and adds what the graph cannot know). An annotation
        verb asks ``editorial.annotations.refusal`` (``version`` is then the annotation for reply
        and resolve; ``standing``, the person's place on the version, saves a query per call)."""
        if self.target is Target.ANNOTATION:
            from editorial import annotations

            return annotations.refusal(self.name, version, user, standing=standing) is None
        if self.target is Target.RE_REVIEW:
            # ``version`` is the verb's own target: the article, the assignment, the reference
            # or the report (``editorial.rereview.refusal``, ``editorial.reports.refusal``).
            module = import_module(f"editorial.{self.module}")
            return module.refusal(self.name, version, user) is None
        if self.target is not Target.VERSION:
            raise TypeError(f"{self.name} acts on an assignment")
        method = getattr(version, self.name)
        return bool(user.is_active and can_proceed(method) and has_transition_perm(method, user))


_VERBS = (
    Verb(
        "submit",
        "Submit to the board",
        Target.VERSION,
        "version_submit",
        AuditAction.VERSION_SUBMITTED,
        done="Version {number} submitted to the board. Its content is now frozen.",
        refused_state="it cannot be submitted",
        refused_person="submit this version (only its author can)",
    ),
    Verb(
        "start_review",
        "Start the review",
        Target.VERSION,
        "version_start_review",
        AuditAction.VERSION_REVIEW_STARTED,
        done="The review has started; the assigned board members can record their decisions.",
        refused_state="its review cannot be started",
        refused_person="start the review of this version (editors only)",
    ),
    Verb(
        "approve",
        "Approve",
        Target.VERSION,
        "version_approve",
        AuditAction.VERSION_APPROVED,
        done="Version {number} approved. Publish it to make it the version readers see.",
        refused_state="it cannot be approved",
        refused_person="approve this version (editors only)",
        words="message",
        words_label="Note (optional)",
    ),
    Verb(
        "request_changes",
        "Request changes",
        Target.VERSION,
        "version_request_changes",
        AuditAction.VERSION_CHANGES_REQUESTED,
        done="Changes requested; the author can draft the next version.",
        refused_state="changes cannot be requested",
        refused_person="request changes on this version (editors only)",
        words="message",
        words_required=True,
        words_label="What must change (the author reads this)",
    ),
    Verb(
        "reject",
        "Reject",
        Target.VERSION,
        "version_reject",
        AuditAction.VERSION_REJECTED,
        done="Version {number} rejected.",
        refused_state="it cannot be rejected",
        refused_person="reject this version (editors only)",
        words="reason",
        words_required=True,
        words_label="Reason (the author reads this)",
    ),
    Verb(
        "publish",
        "Publish",
        Target.VERSION,
        "version_publish",
        AuditAction.VERSION_PUBLISHED,
        done="Published: readers now see this version.",
        refused_state="it cannot be published",
        refused_person="publish this version (editors only)",
    ),
    Verb(
        "withdraw",
        "Withdraw",
        Target.VERSION,
        "version_withdraw",
        AuditAction.VERSION_WITHDRAWN,
        done="Version {number} withdrawn.",
        refused_state="it cannot be withdrawn",
        refused_person="withdraw this version (its author or an editor)",
        words="reason",
        words_label="Reason (optional)",
    ),
    Verb(
        "retract",
        "Retract",
        Target.VERSION,
        "version_retract",
        AuditAction.VERSION_RETRACTED,
        done="Version {number} retracted; readers see the retraction notice.",
        refused_state="it cannot be retracted",
        refused_person="retract this version (editors only)",
        words="reason",
        words_required=True,
        words_label="Reason (readers see this)",
    ),
    Verb(
        "supersede",
        "Supersede",
        Target.VERSION,
        "version_publish",
        AuditAction.VERSION_SUPERSEDED,
        done="Superseded by a newer version.",
        refused_state="it cannot be superseded",
        refused_person="supersede this version (editors only)",
    ),
    Verb(
        "accept",
        "Accept",
        Target.ASSIGNMENT,
        "assignment_accept",
        AuditAction.ASSIGNMENT_ACCEPTED,
        done="You accepted the invitation.",
    ),
    Verb(
        "decline",
        "Decline",
        Target.ASSIGNMENT,
        "assignment_decline",
        AuditAction.ASSIGNMENT_DECLINED,
        done="You declined the invitation; the editors have been told why.",
    ),
    Verb(
        "review",
        "Record my review",
        Target.ASSIGNMENT,
        "review_record",
        AuditAction.REVIEW_RECORDED,
        done="Your review is recorded.",
    ),
    Verb(
        "open_re_review",
        "Open a re-review",
        Target.RE_REVIEW,
        "re_review_open",
        AuditAction.RE_REVIEW_OPENED,
        done="Re-review of version {number} opened: assign reviewers (the last ones are suggested).",
        refused_state="it cannot be re-reviewed now",
        refused_person="open a re-review (editors only)",
        words="reason",
        words_required=True,
        words_label="Why (the board reads this)",
        module="rereview",
    ),
    Verb(
        "confirm",
        "Confirm: still accurate and current",
        Target.RE_REVIEW,
        "re_review_confirm",
        AuditAction.REVIEW_RECORDED,
        done="Your confirmation is recorded.",
        refused_state="its re-review is closed",
        refused_person="record this re-review decision (the assigned reviewer)",
        words="comment",
        words_label="Comment (optional)",
        module="rereview",
    ),
    Verb(
        "request_revision",
        "Ask for a revision",
        Target.RE_REVIEW,
        "re_review_request_revision",
        AuditAction.REVIEW_RECORDED,
        done="Your request for a revision is recorded; the author is asked for a new version.",
        refused_state="its re-review is closed",
        refused_person="record this re-review decision (the assigned reviewer)",
        words="comment",
        words_required=True,
        words_label="What changed in the evidence (the author reads this)",
        module="rereview",
    ),
    Verb(
        "flag_reference",
        "Mark superseded",
        Target.RE_REVIEW,
        "reference_flag",
        AuditAction.REFERENCE_FLAGGED,
        done="The reference is marked superseded; readers see it under review and a re-review is open.",
        refused_state="only a live version's references can be marked",
        refused_person="mark a reference superseded (board members)",
        words="note",
        words_required=True,
        words_label="What superseded it",
        module="rereview",
    ),
    Verb(
        "dismiss_report",
        "Dismiss",
        Target.RE_REVIEW,
        "report_dismiss",
        AuditAction.REPORT_DISMISSED,
        done="The report is dismissed.",
        refused_state="it was triaged already",
        refused_person="triage reader reports (editors only)",
        words="reason",
        words_required=True,
        words_label="Reason",
        module="reports",
    ),
    Verb(
        "reply_report",
        "Reply",
        Target.RE_REVIEW,
        "report_reply",
        AuditAction.REPORT_REPLIED,
        done="Your reply is on its way to the reader.",
        refused_state="it was triaged already",
        refused_person="triage reader reports (editors only)",
        words="reply",
        words_required=True,
        words_label="Reply (sent to the reader's email)",
        module="reports",
    ),
    Verb(
        "re_review_report",
        "Open a re-review",
        Target.RE_REVIEW,
        "report_open_re_review",
        AuditAction.REPORT_ESCALATED,
        done="A re-review is open for this article.",
        refused_state="it was triaged already",
        refused_person="triage reader reports (editors only)",
        words="reason",
        words_required=True,
        words_label="Why (the board reads this)",
        module="reports",
    ),
    Verb(
        "annotate",
        "Annotate",
        Target.ANNOTATION,
        "annotation_create",
        AuditAction.ANNOTATION_CREATED,
        done="Your annotation is recorded beside its passage.",
        refused_state="passages are annotated only while the board reviews it",
        refused_person="annotate this version (its assigned reviewers and the editors)",
        words="comment",
        words_required=True,
        words_label="Comment",
        module="annotations",
    ),
    Verb(
        "reply",
        "Reply",
        Target.ANNOTATION,
        "annotation_reply",
        AuditAction.ANNOTATION_REPLIED,
        done="Your answer is added to the thread.",
        refused_state="its annotations are closed",
        refused_person="answer this annotation",
        words="comment",
        words_required=True,
        words_label="Answer",
        module="annotations",
    ),
    Verb(
        "resolve",
        "Resolve",
        Target.ANNOTATION,
        "annotation_resolve",
        AuditAction.ANNOTATION_RESOLVED,
        done="The annotation is resolved.",
        refused_state="its annotations are resolved only while the board reviews it",
        refused_person="resolve this annotation (the board member who made it, or an editor)",
        words="note",
        words_label="Note (required for a must-fix)",
        module="annotations",
    ),
)

VERBS: dict[str, Verb] = {verb.name: verb for verb in _VERBS}
# The workflow verbs a person presses on the version page's buttons (``supersede`` happens to
# the previous version when one is published: nobody presses it).
PRESSED = tuple(
    name
    for name, verb in VERBS.items()
    if name != "supersede" and verb.target not in (Target.ANNOTATION, Target.RE_REVIEW)
)
# The re-review verbs (a live version's re-review, evidence watch, reader reports): their own
# pages in the admin, their own permission table (tests/support/permissions.py).
RE_REVIEW_VERBS = tuple(name for name, verb in VERBS.items() if verb.target is Target.RE_REVIEW)
# The annotation verbs: forms beside the passages (the admin's version page, the workspace).
ANNOTATION_VERBS = tuple(name for name, verb in VERBS.items() if verb.target is Target.ANNOTATION)
