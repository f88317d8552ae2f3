"""What every board admin page shares: nobody adds, changes or deletes through the admin
(the services write), some pages are for editors only, and how a state looks."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.html import format_html

from articles.models import ArticleVersion, VersionState
from editorial.models import ReviewAssignment
from editorial.roles import is_editor


class ReadOnlyAdmin(admin.ModelAdmin):
    """No add, change or delete through the admin, for anyone: the services write."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EditorsOnlyAdmin(ReadOnlyAdmin):
    def has_view_permission(self, request, obj=None) -> bool:
        return is_editor(request.user) and super().has_view_permission(request, obj)

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)


def version_url(version_id: int) -> str:
    return reverse("admin:articles_articleversion_change", args=[version_id])


def visible_versions(user):
    """Every version for editors; for a reviewer, the versions they were assigned."""
    queryset = ArticleVersion.objects.all()
    if user.is_superuser or is_editor(user):
        return queryset
    return queryset.filter(Exists(ReviewAssignment.objects.filter(version=OuterRef("pk"), reviewer=user)))


STATE_CLASSES = {
    VersionState.UNDER_REVIEW: "state-active",
    VersionState.SUBMITTED: "state-active",
    VersionState.APPROVED: "state-ok",
    VersionState.PUBLISHED: "state-ok",
    VersionState.CHANGES_REQUESTED: "state-warn",
    VersionState.REJECTED: "state-bad",
    VersionState.RETRACTED: "state-bad",
}


def state_badge(state: str, label: str):
    return format_html(
        '<span class="state-badge {}">{}</span>', STATE_CLASSES.get(state, "state-quiet"), label
    )
