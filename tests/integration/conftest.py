"""The real stack for integration tests: Redis at ``REDIS_URL`` and a Celery worker process
on the test database. Missing Redis is a failure, never a skip."""

from __future__ import annotations

import os
import socket
import time
import uuid
from urllib.parse import quote, urlparse

import pytest

from config.celery import app as celery_app
from tests.integration.processes import Worker, start_worker, stop


@pytest.fixture(scope="session")
def redis_url() -> str:
    from django.conf import settings

    url = settings.REDIS_URL
    if not url:
        pytest.fail("Integration tests need Redis: set REDIS_URL (make test sets it).")
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=5).close()
    except OSError as exc:
        pytest.fail(f"Redis is not reachable at {url}: {exc}")
    return url


# The queue and the worker last as long as the tests in this folder, not the session: the other
# tests in the same process (a pytest-xdist worker runs others after these) publish to the
# default queue again, where no worker of ours takes their tasks from under them.
@pytest.fixture(scope="package")
def celery_queue(redis_url):
    """A queue of this run's own, so no other worker on the same Redis takes our
    tasks, and our worker takes no one else's."""
    name = f"medreview-test-{uuid.uuid4().hex[:12]}"
    saved = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = name
    yield name
    celery_app.conf.task_default_queue = saved
    with celery_app.connection_for_write() as conn:
        conn.default_channel.client.delete(name)


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict  # after django_db_setup: the test database
    if connection.vendor != "postgresql":
        pytest.fail("Integration tests need PostgreSQL: run them with DATABASE_URL set (make test does).")
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="package")
def celery_worker(django_db_setup, django_db_blocker, redis_url, celery_queue, tmp_path_factory):
    """``celery -A config worker --pool=solo`` on this session's queue and test database, with
    mail written to files under a temporary folder."""
    var_dir = tmp_path_factory.mktemp("worker-var")
    with django_db_blocker.unblock():
        database_url = _database_url()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_FORMAT": "json",  # test_celery_worker reads the request_id from its lines
        # the webhook tests' partner endpoint listens on 127.0.0.1
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "1",
    }
    env.pop("EMAIL_HOST", None)  # the file backend, under VAR_DIR/mail
    worker = start_worker(name=celery_queue, queue=celery_queue, env=env, var_dir=var_dir)
    yield worker
    stop(worker)


def wait_for(predicate, *, worker: Worker, what: str, timeout: float = 60) -> None:
    """Poll until ``predicate()`` holds; fail with the worker's log after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if worker.process.poll() is not None:
            pytest.fail(f"The Celery worker exited while waiting for {what}:\n{worker.output()}")
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}. Worker log:\n{worker.output()}")
        time.sleep(0.2)
