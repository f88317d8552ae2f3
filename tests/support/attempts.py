"""Trying a verb of the permission table (``tests.support.permissions``) as a person would:
through its service, the admin's button or the workspace's form; and what a refusal must leave
as it was.

``reviewer`` is the board member whose assignment the assignment verbs act on; ``newcomer`` is
the board member ``assign`` invites.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from articles.models import ArticleVersion, Reference
from editorial import annotations, workflow
from editorial.errors import NotPermitted, TransitionRefused
from editorial.models import Annotation, AnnotationReply, AuditEvent, Decision, Review, ReviewAssignment
from editorial.signatures import MEANINGS
from editorial.verbs import PRESSED, VERBS, Target
from tests.support.permissions import ASSIGNMENT_VERBS, DENIED, NOTHING, OK, REFUSED, WORKSPACE_VERBS
from tests.support.signing import PASSWORD, signed
from workspace.forms import findings_token


def snapshot(version_pk: int) -> tuple:
    """Everything a verb on the version can change; index 0 is its state, 1 its audit events."""
    version = ArticleVersion.objects.get(pk=version_pk)
    return (
        version.state,
        AuditEvent.objects.filter(article_id=version.article_id).count(),
        sorted(ReviewAssignment.objects.filter(version=version).values_list("reviewer_id", "state")),
        Review.objects.filter(version=version).count(),
        ArticleVersion.objects.filter(article_id=version.article_id).count(),
        tuple(getattr(version, name) for name in ArticleVersion.CONTENT_FIELDS),
        sorted(Annotation.objects.filter(version=version).values_list("pk", "state")),
        AnnotationReply.objects.filter(annotation__version=version).count(),
    )


# Through the services ----------------------------------------------------------------------


def through_service(verb: str, version: ArticleVersion, actor, *, reviewer, newcomer) -> str:
    """Try ``verb`` on ``version`` as ``actor`` through its service; the outcome, as the table
    names it (``NOTHING`` when the reviewer has no assignment to act on)."""
    target = version.assignments.filter(reviewer=reviewer).first()
    if verb in ASSIGNMENT_VERBS and target is None:
        return NOTHING
    if verb in ("reply", "resolve"):
        target = Annotation.objects.filter(version=version, creator=reviewer, state="open").first()
        if target is None:
            return NOTHING
    try:
        _call_service(verb, version, actor, target, newcomer)
    except NotPermitted:
        return DENIED
    except TransitionRefused:
        return REFUSED
    return OK


def _call_service(verb, version, actor, target, newcomer) -> None:
    match verb:
        case "submit":
            workflow.version_submit(version=version, actor=actor)
        case "start_review":
            workflow.version_start_review(version=version, actor=actor)
        case "approve":
            workflow.version_approve(
                version=version, actor=actor, message="Quorum met.", signing=signed(actor, "approve")
            )
        case "request_changes":
            workflow.version_request_changes(version=version, actor=actor, message="Fix the dose.")
        case "reject":
            workflow.version_reject(version=version, actor=actor, reason="Out of scope.")
        case "publish":
            workflow.version_publish(version=version, actor=actor, signing=signed(actor, "publish"))
        case "withdraw":
            workflow.version_withdraw(version=version, actor=actor, reason="Not ready.")
        case "retract":
            workflow.version_retract(
                version=version, actor=actor, reason="A dose was wrong.", signing=signed(actor, "retract")
            )
        case "assign":
            workflow.assignment_create(version=version, reviewer=newcomer, actor=actor)
        case "accept":
            workflow.assignment_accept(assignment=target, actor=actor)
        case "decline":
            workflow.assignment_decline(assignment=target, actor=actor, reason="time")
        case "review":
            workflow.review_record(
                assignment=target,
                actor=actor,
                decision=Decision.APPROVE,
                no_conflict_declared=True,
                citations_checked=True,
                doses_checked=True,
                signing=signed(actor, "review"),
            )
        case "withdraw_assignment":
            workflow.assignment_withdraw(assignment=target, actor=actor, reason="Too busy.")
        case "annotate":
            annotations.annotation_create(
                version=version, actor=actor, exact=version.lead, comment="Which guideline says so?"
            )
        case "reply":
            annotations.annotation_reply(annotation=target, actor=actor, comment="The label says so.")
        case "resolve":
            annotations.annotation_resolve(annotation=target, actor=actor, note="Cited now.")
        case "edit_draft":
            workflow.version_edit_draft(version=version, actor=actor, title="Is this a new question?")
        case "next_version":
            workflow.version_create_next(article=version.article, author=actor)
        case _:
            raise AssertionError(f"{verb!r}: no service call for it in tests/support/attempts.py")


# Over HTTP ----------------------------------------------------------------------------------

# What a person sends with the admin's button: the assignment verbs' forms, and the words a
# version verb asks for (the admin's message form, prefixed with the verb).
ASSIGNMENT_POST = {
    "accept": {},
    "decline": {"reason": "time", "note": "Away at a congress."},
    "review": {
        "decision": Decision.APPROVE,
        "citations_checked": "on",
        "doses_checked": "on",
        "no_conflict_declared": "on",
        "comment_to_author": "Sound.",
    },
}


def signing_post(verb: str) -> dict:
    """The electronic signature a signing verb's form sends: the test users' password and the
    verb's first meaning (``tests.support.signing``)."""
    if verb not in MEANINGS:
        return {}
    return {f"{verb}-password": PASSWORD, f"{verb}-meaning": MEANINGS[verb][0].value}


