"""Partners and their keys in the admin: a key is shown once, when the partner is added;
revoking is an action; each day's request count is listed under the partner."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from api import keys, usage, webhooks
from api.models import DailyUsage, Partner, WebhookDelivery, WebhookEvent, WebhookSubscription


class DailyUsageInline(admin.TabularInline):
    model = DailyUsage
    fields = ("day", "requests")
    readonly_fields = ("day", "requests")
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ("-day",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "key_prefix", "requests_per_minute", "today_col", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "contact_email", "key_prefix")
    fields = ("name", "contact_email", "requests_per_minute", "key_prefix", "created_at", "revoked_at")
    readonly_fields = ("key_prefix", "created_at", "revoked_at")
    inlines = (DailyUsageInline,)
    actions = ("revoke_keys",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the usage history stays

    def save_model(self, request, obj: Partner, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key = keys.issue_key(obj)
        super().save_model(request, obj, form, change)
        messages.warning(
            request,
            f"The API key for {obj.name} is {key} - copy it now: it is shown only this once, "
            "and only its hash is kept.",
        )

    @admin.action(description="Revoke the selected partners' keys")
    def revoke_keys(self, request, queryset) -> None:
        for partner in queryset:
            keys.partner_revoke(partner=partner)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)

    @admin.display(description="Requests today")
    def today_col(self, obj: Partner) -> int:
        return usage.requests_on(partner_id=obj.pk, day=timezone.now().date())


# Webhooks ------------------------------------------------------------------------------------


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label="Endpoint URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookSubscription
        fields = ("partner", "url", "events", "active")


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ("event", "message_id", "created_at", "attempts", "last_status", "delivered_at", "last_error")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-created_at", "-pk")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("partner", "url", "events", "active", "created_at")
    list_filter = ("active",)
    list_select_related = ("partner",)
    readonly_fields = ("created_at", "disabled_reason")
    inlines = (DeliveryInline,)

    def save_model(self, request, obj: WebhookSubscription, form, change) -> None:
        if not change:
            obj.secret = webhooks.new_secret()
        super().save_model(request, obj, form, change)
        if not change:
            messages.warning(
                request,
                f"The signing secret for this endpoint is {obj.secret} - give it to {obj.partner.name} now: "
                "it is not shown again.",
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery history: read-only."""

    list_display = ("event", "subscription", "created_at", "attempts", "last_status", "delivered_at")
    list_filter = ("event", ("delivered_at", admin.EmptyFieldListFilter))
    list_select_related = ("subscription__partner",)
    readonly_fields = (
        "subscription",
        "event",
        "message_id",
        "payload",
        "created_at",
        "dispatched_at",
        "delivered_at",
        "attempts",
        "last_attempt_at",
        "last_status",
        "last_error",
    )

    actions = ("send_again",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Send the selected undelivered webhooks again now")
    def send_again(self, request, queryset) -> None:
        ids = list(queryset.filter(delivered_at__isnull=True).values_list("pk", flat=True))
        webhooks.enqueue(ids)
        self.message_user(request, f"Handed {len(ids)} delivery(ies) to the workers.", messages.SUCCESS)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
