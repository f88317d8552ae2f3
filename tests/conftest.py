import pytest
from django.db import connection

from tests.factories import make_user


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
