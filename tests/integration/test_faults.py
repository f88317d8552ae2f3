"""Faults: Redis stopped during transitions and sweeps, a worker killed mid-send, the database
connection dropped inside a service. Each test prints its figures (``pytest -s``); they are in
``docs/reliability.md``.

Redis here is a ``redis-server`` of the test's own on a spare loopback port: stopping it never
touches the machine's Redis. Every wait polls with a deadline; nothing asserts on time.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db import Error as DjangoDatabaseError
from django.utils import timezone

from articles.models import Article, ArticleVersion, VersionState
from editorial import audit, reminders, workflow
from editorial.models import (
    AssignmentState,
    AuditEvent,
    Notification,
    NotificationKind,
    Reminder,
    Review,
    ReviewAssignment,
)
from tests.integration.conftest import _database_url
from tests.integration.faults import (
    RedisServer,
    broker_at,
    expected_mails,
    free_port,
    mails,
    start_worker,
    stop_worker,
    wait_until,
)
from tests.support import flows
from tests.support.factories import make_user
from tests.support.signing import signed

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def figures(name: str, **values) -> None:
    print(f"\nFIGURES {name}: {json.dumps(values)}")


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(free_port(), tmp_path / "redis-server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def workers(tmp_path, celery_queue):
    """Start Celery workers on the test database; every one is stopped when the test ends."""
    started = []
    database_url = _database_url()

    def start(*, redis_url: str, name: str, env: dict | None = None):
        worker = start_worker(
            database_url=database_url,
            redis_url=redis_url,
            queue=celery_queue,
            var_dir=tmp_path,
            name=name,
            env=env,
        )
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            stop_worker(worker)


def all_sent(queryset) -> bool:
    return not queryset.filter(sent_at__isnull=True).exists()


def overdue(reviewer, version, editor):
    return workflow.assignment_create(
        version=version, reviewer=reviewer, actor=editor, review_due=timezone.now() - timedelta(hours=1)
    )


# 1. Redis stopped during transitions and sweeps ---------------------------------------------


def test_redis_stopped_during_transitions_and_sweeps_loses_and_duplicates_nothing(
    own_redis, workers, author, editor, settings
):
    # Redis is the broker and the cache: both point at the test's own server.
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "faults",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    board = [make_user("Reviewer", username=f"outage-reviewer{i}") for i in range(6)]
    with broker_at(own_redis.url):
        worker = workers(redis_url=own_redis.url, name="outage-worker")
        # before the outage: a version with three invited reviewers, the invitations sent
        first = flows.submitted(author, slug="before-the-outage")
        for reviewer in board[:3]:
            workflow.assignment_create(version=first, reviewer=reviewer, actor=editor)
        wait_until(lambda: all_sent(Notification.objects), what="the invitations", workers=[worker])
        sent_before = Notification.objects.count()
        events_before = AuditEvent.objects.count()

        own_redis.stop()
        # transitions while Redis is down: each must commit
        calls = [
            lambda: workflow.version_start_review(version=first, actor=editor),
            *[
                lambda r=r: workflow.assignment_accept(assignment=first.assignments.get(reviewer=r), actor=r)
                for r in board[:2]
            ],
            *[lambda r=r: flows.review(first, r) for r in board[:2]],
            lambda: workflow.version_approve(version=first, actor=editor, signing=signed(editor, "approve")),
            lambda: workflow.version_publish(version=first, actor=editor, signing=signed(editor, "publish")),
            lambda: flows.submitted(author, slug="during-the-outage"),
            *[
                lambda r=r: overdue(r, ArticleVersion.objects.get(article__slug="during-the-outage"), editor)
                for r in board[3:]
            ],
        ]
        committed = 0
        for call in calls:
            call()  # raises if the transition failed
            committed += 1
        first.refresh_from_db()
        second = ArticleVersion.objects.get(article__slug="during-the-outage")
        assert first.state == VersionState.PUBLISHED and second.state == VersionState.SUBMITTED
        assert second.assignments.filter(state=AssignmentState.INVITED).count() == 3
        written_during = Notification.objects.count() - sent_before
        assert written_during == 5  # approved, published, three invitations
        assert not Notification.objects.filter(sent_at__isnull=True, dispatched_at__isnull=False).exists()

        # sweeps while Redis is down: two at once, then two more
        results, errors = [], []

        def sweep_in_thread(barrier):
            try:
                barrier.wait(timeout=30)
                results.append(reminders.sweep())
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                connection.close()

        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=sweep_in_thread, args=(barrier,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors and len(results) == 2
        results.append(reminders.sweep())
        results.append(reminders.sweep(now=timezone.now() + timedelta(minutes=2)))  # past the grace
        claims = [c.reminder_id for result in results for c in result.claimed]
        assert len(claims) == len(set(claims)) == 3  # the three overdue reviews, each claimed once
        assert [len(r.claimed) for r in results[2:]] == [0, 0]
        assert sum(r.handed_over for r in results) == 0  # nowhere to hand them
        pending = Notification.objects.filter(sent_at__isnull=True)
        assert pending.count() == 8 and not pending.filter(dispatched_at__isnull=False).exists()

        # Redis back (empty: it kept nothing), and the first sweep past the grace period
        own_redis.start()
        after = reminders.sweep(now=timezone.now() + timedelta(minutes=2))
        assert after.claimed == [] and after.handed_over == 8
        wait_until(
            lambda: all_sent(Notification.objects),
            what="the outbox after the outage",
            timeout=180,
            workers=[worker],
        )
        # and nothing is left to hand over, even long after
        assert not reminders.sweep(now=timezone.now() + timedelta(days=1, hours=1)).handed_over

    rows = list(Notification.objects.all())
    expected, delivered = expected_mails(rows), mails(worker.mail_dir)
    assert delivered == expected, (
        f"mails differ: {delivered - expected} extra, {expected - delivered} missing"
    )
    assert all(n.attempts == 1 and n.interrupted_attempts == 0 for n in rows)
    assert Reminder.objects.count() == 3
    assert AuditEvent.objects.filter(action="editorial.assignment.reminded").count() == 3
    events_during = AuditEvent.objects.count() - events_before
    assert worker.process.poll() is None  # the same worker rode out the outage
    chain = audit.verify_chain()
    assert chain.broken is None, chain.reason
    figures(
        "redis_outage",
        service_calls_during_outage=len(calls),
        committed=committed,
        audit_events_since_outage=events_during,
        sweeps_during_outage=len(results),
        reminders_claimed=len(claims),
        claimed_twice=len(claims) - len(set(claims)),
        mails_pending_at_restart=8,
        mails_expected=sum(expected.values()),
        mails_sent=sum(delivered.values()),
        duplicates=sum(max(c - 1, 0) for c in delivered.values()),
        chain_events=chain.checked,
    )


# 2. A worker killed with SIGKILL in the middle of sending reminders ---------------------------

REMINDERS = 12
HOLD_AT = 5  # the worker is killed while sending the 5th reminder


def row_unlocked(pk: int) -> bool:
    try:
        with transaction.atomic():
            list(Notification.objects.select_for_update(nowait=True).filter(pk=pk).values_list("pk"))
        return True
    except DatabaseError:
        return False


def test_a_worker_killed_mid_send_loses_nothing_and_records_the_possible_duplicate(
    own_redis, workers, author, editor, tmp_path
):
    board = [make_user("Reviewer", username=f"kill-reviewer{i:02}") for i in range(REMINDERS)]
    marker = tmp_path / "held"
    with broker_at(own_redis.url):
        version = flows.submitted(author)
        for reviewer in board:
            overdue(reviewer, version, editor)  # each invitation is queued as its assignment commits
        swept = reminders.sweep()
        assert len(swept.claimed) == REMINDERS  # one task carries the twelve reminders
        doomed = workers(
            redis_url=own_redis.url,
            name="doomed-worker",
            env={
                "FAULT_HOLD_SUBJECT": "Overdue",
                "FAULT_HOLD_AT": str(HOLD_AT),
                "FAULT_HOLD_FILE": str(marker),
            },
        )
        wait_until(marker.exists, what=f"the worker to write reminder {HOLD_AT}", workers=[doomed])

        # the moment of the kill: reminder 5 has left, its outcome is not recorded
        reminder_rows = Notification.objects.filter(kind=NotificationKind.REMINDER_OVERDUE)
        assert reminder_rows.filter(sent_at__isnull=False).count() == HOLD_AT - 1
        in_flight = reminder_rows.get(sending_since__isnull=False)
        assert in_flight.sent_at is None and in_flight.to_email == marker.read_text()
        assert (
            sum(n for (_, subject), n in mails(doomed.mail_dir).items() if subject.startswith("Overdue"))
            == HOLD_AT
        )
        stop_worker(doomed, kill=True)
        assert doomed.process.returncode == -9
        wait_until(
            lambda: row_unlocked(in_flight.pk), what="PostgreSQL to end the killed worker's transaction"
        )

        # restarted; the sweep hands over what was handed over long ago and is still unsent
        restarted = workers(redis_url=own_redis.url, name="restarted-worker")
        later = timezone.now() + timedelta(minutes=settings.EDITORIAL["OUTBOX_REDISPATCH_MINUTES"] + 1)
        again = reminders.sweep(now=later)
        assert again.claimed == [] and again.handed_over == REMINDERS - HOLD_AT + 1
        wait_until(
            lambda: all_sent(Notification.objects),
            what="every reminder after the restart",
            timeout=120,
            workers=[restarted],
        )

    rows = list(Notification.objects.all())
    in_flight.refresh_from_db()
    expected, delivered = expected_mails(rows), mails(restarted.mail_dir)
    twice = {key for key, count in delivered.items() if count > 1}
    # no reminder lost, and only the one in flight at the kill went out twice, recorded as such
    assert Reminder.objects.count() == REMINDERS and all(n.sent_at for n in rows)
    assert set(expected) == set(delivered)
    assert twice == {(in_flight.to_email, _subject(in_flight))}
    assert delivered - expected == {(in_flight.to_email, _subject(in_flight)): 1}
    assert [n.pk for n in rows if n.possibly_sent_twice] == [in_flight.pk]
    assert (in_flight.attempts, in_flight.interrupted_attempts, in_flight.sending_since) == (2, 1, None)
    assert all(n.attempts == 1 for n in rows if n.pk != in_flight.pk)
    assert AuditEvent.objects.filter(action="editorial.assignment.reminded").count() == REMINDERS
    assert audit.verify_chain().broken is None
    figures(
        "worker_killed",
        invitations=len(board),
        reminders_expected=REMINDERS,
        kills=1,
        killed_at_reminder=HOLD_AT,
        sent_before_kill=HOLD_AT - 1,
        handed_over_after_restart=again.handed_over,
        mails_expected=sum(expected.values()),
        mails_sent=sum(delivered.values()),
        sent_twice=len(twice),
        recorded_possibly_twice=sum(n.possibly_sent_twice for n in rows),
        lost=len(set(expected) - set(delivered)),
    )


def _subject(notification: Notification) -> str:
    from editorial.notifications import build_message

    return build_message(notification).subject


# 3. The database connection dropped in the middle of a service call ---------------------------


def snapshot() -> dict:
    """Everything a service may write."""
    return {
        "versions": sorted(ArticleVersion.objects.values_list("pk", "state")),
        "live": sorted(Article.objects.values_list("pk", "live_version_id")),
        "assignments": sorted(ReviewAssignment.objects.values_list("pk", "state")),
        "reviews": Review.objects.count(),
        "events": sorted(AuditEvent.objects.values_list("article_id", "seq", "action")),
        "notifications": sorted(Notification.objects.values_list("pk", "kind")),
    }


def dsn() -> str:
    return _database_url().replace("postgres://", "postgresql://", 1)


def drop_connection_before(table: str, nth: int, state: dict):
    """An execute wrapper: before the ``nth`` INSERT into ``table``, another connection
    terminates this one's server process (``pg_terminate_backend``, waiting until it is gone)."""

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and f'"{table}"' in sql:
            state["inserts"] = state.get("inserts", 0) + 1
            if state["inserts"] == nth:
                pid = context["connection"].connection.info.backend_pid
                with psycopg.connect(dsn(), autocommit=True) as other:
                    state["terminated"] = other.execute(
                        "SELECT pg_terminate_backend(%s, 10000)", [pid]
                    ).fetchone()[0]
        return execute(sql, params, many, context)

    return wrapper


