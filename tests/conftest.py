import pytest
from django.db import connection

# A full run fails if the integration tests (Redis, a Celery worker) did not run and pass.
from tests.integration.guard import (  # noqa: F401
    pytest_deselected,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_testnodedown,
)

# Marks by file name and folder, and the suite on several pytest-xdist workers.
from tests.parallel import (  # noqa: F401
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_configure_node,
    pytest_unconfigure,
    pytest_xdist_make_scheduler,
)
from tests.support.factories import make_user

# Fixtures shared by every test folder (the demo, ...): tests/support/fixtures.py.
pytest_plugins = ["tests.support.fixtures"]


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL: run it with DATABASE_URL set (make test does).")


@pytest.fixture
def author(db):
    return make_user("Author", username="author")


@pytest.fixture
def other_author(db):
    return make_user("Author", username="other-author")


@pytest.fixture
def editor(db):
    return make_user("Editor", username="editor")


@pytest.fixture
def reviewers(db):
    return [make_user("Reviewer", username=f"reviewer{i}") for i in range(1, 4)]


@pytest.fixture
def reviewer(reviewers):
    return reviewers[0]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The default PBKDF2 is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def audit_signing_outside_var(settings, tmp_path_factory):
    # The signing key and the signed heads of a test live in its own directory, never var/.
    place = tmp_path_factory.mktemp("audit")
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_SIGNING_KEY_FILE = place / "audit-signing-key.pem"
    settings.AUDIT_HEADS_DIR = place / "audit-heads"
    return place


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser_page(live_server):
    """A Playwright page in Debian's Chromium, against the live test server.

    Browser tests are marked ``browser`` and run in ``make test``; they fail, never skip,
    when Chromium is missing (``make test`` installs it: ``bin/need-packages``).
    """
    import os

    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: make test installs it (as root), or apt-get install -y chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself (not the server) are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.base_url = live_server.url
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.dialogs = dialogs
        yield page
        browser.close()


@pytest.fixture
def private_cache(settings, request):
    """A cache of this test's own, and a worker that remembers nothing from earlier tests:
    reader pages cached by one test are never served in another."""
    from api import keys, usage
    from reader import pagecache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{request.node.nodeid}",
        }
    }
    pagecache.forget_local_state()
    keys.forget_local_state()
    usage.forget_local_state()
    yield
    pagecache.forget_local_state()
    keys.forget_local_state()
    usage.forget_local_state()
