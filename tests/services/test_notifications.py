"""Notifications: an outbox row in the event's transaction, handed to Celery on commit, sent
at most once; never a confidential comment in an author's mail."""

import smtplib
import socket
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app
from editorial import notifications, reminders, tasks, workflow
from editorial.models import Decision, Notification, NotificationKind
from tests.support import flows
from tests.support.signing import signed

pytestmark = pytest.mark.django_db

CONFIDENTIAL = "CONFIDENTIAL-NOTE: the author's previous paper had problems"


@pytest.fixture
def published_tasks(monkeypatch):
    """Record what would be published to the broker instead of publishing it."""
    calls = []
    monkeypatch.setattr(tasks.send_notifications, "apply_async", lambda args, **kw: calls.append(args[0]))
    return calls


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed when the block ends: nothing listens there


@pytest.fixture
def broker_down():
    """Point the Celery app at a Redis port where nothing listens, as if Redis were down."""
    saved = (
        celery_app.conf.broker_url,
        celery_app.conf.broker_write_url,
        celery_app.conf.broker_transport_options,
    )

    def reset_pools():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.broker_url = celery_app.conf.broker_write_url = f"redis://127.0.0.1:{closed_port()}/0"
    celery_app.conf.broker_transport_options = {}
    reset_pools()
    yield
    celery_app.conf.broker_url, celery_app.conf.broker_write_url, celery_app.conf.broker_transport_options = (
        saved
    )
    reset_pools()


def test_an_invitation_is_written_with_the_assignment_and_handed_over_on_commit(
    author, editor, reviewer, published_tasks, django_capture_on_commit_callbacks
):
    version = flows.submitted(author)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    notification = Notification.objects.get()
    assert (notification.kind, notification.to_email) == (NotificationKind.INVITED, reviewer.email)
    assert notification.context["review_due"] == notifications.display_date(assignment.review_due)
    assert published_tasks == [[notification.pk]]
    assert notification.dispatched_at is not None and notification.sent_at is None


def test_a_rolled_back_transition_writes_and_sends_nothing(
    author, editor, reviewer, published_tasks, django_capture_on_commit_callbacks
):
    version = flows.submitted(author)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
        raise RuntimeError("something after the service failed")
    assert not Notification.objects.exists()
    assert published_tasks == []


