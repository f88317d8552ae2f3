"""Security headers for the reader's pages.

One source for every page, reader, workspace and admin alike: django-csp's middleware sends
the site's Content-Security-Policy (``settings.CONTENT_SECURITY_POLICY``), and Django's
SecurityMiddleware sends X-Content-Type-Options and Referrer-Policy. The reader's pages
carry no inline script or style (JSON-LD is data, never executed), so the policy allows only
this site's own files.

``reader_headers`` stays on the reader's views and sends nothing of its own: it only makes
sure no reader page ever goes out exempt from the policy. ``CSPMiddleware`` is django-csp's,
with the directives in a stable order.
"""

from __future__ import annotations

from functools import wraps

from csp.middleware import CSPMiddleware as _DjangoCSPMiddleware
from django.conf import settings


def reader_headers(view):
    """Keep the site's Content-Security-Policy on whatever the view answers."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response._csp_exempt = False  # django-csp's opt-out flag: never for a reader page
        return response

    return wrapped


class CSPMiddleware(_DjangoCSPMiddleware):
    """django-csp's middleware, writing the directives in the order the settings give them
    (django-csp 4.0 builds the header from a set, so its order changed from one process to
    the next; a stable header is easier to read, diff and test)."""

    def process_response(self, request, response):
        response = super().process_response(request, response)
        order = list(settings.CONTENT_SECURITY_POLICY.get("DIRECTIVES", {}))
        for header in ("Content-Security-Policy", "Content-Security-Policy-Report-Only"):
            if header in response:
                parts = [part.strip() for part in response[header].split(";") if part.strip()]
                rank = {name: index for index, name in enumerate(order)}
                parts.sort(key=lambda part: (rank.get(part.split()[0], len(order)), part))
                response[header] = "; ".join(parts)
        return response
