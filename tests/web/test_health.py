"""/health/: what a load balancer reads. The checks run in threads with their own database
connections, so these tests commit (transaction=True)."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from editorial import operations
from editorial.models import PeriodicJob

pytestmark = pytest.mark.django_db(transaction=True)

HANG_DETECTOR_SECONDS = 5  # the checks answer within 2 s by design; this only catches a hang


def health(client) -> tuple[int, dict]:
    response = client.get(reverse("health"))
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


def test_a_fresh_install_is_unavailable_until_beat_has_run_both_jobs(client):
    status, body = health(client)
    assert status == 503 and body["status"] == "unavailable"
    assert set(body["checks"]) == {"database", "cache", "broker", "worker", "periodic_jobs"}
    for name in ("database", "cache", "broker"):
        assert body["checks"][name]["status"] == "ok", body
    jobs = body["checks"]["periodic_jobs"]
    assert jobs["status"] == "error"
    assert "Reminder sweep: has not run yet" in jobs["error"]
    assert "Audit chain verification: has not run yet" in jobs["error"]
    assert all(isinstance(check["ms"], float) for check in body["checks"].values())


def test_periodic_jobs_go_stale_after_two_intervals(client, settings):
    settings.EDITORIAL = {**settings.EDITORIAL, "SWEEP_MINUTES": 5, "AUDIT_VERIFY_MINUTES": 60}
    now = timezone.now()
    operations.note_run(PeriodicJob.REMINDER_SWEEP, now=now - timedelta(minutes=9))
    operations.note_run(PeriodicJob.AUDIT_VERIFICATION, now=now - timedelta(minutes=119))
    assert "error" not in health(client)[1]["checks"]["periodic_jobs"]
    operations.note_run(PeriodicJob.REMINDER_SWEEP, now=now - timedelta(minutes=11))
    jobs = health(client)[1]["checks"]["periodic_jobs"]
    assert jobs["status"] == "error"
    assert "Reminder sweep: last finished 11 min ago, stale (it runs every 5 min)" in jobs["error"]
    assert "Audit chain verification" not in jobs["error"]
    operations.note_run(PeriodicJob.REMINDER_SWEEP)
    operations.note_run(PeriodicJob.AUDIT_VERIFICATION, now=now - timedelta(minutes=121))
    assert (
        "Audit chain verification: last finished 121 min ago"
        in health(client)[1]["checks"]["periodic_jobs"]["error"]
    )


def test_the_answer_names_no_host_user_or_password(client, settings):
    body = client.get(reverse("health")).content.decode()
    database = connection.settings_dict
    for secret in (
        database["HOST"],
        database["USER"],
        database["NAME"],
        settings.REDIS_URL,
        settings.SECRET_KEY,
    ):
        if secret:
            assert secret not in body


class SilentServer:
    """Accepts connections and never answers (a hung Redis, or a database that stopped)."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                peer, _ = self.socket.accept()
            except OSError:
                return
            self.held.append(peer)

    def close(self):
        self.socket.close()
        for peer in self.held:
            peer.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


def test_a_redis_that_never_answers_is_a_503_in_bounded_time(client, settings, silent_server):
    url = f"redis://127.0.0.1:{silent_server.port}/0"
    settings.CELERY_BROKER_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    started = time.monotonic()
    status, body = health(client)
    assert time.monotonic() - started < HANG_DETECTOR_SECONDS
    assert status == 503
    for name in ("cache", "broker", "worker"):
        assert body["checks"][name]["status"] == "error", body
    assert body["checks"]["database"]["status"] == "ok"
    assert silent_server.held, "the checks did reach the silent server"


def test_a_locked_table_fails_its_check_without_holding_the_answer(client):
    operations.note_run(PeriodicJob.REMINDER_SWEEP)
    operations.note_run(PeriodicJob.AUDIT_VERIFICATION)
    database = connection.settings_dict
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=database["NAME"], user=database["USER"], host=database["HOST"], port=database["PORT"] or 5432
    )
    with psycopg.connect(conninfo) as locker:
        locker.execute("LOCK TABLE editorial_jobrun IN ACCESS EXCLUSIVE MODE")  # held until the block ends
        started = time.monotonic()
        status, body = health(client)
        assert time.monotonic() - started < HANG_DETECTOR_SECONDS
        locker.rollback()
    assert status == 503
    assert body["checks"]["periodic_jobs"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"
