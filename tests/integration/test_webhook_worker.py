"""Webhooks through a real Celery worker: the editorial action commits, the worker signs and
POSTs, a partner's endpoint on 127.0.0.1 verifies it with ``standardwebhooks``; a failing
endpoint is retried by the worker until it answers."""

import pytest

from api import keys, webhooks
from api.models import WebhookDelivery, WebhookEvent
from editorial import workflow
from tests.integration.conftest import wait_for
from tests.support import flows
from tests.support.signing import signed
from tests.support.webhooks import Receiver

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(settings):
    settings.CONTENT_API = {**settings.CONTENT_API, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": True}
    receiver = Receiver()
    partner, _ = keys.partner_create(name="A partner site")
    subscription = webhooks.subscription_create(partner=partner, url=receiver.url, events=WebhookEvent.values)
    receiver.secret = subscription.secret
    yield receiver
    receiver.close()


def test_the_worker_delivers_signed_webhooks_and_retries(
    celery_worker, receiver, author, editor, reviewers, monkeypatch
):
    # given an endpoint that answers 503 with Retry-After: 1 at first
    receiver.status, receiver.headers = 503, {"Retry-After": "1"}
    # when an article is published, then retracted
    version = flows.published(author, editor, reviewers[:2])
    wait_for(
        lambda: WebhookDelivery.objects.filter(attempts__gte=1).exists(),
        worker=celery_worker,
        what="the first attempt",
    )
    receiver.status, receiver.headers = 200, {}
    workflow.version_retract(
        version=version, actor=editor, reason="A dose was wrong.", signing=signed(editor, "retract")
    )
    # then the worker delivers both, the first on a retry, each verified by the partner
    wait_for(
        lambda: WebhookDelivery.objects.filter(delivered_at__isnull=False).count() == 2,
        worker=celery_worker,
        what="both webhooks to be delivered",
    )
    types = sorted({item["payload"]["type"] for item in receiver.received})
    assert types == ["article.published", "article.retracted"]
    assert receiver.refused == []
    first = WebhookDelivery.objects.get(event=WebhookEvent.PUBLISHED)
    assert first.attempts >= 2 and first.last_status == 200
