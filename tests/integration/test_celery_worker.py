"""A real Celery worker process on the machine's Redis and the test database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from editorial import reminders, tasks, workflow
from editorial.models import AuditEvent, Notification, NotificationKind, Reminder
from tests.integration.broker import broker_unreachable
from tests.integration.conftest import wait_for
from tests.support import flows

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def sent(*notifications) -> bool:
    ids = [n.pk for n in notifications]
    return Notification.objects.filter(pk__in=ids, sent_at__isnull=False).count() == len(ids)


def test_a_worker_runs_the_beat_sweep_and_sends_the_reminder(celery_worker, author, editor, reviewer):
    # (counted first: the worker may send the invitation before the test reads the mail again)
    before = celery_worker.mail().count(f"To: {reviewer.email}")
    # given an overdue review (its invitation is handed to the worker as the assignment commits)
    version = flows.submitted(author)
    workflow.assignment_create(
        version=version, reviewer=reviewer, actor=editor, review_due=timezone.now() - timedelta(hours=1)
    )
    invitation = Notification.objects.get(kind=NotificationKind.INVITED)
    # when beat's task reaches the worker
    tasks.sweep_reminders.delay()
    # then the worker claims the reminder and sends it, with the audit event
    wait_for(lambda: Reminder.objects.exists(), worker=celery_worker, what="the sweep to claim the reminder")
    reminder_mail = Notification.objects.get(kind=NotificationKind.REMINDER_OVERDUE)
    wait_for(lambda: sent(invitation, reminder_mail), worker=celery_worker, what="both mails to be sent")
    mail = celery_worker.mail()
    assert "Subject: Overdue: your review of Is this a question? (reminder 1 of 3)" in mail
    assert "Subject: Invitation to review: Is this a question? (version 1)" in mail
    assert mail.count(f"To: {reviewer.email}") - before == 2
    assert AuditEvent.objects.filter(action="editorial.assignment.reminded").count() == 1


def test_redis_down_at_commit_the_transition_succeeds_and_the_first_sweep_after_sends(
    celery_worker, author, editor, reviewer
):
    version = flows.submitted(author)
    with broker_unreachable():
        # when the transition commits while Redis is down
        assignment = workflow.assignment_create(
            version=version, reviewer=reviewer, actor=editor, review_due=timezone.now() - timedelta(hours=1)
        )
        # and a sweep runs while it is still down
        result = reminders.sweep()
    # then the transition stands, the reminder is claimed, and both mails wait in the outbox
    assert assignment.pk and [c.rule for c in result.claimed] == ["overdue"]
    pending = list(Notification.objects.order_by("pk"))
    assert [n.kind for n in pending] == [NotificationKind.INVITED, NotificationKind.REMINDER_OVERDUE]
    assert all(n.dispatched_at is None for n in pending)
    # when Redis is back, the first sweep (past the grace period) hands them to the worker
    before = celery_worker.mail().count(f"To: {reviewer.email}")
    result = reminders.sweep(now=timezone.now() + timedelta(minutes=2))
    assert result.claimed == [] and result.handed_over == 2
    wait_for(lambda: sent(*pending), worker=celery_worker, what="the outbox to be sent")
    assert celery_worker.mail().count(f"To: {reviewer.email}") - before == 2


def test_health_is_ok_once_the_worker_has_run_beats_jobs(celery_worker, client):
    from django.urls import reverse

    from editorial.models import JobRun

    # given the worker has run beat's two periodic jobs (beat sends both as it starts)
    tasks.sweep_reminders.delay()
    tasks.verify_audit_checkpoints.delay()
    wait_for(lambda: JobRun.objects.count() == 2, worker=celery_worker, what="both jobs to note their runs")
    # then every check passes, the worker's ping included
    response = client.get(reverse("health"))
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "worker": "ok",
        "periodic_jobs": "ok",
    }


def test_a_request_id_follows_the_request_into_the_task_it_publishes(
    celery_worker, author, editor, reviewers, settings
):
    import json
    import uuid

    from django.test import Client

    from tests.support.attempts import press_admin

    settings.DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True  # as behind deploy/nginx
    version = flows.approved(author, editor, reviewers[:2])
    request_id = f"publish-{uuid.uuid4()}"
    client = Client(headers={"X-Request-ID": request_id})
    client.force_login(editor)
    # when the editor publishes through the admin
    assert press_admin(client, "publish", version).status_code == 302
    published = Notification.objects.get(kind=NotificationKind.PUBLISHED)
    wait_for(lambda: sent(published), worker=celery_worker, what="the publication email")

    # then the worker's JSON lines for the task that sent it carry the request's id
    def lines():
        for line in celery_worker.output().splitlines():
            if line.startswith("{"):
                yield json.loads(line)

    wait_for(
        lambda: any(
            line.get("request_id") == request_id and line["event"] == "task_succeeded" for line in lines()
        ),
        worker=celery_worker,
        what="the task's success line",
    )
    mine = [line for line in lines() if line.get("request_id") == request_id]
    assert {line["event"] for line in mine} >= {"task_started", "task_succeeded"}
    assert any(line.get("task") == "editorial.tasks.send_notifications" for line in mine)
