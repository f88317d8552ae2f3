"""The real stack for integration tests: Redis at ``REDIS_URL`` and a Celery worker process
on the test database. Missing Redis is a failure, never a skip."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
WORKER_START_SECONDS = 90


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


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path
    mail_dir: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def mail(self) -> str:
        if not self.mail_dir.exists():
            return ""
        return "".join(path.read_text(errors="replace") for path in sorted(self.mail_dir.iterdir()))


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
    log = var_dir / "worker.log"
    with django_db_blocker.unblock():
        database_url = _database_url()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "VAR_DIR": str(var_dir),
        "CELERY_QUEUE": celery_queue,
        # the webhook tests' partner endpoint listens on 127.0.0.1
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "1",
    }
    env.pop("EMAIL_HOST", None)  # the file backend, under VAR_DIR/mail
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-Q",
        celery_queue,
        "-n",
        f"{celery_queue}@%h",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    worker = Worker(process=process, log=log, mail_dir=var_dir / "mail")
    deadline = time.monotonic() + WORKER_START_SECONDS
    while "ready." not in worker.output():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"The Celery worker did not start:\n{worker.output()}")
        time.sleep(0.2)
    yield worker
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(predicate, *, worker: Worker, what: str, timeout: float = 60) -> None:
    """Poll until ``predicate()`` holds; fail with the worker's log after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if worker.process.poll() is not None:
            pytest.fail(f"The Celery worker exited while waiting for {what}:\n{worker.output()}")
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}. Worker log:\n{worker.output()}")
        time.sleep(0.2)