def test_broker_down_at_commit_the_transition_succeeds_and_the_next_sweep_hands_it_over(
    author, editor, reviewer, broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    version = flows.submitted(author)
    # when Redis is unreachable as the transition commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assignment = workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    # then the transition stands, and its mail waits in the outbox
    assert callbacks and assignment.pk
    notification = Notification.objects.get()
    assert notification.dispatched_at is None and notification.sent_at is None
    # when Redis is back, the first sweep after the grace period hands it over
    published = []
    monkeypatch.setattr(tasks.send_notifications, "apply_async", lambda args, **kw: published.append(args[0]))
    result = reminders.sweep(now=timezone.now() + timedelta(minutes=2))
    assert published == [[notification.pk]] and result.handed_over == 1
    notification.refresh_from_db()
    assert notification.dispatched_at is not None


def test_changes_requested_mail_has_the_comments_for_the_author_never_the_confidential_ones(
    author, editor, reviewers, mailoutbox
):
    version = flows.under_review(author, editor, reviewers[:2])
    workflow.review_record(
        assignment=version.assignments.get(reviewer=reviewers[0]),
        actor=reviewers[0],
        decision=Decision.REQUEST_CHANGES,
        comment_to_author="Cite a source for the dose.",
        confidential_comment=CONFIDENTIAL,
        no_conflict_declared=True,
        signing=signed(reviewers[0], "review"),
    )
    flows.review(version, reviewers[1], decision=Decision.APPROVE, comment="Reads well.")
    workflow.version_request_changes(version=version, actor=editor, message="Please resolve citation 2.")
    notification = Notification.objects.get(kind=NotificationKind.CHANGES_REQUESTED)
    assert notification.recipient_id == author.pk
    assert CONFIDENTIAL not in str(notification.context)

    notifications.deliver_many([notification.pk])
    (mail,) = mailoutbox
    html = mail.alternatives[0][0]
    for text in (mail.body, html):
        assert "Please resolve citation 2." in text
        assert "Cite a source for the dose." in text and "Reads well." in text
        assert "CONFIDENTIAL-NOTE" not in text
        # reviews are anonymous to authors by default
        for person in reviewers[:2]:
            assert person.board_member.display_name not in text
    assert "CONFIDENTIAL-NOTE" not in mail.subject
    assert mail.to == [author.email]


def test_approved_and_published_tell_the_author(author, editor, reviewers):
    flows.published(author, editor, reviewers[:2])
    kinds = list(Notification.objects.filter(recipient=author).values_list("kind", flat=True))
    assert kinds == [NotificationKind.APPROVED, NotificationKind.PUBLISHED]
    invited = Notification.objects.filter(kind=NotificationKind.INVITED)
    assert sorted(invited.values_list("recipient_id", flat=True)) == sorted(r.pk for r in reviewers[:2])


def test_a_redelivered_task_sends_nothing_twice(author, editor, reviewer, mailoutbox):
    version = flows.submitted(author)
    workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    notification = Notification.objects.get()
    assert tasks.send_notifications([notification.pk]) == 1
    assert tasks.send_notifications([notification.pk]) == 0  # acks_late redelivery
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.attempts == 1


def test_a_mail_error_is_recorded_and_raised_for_the_task_to_retry(
    author, editor, reviewer, mailoutbox, monkeypatch
):
    version = flows.submitted(author)
    workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    notification = Notification.objects.get()

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            tasks.send_notifications([notification.pk])
    notification.refresh_from_db()
    assert notification.sent_at is None and notification.attempts == 1
    assert "SMTPServerDisconnected" in notification.last_error
    # the task retries such errors with backoff, acknowledging only when done
    task = tasks.send_notifications
    assert task.acks_late and task.retry_backoff and task.max_retries
    assert issubclass(smtplib.SMTPServerDisconnected, task.autoretry_for)
    # the retry sends it
    assert tasks.send_notifications([notification.pk]) == 1
    assert len(mailoutbox) == 1


def test_a_missing_notification_sends_nothing(mailoutbox):
    assert tasks.send_notifications([987654]) == 0
    assert mailoutbox == []


CONTEXT = {
    "recipient_name": "Dr. Siobhan O'Brien",
    "reviewer_name": "Dr. Siobhan O'Brien",
    "article_title": "Is <b>this</b> a question?",
    "article_slug": "a-question",
    "version_number": 3,
    "article_url": "http://127.0.0.1:8000/articles/a-question/",
    "link": "http://127.0.0.1:8000/admin/",
    "response_due": "5 March 2026",
    "review_due": "16 March 2026",
    "published_at": "1 March 2025",
    "re_review_due": "1 March 2026",
    "step": 2,
    "max_steps": 3,
    "days_overdue": 4,
    "message": "Please resolve citation 2.",
    "comments": [{"reviewer": "Reviewer 1", "decision": "Request changes", "comment": "Cite it."}],
}


@pytest.mark.parametrize("kind", NotificationKind.values)
def test_every_kind_has_a_subject_a_text_and_an_html_template(kind):
    message = notifications.build_message(Notification(kind=kind, to_email="x@example.org", context=CONTEXT))
    html = message.alternatives[0][0]
    assert message.subject and "\n" not in message.subject and "{" not in message.subject
    assert "O'Brien" in message.body and "&#x27;" not in message.body  # text is not HTML-escaped
    assert "<b>this</b>" not in html and "&lt;b&gt;this&lt;/b&gt;" in html  # HTML is
    assert "{{" not in message.body and "{{" not in html
    assert message.to == ["x@example.org"]
