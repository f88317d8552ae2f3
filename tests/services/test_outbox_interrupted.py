"""The outbox's record of an interrupted send, without a worker (the real kill is in
``tests/integration/test_faults.py``)."""

import pytest
from django.utils import timezone

from editorial import notifications, workflow
from editorial.models import Notification
from tests.support import flows

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(author, editor, reviewer):
    workflow.assignment_create(version=flows.submitted(author), reviewer=reviewer, actor=editor)
    return Notification.objects.get()


def test_a_clean_send_leaves_no_mark(invitation, mailoutbox):
    assert notifications.deliver(invitation.pk) is not None
    invitation.refresh_from_db()
    assert (invitation.attempts, invitation.interrupted_attempts) == (1, 0)
    assert invitation.sending_since is None and not invitation.possibly_sent_twice
    assert len(mailoutbox) == 1


def test_an_attempt_that_died_mid_send_is_recorded_by_the_next_one(invitation, mailoutbox):
    # what a worker killed between its two commits leaves behind: the attempt marked, no outcome
    Notification.objects.filter(pk=invitation.pk).update(attempts=1, sending_since=timezone.now())
    assert notifications.deliver(invitation.pk) is not None
    invitation.refresh_from_db()
    assert (invitation.attempts, invitation.interrupted_attempts) == (2, 1)
    assert invitation.sending_since is None and invitation.possibly_sent_twice
    assert len(mailoutbox) == 1  # this attempt's mail; the dead one's may also have gone out


def test_a_mail_error_clears_the_mark(invitation, monkeypatch):
    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with pytest.raises(ConnectionRefusedError):
        notifications.deliver(invitation.pk)
    invitation.refresh_from_db()
    assert invitation.sending_since is None and invitation.interrupted_attempts == 0
    assert invitation.attempts == 1 and "ConnectionRefusedError" in invitation.last_error
