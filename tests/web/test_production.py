"""Production settings and the security headers every page carries.

- ``manage.py check --deploy --fail-level WARNING`` passes with ``config.production`` and the
  required environment (and fails on a weak secret, so the test can fail);
- HSTS of at least a year with subdomains, secure and HttpOnly cookies, HTTP redirected;
- one Content-Security-Policy (django-csp) with ``object-src 'none'``, ``base-uri`` and
  ``frame-ancestors``, plus X-Content-Type-Options, Referrer-Policy and X-Frame-Options, on the
  reader, the workspace and the admin, refusals included;
- the settings read a ``.env`` file at the project root, the environment winning over it;
- the admin works under that policy in Chromium: no CSP violation.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.support import flows
from tests.support.factories import make_user

ROOT = Path(__file__).resolve().parents[2]  # the project root, where manage.py is
PASSWORD = "test-pass-123"  # tests.support.factories.UserFactory
YEAR = 365 * 24 * 60 * 60

pytestmark = pytest.mark.usefixtures("private_cache")


def production_env(**overrides) -> dict:
    # A clean environment: nothing of the test run's own (DEBUG, DJANGO_ALLOW_ASYNC_UNSAFE...).
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "VAR_DIR") if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="config.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL=os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/medreview",
        REDIS_URL=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
        ALLOWED_HOSTS="reviews.example.org",
        AUDIT_SIGNING_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    env.update(overrides)
    return env


def run_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# check --deploy -------------------------------------------------------------------------------


def test_check_deploy_passes_with_production_settings():
    result = run_check(production_env())
    print(f"check --deploy: exit {result.returncode}: {(result.stdout + result.stderr).strip()}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_on_a_weak_secret_key():
    result = run_check(production_env(SECRET_KEY="change-me"))
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "AUDIT_SIGNING_KEY"]
)
def test_production_refuses_to_start_without_its_secrets(missing):
    result = run_check(production_env(**{missing: ""}))
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_production_values():
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k) for k in "
        "['DEBUG', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', "
        "'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_SECURE', "
        "'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', 'X_FRAME_OPTIONS', 'EDITORIAL']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + script],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] >= YEAR
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "strict-origin-when-cross-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["EDITORIAL"]["REQUIRE_2FA"] is True  # the board signs in with a second factor


# The .env file -------------------------------------------------------------------------------


def test_the_settings_read_a_dotenv_file_at_the_project_root_and_the_environment_wins(tmp_path):
    # given the settings module in a project of its own, with a .env beside it
    (tmp_path / "config").mkdir()
    for module in ("settings.py", "logs.py"):  # the settings and what they import of config/
        shutil.copy(ROOT / "config" / module, tmp_path / "config" / module)
    (tmp_path / ".env").write_text(
        "EDITORIAL_QUORUM=4\nDEBUG=false\nSECRET_KEY='$a-generated-key-may-start-with-a-dollar'\n"
    )
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path), "VAR_DIR": str(tmp_path / "var")}
    env["DEBUG"] = "true"  # set in the environment too
    script = (
        "import json, config.settings as s; "
        "print(json.dumps([s.EDITORIAL['QUORUM'], s.DEBUG, s.SECRET_KEY, str(s.BASE_DIR)]))"
    )
    # when the settings are read
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    # then the file's values are used, the environment's win, and a secret is taken as written
    assert result.returncode == 0, result.stderr
    quorum, debug, secret_key, base_dir = json.loads(result.stdout.strip().splitlines()[-1])
    assert base_dir == str(tmp_path)
    assert (quorum, debug, secret_key) == (4, True, "$a-generated-key-may-start-with-a-dollar")


# Headers --------------------------------------------------------------------------------------


@pytest.fixture
def production_security(settings, monkeypatch):
    """The security settings of ``config.production``, as it computes them, on the test server."""
    for key, value in production_env().items():
        monkeypatch.setenv(key, value)
    sys.modules.pop("config.production", None)
    production = importlib.import_module("config.production")
    sys.modules.pop("config.production", None)
    names = [
        name for name in dir(production) if name.startswith(("SECURE_", "SESSION_COOKIE", "CSRF_COOKIE"))
    ]
    for name in names + ["CONTENT_SECURITY_POLICY", "X_FRAME_OPTIONS"]:
        setattr(settings, name, getattr(production, name))
    settings.ALLOWED_HOSTS = [*django_settings.ALLOWED_HOSTS, "testserver"]
    return production


def csp_directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def assert_security_headers(response, *, hsts: bool) -> None:
    directives = csp_directives(response)
    assert directives["object-src"] == "object-src 'none'"
    assert directives["base-uri"] == "base-uri 'none'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["default-src"] == "default-src 'self'"
    assert directives["script-src"] == "script-src 'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    if hsts:
        hsts_header = response["Strict-Transport-Security"]
        max_age = int(re.search(r"max-age=(\d+)", hsts_header).group(1))
        assert max_age >= YEAR
        assert "includeSubDomains" in hsts_header


@pytest.fixture
def site(db, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    draft = flows.draft(author, slug="a-draft")
    return {"published": version, "draft": draft}


def pages(site) -> dict[str, tuple[str | None, str, int]]:
    """name -> (who is signed in, URL, expected status)."""
    published, draft = site["published"], site["draft"]
    return {
        "reader home": (None, "/", 200),
        "reader article": (None, published.article.get_absolute_url(), 200),
        "reader 404": (None, draft.article.get_absolute_url(), 404),
        "reader policy": (None, "/editorial-policy/", 200),
        "reader feed": (None, "/feed/", 200),
        "workspace login": (None, reverse("workspace:login"), 200),
        "workspace dashboard": ("author", reverse("workspace:dashboard"), 200),
        "workspace draft": ("author", reverse("workspace:version", args=[draft.article.slug, 1]), 200),
        "workspace preview": ("author", reverse("workspace:preview", args=[draft.article.slug, 1]), 200),
        "workspace 403": ("editor", reverse("workspace:dashboard"), 403),
        "admin login": (None, reverse("admin:login"), 200),
        "admin index": ("editor", reverse("admin:index"), 200),
        "admin version": (
            "editor",
            reverse("admin:articles_articleversion_change", args=[published.pk]),
            200,
        ),
        "admin 403": ("editor", reverse("admin:auth_user_changelist"), 403),
    }


PAGE_NAMES = [
    "reader home",
    "reader article",
    "reader 404",
    "reader policy",
    "reader feed",
    "workspace login",
    "workspace dashboard",
    "workspace draft",
    "workspace preview",
    "workspace 403",
    "admin login",
    "admin index",
    "admin version",
    "admin 403",
]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_page_sends_the_security_headers(client, site, author, editor, name):
    who, url, status = pages(site)[name]
    if who:
        client.force_login({"author": author, "editor": editor}[who])
    response = client.get(url)
    assert response.status_code == status
    assert_security_headers(response, hsts=False)  # HSTS only over HTTPS, below


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_over_https_in_production_every_page_sends_hsts(
    client, site, author, editor, production_security, name
):
    who, url, status = pages(site)[name]
    if who:
        client.force_login({"author": author, "editor": editor}[who])
    response = client.get(url, secure=True)
    assert response.status_code == status
    assert_security_headers(response, hsts=True)


def test_the_policy_is_one_header_in_a_stable_order(client, db):
    response = client.get("/editorial-policy/")
    assert response["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def test_a_refusal_carries_the_headers_too(client, author, editor, reviewers):
    version = flows.submitted(author)
    client.force_login(editor)
    response = client.post(reverse("admin:articles_articleversion_act", args=[version.pk, "publish"]))
    assert response.status_code == 409
    assert_security_headers(response, hsts=False)


def test_in_production_plain_http_is_redirected_to_https(client, production_security):
    response = client.get("/editorial-policy/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/editorial-policy/"


def test_in_production_cookies_are_secure_and_http_only(client, production_security, editor):
    client.get(reverse("admin:login"), secure=True)
    csrf = client.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["httponly"]
    response = client.post(
        reverse("admin:login"),
        {"username": editor.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf.value},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"


# The admin under the policy, in a real browser ------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_and_reader_run_under_the_policy_without_a_violation(browser_page):
    author = make_user("Author", username="csp-author")
    editor = make_user("Editor", username="csp-editor")
    reviewers = [make_user("Reviewer", username=f"csp-reviewer{i}") for i in range(2)]
    published = flows.published(author, editor, reviewers)
    submitted = flows.submitted(author, slug="under-review")
    page = browser_page
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
            else None
        ),
    )
    page.goto(page.base_url + published.article.get_absolute_url())
    page.goto(page.base_url + "/admin/login/?next=/admin/")
    page.fill("#id_username", editor.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))
    for url in (
        reverse("admin:articles_articleversion_change", args=[published.pk]),
        reverse("admin:articles_articleversion_assign", args=[submitted.pk]),
        reverse("admin:articles_articleversion_changelist"),
        reverse("admin:editorial_auditevent_changelist"),
        reverse("admin:articles_article_change", args=[published.article_id]),
    ):
        page.goto(page.base_url + url)
        assert page.locator("#content").count() == 1
    # the admin's own scripts ran (the changelist's filter sidebar toggle is script-built)
    assert page.evaluate("typeof django !== 'undefined'")
    assert not violations, violations
    # and the listener does hear a violation: an injected inline script is blocked and reported
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        ran = page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
            " document.head.appendChild(s); return window.injected === 1; }"
        )
    assert ran is False
