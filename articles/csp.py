"""Response headers for reader pages: a strict Content-Security-Policy and its companions.

The pages carry no inline script or style (JSON-LD is data, never executed), so the policy
allows only this site's own files.
"""

from __future__ import annotations

from functools import wraps

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
READER_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def reader_headers(view):
    """Add the reader pages' security headers to whatever the view answers."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        for name, value in READER_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return wrapped
