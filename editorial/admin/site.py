"""The board's admin site: Django admin, branded for the board, its sign-in open to board
members only, and the board's dashboard as its index."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.contenttypes import views as contenttype_views
from django.core.exceptions import PermissionDenied
from django.urls import path

from editorial.admin.dashboard import dashboard_for
from editorial.roles import is_board_member, is_editor
from workspace.forms import ThrottledAuthenticationForm


class ThrottledAdminAuthenticationForm(ThrottledAuthenticationForm, AdminAuthenticationForm):
    """The admin's sign-in form with the workspace's throttle: the same counters (per username
    and address, and per address), so guesses spread over both doors add up."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": ThrottledAuthenticationForm.error_messages["throttled"],
    }

    def confirm_login_allowed(self, user) -> None:
        # Only the board signs in here (a staff flag alone is not enough): anyone else is told
        # what any wrong password is told, and it counts as a failure.
        super().confirm_login_allowed(user)
        if not is_board_member(user):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class BoardAdminSite(admin.AdminSite):
    """Django admin, branded for the board, with the board's dashboard as its index."""

    site_header = "Medical Advisory Board"
    site_title = "Medical Advisory Board"
    index_title = "Board dashboard"
    index_template = "editorial/admin/index.html"
    login_form = ThrottledAdminAuthenticationForm

    def has_permission(self, request) -> bool:
        return is_board_member(request.user)

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if request.method == "POST" and getattr(form, "throttled", False):
            response.status_code = 429
        return response

    def get_urls(self):
        # Django's "view on site" redirects any board member to any object's public address,
        # which names unpublished articles a reviewer was never assigned: editors only.
        urls = super().get_urls()
        return [
            path(
                "r/<path:content_type_id>/<path:object_id>/",
                self.admin_view(self.view_on_site),
                name="view_on_site",
            )
            if getattr(url, "name", None) == "view_on_site"
            else url
            for url in urls
        ]

    def view_on_site(self, request, content_type_id, object_id):
        if not is_editor(request.user):
            raise PermissionDenied
        return contenttype_views.shortcut(request, content_type_id, object_id)

    def index(self, request, extra_context=None):
        context = {"dashboard": dashboard_for(request.user), **(extra_context or {})}
        return super().index(request, context)
