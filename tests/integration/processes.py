"""Processes an integration test starts (Celery workers and beats, gunicorn, nginx): each the
leader of a process group of its own, its output in a log file, waited for with a deadline and
stopped with its whole group, even when the test fails."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# A loaded 2-core machine may take this long to import Django and Celery in a new process.
START_SECONDS = 90
WORKER_START_SECONDS = START_SECONDS


@dataclass
class Process:
    name: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @property
    def running(self) -> bool:
        return self.process.poll() is None


@dataclass
class Worker(Process):
    """A Celery worker, writing its mail to files under ``mail_dir``."""

    mail_dir: Path = Path()

    def mail(self) -> str:
        if not self.mail_dir.exists():
            return ""
        return "".join(path.read_text(errors="replace") for path in sorted(self.mail_dir.iterdir()))


def spawn(name: str, command: list[str], *, env: dict, log: Path, cls=Process, **fields) -> Process:
    """Start ``command`` in a new session (its own process group), output to ``log``."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return cls(name=name, process=process, log=log, **fields)


def logs(processes: Iterable[Process], tail: int = 6000) -> str:
    return "\n".join(f"--- {p.name} ({p.log})\n{p.output()[-tail:]}" for p in processes)


def wait_ready(
    processes: Iterable[Process], ready: Callable[[Process], bool], *, timeout: float = START_SECONDS
) -> None:
    """Poll until ``ready(p)`` holds for every process; if one exits or time runs out, stop
    them all and fail with their logs."""
    processes = list(processes)
    waiting = list(processes)
    deadline = time.monotonic() + timeout
    while waiting:
        waiting = [p for p in waiting if not ready(p)]
        dead = [p for p in waiting if not p.running]
        if dead or (waiting and time.monotonic() > deadline):
            stop(*processes)
            what = "exited" if dead else f"was not ready after {timeout:.0f} s"
            pytest.fail(f"{', '.join(p.name for p in dead or waiting)} {what}:\n{logs(processes)}")
        if waiting:
            time.sleep(0.2)


def stop(*processes: Process | None, kill: bool = False, timeout: float = 30) -> None:
    """Signal each process's whole group (TERM, or KILL), wait, and KILL what is left."""
    started = [p for p in processes if p is not None]
    for p in started:
        _signal_group(p, signal.SIGKILL if kill else signal.SIGTERM)
    for p in started:
        try:
            p.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(p, signal.SIGKILL)
            p.process.wait(timeout=timeout)
        _signal_group(p, signal.SIGKILL)  # children the leader left behind


def _signal_group(p: Process, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(p.process.pid, signum)


def celery_worker_command(*, queue: str, name: str) -> list[str]:
    """``celery worker --pool=solo``: one process (SIGKILL kills all of it), on ``queue`` only."""
    return [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-Q",
        queue,
        "-n",
        f"{name}@%h",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


def worker_ready(worker: Process) -> bool:
    return "ready." in worker.output()


def start_worker(*, name: str, queue: str, env: dict, var_dir: Path) -> Worker:
    """A Celery worker on ``queue`` with ``env`` (which says its database, Redis and settings),
    its log and its mail under ``var_dir``; returns once it is ready."""
    worker = spawn(
        name,
        celery_worker_command(queue=queue, name=f"{name}-{uuid.uuid4().hex[:6]}"),
        env={**env, "VAR_DIR": str(var_dir), "CELERY_QUEUE": queue},
        log=var_dir / f"{name}.log",
        cls=Worker,
        mail_dir=var_dir / "mail",
    )
    wait_ready([worker], worker_ready, timeout=WORKER_START_SECONDS)
    return worker
