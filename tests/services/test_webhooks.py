"""Signed webhooks: written with the editorial event, sent after it commits, signed per the
Standard Webhooks specification and checked by a receiver on 127.0.0.1 with the
``standardwebhooks`` library; retried on failure; never a reason for an editorial action to fail."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from standardwebhooks import Webhook

from api import keys, webhooks
from api.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from editorial import workflow
from tests.support import flows
from tests.support.factories import make_user
from tests.support.signing import signed
from tests.support.webhooks import Receiver

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def receiver(settings):
    settings.CONTENT_API = {**settings.CONTENT_API, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": True}
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def subscription(receiver):
    partner, _ = keys.partner_create(name="A partner site")
    subscription = webhooks.subscription_create(partner=partner, url=receiver.url, events=WebhookEvent.values)
    receiver.secret = subscription.secret
    return subscription


def test_publishing_sends_a_signed_webhook_after_commit(
    django_capture_on_commit_callbacks, subscription, receiver, author, editor, reviewers, monkeypatch
):
    dispatched = []
    monkeypatch.setattr(webhooks, "enqueue", dispatched.extend)  # the hand-over to Celery
    # given a partner subscribed to every event; when an article is published
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version = flows.published(author, editor, reviewers[:2])
    # then one delivery was written in the publishing transaction and nothing was sent yet
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == WebhookEvent.PUBLISHED and delivery.delivered_at is None
    assert receiver.received == [] and dispatched == []
    # and it is handed to Celery once the transaction commits
    for callback in callbacks:
        callback()
    assert dispatched == [delivery.pk]
    # when the task delivers it, the receiver verifies the signature with the standard library
    assert webhooks.deliver(delivery.pk) is not None
    (received,) = receiver.received
    assert received["id"] == delivery.message_id
    payload = received["payload"]
    assert payload["type"] == "article.published"
    assert payload["data"]["slug"] == version.article.slug and payload["data"]["version"] == 1
    assert payload["data"]["url"].endswith(reverse("api:article", kwargs={"slug": version.article.slug}))
    delivery.refresh_from_db()
    assert delivery.delivered_at and delivery.attempts == 1 and delivery.last_status == 204
    # and a task delivered twice sends nothing twice
    assert webhooks.deliver(delivery.pk) is None
    assert len(receiver.received) == 1


def test_a_newer_version_supersedes_and_a_retraction_is_told(
    subscription, receiver, author, editor, reviewers
):
    first = flows.published(author, editor, reviewers[:2])
    second = flows.published_next(first.article, editor, reviewers[:2], change_note="Clearer wording.")
    workflow.version_retract(
        version=second, actor=editor, reason="A dose was wrong.", signing=signed(editor, "retract")
    )
    events = list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))
    # the new version is published, then the old one superseded, in one transaction
    assert events == ["article.published", "article.published", "article.superseded", "article.retracted"]
    for delivery in WebhookDelivery.objects.order_by("pk"):
        webhooks.deliver(delivery.pk)
    assert [r["payload"]["type"] for r in receiver.received] == events
    assert receiver.received[-1]["payload"]["data"]["reason"] == "A dose was wrong."
    assert receiver.refused == []


def test_a_subscription_hears_only_its_events(receiver, author, editor, reviewers):
    partner, _ = keys.partner_create(name="Retractions only")
    webhooks.subscription_create(partner=partner, url=receiver.url, events=[WebhookEvent.RETRACTED])
    version = flows.published(author, editor, reviewers[:2])
    assert not WebhookDelivery.objects.exists()
    workflow.version_retract(
        version=version, actor=editor, reason="Wrong.", signing=signed(editor, "retract")
    )
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["article.retracted"]


def test_a_failed_delivery_is_recorded_and_retried(subscription, receiver, author, editor, reviewers):
    flows.published(author, editor, reviewers[:2])
    delivery = WebhookDelivery.objects.get()
    receiver.status = 503
    with pytest.raises(webhooks.DeliveryFailed, match="503"):
        webhooks.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.delivered_at is None and delivery.attempts == 1 and delivery.last_status == 503
    # the retry (the task's, with backoff) carries the same message id and succeeds
    receiver.status = 200
    assert webhooks.deliver(delivery.pk) is not None
    assert [r["id"] for r in receiver.received] == [delivery.message_id] * 2


def test_a_wrong_secret_fails_the_receivers_check(subscription, receiver, author, editor, reviewers):
    receiver.secret = webhooks.new_secret()  # the partner holds another secret
    flows.published(author, editor, reviewers[:2])
    with pytest.raises(webhooks.DeliveryFailed, match="400"):
        webhooks.deliver(WebhookDelivery.objects.get().pk)
    assert receiver.refused == ["No matching signature found"]


def test_410_gone_turns_the_subscription_off(subscription, receiver, author, editor, reviewers):
    flows.published(author, editor, reviewers[:2])
    receiver.status = 410
    assert webhooks.deliver(WebhookDelivery.objects.get().pk) is None
    subscription.refresh_from_db()
    assert not subscription.active and "410" in subscription.disabled_reason


def test_an_unreachable_endpoint_is_a_failed_attempt(subscription, receiver, author, editor, reviewers):
    flows.published(author, editor, reviewers[:2])
    receiver.close()
    with pytest.raises(webhooks.DeliveryFailed):
        webhooks.deliver(WebhookDelivery.objects.get().pk)
    assert WebhookDelivery.objects.get().last_error


def test_a_broker_that_is_down_never_fails_the_editorial_action(
    django_capture_on_commit_callbacks, subscription, author, editor, reviewers, monkeypatch
):
    from api.tasks import deliver_webhook

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(deliver_webhook, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        version = flows.published(author, editor, reviewers[:2])
    assert version.state == "published"
    delivery = WebhookDelivery.objects.get()
    assert delivery.dispatched_at is None  # the note was taken back: the sweep hands it over
    handed = []
    assert webhooks.sweep(now=delivery.created_at + webhooks.GRACE, dispatch=handed.extend) == 1
    assert handed == [delivery.pk]


@pytest.mark.parametrize(
    ("url", "https", "private", "message"),
    [
        ("http://partner.example/hooks", True, False, "https"),
        ("https://127.0.0.1:8443/hooks", False, False, "loopback"),
        ("https://10.0.0.5/hooks", False, False, "private"),
        ("https://[::1]/hooks", False, False, "loopback"),
        ("https://localhost/hooks", False, False, "this site"),  # localhost is in ALLOWED_HOSTS
        ("https://app.localhost/hooks", False, False, "localhost"),
        ("http://127.0.0.1:8000/hooks", False, True, "this site"),  # SITE_URL itself
        ("https://testserver/hooks", False, True, "this site"),  # a name in ALLOWED_HOSTS
        ("ftp://partner.example/hooks", False, False, "http(s)"),
    ],
)
def test_endpoints_that_are_refused(settings, url, https, private, message):
    settings.CONTENT_API = {
        **settings.CONTENT_API,
        "WEBHOOK_REQUIRE_HTTPS": https,
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": private,
    }
    partner, _ = keys.partner_create(name="A partner")
    with pytest.raises(ValidationError) as refused:
        webhooks.subscription_create(partner=partner, url=url, events=[WebhookEvent.PUBLISHED])
    assert message in str(refused.value)
    assert not WebhookSubscription.objects.exists()


def test_an_https_partner_endpoint_is_accepted_in_production_settings(settings):
    settings.CONTENT_API = {**settings.CONTENT_API, "WEBHOOK_REQUIRE_HTTPS": True}
    partner, _ = keys.partner_create(name="A partner")
    subscription = webhooks.subscription_create(
        partner=partner, url="https://partner.example/hooks", events=[WebhookEvent.PUBLISHED]
    )
    assert subscription.secret.startswith("whsec_")
    with pytest.raises(ValidationError, match="Unknown events"):
        webhooks.subscription_create(
            partner=partner, url="https://partner.example/x", events=["article.eaten"]
        )


def test_the_admin_adds_a_subscription_shows_its_secret_once_and_lists_deliveries(client, settings):
    root = make_user(is_staff=True, is_superuser=True)
    client.force_login(root)
    partner, _ = keys.partner_create(name="News site")
    form = {
        "partner": partner.pk,
        "url": "https://partner.example/hooks",
        "events": ["article.published", "article.retracted"],
        "active": "on",
        "deliveries-TOTAL_FORMS": "0",
        "deliveries-INITIAL_FORMS": "0",
        "deliveries-MIN_NUM_FORMS": "0",
        "deliveries-MAX_NUM_FORMS": "0",
    }
    response = client.post(reverse("admin:api_webhooksubscription_add"), form, follow=True)
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["article.published", "article.retracted"]
    assert any(subscription.secret in str(m) for m in response.context["messages"])
    # a URL at this site itself is refused next to the field, and nothing is written
    refused = client.post(
        reverse("admin:api_webhooksubscription_add"), {**form, "url": "http://127.0.0.1:8000/x"}
    )
    assert refused.status_code == 200 and "this site itself" in refused.content.decode()
    assert WebhookSubscription.objects.count() == 1
    assert client.get(reverse("admin:api_webhookdelivery_changelist")).status_code == 200


def test_a_delivery_body_is_what_was_signed(subscription, author, editor, reviewers):
    from django.utils import timezone

    flows.published(author, editor, reviewers[:2])
    delivery = WebhookDelivery.objects.get()
    at = timezone.now()
    request = webhooks.signed_request(delivery, at=at)
    headers = {name.lower(): value for name, value in request.header_items()}
    assert Webhook(subscription.secret).verify(request.data, headers) == json.loads(request.data)
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))


def test_a_retry_waits_for_the_endpoints_retry_after_or_backs_off(
    subscription, receiver, author, editor, reviewers
):
    from api.tasks import deliver_webhook

    flows.published(author, editor, reviewers[:2])
    delivery = WebhookDelivery.objects.get()
    receiver.status, receiver.headers = 503, {"Retry-After": "120"}
    with pytest.raises(webhooks.DeliveryFailed) as failed:
        deliver_webhook(delivery.pk)  # called directly, the task raises what it would retry on
    assert failed.value.retry_after == 120
    assert webhooks.retry_delay(0, retry_after=120) == 120
    assert webhooks.retry_delay(3, retry_after=10**9) == webhooks.RETRY_MAX_SECONDS
    # without one: exponential with jitter, capped, over more than a day in all
    for retries in range(webhooks.RETRIES):
        ceiling = min(webhooks.RETRY_FIRST_SECONDS * 2**retries, webhooks.RETRY_MAX_SECONDS)
        assert ceiling // 2 <= webhooks.retry_delay(retries) <= ceiling
    total = sum(
        min(webhooks.RETRY_FIRST_SECONDS * 2**n, webhooks.RETRY_MAX_SECONDS) for n in range(webhooks.RETRIES)
    )
    assert total > 24 * 60 * 60


def test_a_redirect_is_a_failed_delivery(subscription, receiver, author, editor, reviewers):
    flows.published(author, editor, reviewers[:2])
    receiver.status, receiver.headers = 302, {"Location": "http://127.0.0.1:1/elsewhere"}
    with pytest.raises(webhooks.DeliveryFailed, match="302"):
        webhooks.deliver(WebhookDelivery.objects.get().pk)


def test_an_article_due_for_re_review_is_told(subscription, receiver, author, editor, reviewers):
    from datetime import timedelta

    from editorial import reminders

    version = flows.published(author, editor, reviewers[:2])
    reminders.sweep(now=version.published_at + timedelta(days=400), dispatch=lambda ids: None)
    delivery = WebhookDelivery.objects.get(event=WebhookEvent.RE_REVIEW_DUE)
    webhooks.deliver(delivery.pk)
    (received,) = [r for r in receiver.received if r["payload"]["type"] == "article.re_review_due"]
    assert received["payload"]["data"]["slug"] == version.article.slug
