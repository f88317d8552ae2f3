"""The permission table, written once: what the design says happens when each role tries each
verb on a version in each state, and what the workspace and the admin answer over HTTP.

The expectations are written from the design (README, DESIGN.md), not read back from the code:
a row that disagrees with the code is either a hole or a wrong row, and the tests that read it
fail. The verbs are the registry's (``editorial.verbs.PRESSED``) and the services a person uses
that have no registry entry (``UNREGISTERED``): a verb added to the registry has no row until
someone writes one, ``expected`` refuses to guess, and every test that reads the table fails
for it.

Read by ``tests/services/test_workflow.py`` (each verb through its service, from fresh data),
``tests/web/test_admin.py`` (each of the admin's buttons, from fresh data) and
``tests/web/test_access.py`` (every row, through the services and over HTTP, in one world). Its
own shape is checked beside it, in ``tests/support/test_permissions.py``, and nowhere else.
"""

from __future__ import annotations

from articles.models import VersionState
from editorial.verbs import ANNOTATION_VERBS, PRESSED, VERBS, Target

# Who tries: the version's author, another author, the board member assigned to the version
# (a draft has no assignments), a board member who is not, and an editor.
ROLES = ("anonymous", "author", "other_author", "reviewer", "other_reviewer", "editor")
STATES = tuple(VersionState.values)
BOARD = frozenset({"reviewer", "other_reviewer", "editor"})

OK, DENIED, REFUSED, NOTHING = "ok", "not permitted", "refused (state)", "nothing to act on"

# The verbs, from the registry: those on the version itself, and those on the reviewer's
# assignment to it. ``UNREGISTERED``: the services a person uses that have no registry entry.
VERSION_VERBS = tuple(name for name in PRESSED if VERBS[name].target is Target.VERSION)
UNREGISTERED = ("assign", "withdraw_assignment", "edit_draft", "next_version")
ASSIGNMENT_VERBS = (
    *(name for name in PRESSED if VERBS[name].target is Target.ASSIGNMENT),
    "withdraw_assignment",
)
SERVICE_VERBS = (*PRESSED, *ANNOTATION_VERBS, *UNREGISTERED)


# The rules, from the design -------------------------------------------------------------------

# The version's own transitions: the states they leave from, and who may use them.
TRANSITIONS = {
    "submit": ({"draft"}, {"author"}),
    "start_review": ({"submitted"}, {"editor"}),
    "approve": ({"under_review"}, {"editor"}),
    "request_changes": ({"under_review"}, {"editor"}),
    "reject": ({"under_review"}, {"editor"}),
    "publish": ({"approved"}, {"editor"}),
    "withdraw": ({"draft", "submitted", "under_review"}, {"author", "editor"}),
    "retract": ({"published"}, {"editor"}),
}
# The reviewer's invitation is open while the version is submitted or under review; once the
# version is decided or withdrawn it was completed or closed.
INVITATION_OPEN = frozenset({"submitted", "under_review"})
OPEN_STATES = frozenset({"draft", "submitted", "under_review"})
# The assignment verbs: who may use them on the reviewer's assignment.
ASSIGNMENT_ACTOR = {
    "accept": "reviewer",
    "decline": "reviewer",
    "review": "reviewer",
    "withdraw_assignment": "editor",
}
# The annotation verbs: the states they apply in, and who may use them there. ``reply`` and
# ``resolve`` act on the open annotation the assigned reviewer made on the version (a first
# draft has none: nothing to act on). The author reads and answers the board's annotations once
# the editor has decided (as with reviews), so never on the version under review itself; they
# answer the copies carried into their next draft (tests/services/test_annotations.py).
ANNOTATION_RULES = {
    "annotate": (INVITATION_OPEN, {"reviewer", "editor"}),
    "reply": (OPEN_STATES, {"reviewer", "editor"}),
    "resolve": (INVITATION_OPEN, {"reviewer", "editor"}),
}


def expected(verb: str, role: str, state: str) -> str:
    """What the design says happens when ``role`` tries ``verb`` on a version in ``state``.
    A transition from the wrong state is refused whoever asks; otherwise the role decides."""
    if verb in TRANSITIONS:
        sources, allowed = TRANSITIONS[verb]
        if state not in sources:
            return REFUSED
        return OK if role in allowed else DENIED
    if verb == "assign":  # editors only, and only while the board has the version
        if role != "editor":
            return DENIED
        return OK if state in INVITATION_OPEN else REFUSED
    if verb in ASSIGNMENT_ACTOR:
        if state == "draft":
            return NOTHING
        if role != ASSIGNMENT_ACTOR[verb]:
            return DENIED
        if verb == "review":  # reviews are recorded only while the version is under review
            return OK if state == "under_review" else REFUSED
        return OK if state in INVITATION_OPEN else REFUSED
    if verb in ANNOTATION_RULES:
        sources, allowed = ANNOTATION_RULES[verb]
        if verb != "annotate" and state == "draft":
            return NOTHING
        if state not in sources:
            return REFUSED
        return OK if role in allowed else DENIED
    if verb == "edit_draft":  # only its author, only a draft
        if role != "author":
            return DENIED
        return OK if state == "draft" else REFUSED
    if verb == "next_version":  # only the article's author, once its newest version is closed
        if role != "author":
            return DENIED
        # The superseded version's article has a newer, published version.
        return REFUSED if state in OPEN_STATES else OK
    raise AssertionError(f"{verb!r} has no row in the permission table (tests/support/permissions.py)")


