"""``/health/`` for the load balancer (django-health-check): the database, the cache, the
broker, a Celery worker answering a ping, and the freshness of beat's last reminder sweep and
last audit verification (``editorial/operations.py``: stale after two intervals).

JSON, 200 when every check passes and 503 when one fails, with each check's status and how
long it took; never a host, a user or a password. Each check has a timeout well under a
second and runs in a thread of its own pool, so a dependency that accepts a connection and
never answers (a hung Redis, a database that does not respond) makes that check fail within
``CHECK_SECONDS`` + 1 s and the whole answer comes within 2 s: the request never waits for
the stuck thread, which ends when the client's own socket timeout fires.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import os
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import JsonResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from config.celery import app as celery_app
from editorial import operations

CHECK_SECONDS = 0.8  # each check's own timeout; the library adds 1 s of grace: 1.8 s at worst
_TIMEOUT = datetime.timedelta(seconds=CHECK_SECONDS)
# Threads for the synchronous checks, kept across requests: a hung check holds one until its
# socket timeout, and the next poll is not queued behind it while others are free.
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="health")


@dataclasses.dataclass
class Database(HealthCheck):
    """``SELECT 1`` on a connection of its own, with a statement timeout (PostgreSQL)."""

    timeout = _TIMEOUT

    def run(self):
        connection = connections["default"]
        try:
            with connection.temporary_connection() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET statement_timeout = %s", [int(CHECK_SECONDS * 1000)])
                cursor.execute("SELECT 1")
                if cursor.fetchone() != (1,):
                    raise ServiceUnavailable("unexpected answer")
        except ServiceUnavailable:
            raise
        except Exception as exc:  # the driver's message can name the host and the user
            raise ServiceUnavailable(f"unavailable ({type(exc).__name__})") from exc


@dataclasses.dataclass
class Cache(HealthCheck):
    """A write and a read of one key (django-redis has socket timeouts in the settings)."""

    timeout = _TIMEOUT

    def run(self):
        cache = caches["default"]
        try:
            cache.set("health:probe", "ok", 10)
            if cache.get("health:probe") != "ok":
                raise ServiceUnavailable("the value written was not read back")
        except ServiceUnavailable:
            raise
        except Exception as exc:
            raise ServiceUnavailable(f"unavailable ({type(exc).__name__})") from exc


@dataclasses.dataclass
class Broker(HealthCheck):
    """Redis answers PING (or, for the embedded filesystem broker, its folder is writable)."""

    timeout = _TIMEOUT

    def run(self):
        url = settings.CELERY_BROKER_URL
        if url.startswith("filesystem://"):
            folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
            if not _writable(folder):
                raise ServiceUnavailable("the broker's folder is not writable")
            return
        import redis

        client = redis.Redis.from_url(url, socket_timeout=CHECK_SECONDS, socket_connect_timeout=CHECK_SECONDS)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise ServiceUnavailable(f"unavailable ({type(exc).__name__})") from exc
        finally:
            client.close()


@dataclasses.dataclass
class Worker(HealthCheck):
    """At least one Celery worker answers a ping on the broker (the first answer is enough).
    The embedded filesystem broker cannot broadcast: there the check says so and passes."""

    timeout = _TIMEOUT

    def run(self):
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            return
        options = {"socket_timeout": CHECK_SECONDS, "socket_connect_timeout": CHECK_SECONDS}
        try:
            # A connection of its own: the app's pool would wait out the broker's own timeouts.
            with celery_app.connection_for_write(
                settings.CELERY_BROKER_URL, connect_timeout=CHECK_SECONDS, transport_options=options
            ) as connection:
                answers = celery_app.control.ping(
                    timeout=CHECK_SECONDS * 0.75, limit=1, connection=connection
                )
        except Exception as exc:
            raise ServiceUnavailable(f"unavailable ({type(exc).__name__})") from exc
        if not answers:
            raise ServiceUnavailable("no worker answered a ping")


@dataclasses.dataclass
class Freshness(HealthCheck):
    """Beat's periodic jobs finished within two of their intervals."""

    timeout = _TIMEOUT

    def run(self):
        try:
            connection = connections["default"]
            if connection.vendor == "postgresql":  # a locked table fails this check, not the thread
                with connection.cursor() as cursor:
                    cursor.execute("SET statement_timeout = %s", [int(CHECK_SECONDS * 1000)])
            stale = [str(job) for job in operations.freshness() if job.stale]
        except Exception as exc:
            raise ServiceUnavailable(f"could not be read ({type(exc).__name__})") from exc
        finally:
            connections["default"].close()  # this pool thread's own connection
        if stale:
            raise ServiceUnavailable("; ".join(stale))


def _writable(folder: str) -> bool:
    return os.path.isdir(folder) and os.access(folder, os.W_OK)


CHECKS = {
    "database": Database,
    "cache": Cache,
    "broker": Broker,
    "worker": Worker,
    "periodic_jobs": Freshness,
}


class HealthView(HealthCheckView):
    """Always JSON, 503 on a failure (what load balancers read), never cached."""

    checks = tuple(CHECKS.values())

    def get_executor(self):
        return contextlib.nullcontext(_POOL)

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            self.results = await asyncio.gather(*(check.get_result(executor) for check in self.get_checks()))
        names = {check: name for name, check in CHECKS.items()}
        results = {
            names[type(result.check)]: {
                "status": "error" if result.error else "ok",
                **({"error": str(result.error)} if result.error else {}),
                "ms": round(result.time_taken * 1000, 1),
            }
            for result in self.results
        }
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            results["worker"] = {
                "status": "not checked",
                "note": "the filesystem broker cannot broadcast a ping",
            }
        failed = any(result.error for result in self.results)
        body = {
            "status": "unavailable" if failed else "ok",
            "checked_at": timezone.now().isoformat(timespec="seconds"),
            "checks": results,
        }
        return JsonResponse(body, status=503 if failed else 200)
