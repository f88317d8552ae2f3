"""Partners and their keys in the admin: a key is shown once, when the partner is added;
revoking is an action; each day's request count is listed under the partner."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from api import keys, usage
from api.models import DailyUsage, Partner


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
