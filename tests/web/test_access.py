"""The full permission table (tests/support/permissions.py): every role x every verb x every
version state, over the services and over HTTP; and every page the project serves x every role.

One world is built once for the module, through the real services: one article per version
state, each with the same cast (the author, another author, the reviewer assigned to it,
another board member who is not, the editor). Every test runs in a savepoint of that world
and rolls back, so 2,000-odd rows cost seconds, not minutes.

The expectations are written from the design (README, DESIGN.md), not read back from the
code: a row that disagrees with the code is either a hole or a wrong row, and fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from api.models import Partner, WebhookDelivery, WebhookSubscription
from articles.models import Article, ArticleVersion
from editorial import workflow
from editorial.models import AuditEvent, BoardMember, Notification
from tests.support import flows
from tests.support.attempts import press_admin, press_workspace, snapshot, through_service
from tests.support.factories import make_annotations, make_user
from tests.support.permissions import (
    ADMIN_LOGIN,
    ADMIN_VERBS,
    DENIED,
    HTTP_TABLE,
    HTTP_URL_NAMES,
    HTTP_VERBS,
    INVITATION_OPEN,
    LOGIN,
    OK,
    REFUSED,
    ROLES,
    SERVICE_TABLE,
    STATES,
    WORKSPACE_VERBS,
    expected,
    expected_http,
)
from tests.support.signing import signed

pytestmark = pytest.mark.django_db

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The world ---------------------------------------------------------------------------------


@dataclass
class World:
    users: dict  # role -> user (plus "second", "third": the other assigned board members)
    versions: dict  # state -> version pk, the version under test in that state

    def user(self, role):
        if role == "anonymous":
            return AnonymousUser()
        return get_user_model().objects.get(pk=self.users[role].pk)

    def version(self, state) -> ArticleVersion:
        return ArticleVersion.objects.select_related("article").get(pk=self.versions[state])


def _build_world() -> World:
    users = {
        "author": make_user("Author", username="acc-author"),
        "other_author": make_user("Author", username="acc-other-author"),
        "reviewer": make_user("Reviewer", username="acc-reviewer"),
        "other_reviewer": make_user("Reviewer", username="acc-other-reviewer"),
        "editor": make_user("Editor", username="acc-editor"),
        "second": make_user("Reviewer", username="acc-second"),
        "third": make_user("Reviewer", username="acc-third"),
    }
    author, editor = users["author"], users["editor"]
    board = [users["reviewer"], users["second"], users["third"]]

    def article(state):
        return {"slug": f"access-{state.replace('_', '-')}"}

    def in_review(state):
        # The reviewer's invitation is still open; the other two approved: quorum met.
        version = flows.under_review(author, editor, board, **article(state))
        flows.review(version, users["second"])
        flows.review(version, users["third"])
        return version

    versions = {}
    versions["draft"] = flows.draft(author, **article("draft"))
    submitted = flows.submitted(author, **article("submitted"))
    for member in board:
        workflow.assignment_create(version=submitted, reviewer=member, actor=editor)
    versions["submitted"] = submitted
    versions["under_review"] = in_review("under_review")
    versions["changes_requested"] = workflow.version_request_changes(
        version=in_review("changes_requested"), actor=editor, message="Cite the label."
    )
    versions["rejected"] = workflow.version_reject(version=in_review("rejected"), actor=editor, reason="No.")
    versions["approved"] = flows.approved(author, editor, board[:2], **article("approved"))
    versions["published"] = flows.published(author, editor, board[:2], **article("published"))
    withdrawn = flows.submitted(author, **article("withdrawn"))
    workflow.assignment_create(version=withdrawn, reviewer=users["reviewer"], actor=editor)
    versions["withdrawn"] = workflow.version_withdraw(version=withdrawn, actor=author, reason="Not ready.")
    versions["retracted"] = workflow.version_retract(
        version=flows.published(author, editor, board[:2], **article("retracted")),
        actor=editor,
        reason="A dose was wrong.",
        signing=signed(editor, "retract"),
    )
    first = flows.published(author, editor, board[:2], **article("superseded"))
    second = workflow.version_create_next(article=first.article, author=author)
    workflow.version_submit(version=second, actor=author)
    for member in board[:2]:
        workflow.assignment_create(version=second, reviewer=member, actor=editor)
    workflow.version_start_review(version=second, actor=editor)
    for member in board[:2]:
        flows.review(second, member)
    workflow.version_approve(version=second, actor=editor, signing=signed(editor, "approve"))
    workflow.version_publish(version=second, actor=editor, signing=signed(editor, "publish"))
    versions["superseded"] = first
    assert set(versions) == set(STATES)
    for state, version in versions.items():
        version.refresh_from_db()
        assert version.state == state, (state, version.state)
        if state != "draft":  # the reviewer's open annotation, for ``reply`` and ``resolve``
            make_annotations(version, users["reviewer"])
    return World(users=users, versions={state: version.pk for state, version in versions.items()})


# The reader's page cache and the login throttle live in a private cache for this module.
MODULE_SETTINGS = {
    "PASSWORD_HASHERS": FAST_HASHERS,
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": __name__}},
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once in an outer transaction; each test runs in a savepoint inside it; the whole
    world is rolled back when the module ends."""
    from django.conf import settings

    editorial = {**settings.EDITORIAL, "PENDING_REVIEW_VISIBLE": False}
    with django_db_blocker.unblock(), override_settings(**MODULE_SETTINGS, EDITORIAL=editorial):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def empty_cache(world):
    """Each test starts with an empty cache, as its database changes are rolled back."""
    cache.clear()


