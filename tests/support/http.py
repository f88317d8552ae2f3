"""A person's HTTP client for tests against a real socket (a live server, gunicorn, nginx):
stdlib urllib, a cookie jar, CSRF tokens from the cookie, redirects returned, not followed."""

from __future__ import annotations

import http.cookiejar
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.message import Message

PASSWORD = "test-pass-123"  # tests.support.factories.UserFactory
TIMEOUT = 60
# The admin's error message, or the workspace's alert.
ERROR_MESSAGE = re.compile(
    r'<li class="error">(.*?)</li>|class="ws-error" role="alert">(.*?)</(?:p|div)>', re.S
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to look at, not to follow


@dataclass
class Answer:
    status: int
    location: str
    body: str
    headers: Message = field(default_factory=Message, repr=False)

    @property
    def message(self) -> str:
        match = ERROR_MESSAGE.search(self.body)
        return re.sub(r"<[^>]+>", "", next(g for g in match.groups() if g)).strip() if match else ""


def unverified_tls() -> ssl.SSLContext:
    """For a test's own self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Browser:
    """One person's HTTP client: a cookie jar, CSRF tokens from the cookie, no redirects.

    ``behind_tls_proxy``: talk to gunicorn as the TLS-terminating proxy in front of it would
    (``X-Forwarded-Proto: https``, which production trusts with SECURE_PROXY_SSL_HEADER), so
    its Secure cookies are kept and sent, and forms carry the ``Origin`` an HTTPS page has.
    """

    def __init__(
        self, base_url: str, *, behind_tls_proxy: bool = False, tls: ssl.SSLContext | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers: dict[str, str] = {}
        policy = None
        if behind_tls_proxy:
            host = urllib.parse.urlsplit(self.base_url).netloc
            self.headers = {"X-Forwarded-Proto": "https", "Origin": f"https://{host}"}
            policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))
        self.cookies = http.cookiejar.CookieJar(policy)
        handlers = [urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()]
        if tls is not None:
            handlers.append(urllib.request.HTTPSHandler(context=tls))
        self.opener = urllib.request.build_opener(*handlers)

    def _open(self, path: str, data: dict | None = None, headers: dict | None = None) -> Answer:
        body = None if data is None else urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(
            self.base_url + path, data=body, headers={**self.headers, **(headers or {})}
        )
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return Answer(
                    response.status,
                    response.headers.get("Location", ""),
                    response.read().decode(errors="replace"),
                    response.headers,
                )
        except urllib.error.HTTPError as error:
            return Answer(
                error.code,
                error.headers.get("Location", ""),
                error.read().decode(errors="replace"),
                error.headers,
            )

    def csrf(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")

    def get(self, path: str, headers: dict | None = None) -> Answer:
        return self._open(path, headers=headers)

    def post(self, path: str, data: dict) -> Answer:
        return self._open(path, {**data, "csrfmiddlewaretoken": self.csrf()})

    def sign_in(self, login_path: str, user, *, otp_code: str = "") -> None:
        self.get(login_path)  # the form, and its CSRF cookie
        answer = self.post(
            login_path, {"username": user.username, "password": PASSWORD, "otp_code": otp_code}
        )
        assert answer.status == 302, f"{user.username} could not sign in: {answer.status} {answer.message}"