def _admin_post(verb: str) -> dict:
    entry = VERBS[verb]
    if entry.target is Target.ASSIGNMENT:
        return {**ASSIGNMENT_POST.get(verb, {}), **signing_post(verb)}
    words = {f"{verb}-message": "The reason, in words the author can act on."} if entry.words else {}
    return {**words, **signing_post(verb)}


ADMIN_POST = {verb: _admin_post(verb) for verb in PRESSED}


def act_url(version: ArticleVersion, verb: str) -> str:
    return reverse("admin:articles_articleversion_act", args=[version.pk, verb])


NO_SUCH_ROW = 999_999_999


def open_annotation_pk(version: ArticleVersion) -> int:
    """The version's first open annotation, for ``reply`` and ``resolve`` (or one that does not exist)."""
    found = Annotation.objects.filter(version=version, state="open").order_by("pk").first()
    return found.pk if found else NO_SUCH_ROW


ANNOTATION_POST = {
    "annotate": {"severity": "suggestion", "comment": "Which guideline says so?"},
    "reply": {"comment": "The label says so."},
    "resolve": {"note": "Cited now."},
}


def press_admin(client, verb: str, version: ArticleVersion, *, newcomer=None, assignment=None):
    """Press the admin's button for ``verb`` (``assign``: invite ``newcomer``;
    ``withdraw_assignment``: withdraw ``assignment``, or one that does not exist; ``annotate``:
    the lead; ``reply``, ``resolve``: the version's first open annotation)."""
    if verb == "annotate":
        url = reverse("admin:articles_articleversion_annotate", args=[version.pk])
        return client.post(url, {"exact": version.lead, **ANNOTATION_POST[verb]})
    if verb in ("reply", "resolve"):
        url = reverse(
            "admin:articles_articleversion_annotation_act",
            args=[version.pk, open_annotation_pk(version), verb],
        )
        return client.post(url, ANNOTATION_POST[verb])
    if verb == "assign":
        today = timezone.localdate()
        data = {
            "reviewers": [newcomer.pk],
            "response_due": today + timedelta(days=3),
            "review_due": today + timedelta(days=14),
        }
        return client.post(reverse("admin:articles_articleversion_assign", args=[version.pk]), data)
    if verb == "withdraw_assignment":
        url = reverse(
            "admin:articles_articleversion_withdraw_assignment",
            args=[version.pk, assignment.pk if assignment else NO_SUCH_ROW],
        )
        return client.post(url, {"reason": "Too busy."})
    return client.post(act_url(version, verb), ADMIN_POST[verb])


def _content_post(version: ArticleVersion) -> dict:
    data = {name: getattr(version, name) for name in ArticleVersion.CONTENT_FIELDS}
    data["title"] = "Is this a new question?"
    refs = list(version.references.all())
    data.update(
        {
            "refs-TOTAL_FORMS": str(len(refs)),
            "refs-INITIAL_FORMS": "0",
            "refs-MIN_NUM_FORMS": "0",
            "refs-MAX_NUM_FORMS": "80",
            "action": "save",
        }
    )
    for index, ref in enumerate(refs):
        for name in Reference.CONTENT_FIELDS:
            value = getattr(ref, name)
            data[f"refs-{index}-{name}"] = "" if value is None else str(value)
    return data


def press_workspace(client, http_verb: str, version: ArticleVersion):
    """Send the workspace's form for ``http_verb`` (a key of ``WORKSPACE_VERBS``)."""
    slug, number = version.article.slug, version.number
    match http_verb:
        case "ws_submit":
            token = findings_token(version.check_integrity())  # what the confirm page holds
            return client.post(reverse("workspace:submit", args=[slug, number]), {"findings": token})
        case "ws_withdraw":
            return client.post(reverse("workspace:withdraw", args=[slug, number]), {"reason": "Not ready."})
        case "ws_edit":
            return client.post(reverse("workspace:version", args=[slug, number]), _content_post(version))
        case "ws_next":
            return client.post(reverse("workspace:version_next", args=[slug]))
        case "ws_reply":
            url = reverse("workspace:annotation_reply", args=[slug, number, open_annotation_pk(version)])
            return client.post(url, {"comment": "Now cited."})
    raise AssertionError(f"{http_verb!r} is not one of {sorted(WORKSPACE_VERBS)}")
