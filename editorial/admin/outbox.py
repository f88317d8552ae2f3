"""The outbox (editors only): every notification, whether it was handed to Celery, sent, or
is still waiting, with its attempts and last error. Nothing is edited here: the sweep hands
waiting mail over again (editorial/reminders.py)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.utils import timezone

from editorial.admin.options import EditorsOnlyAdmin
from editorial.models import Notification


class WaitingFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        minutes = settings.EDITORIAL["OUTBOX_WARN_MINUTES"]
        return [("unsent", "Not sent yet"), ("late", f"Waiting over {minutes} min"), ("sent", "Sent")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "sent":
            return queryset.filter(sent_at__isnull=False)
        if value == "unsent":
            return queryset.filter(sent_at__isnull=True)
        if value == "late":
            limit = timedelta(minutes=settings.EDITORIAL["OUTBOX_WARN_MINUTES"])
            return queryset.filter(sent_at__isnull=True, created_at__lt=timezone.now() - limit)
        return queryset


@admin.register(Notification)
class NotificationAdmin(EditorsOnlyAdmin):
    list_display = ("created_at", "kind", "to_email", "version", "dispatched_at", "sent_at", "attempts")
    list_filter = (WaitingFilter, "kind")
    list_select_related = ("version__article",)
    search_fields = ("to_email",)
    ordering = ("-pk",)
    show_facets = admin.ShowFacets.NEVER
    fields = (
        "kind",
        "recipient",
        "to_email",
        "version",
        "reminder",
        "created_at",
        "dispatched_at",
        "sent_at",
        "attempts",
        "interrupted_attempts",
        "last_error",
    )
    readonly_fields = fields