# Over the services -------------------------------------------------------------------------


@pytest.mark.parametrize(("verb", "role", "state"), SERVICE_TABLE)
def test_service_permission_table(world, verb, role, state):
    # given a version in ``state`` and a person in ``role``
    version = world.version(state)
    before = snapshot(version.pk)
    want = expected(verb, role, state)
    # when they try the verb through its service
    got = through_service(
        verb,
        version,
        world.user(role),
        reviewer=world.users["reviewer"],
        newcomer=world.users["other_reviewer"],
    )
    # then it is done, or refused for the reason the design gives, with nothing written
    assert got == want, f"{role} {verb} on a {state} version: {got}, the design says {want}"
    after = snapshot(version.pk)
    if got == OK:
        assert after != before
        # every state change is an audit event (a draft's edits are not state changes)
        assert after[1] > before[1] or verb == "edit_draft"
    else:
        assert after == before, "a refusal writes nothing"


# Over HTTP: the same verbs through the workspace's and the admin's endpoints ------------------


def press(client, http_verb: str, version: ArticleVersion, world: World):
    if http_verb in WORKSPACE_VERBS:
        return press_workspace(client, http_verb, version)
    assignment = version.assignments.filter(reviewer=world.users["reviewer"]).first()
    return press_admin(
        client, ADMIN_VERBS[http_verb], version, newcomer=world.users["other_reviewer"], assignment=assignment
    )


def says_why(client, response) -> bool:
    """The refusal carries words a person can act on: an admin message, a form error, the
    refused page's message, or the workspace's "not for you" page."""
    context = response.context
    if context is None:
        return False
    if list(context.get("messages") or []) or context.get("error") or context.get("message"):
        return True
    form = context.get("form")
    if form is not None and form.errors:
        return True
    return "workspace/not_author.html" in [template.name for template in response.templates]


@pytest.mark.parametrize(("http_verb", "role", "state"), HTTP_TABLE)
def test_http_permission_table(client, world, http_verb, role, state):
    # given a version in ``state`` and a person in ``role``, signed in
    version = world.version(state)
    if role != "anonymous":
        client.force_login(world.users[role])
    before = snapshot(version.pk)
    status, outcome = expected_http(http_verb, role, state)
    verb = HTTP_VERBS[http_verb]
    # when they press the button / post the form
    response = press(client, http_verb, version, world)
    after = snapshot(version.pk)
    # then the answer is the one the design gives, never a 500, and only a success writes
    assert response.status_code == status, (
        f"{role} {http_verb} on a {state} version: {response.status_code}, the design says {status} ({outcome})"
    )
    if outcome == LOGIN:
        assert response["Location"].startswith(reverse("workspace:login"))
    elif outcome == ADMIN_LOGIN:
        assert response["Location"].startswith(reverse("admin:login"))
    if outcome == OK:
        assert after != before
        assert after[1] > before[1] or verb == "edit_draft", "every state change is an audit event"
    else:
        assert after == before, "a refusal writes nothing"
    if outcome in (DENIED, REFUSED) and status != 404:
        assert says_why(client, response), "a refusal says why"