SERVICE_TABLE = [(verb, role, state) for verb in SERVICE_VERBS for state in STATES for role in ROLES]


# Over HTTP: the same verbs through the workspace's forms and the admin's buttons ---------------

LOGIN, ADMIN_LOGIN = "login", "admin login"
# The workspace's forms, for authors (the workspace names its verbs itself).
WORKSPACE_VERBS = {
    "ws_submit": "submit",
    "ws_withdraw": "withdraw",
    "ws_edit": "edit_draft",
    "ws_next": "next_version",
    "ws_reply": "reply",  # the author's answer beside the paragraph
}
# The admin's buttons: every verb a person presses (the admin serves each at one URL, submit
# included), and the assign and withdraw-assignment pages.
ADMIN_VERBS = {
    **{f"admin_{verb}": verb for verb in PRESSED},
    "admin_assign": "assign",
    "admin_withdraw_assignment": "withdraw_assignment",
    **{f"admin_{verb}": verb for verb in ANNOTATION_VERBS},
}
HTTP_VERBS = {**WORKSPACE_VERBS, **ADMIN_VERBS}
# Each HTTP verb's URL name: the URL coverage test reads these.
HTTP_URL_NAMES = {
    "ws_submit": "workspace:submit",
    "ws_withdraw": "workspace:withdraw",
    "ws_edit": "workspace:version",
    "ws_next": "workspace:version_next",
    **{f"admin_{verb}": "admin:articles_articleversion_act" for verb in PRESSED},
    "admin_assign": "admin:articles_articleversion_assign",
    "admin_withdraw_assignment": "admin:articles_articleversion_withdraw_assignment",
    "ws_reply": "workspace:annotation_reply",
    "admin_annotate": "admin:articles_articleversion_annotate",
    "admin_reply": "admin:articles_articleversion_annotation_act",
    "admin_resolve": "admin:articles_articleversion_annotation_act",
}
STATUS_OF = {OK: 302, DENIED: 403, REFUSED: 409}


def expected_http(http_verb: str, role: str, state: str) -> tuple[int, str]:
    """(status, outcome) the design gives for ``role`` pressing ``http_verb``."""
    verb = HTTP_VERBS[http_verb]
    if http_verb in WORKSPACE_VERBS:
        # The workspace is for authors, and each author sees only their own articles.
        if role == "anonymous":
            return 302, LOGIN
        if role in BOARD:
            return 403, DENIED
        if role == "other_author":
            return 404, DENIED
        outcome = expected(verb, role, state)
        if outcome == NOTHING:  # no annotation to answer: its address is not found
            return 404, NOTHING
        return STATUS_OF[outcome], outcome
    # The admin is for the board; a reviewer sees only the versions assigned to them.
    if role in ("anonymous", "author", "other_author"):
        return 302, ADMIN_LOGIN
    if role == "other_reviewer" or (role == "reviewer" and state == "draft"):
        return 404, DENIED
    outcome = expected(verb, role, state)
    if outcome == NOTHING:
        # accept/decline/review: the editor is not assigned; withdraw_assignment, reply, resolve:
        # no such row
        return (404, NOTHING) if verb in ("withdraw_assignment", "reply", "resolve") else (403, DENIED)
    return STATUS_OF[outcome], outcome


HTTP_TABLE = [(verb, role, state) for verb in HTTP_VERBS for state in STATES for role in ROLES]


# The re-review verbs (editorial.rereview, editorial.reports) -------------------------------------
# On a published article: its live version's latest re-review cycle is in one of CYCLE_STATES
# ("none": never re-reviewed). "reviewer" is the board member assigned to the cycle (in
# "none", nobody is: nothing to act on); "other_reviewer" a board member who is not; "author"
# wrote the live version. The report verbs act on a reader's report in one of REPORT_STATES.
CYCLE_STATES = ("none", "open", "confirmed", "revision_requested")
REPORT_STATES = ("new", "dismissed", "replied", "re_review")
RE_REVIEW_DECISIONS = ("confirm", "request_revision")
REPORT_VERBS = ("dismiss_report", "reply_report", "re_review_report")


def expected_re_review(verb: str, role: str, state: str) -> str:
    """What the design says happens when ``role`` uses re-review verb ``verb`` with the cycle
    (or, for the report verbs, the report) in ``state``. The person is checked before the state."""
    if verb == "open_re_review":  # editors, at any time, unless a cycle is open
        if role != "editor":
            return DENIED
        return REFUSED if state == "open" else OK
    if verb in RE_REVIEW_DECISIONS:  # the assigned reviewer, while the cycle is open
        if state == "none":
            return NOTHING
        if role != "reviewer":
            return DENIED
        return OK if state == "open" else REFUSED
    if verb == "flag_reference":  # any board member, on a live version's reference
        return OK if role in BOARD else DENIED
    if verb in REPORT_VERBS:  # editors, once per report
        if role != "editor":
            return DENIED
        return OK if state == "new" else REFUSED
    raise AssertionError(f"{verb!r} has no row in the permission table (tests/support/permissions.py)")


RE_REVIEW_TABLE = [
    (verb, state)
    for verb in ("open_re_review", *RE_REVIEW_DECISIONS, "flag_reference")
    for state in CYCLE_STATES
] + [(verb, state) for verb in REPORT_VERBS for state in REPORT_STATES]
