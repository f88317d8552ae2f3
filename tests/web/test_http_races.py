"""Races over real HTTP, on PostgreSQL: 64 people pressing conflicting buttons on one version
at the same moment, through the admin's version page and the author workspace.

A live server (a real socket, Django's threaded WSGI server, one database connection per
request thread) and 64 stdlib HTTP clients, each with its own cookie jar: each signs in
through the login form with its CSRF token, loads the page it will press the button on,
then all 64 are released together by a barrier. Exactly one attempt wins; every other gets a
refusal with the reason on the page (409), never a 500; the audit chain verifies afterwards
and holds exactly the winner's events.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

from articles.models import ArticleVersion, VersionState
from editorial import workflow
from editorial.audit import verify_chain
from editorial.models import AuditEvent
from tests.support import flows
from tests.support.attempts import signing_post
from tests.support.factories import make_user
from tests.support.http import Answer, Browser
from tests.support.signing import signed
from workspace.forms import findings_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

ATTEMPTS = 64


@pytest.fixture(autouse=True)
def shared_cache(settings):
    # The server threads and the test share one process: a local-memory cache is enough, and
    # keeps the login throttle's counters away from other runs on the same Redis.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "http-races"}
    }


class _WideBacklogServer(ThreadedWSGIServer):
    # Django's test server queues 10 connections; 64 arriving at once would be reset.
    request_queue_size = 4 * ATTEMPTS


class _RaceServerThread(LiveServerThread):
    server_class = _WideBacklogServer


@pytest.fixture
def race_server(transactional_db):
    """A live server on a real socket: Django's threaded test server, one thread and one
    database connection per request, with a listen queue wide enough for the 64."""
    from django.test.testcases import _StaticFilesHandler

    thread = _RaceServerThread("127.0.0.1", _StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@dataclass
class Attempt:
    """One person pressing one button: where they sign in, the page they load, what they post."""

    user: object
    login: str
    page: str
    url: str
    data: dict


def admin_act(user, version, verb: str, data: dict | None = None) -> Attempt:
    page = f"/admin/articles/articleversion/{version.pk}/change/"
    return Attempt(
        user,
        "/admin/login/",
        page,
        f"/admin/articles/articleversion/{version.pk}/act/{verb}/",
        {**signing_post(verb), **(data or {})},  # a signing verb's password and meaning
    )


def workspace(user, version, verb: str, data: dict) -> Attempt:
    page = f"/author/articles/{version.article.slug}/v{version.number}/"
    return Attempt(user, "/author/login/", page, f"{page}{verb}/", data)


def race(base_url: str, attempts: list[Attempt]) -> list[Answer]:
    """Sign everyone in and load their page, then release all the button presses at once."""
    browsers = [Browser(base_url) for _ in attempts]
    barrier = threading.Barrier(len(attempts))
    answers: list[Answer | None] = [None] * len(attempts)
    failures = []

    def run(index: int) -> None:
        attempt, browser = attempts[index], browsers[index]
        try:
            browser.sign_in(attempt.login, attempt.user)
            assert browser.get(attempt.page).status == 200
        except BaseException as exc:  # noqa: BLE001 - reported below; the barrier must not hang
            failures.append(repr(exc))
            barrier.abort()
            return
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return
        answers[index] = browser.post(attempt.url, attempt.data)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    return answers


def outcome(answer: Answer, version) -> str:
    won_locations = (
        f"/admin/articles/articleversion/{version.pk}/change/",
        f"/author/articles/{version.article.slug}/v{version.number}/",
    )
    if answer.status == 302 and answer.location in won_locations:
        return "won"
    return f"refused {answer.status}"


def report(name: str, answers: list[Answer], version) -> Counter:
    figures = Counter(outcome(answer, version) for answer in answers)
    print(
        f"\nHTTP race {name}: {len(answers)} attempts, {figures.get('won', 0)} won, "
        + ", ".join(f"{count} {kind}" for kind, count in sorted(figures.items()) if kind != "won")
    )
    return figures


def assert_one_winner_and_clear_refusals(answers: list[Answer], version) -> None:
    figures = Counter(outcome(answer, version) for answer in answers)
    assert not [a for a in answers if a.status >= 500], "a refusal is never a 500"
    assert figures["won"] == 1, figures
    refused = [answer for answer in answers if outcome(answer, version) != "won"]
    assert {answer.status for answer in refused} == {409}, figures
    # every refusal says why, in words a person can act on
    silent = [answer.body[:300] for answer in refused if not answer.message]
    assert not silent, silent
    print("  refusals say, for example: " + "; ".join(sorted({answer.message for answer in refused})[:3]))


@pytest.fixture
def board(db):
    return {
        "author": make_user("Author", username="race-author"),
        "editors": [make_user("Editor", username=f"race-editor{i}") for i in (1, 2)],
        "reviewers": [make_user("Reviewer", username=f"race-reviewer{i}") for i in (1, 2)],
    }


def test_64_conflicting_decisions_over_http_one_wins(on_postgres, race_server, board):
    # given a version under review with its quorum of approvals
    author, editors = board["author"], board["editors"]
    version = flows.under_review(author, editors[0], board["reviewers"])
    for reviewer in board["reviewers"]:
        flows.review(version, reviewer)
    events_before = AuditEvent.objects.filter(article=version.article).count()
    # when two editors approve, request changes, reject and withdraw in the admin while the
    # author withdraws in the workspace, 64 presses at the same moment
    presses = [
        lambda i: admin_act(editors[i % 2], version, "approve", {"approve-message": "Quorum met."}),
        lambda i: admin_act(
            editors[i % 2], version, "request_changes", {"request_changes-message": "Cite the label."}
        ),
        lambda i: admin_act(editors[i % 2], version, "reject", {"reject-message": "Out of scope."}),
        lambda i: admin_act(editors[i % 2], version, "withdraw", {"withdraw-message": "Pulled."}),
        lambda i: workspace(author, version, "withdraw", {"reason": "Not ready."}),
    ]
    attempts = [presses[i % len(presses)](i // len(presses)) for i in range(ATTEMPTS)]
    answers = race(race_server, attempts)
    report("decisions (approve/request changes/reject/withdraw x 2 editors + author)", answers, version)
    # then exactly one wins; every other press is refused with a message, never a 500
    assert_one_winner_and_clear_refusals(answers, version)
    version = ArticleVersion.objects.get(pk=version.pk)
    assert version.state in {
        VersionState.APPROVED,
        VersionState.CHANGES_REQUESTED,
        VersionState.REJECTED,
        VersionState.WITHDRAWN,
    }
    # and the audit trail holds exactly the winner's event, and verifies
    events = list(AuditEvent.objects.filter(article=version.article).order_by("seq")[events_before:])
    assert [(e.state_before, e.state_after) for e in events] == [(VersionState.UNDER_REVIEW, version.state)]
    assert verify_chain().ok


def test_64_publishers_and_withdrawers_over_http_one_wins(on_postgres, race_server, board):
    # given version 1 live and version 2 approved
    author, editors, reviewers = board["author"], board["editors"], board["reviewers"]
    first = flows.published(author, editors[0], reviewers)
    second = workflow.version_create_next(article=first.article, author=author)
    workflow.version_submit(version=second, actor=author)
    for reviewer in reviewers:
        workflow.assignment_create(version=second, reviewer=reviewer, actor=editors[0])
    workflow.version_start_review(version=second, actor=editors[0])
    for reviewer in reviewers:
        flows.review(second, reviewer)
    second = workflow.version_approve(version=second, actor=editors[1], signing=signed(editors[1], "approve"))
    events_before = AuditEvent.objects.filter(article=first.article).count()
    # when two editors press publish while the author and an editor try to withdraw it
    presses = [
        lambda i: admin_act(editors[i % 2], second, "publish"),
        lambda i: admin_act(editors[i % 2], second, "publish"),
        lambda i: admin_act(editors[i % 2], second, "publish"),
        lambda i: workspace(author, second, "withdraw", {"reason": "Not ready."}),
    ]
    attempts = [presses[i % len(presses)](i // len(presses)) for i in range(ATTEMPTS)]
    answers = race(race_server, attempts)
    report("publish x 2 editors vs withdraw by the author", answers, second)
    assert_one_winner_and_clear_refusals(answers, second)
    # then version 2 is live, version 1 superseded, and the winner's two events are the only ones
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.state, first.state) == (VersionState.PUBLISHED, VersionState.SUPERSEDED)
    events = list(AuditEvent.objects.filter(article=first.article).order_by("seq")[events_before:])
    assert [(e.action, e.version_id) for e in events] == [
        ("editorial.version.published", second.pk),
        ("editorial.version.superseded", first.pk),
    ]
    assert verify_chain().ok


def test_64_submits_of_one_draft_over_http_one_wins(on_postgres, race_server, board):
    # given a draft, open in 64 of its author's browser tabs
    author = board["author"]
    version = flows.draft(author)
    events_before = AuditEvent.objects.filter(article=version.article).count()
    confirmed = {"findings": findings_token(version.check_integrity())}  # what the confirm page holds
    attempts = [workspace(author, version, "submit", confirmed) for _ in range(ATTEMPTS)]
    # when all 64 press submit at once
    answers = race(race_server, attempts)
    report("submit x 64 tabs of the author", answers, version)
    # then one submission, 63 refusals saying the version is no longer a draft
    assert_one_winner_and_clear_refusals(answers, version)
    version.refresh_from_db()
    assert version.state == VersionState.SUBMITTED
    events = list(AuditEvent.objects.filter(article=version.article).order_by("seq")[events_before:])
    assert [e.action for e in events] == [
        "editorial.version.submitted",
        "editorial.version.integrity_checked",
    ]
    assert verify_chain().ok
