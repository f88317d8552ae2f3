"""Security headers for the reader's pages.

One source for every page, reader, workspace and admin alike: django-csp's middleware sends
the site's Content-Security-Policy (``settings.CONTENT_SECURITY_POLICY``), and Django's
SecurityMiddleware sends X-Content-Type-Options and Referrer-Policy. The reader's pages
carry no inline script or style (JSON-LD is data, never executed), so the policy allows only
this site's own files.

``reader_headers`` stays on the reader's views and sends nothing of its own: it only makes
sure no reader page ever goes out exempt from the policy.
"""

from __future__ import annotations

from functools import wraps


def reader_headers(view):
    """Keep the site's Content-Security-Policy on whatever the view answers."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response._csp_exempt = False  # django-csp's opt-out flag: never for a reader page
        return response

    return wrapped
