"""Partners of the content API: who holds a key, how many requests a minute it may make, and
how many it made each day."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class Partner(models.Model):
    """A site or app that reuses the reviewed content through the API, with one key. Only the
    key's SHA-256 is kept: the key itself is shown once, when it is made. Not a login."""

    name = models.CharField(max_length=120, unique=True)
    contact_email = models.EmailField(blank=True)
    key_prefix = models.CharField(
        max_length=12, editable=False, help_text="The key's first characters, to tell keys apart."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    requests_per_minute = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Empty: the site's default (API_REQUESTS_PER_MINUTE).",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class DailyUsage(models.Model):
    """How many requests one partner's key made on one day (UTC). Counted in the cache as
    requests arrive; copied here by ``api.usage.record_usage`` (beat, and ``api_key list``)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    requests = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "partner"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "day"], name="one_usage_row_per_partner_day")
        ]

    def __str__(self) -> str:
        return f"{self.partner} on {self.day}: {self.requests}"


class WebhookEvent(models.TextChoices):
    """What a partner may subscribe to: the moments its copy of an article goes stale."""

    PUBLISHED = "article.published", "A version was published"
    SUPERSEDED = "article.superseded", "A version was superseded by a newer one"
    RETRACTED = "article.retracted", "An article was retracted"
    RE_REVIEW_DUE = "article.re_review_due", "An article came due for re-review"


def validate_events(value) -> None:
    from django.core.exceptions import ValidationError

    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one event.")
    unknown = sorted(set(map(str, value)) - set(WebhookEvent.values))
    if unknown:
        raise ValidationError(f"Unknown events: {', '.join(unknown)}.")


class WebhookSubscription(models.Model):
    """A partner's endpoint and the events it is told of, with the secret the deliveries are
    signed with (Standard Webhooks: ``whsec_`` and base64). Not a delivery: those are
    ``WebhookDelivery`` rows."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField("endpoint URL", max_length=500)
    events = models.JSONField(default=list, validators=[validate_events])
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    disabled_reason = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["partner", "pk"]

    def __str__(self) -> str:
        return f"{self.partner}: {self.url}"

    def clean(self) -> None:
        from api.webhooks import validate_endpoint

        validate_endpoint(self.url)


class WebhookDelivery(models.Model):
    """One signed POST of one event to one subscription: written in the transaction of the
    editorial event (an outbox), sent by a Celery task with retries. The same ``message_id``
    on every attempt, so the partner can tell a retry from a new event."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    message_id = models.CharField(max_length=80)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "message_id"], name="one_delivery_per_message"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(delivered_at__isnull=True), name="webhook_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription}"
