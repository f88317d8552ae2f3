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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django_fsm import can_proceed, has_transition_perm

from editorial.models import AuditAction


class Target(StrEnum):
    VERSION = "version"
    ASSIGNMENT = "assignment"


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

    def done_for(self, version) -> str:
        return self.done.format(number=version.number)

    def call(self, **kwargs):
        """Run the service (``version=`` or ``assignment=``, ``actor=``, and the verb's words)."""
        from editorial import workflow

        function: Callable = getattr(workflow, self.service)
        return function(**kwargs)

    def may(self, version, user) -> bool:
        """Whether ``user`` may use this verb on ``version`` now, as the model's graph says (the
        service checks again, under a lock, and adds what the graph cannot know)."""
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
)

VERBS: dict[str, Verb] = {verb.name: verb for verb in _VERBS}
# The verbs a person presses (``supersede`` happens to the previous version when one is
# published: nobody presses it).
PRESSED = tuple(name for name in VERBS if name != "supersede")
