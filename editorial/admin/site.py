"""The board's admin site: Django admin, branded for the board, its sign-in open to board
members only, and the board's dashboard as its index."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.contenttypes import views as contenttype_views
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone

from editorial import board_figures, second_factor
from editorial.admin import rereviews
from editorial.admin.dashboard import dashboard_for
from editorial.roles import is_board_member, is_editor
from editorial.second_factor import SecondFactorLoginMixin


class BoardAuthenticationForm(SecondFactorLoginMixin, AdminAuthenticationForm):
    """The admin's sign-in form: only the board signs in here (a staff flag alone is not enough).
    Anyone else is told what any wrong password is told, and the attempt counts as a failed
    sign-in (Django's ``user_login_failed``, which the sign-in throttle counts), so this door
    never tells an author's right password from a wrong one."""

    def confirm_login_allowed(self, user) -> None:
        try:
            super().confirm_login_allowed(user)  # active staff only
            if not is_board_member(user):
                raise self.get_invalid_login_error()
        except forms.ValidationError:
            credentials = {"username": self.cleaned_data.get("username")}
            user_login_failed.send(sender=__name__, credentials=credentials, request=self.request)
            raise
        self.check_second_factor(user)


class BoardAdminSite(admin.AdminSite):
    """Django admin, branded for the board, with the board's dashboard as its index."""

    site_header = "Medical Advisory Board"
    site_title = "Medical Advisory Board"
    index_title = "Board dashboard"
    index_template = "editorial/admin/index.html"
    login_form = BoardAuthenticationForm

    def has_permission(self, request) -> bool:
        return is_board_member(request.user)

    def admin_view(self, view, cacheable=False):
        """Every admin page but sign-out: a board member whom the board requires to use a second
        factor (``EDITORIAL_REQUIRE_2FA``) and whose session was not verified with one is sent to
        the two-factor page, to add a device or give a code, and back here after."""
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def gate(request, *args, **kwargs):
            user = request.user
            if (
                user.is_authenticated
                and second_factor.required_for(user)
                and not second_factor.is_verified(request)
                and request.path != reverse("admin:logout", current_app=self.name)
            ):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('workspace:two_factor')}?{query}")
            return inner(request, *args, **kwargs)

        return gate

    def get_urls(self):
        # Django's "view on site" redirects any board member to any object's public address,
        # which names unpublished articles a reviewer was never assigned: editors only.
        urls = super().get_urls()
        figures = path("figures.csv", self.admin_view(self.figures_csv), name="board_figures_csv")
        return [figures, *rereviews.urls(self)] + [
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
        if is_editor(request.user):
            context["figures"] = board_figures.charts(now=timezone.now())
        return super().index(request, context)

    def figures_csv(self, request):
        """The dashboard's figures as CSV (editors only, as the charts are)."""
        if not is_editor(request.user):
            raise PermissionDenied
        response = HttpResponse(
            board_figures.figures_csv(now=timezone.now()), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="board-figures.csv"'
        return response
