"""The author's door: sign in, sign out and reset a password, at /author/ (Django's own views
with the workspace's look). Failed sign-ins are counted by django-axes at this door and the
admin's alike (``accounts.lockout``); nothing here needs to know."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from editorial import second_factor, signatures
from editorial.roles import is_board_member
from editorial.second_factor import SecondFactorLoginMixin


class LoginForm(SecondFactorLoginMixin, AuthenticationForm):
    """Username and password, and the code from an authenticator app for those who set one up."""

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        self.check_second_factor(user)


class LoginView(auth_views.LoginView):
    template_name = "accounts/registration/login.html"
    form_class = LoginForm
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


RECOVERY_SESSION_KEY = "accounts_new_recovery_codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": "Enter the six-digit code your app shows."},
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Add, use, renew or remove a second factor (``editorial.second_factor``).

    Without a confirmed device: the enrolment (a QR code and the key as text, then a first code).
    With one: whether this session is verified (a code verifies it), the recovery codes left,
    new recovery codes, and turning it off (not while the board requires it). Every change
    asks for a current code."""
    user = request.user
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = CodeForm(request.POST if action else None)
    next_url = _safe_next(request)
    if not second_factor.has_device(user):
        device = second_factor.start_enrolment(user)
        if action == "confirm" and form.is_valid():
            codes = second_factor.confirm_enrolment(user, device, form.cleaned_data["code"])
            if codes is not None:
                otp_login(request, device)
                # A signing made before, with the password alone, no longer counts as a full one.
                request.session.pop(signatures.SESSION_KEY, None)
                request.session[RECOVERY_SESSION_KEY] = codes
                messages.success(
                    request, "Two-factor sign-in is on. Keep your recovery codes somewhere safe."
                )
                return redirect(_with_next(reverse("workspace:two_factor"), next_url))
            form.add_error(
                "code",
                "That code is not right. Check the app shows this account, then enter its current code.",
            )
        return render(
            request,
            "accounts/two_factor.html",
            {
                "enrolling": True,
                "form": form,
                "qr_svg": mark_safe(second_factor.qr_svg(device)),  # noqa: S308 - drawn here from our own key
                "key_text": second_factor.key_text(device),
                "required": second_factor.required_for(user),
                "next_url": next_url,
            },
            status=400 if form.errors else 200,
        )
    if action:
        if action not in {"verify", "codes", "remove"}:
            return HttpResponseBadRequest("Unknown action.")
        if form.is_valid():
            device = second_factor.match(user, form.cleaned_data["code"])
            if device is None:
                user_login_failed.send(
                    sender=__name__, credentials={"username": user.get_username()}, request=request
                )
                form.add_error("code", SecondFactorLoginMixin.code_wrong)
            elif action == "remove" and second_factor.required_for(user):
                form.add_error(
                    None, "The board requires two-factor sign-in of its members: it cannot be turned off."
                )
            else:
                otp_login(request, device)
                if action == "codes":
                    request.session[RECOVERY_SESSION_KEY] = second_factor.new_recovery_codes(user)
                    messages.success(request, "New recovery codes: the old ones no longer work.")
                elif action == "remove":
                    second_factor.remove(user)
                    messages.success(request, "Two-factor sign-in is off.")
                else:
                    messages.success(request, "This session is verified.")
                    if next_url:
                        return redirect(next_url)
                return redirect(_with_next(reverse("workspace:two_factor"), next_url))
    return render(
        request,
        "accounts/two_factor.html",
        {
            "enrolling": False,
            "form": form,
            "verified": second_factor.is_verified(request),
            "recovery_codes": request.session.pop(RECOVERY_SESSION_KEY, None),
            "codes_left": second_factor.recovery_codes_left(user),
            "required": second_factor.required_for(user),
            "board_member": is_board_member(user),
            "next_url": next_url,
        },
        status=400 if form.errors else 200,
    )


def _safe_next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url
