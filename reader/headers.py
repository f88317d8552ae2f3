"""The reader's pages carry no inline script or style (JSON-LD is data, never executed), so
the site's policy (``config.middleware.CSPMiddleware``) allows only this site's own files.
``reader_headers`` sends nothing of its own: it only makes sure no reader page ever goes out
exempt from that policy."""

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
