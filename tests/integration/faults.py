"""Helpers for the fault tests: a Redis server of the test's own (to stop and start again, never
the machine's), Celery worker processes on it that the test may kill, and mail counting."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from config.celery import app
from editorial import notifications
from editorial.models import Notification
from tests.integration import processes
from tests.integration.processes import Worker

SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """``redis-server`` on a loopback port of its own, in memory only (as Redis loses what it
    had not persisted when it dies)."""

    def __init__(self, port: int, log: Path):
        self.port = port
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 30) -> None:
        if shutil.which("redis-server") is None:
            pytest.fail("The fault tests need the redis-server binary: apt-get install -y redis-server")
        command = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=1).ping():
                    return
            except redis.RedisError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"redis-server did not start on port {self.port}:\n{self.log.read_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it as a crash would: SIGKILL, nothing saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _reset_pools() -> None:
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str):
    """This process's Celery app publishes to ``url`` for a while."""
    names = ("broker_url", "broker_write_url", "broker_read_url")
    saved = [app.conf[name] for name in names]
    for name in names:
        app.conf[name] = url
    _reset_pools()
    try:
        yield
    finally:
        for name, value in zip(names, saved, strict=True):
            app.conf[name] = value
        _reset_pools()


def start_worker(
    *, database_url: str, redis_url: str, queue: str, var_dir: Path, name: str, env: dict | None = None
) -> Worker:
    """A Celery worker (``tests.integration.processes.start_worker``) on ``queue`` at
    ``redis_url`` and the test database, with the holding mail backend, mail under
    ``var_dir/mail``."""
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "tests.integration.fault_settings",
        **(env or {}),
    }
    environ.pop("EMAIL_HOST", None)
    return processes.start_worker(name=name, queue=queue, env=environ, var_dir=var_dir)


def stop_worker(worker: Worker | None, *, kill: bool = False) -> None:
    processes.stop(worker, kill=kill)


def wait_until(predicate, *, what: str, timeout: float = 90, workers: Iterable[Worker] = ()) -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` seconds with the workers' logs."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {w.log.name}\n{w.output()[-6000:]}" for w in workers)
            pytest.fail(f"Timed out waiting for {what}.\n{logs}")
        time.sleep(0.1)


def mails(mail_dir: Path) -> Counter:
    """(recipient, subject) of every mail the file backend wrote, with how many times."""
    found = Counter()
    if not mail_dir.exists():
        return found
    for path in sorted(mail_dir.iterdir()):
        for raw in path.read_bytes().split(SEPARATOR):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw, policy=email.policy.default)
            found[(str(message["To"]), " ".join(str(message["Subject"]).split()))] += 1
    return found


def expected_mails(rows: Iterable[Notification]) -> Counter:
    """(recipient, subject) of each notification, once."""
    return Counter((n.to_email, notifications.build_message(n).subject) for n in rows)