# Reading: readers get 404 for everything unpublished ----------------------------------------

READABLE = {"published", "retracted", "superseded"}  # superseded: the article's newer version


def read_url(page: str, version: ArticleVersion) -> str:
    slug, number = version.article.slug, version.number
    return {
        "reader": reverse("reader:detail", args=[slug]),
        "ws_article": reverse("workspace:article", args=[slug]),
        "ws_version": reverse("workspace:version", args=[slug, number]),
        "ws_preview": reverse("workspace:preview", args=[slug, number]),
        "admin_version": reverse("admin:articles_articleversion_change", args=[version.pk]),
        "admin_history": reverse("admin:articles_articleversion_history", args=[version.pk]),
        "admin_assign_page": reverse("admin:articles_articleversion_assign", args=[version.pk]),
        "admin_export": reverse("admin:editorial_auditevent_export", args=[version.article_id]),
        "admin_article": reverse("admin:articles_article_change", args=[version.article_id]),
        "admin_verify_chain": reverse("admin:articles_article_verify_chain", args=[version.article_id]),
        "admin_annotate_page": reverse("admin:articles_articleversion_annotate", args=[version.pk]),
        "admin_annotations_jsonld": reverse(
            "admin:articles_articleversion_annotations_jsonld", args=[version.pk]
        ),
        "admin_workflow": reverse("admin:articles_articleversion_workflow", args=[version.pk]),
    }[page]


READ_URL_NAMES = {
    "reader": "reader:detail",
    "ws_article": "workspace:article",
    "ws_version": "workspace:version",
    "ws_preview": "workspace:preview",
    "admin_version": "admin:articles_articleversion_change",
    "admin_history": "admin:articles_articleversion_history",
    "admin_assign_page": "admin:articles_articleversion_assign",
    "admin_export": "admin:editorial_auditevent_export",
    "admin_article": "admin:articles_article_change",
    "admin_verify_chain": "admin:articles_article_verify_chain",  # a GET goes back; the POST is in test_admin
    "admin_annotate_page": "admin:articles_articleversion_annotate",
    "admin_annotations_jsonld": "admin:articles_articleversion_annotations_jsonld",
    "admin_workflow": "admin:articles_articleversion_workflow",  # the version page's picture
}


def expected_read(page: str, role: str, state: str) -> int:
    if page == "reader":  # the same for everyone, signed in or not
        return 200 if state in READABLE else 404
    if page.startswith("ws_"):
        return {"anonymous": 302, "other_author": 404, "author": 200}.get(role, 403)
    if role in ("anonymous", "author", "other_author"):
        return 302  # to the admin's login
    assigned = role == "reviewer" and state != "draft"
    if page == "admin_verify_chain":  # editors only; a GET verifies nothing and goes back
        return 302 if role == "editor" else 403
    if page in ("admin_export", "admin_article"):  # editors only
        return 200 if role == "editor" else 403
    if page == "admin_history":  # a version the reviewer may not see is "not found": back to the index
        return 200 if role == "editor" or assigned else 302
    if role != "editor" and not assigned:
        return 404
    if page == "admin_assign_page":
        if role != "editor":
            return 403
        return 200 if state in INVITATION_OPEN else 409  # the version page, with the reason
    if page == "admin_annotate_page":  # the assigned reviewer and editors, while the board has it
        return 200 if state in INVITATION_OPEN else 409
    return 200


READ_TABLE = [(page, role, state) for page in READ_URL_NAMES for state in STATES for role in ROLES]


@pytest.mark.parametrize(("page", "role", "state"), READ_TABLE)
def test_read_table(client, world, page, role, state):
    version = world.version(state)
    if role != "anonymous":
        client.force_login(world.users[role])
    response = client.get(read_url(page, version))
    want = expected_read(page, role, state)
    assert response.status_code == want, f"{role} reads {page} of a {state} version: {response.status_code}"
    if page == "reader" and want == 200:
        assert version.article.live_version.title.encode() in response.content
    if page.startswith("admin") and role in ("anonymous", "author", "other_author"):
        assert response["Location"].startswith(reverse("admin:login"))


