"""Signed webhooks for partners who keep copies of the content (the Standard Webhooks
specification, with the ``standardwebhooks`` package).

When an article is published, superseded, retracted or comes due for re-review, the editorial
layer writes an audit event. This module listens for those events (it is connected in
``ApiConfig.ready``; the editorial layer never knows it is here) and, in the same transaction,
writes one ``WebhookDelivery`` row per subscription that asked for the event: the outbox
pattern of ``editorial.notifications``. Once the transaction commits the rows are handed to
Celery; a broker that is down never fails the editorial action, and ``sweep`` hands the rows
over again. ``deliver`` locks the row (SKIP LOCKED), POSTs it signed and records the outcome;
a failure raises ``DeliveryFailed`` for the task to retry with backoff.

Each delivery carries the headers ``webhook-id`` (the same on every attempt: the audit event's
hash), ``webhook-timestamp`` (this attempt, in seconds) and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` with the subscription's secret).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import secrets
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from api.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from editorial.models import AuditAction

logger = logging.getLogger(__name__)

# The audit actions partners hear of, and the event each is.
EVENT_OF_ACTION = {
    AuditAction.VERSION_PUBLISHED: WebhookEvent.PUBLISHED,
    AuditAction.VERSION_SUPERSEDED: WebhookEvent.SUPERSEDED,
    AuditAction.VERSION_RETRACTED: WebhookEvent.RETRACTED,
    AuditAction.ARTICLE_RE_REVIEW_DUE: WebhookEvent.RE_REVIEW_DUE,
}
TIMEOUT_SECONDS = 15  # the specification recommends 15 to 30 s
# Retries: exponential from 30 s, at most 6 h apart, with jitter; 14 retries span about a day
# and a half (the specification suggests a schedule over days).
RETRY_FIRST_SECONDS = 30
RETRY_MAX_SECONDS = 6 * 60 * 60
RETRIES = 14
GRACE = timedelta(seconds=60)  # a row handed over this recently is left to its task
REDISPATCH = timedelta(minutes=60)  # a row handed over this long ago and still pending goes again


class DeliveryFailed(Exception):
    """The partner's endpoint did not answer 2xx (or could not be reached): retry later, or
    after ``retry_after`` seconds when the endpoint said so."""

    def __init__(self, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def retry_delay(retries: int, *, retry_after: int | None = None) -> int:
    """Seconds before the next attempt, after ``retries`` retries: the endpoint's Retry-After
    when it gave one (within the maximum), else exponential backoff with jitter."""
    if retry_after is not None:
        return max(1, min(retry_after, RETRY_MAX_SECONDS))
    ceiling = min(RETRY_FIRST_SECONDS * 2**retries, RETRY_MAX_SECONDS)
    return max(1, int(ceiling * (0.5 + secrets.randbelow(500) / 1000)))


def policy() -> dict:
    return settings.CONTENT_API


# The endpoint --------------------------------------------------------------------------------


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified or ip.is_multicast


def _own_origins() -> set[tuple[str, int | None]]:
    site = urlsplit(settings.EDITORIAL["SITE_URL"])
    origins = {(site.hostname or "", site.port or (443 if site.scheme == "https" else 80))}
    for host in settings.ALLOWED_HOSTS:
        name = host.lstrip(".").lower()
        if name and name != "*":
            try:
                ipaddress.ip_address(name)
            except ValueError:
                origins.add((name, None))  # a name this site answers to, on any port
    return origins


def validate_endpoint(url: str) -> None:
    """An endpoint partners may give: https where ``WEBHOOK_REQUIRE_HTTPS`` (production), never
    this site itself, and never a loopback, private or link-local address unless
    ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` (a local receiver in development and tests)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Give an http(s) URL with a host name."})
    if policy()["WEBHOOK_REQUIRE_HTTPS"] and parts.scheme != "https":
        raise ValidationError({"url": "Webhook endpoints must use https."})
    host = parts.hostname.lower().rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for own_host, own_port in _own_origins():
        if host == own_host and own_port in (None, port):
            raise ValidationError({"url": "A webhook cannot point at this site itself."})
    if policy()["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"]:
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise ValidationError({"url": "A webhook cannot point at this server (localhost)."})
    try:
        literal = _refused_address(host)
    except ValueError:
        return  # a name: checked again against the addresses it resolves to, at each delivery
    if literal:
        raise ValidationError({"url": "A webhook cannot point at a loopback, private or link-local address."})


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def subscription_create(*, partner, url: str, events: Sequence[str]) -> WebhookSubscription:
    subscription = WebhookSubscription(partner=partner, url=url, events=list(events), secret=new_secret())
    subscription.full_clean()
    subscription.save()
    return subscription


# Writing deliveries ------------------------------------------------------------------------


def payload_for(event) -> dict:
    """What a delivery says of an audit event: the Standard Webhooks envelope (type, timestamp,
    data), with the article's addresses for the partner to fetch it again."""
    version = event.version
    article = event.article
    site = settings.EDITORIAL["SITE_URL"]
    data = {
        "slug": article.slug,
        "version": version.number if version else None,
        "title": version.title if version else "",
        "state": version.state if version else "",
        "url": site + reverse("api:article", kwargs={"slug": article.slug}),
        "canonical_url": site + article.get_absolute_url(),
        "audit_event": {"seq": event.seq, "hash": event.hash},
    }
    if event.action == AuditAction.VERSION_RETRACTED:
        data["reason"] = event.message
    return {"type": EVENT_OF_ACTION[event.action], "timestamp": event.created_at, "data": data}


def on_audit_event_saved(sender, instance, created: bool = False, **kwargs) -> None:
    """Receiver of ``post_save`` on ``editorial.AuditEvent``: queue the deliveries it calls for."""
    if created and instance.action in EVENT_OF_ACTION:
        queue_for(instance)


def queue_for(event, *, dispatch: Callable[[Sequence[int]], object] | None = None) -> list[WebhookDelivery]:
    """Write a delivery per active subscription to the event, in the event's transaction;
    hand them to Celery once it commits."""
    name = EVENT_OF_ACTION[event.action]
    subscriptions = [s for s in WebhookSubscription.objects.filter(active=True) if name in s.events]
    if not subscriptions:
        return []
    if not db_connection.in_atomic_block:
        raise RuntimeError("webhooks.queue_for must run inside the transaction of the event")
    payload = json.loads(json.dumps(payload_for(event), cls=DjangoJSONEncoder))
    created = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(subscription=s, event=name, message_id=f"msg_{event.hash[:32]}", payload=payload)
            for s in subscriptions
        ]
    )
    ids = [delivery.pk for delivery in created]
    transaction.on_commit(_hand_over_after_commit(ids, dispatch or enqueue))
    return created


def _hand_over_after_commit(ids: list[int], dispatch) -> Callable[[], None]:
    def hand_over() -> None:
        try:
            dispatch(ids)
        except Exception:
            logger.warning(
                "Could not hand %d webhook(s) to the broker; the sweep will.", len(ids), exc_info=True
            )

    return hand_over


def enqueue(ids: Sequence[int]) -> None:
    """Hand deliveries to Celery, noting when (before publishing, as the mail outbox does)."""
    from api.tasks import deliver_webhook

    for delivery_id in ids:
        WebhookDelivery.objects.filter(pk=delivery_id).update(dispatched_at=timezone.now())
        try:
            deliver_webhook.apply_async(args=[delivery_id])
        except Exception:
            WebhookDelivery.objects.filter(pk=delivery_id, delivered_at__isnull=True).update(
                dispatched_at=None
            )
            raise


def pending(*, now: datetime | None = None) -> QuerySet[WebhookDelivery]:
    """Deliveries no task is expected to be sending: never handed over (the broker was down),
    or handed over long ago and still not delivered, with attempts left."""
    now = now or timezone.now()
    return WebhookDelivery.objects.filter(
        Q(dispatched_at__isnull=True, created_at__lte=now - GRACE) | Q(dispatched_at__lte=now - REDISPATCH),
        delivered_at__isnull=True,
        attempts__lt=policy()["WEBHOOK_MAX_ATTEMPTS"],
        subscription__active=True,
    )


def sweep(*, now: datetime | None = None, dispatch=None) -> int:
    """Hand the pending deliveries over again; returns how many."""
    ids = list(pending(now=now).order_by("pk").values_list("pk", flat=True)[:500])
    if ids:
        (dispatch or enqueue)(ids)
    return len(ids)


# Sending -----------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery: it could lead anywhere, this server included."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _check_resolved(url: str) -> None:
    if policy()["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"]:
        return
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise DeliveryFailed(f"Cannot resolve {parts.hostname}: {exc}") from exc
    if any(_refused_address(info[4][0]) for info in infos):
        raise DeliveryFailed(f"{parts.hostname} resolves to a loopback, private or link-local address.")


def signed_request(delivery: WebhookDelivery, *, at: datetime) -> urllib.request.Request:
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    signature = Webhook(delivery.subscription.secret).sign(delivery.message_id, at, body)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "medreview-webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
    return urllib.request.Request(  # noqa: S310 - the URL was validated as http(s)
        delivery.subscription.url, data=body.encode(), headers=headers, method="POST"
    )


def _retry_after(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff decides


def _post(delivery: WebhookDelivery, *, at: datetime) -> tuple[int, int | None]:
    """(status, Retry-After seconds or None)."""
    _check_resolved(delivery.subscription.url)
    try:
        with _opener.open(signed_request(delivery, at=at), timeout=TIMEOUT_SECONDS) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
    except (OSError, ValueError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


def deliver(delivery_id: int) -> WebhookDelivery | None:
    """POST one delivery unless it was delivered (or another worker holds it now). Returns it
    when this call delivered it; raises ``DeliveryFailed`` (recorded on the row) otherwise.
    A 410 from the partner turns the subscription off, as the specification suggests."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id, delivered_at__isnull=True)
            .first()
        )
        if delivery is None or not delivery.subscription.active:
            return None
        at = timezone.now()
        delivery.attempts += 1
        delivery.last_attempt_at = at
        fields = ["attempts", "last_attempt_at", "last_status", "last_error"]
        try:
            status, retry_after = _post(delivery, at=at)
        except DeliveryFailed as exc:
            delivery.last_status, delivery.last_error = None, str(exc)[:2000]
            delivery.save(update_fields=fields)
            error = exc
        else:
            delivery.last_status = status
            if 200 <= status < 300:
                delivery.delivered_at, delivery.last_error = timezone.now(), ""
                delivery.save(update_fields=[*fields, "delivered_at"])
                return delivery
            delivery.last_error = f"The endpoint answered {status}."
            delivery.save(update_fields=fields)
            if status == 410:
                WebhookSubscription.objects.filter(pk=delivery.subscription_id).update(
                    active=False, disabled_reason=f"The endpoint answered 410 Gone on {at:%Y-%m-%d}."
                )
                return None
            error = DeliveryFailed(delivery.last_error, retry_after=retry_after)
    raise error
