"""The author's door: sign in, sign out and reset a password, at /author/ (Django's own views
with the workspace's look). Failed sign-ins are counted by django-axes at this door and the
admin's alike (``accounts.lockout``); nothing here needs to know."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy


class LoginView(auth_views.LoginView):
    template_name = "accounts/registration/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("workspace:dashboard")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("workspace:login")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/registration/password_reset_form.html"
    subject_template_name = "accounts/registration/password_reset_subject.txt"
    email_template_name = "accounts/registration/password_reset_email.txt"
    html_email_template_name = "accounts/registration/password_reset_email.html"
    success_url = reverse_lazy("workspace:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/registration/password_reset_confirm.html"
    success_url = reverse_lazy("workspace:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/registration/password_reset_complete.html"