# Every other page the project serves, per role ------------------------------------------------

A, R = "admin login", "redirect"
# Expected GET status per role, in ROLES order: anonymous, author, other_author, reviewer,
# other_reviewer, editor. "login"/"admin login" are redirects to that login page.
LW = "login"
PAGES = {
    # The reader: public, the same for everyone.
    "reader:list": (200, 200, 200, 200, 200, 200),
    "reader:audience": (303, 303, 303, 303, 303, 303),
    "reader:policy": (200, 200, 200, 200, 200, 200),
    "reader:workflow": (200, 200, 200, 200, 200, 200),  # the policy page's picture
    # The load balancer's check: the same for everyone; 503 here, where beat has never run
    # (tests/web/test_health.py has the rest).
    "health": (503, 503, 503, 503, 503, 503),
    "reader:board": (200, 200, 200, 200, 200, 200),
    # Report a problem: a published article's only (this one is under review); the form's POST
    # is tests/web/test_reader_re_review.py.
    "reader:report": (404, 404, 404, 404, 404, 404),
    "reader:feed": (200, 200, 200, 200, 200, 200),
    "reader:sitemap": (200, 200, 200, 200, 200, 200),
    "reader:robots": (200, 200, 200, 200, 200, 200),
    # The signed audit heads and their key: public. No heads file is written yet in a test
    # (tests/web/test_audit_endpoints.py serves one).
    "reader:audit_heads": (404, 404, 404, 404, 404, 404),
    "reader:audit_key": (200, 200, 200, 200, 200, 200),
    # The content API: partners with a key only (tests/web/test_api.py); a session is no key.
    "api:articles": (401, 401, 401, 401, 401, 401),
    "api:article": (401, 401, 401, 401, 401, 401),
    "api:topics": (401, 401, 401, 401, 401, 401),
    "api:board": (401, 401, 401, 401, 401, 401),
    "api:api-root": (200, 200, 200, 200, 200, 200),  # shadowed by api_index, same address
    "api_index": (200, 200, 200, 200, 200, 200),
    "api_not_found": (404, 404, 404, 404, 404, 404),
    # Its OpenAPI document and the page that describes it: public.
    "api:openapi-json": (200, 200, 200, 200, 200, 200),
    "api_docs": (200, 200, 200, 200, 200, 200),
    # The workspace: authors only (board members are told it is not for them).
    "workspace:dashboard": (LW, 200, 200, 403, 403, 403),
    "workspace:article_start": (LW, 200, 200, 403, 403, 403),
    "workspace:login": (200, 302, 302, 302, 302, 302),
    "workspace:logout": (405, 405, 405, 405, 405, 405),
    # Anyone signed in sets up their own second factor (tests/web/test_two_factor.py).
    "workspace:two_factor": (LW, 200, 200, 200, 200, 200),
    "workspace:password_reset": (200, 200, 200, 200, 200, 200),
    "workspace:password_reset_done": (200, 200, 200, 200, 200, 200),
    "workspace:password_reset_confirm": (200, 200, 200, 200, 200, 200),
    "workspace:password_reset_complete": (200, 200, 200, 200, 200, 200),
    "workspace:version_next": (LW, 405, 405, 403, 403, 403),
    "workspace:submit": (LW, 200, 404, 403, 403, 403),
    "workspace:withdraw": (LW, 200, 404, 403, 403, 403),
    "workspace:annotation_reply": (
        LW,
        405,
        405,
        403,
        403,
        403,
    ),  # a form's POST (tests/web/test_annotations_web.py)
    # The admin: the board only.
    "admin:login": (200, 200, 200, 302, 302, 302),
    "admin:logout": (R, R, R, 405, 405, 405),  # a GET never signs out; non-board users go to the index
    "admin:index": (A, A, A, 200, 200, 200),
    "admin:board_figures_csv": (A, A, A, 403, 403, 200),  # the dashboard's figures: editors only
    # Re-reviews, evidence watch, reader reports (tests/web/test_admin_re_review.py has the rest):
    # the cycle's page (none here), and the verbs' POSTs.
    "admin:editorial_re_review": (A, A, A, 404, 404, 404),
    "admin:editorial_re_review_open": (A, A, A, 405, 405, 405),
    "admin:editorial_re_review_assign": (A, A, A, 405, 405, 405),
    "admin:editorial_re_review_decide": (A, A, A, 405, 405, 405),
    "admin:editorial_reference_flag": (A, A, A, 405, 405, 405),
    "admin:editorial_report_triage": (A, A, A, 405, 405, 405),
    "admin:password_change": (A, A, A, 200, 200, 200),
    "admin:password_change_done": (A, A, A, 200, 200, 200),
    "admin:autocomplete": (A, A, A, 403, 403, 403),
    "admin:jsi18n": (A, A, A, 200, 200, 200),
    "admin:view_on_site": (A, A, A, 403, 403, 302),  # editors only (it names unpublished slugs)
    "admin:app_list": (A, A, A, 200, 200, 200),
    "admin:app_list auth": (A, A, A, 404, 404, 404),
    "admin/(?P<url>.*)$": (A, A, A, 404, 404, 404),
    "admin:articles_articleversion_changelist": (A, A, A, 200, 200, 200),
    "admin:articles_articleversion_add": (A, A, A, 403, 403, 403),
    "admin:articles_articleversion_delete": (A, A, A, 403, 403, 403),
    # A GET never acts (the verbs themselves are rows of the HTTP table).
    "admin:articles_articleversion_act": (A, A, A, 302, 404, 302),  # a GET goes back to the version page
    "admin:articles_articleversion_withdraw_assignment": (A, A, A, 405, 405, 405),
    "admin:articles_articleversion_annotation_act": (A, A, A, 405, 405, 405),  # reply, resolve: POST only
    "admin/articles/articleversion/<path:object_id>/": (A, A, A, R, R, R),
    "admin:articles_article_changelist": (A, A, A, 403, 403, 200),
    "admin:articles_article_add": (A, A, A, 403, 403, 403),
    "admin:articles_article_delete": (A, A, A, 403, 403, 403),
    "admin:articles_article_history": (A, A, A, 403, 403, 200),
    "admin/articles/article/<path:object_id>/": (A, A, A, R, R, R),
    "admin:editorial_reviewassignment_changelist": (A, A, A, 200, 200, 200),
    "admin:editorial_reviewassignment_add": (A, A, A, 403, 403, 403),
    "admin:editorial_reviewassignment_change": (A, A, A, 200, R, 200),
    "admin:editorial_reviewassignment_history": (A, A, A, 200, R, 200),
    "admin:editorial_reviewassignment_delete": (A, A, A, 403, 403, 403),
    "admin/editorial/reviewassignment/<path:object_id>/": (A, A, A, R, R, R),
    "admin:editorial_review_changelist": (A, A, A, 200, 200, 200),
    "admin:editorial_review_add": (A, A, A, 403, 403, 403),
    "admin:editorial_review_change": (A, A, A, 200, R, 200),
    "admin:editorial_review_history": (A, A, A, 200, R, 200),
    "admin:editorial_review_delete": (A, A, A, 403, 403, 403),
    "admin/editorial/review/<path:object_id>/": (A, A, A, R, R, R),
    "admin:editorial_boardmember_changelist": (A, A, A, 403, 403, 200),
    "admin:editorial_boardmember_add": (A, A, A, 403, 403, 403),
    "admin:editorial_boardmember_change": (A, A, A, 403, 403, 200),
    "admin:editorial_boardmember_history": (A, A, A, 403, 403, 200),
    "admin:editorial_boardmember_delete": (A, A, A, 403, 403, 403),
    "admin/editorial/boardmember/<path:object_id>/": (A, A, A, R, R, R),
    "admin:editorial_auditevent_changelist": (A, A, A, 403, 403, 200),
    "admin:editorial_auditevent_add": (A, A, A, 403, 403, 403),
    "admin:editorial_auditevent_change": (A, A, A, 403, 403, 200),
    "admin:editorial_auditevent_history": (A, A, A, 403, 403, 200),
    "admin:editorial_auditevent_delete": (A, A, A, 403, 403, 403),
    "admin/editorial/auditevent/<path:object_id>/": (A, A, A, R, R, R),
    "admin:editorial_notification_changelist": (A, A, A, 403, 403, 200),
    "admin:editorial_notification_add": (A, A, A, 403, 403, 403),
    "admin:editorial_notification_change": (A, A, A, 403, 403, 200),
    "admin:editorial_notification_history": (A, A, A, 403, 403, 200),
    "admin:editorial_notification_delete": (A, A, A, 403, 403, 403),
    "admin/editorial/notification/<path:object_id>/": (A, A, A, R, R, R),
    # Partners' API keys: superusers only.
    "admin:api_partner_changelist": (A, A, A, 403, 403, 403),
    "admin:api_partner_add": (A, A, A, 403, 403, 403),
    "admin:api_partner_change": (A, A, A, 403, 403, 403),
    "admin:api_partner_history": (A, A, A, 403, 403, 403),
    "admin:api_partner_delete": (A, A, A, 403, 403, 403),
    "admin/api/partner/<path:object_id>/": (A, A, A, R, R, R),
    # Partners' webhooks and their delivery history: superusers only.
    "admin:api_webhooksubscription_changelist": (A, A, A, 403, 403, 403),
    "admin:api_webhooksubscription_add": (A, A, A, 403, 403, 403),
    "admin:api_webhooksubscription_change": (A, A, A, 403, 403, 403),
    "admin:api_webhooksubscription_history": (A, A, A, 403, 403, 403),
    "admin:api_webhooksubscription_delete": (A, A, A, 403, 403, 403),
    "admin/api/webhooksubscription/<path:object_id>/": (A, A, A, R, R, R),
    "admin:api_webhookdelivery_changelist": (A, A, A, 403, 403, 403),
    "admin:api_webhookdelivery_add": (A, A, A, 403, 403, 403),
    "admin:api_webhookdelivery_change": (A, A, A, 403, 403, 403),
    "admin:api_webhookdelivery_history": (A, A, A, 403, 403, 403),
    "admin:api_webhookdelivery_delete": (A, A, A, 403, 403, 403),
    "admin/api/webhookdelivery/<path:object_id>/": (A, A, A, R, R, R),
    # Accounts: nobody on the board manages users or groups in the admin.
    "admin:auth_user_changelist": (A, A, A, 403, 403, 403),
    "admin:auth_user_add": (A, A, A, 403, 403, 403),
    "admin:auth_user_change": (A, A, A, 403, 403, 403),
    "admin:auth_user_history": (A, A, A, 403, 403, 403),
    "admin:auth_user_delete": (A, A, A, 403, 403, 403),
    "admin:auth_user_password_change": (A, A, A, 403, 403, 403),
    "admin/auth/user/<path:object_id>/": (A, A, A, R, R, R),
    "admin:auth_group_changelist": (A, A, A, 403, 403, 403),
    "admin:auth_group_add": (A, A, A, 403, 403, 403),
    "admin:auth_group_change": (A, A, A, 403, 403, 403),
    "admin:auth_group_history": (A, A, A, 403, 403, 403),
    "admin:auth_group_delete": (A, A, A, 403, 403, 403),
    "admin/auth/group/<path:object_id>/": (A, A, A, R, R, R),
}


