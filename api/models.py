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