def _next_version_approved(author, editor, board):
    v1 = flows.published(author, editor, board[:2])
    v2 = workflow.version_create_next(article=v1.article, author=author)
    v2 = workflow.version_submit(version=v2, actor=author)
    for reviewer in board[:2]:
        workflow.assignment_create(version=v2, reviewer=reviewer, actor=editor)
    v2 = workflow.version_start_review(version=v2, actor=editor)
    for reviewer in board[:2]:
        flows.review(v2, reviewer)
    return workflow.version_approve(version=v2, actor=editor, signing=signed(editor, "approve"))


CASES = {
    # service, the insert before which the connection drops, audit events a success appends
    "assignment_create: before its audit event": ("editorial_auditevent", 1, 1),
    "version_approve: before the outbox row, its last write": ("editorial_notification", 1, 1),
    "version_publish of v2: before the second audit event (v1 superseded)": ("editorial_auditevent", 2, 2),
}


@pytest.mark.parametrize("case", CASES)
def test_connection_dropped_mid_service_rolls_back_whole_and_the_retry_succeeds(
    case, author, editor, reviewers
):
    table, nth, events_on_success = CASES[case]
    if case.startswith("assignment_create"):
        version = flows.submitted(author)

        def call():
            return workflow.assignment_create(version=version, reviewer=reviewers[2], actor=editor)
    elif case.startswith("version_approve"):
        version = flows.under_review(author, editor, reviewers[:2])
        for reviewer in reviewers[:2]:
            flows.review(version, reviewer)

        def call():
            return workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))
    else:
        version = _next_version_approved(author, editor, reviewers)

        def call():
            return workflow.version_publish(version=version, actor=editor, signing=signed(editor, "publish"))

    before = snapshot()
    state: dict = {}
    with (
        pytest.raises(DjangoDatabaseError) as failure,
        connection.execute_wrapper(drop_connection_before(table, nth, state)),
    ):
        call()
    assert state.get("terminated") is True, f"the connection was not dropped: {state}"
    # the caller got the error; nothing of the call is in the database
    assert snapshot() == before
    # the retry, on a new connection, succeeds and the chain verifies
    call()
    after = snapshot()
    assert len(after["events"]) - len(before["events"]) == events_on_success
    assert after["versions"] != before["versions"] or after["assignments"] != before["assignments"]
    chain = audit.verify_chain()
    assert chain.broken is None, chain.reason
    figures(
        "connection_dropped",
        case=case,
        error=type(failure.value).__name__,
        message=str(failure.value).splitlines()[0][:120],
        events_appended_on_retry=events_on_success,
        chain_events=chain.checked,
    )
