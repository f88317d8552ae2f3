"""Site-wide middleware: one Content-Security-Policy for every page, and refused workflow
actions answered as clear 4xx pages.

django-csp's middleware sends the site's Content-Security-Policy
(``settings.CONTENT_SECURITY_POLICY``) on every page, reader, workspace and admin alike;
Django's SecurityMiddleware sends X-Content-Type-Options and Referrer-Policy.
"""

from __future__ import annotations

import structlog
from csp.middleware import CSPMiddleware as _DjangoCSPMiddleware
from django.conf import settings
from django.template.response import TemplateResponse
from django.utils.functional import empty

from articles.models import VersionFrozen
from editorial.errors import WorkflowError


class CSPMiddleware(_DjangoCSPMiddleware):
    """django-csp's middleware, writing the directives in the order the settings give them
    (django-csp 4.0 builds the header from a set, so its order changed from one process to
    the next; a stable header is easier to read, diff and test)."""

    def process_response(self, request, response):
        response = super().process_response(request, response)
        order = list(settings.CONTENT_SECURITY_POLICY.get("DIRECTIVES", {}))
        rank = {name: index for index, name in enumerate(order)}
        for header in ("Content-Security-Policy", "Content-Security-Policy-Report-Only"):
            if header in response:
                parts = [part.strip() for part in response[header].split(";") if part.strip()]
                parts.sort(key=lambda part: (rank.get(part.split()[0], len(order)), part))
                response[header] = "; ".join(parts)
        return response


class WorkflowErrorMiddleware:
    """Turns a refused workflow action into a clear HTTP answer (403, 400 or 409), never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, WorkflowError):
            status, message = exception.status, exception.message
        elif isinstance(exception, VersionFrozen):
            status, message = 409, str(exception)
        else:
            return None
        response = TemplateResponse(
            request, "editorial/refused.html", {"message": message, "status": status}, status=status
        )
        return response.render()


class LogUserMiddleware:
    """Put the signed-in user's id on the request's log lines, when the request looked the
    user up anyway. django-structlog's own lookup (switched off: USER_ID_FIELD = None) reads
    the session and the user on every request, before a refused one is refused and on the
    reader's cached pages; this reads nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        loaded = user is not None and getattr(user, "_wrapped", None) is not empty
        if loaded and user.is_authenticated:
            structlog.contextvars.bind_contextvars(user_id=user.pk)
        return response