def page_url(key: str, world: World) -> str:
    """The URL of a page key: a URL name (its objects from the world) or a route."""
    under_review = world.version("under_review")
    approved = world.version("approved")
    draft = world.version("draft")
    reviewer = world.users["reviewer"]
    assignment = under_review.assignments.get(reviewer=reviewer)
    review = approved.reviews.get(reviewer=reviewer)
    member = BoardMember.objects.get(user=reviewer)
    event = AuditEvent.objects.filter(article=under_review.article).first()
    group = Group.objects.get(name="Author")
    partner = Partner.objects.get_or_create(name="A partner", defaults={"key_hash": "0" * 64})[0]
    subscription = WebhookSubscription.objects.get_or_create(
        partner=partner, url="https://partner.example/hooks", defaults={"events": ["article.published"]}
    )[0]
    objects = {
        "articleversion": under_review.pk,
        "article": under_review.article_id,
        "reviewassignment": assignment.pk,
        "review": review.pk,
        "boardmember": member.pk,
        "auditevent": event.pk,
        "notification": Notification.objects.filter(version=under_review).first().pk,
        "user": reviewer.pk,
        "group": group.pk,
        "partner": partner.pk,
        "webhooksubscription": subscription.pk,
        "webhookdelivery": WebhookDelivery.objects.get_or_create(
            subscription=subscription,
            message_id="msg_0",
            defaults={"event": "article.published", "payload": {}},
        )[0].pk,
    }
    special = {
        "reader:audience": reverse("reader:audience") + "?audience=patient&next=/",
        "workspace:password_reset_confirm": reverse(
            "workspace:password_reset_confirm", args=["MQ", "set-password"]
        ),
        "workspace:version_next": reverse("workspace:version_next", args=[draft.article.slug]),
        "workspace:submit": reverse("workspace:submit", args=[draft.article.slug, draft.number]),
        "workspace:withdraw": reverse("workspace:withdraw", args=[draft.article.slug, draft.number]),
        "admin:view_on_site": reverse(
            "admin:view_on_site",
            args=[ContentType.objects.get_for_model(Article).pk, under_review.article_id],
        ),
        "admin:app_list": reverse("admin:app_list", args=["editorial"]),
        "admin:app_list auth": reverse("admin:app_list", args=["auth"]),
        "admin/(?P<url>.*)$": "/admin/no-such-page/",
        "api:article": reverse("api:article", kwargs={"slug": under_review.article.slug}),
        "api:api-root": "/api/v1/",
        "api_not_found": "/api/v1/no-such-thing/",
        "admin:articles_articleversion_act": reverse(
            "admin:articles_articleversion_act", args=[under_review.pk, "approve"]
        ),
        "admin:articles_articleversion_withdraw_assignment": reverse(
            "admin:articles_articleversion_withdraw_assignment", args=[under_review.pk, assignment.pk]
        ),
        "admin:auth_user_password_change": reverse("admin:auth_user_password_change", args=[reviewer.pk]),
        "admin:articles_articleversion_annotation_act": reverse(
            "admin:articles_articleversion_annotation_act",
            args=[under_review.pk, under_review.annotations.get().pk, "reply"],
        ),
        "workspace:annotation_reply": reverse(
            "workspace:annotation_reply",
            args=[under_review.article.slug, under_review.number, under_review.annotations.get().pk],
        ),
        "admin:board_figures_csv": reverse("admin:board_figures_csv"),
        "reader:report": reverse("reader:report", args=[under_review.article.slug]),
        **{
            name: reverse(name, args=[999_999])
            for name in (
                "admin:editorial_re_review",
                "admin:editorial_re_review_open",
                "admin:editorial_re_review_assign",
                "admin:editorial_re_review_decide",
                "admin:editorial_reference_flag",
                "admin:editorial_report_triage",
            )
        },
    }
    if key in special:
        return special[key]
    if key.startswith("admin/"):  # an unnamed "<path:object_id>/" route: the old change URL
        model = key.split("/")[2]
        return f"/{key.split('<')[0]}{objects[model]}/"
    if not key.startswith("admin:") or "_" not in key or key.startswith("admin:password_change"):
        return reverse(key)
    app_model, _, view = key.removeprefix("admin:").rpartition("_")
    if view in ("changelist", "add"):
        return reverse(key)
    model = app_model.split("_", 1)[1]
    return reverse(key, args=[objects[model]])


def page_url_name(key: str) -> str:
    return key.split(" ")[0]


PAGE_TABLE = [(key, role) for key in PAGES for role in ROLES]


@pytest.mark.parametrize(("key", "role"), PAGE_TABLE)
def test_page_table(client, world, key, role):
    if role != "anonymous":
        client.force_login(world.users[role])
    response = client.get(page_url(key, world))
    want = PAGES[key][ROLES.index(role)]
    if want == LW:
        assert response.status_code == 302 and response["Location"].startswith(reverse("workspace:login"))
    elif want == A:
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    elif want == R:
        assert response.status_code == 302
        assert not response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == want, f"{role} GET {key}: {response.status_code}, want {want}"


def covered_url_keys() -> set[str]:
    """Every URL name (or, for unnamed routes, the route) some row of a table above covers."""
    return {page_url_name(key) for key in PAGES} | set(HTTP_URL_NAMES.values()) | set(READ_URL_NAMES.values())
