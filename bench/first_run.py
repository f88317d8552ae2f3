"""First run: ``make run`` from a fresh clone to the first 200 from the baclofen page, cold
(no .venv, no var/) and then warm (the same clone started again). Goal: warm <= 15 s.

    .venv/bin/python bench/first_run.py
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, machine, report

PAGE = "/articles/baclofen-muscle-cramping/"


def time_to_first_200(clone: Path, port: int, limit: float) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "VIRTUAL_ENV")}
    log = open(clone / "make-run.log", "ab")  # noqa: SIM115 - closed in finally
    started = time.monotonic()
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        while time.monotonic() - started < limit:
            if process.poll() is not None:
                sys.exit(f"make run exited with {process.returncode}; see {clone / 'make-run.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{PAGE}", timeout=2) as response:
                    if response.status == 200 and b"baclofen" in response.read():
                        return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.1)
        sys.exit(f"no 200 within {limit:.0f} s; see {clone / 'make-run.log'}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument("--limit", type=float, default=600)
    args = parser.parse_args()
    report("machine", machine())
    with tempfile.TemporaryDirectory(prefix="medreview-first-run-") as folder:
        clone = Path(folder) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        cold = time_to_first_200(clone, args.port, args.limit)
        report("first_run_cold_seconds", f"{cold:.1f}")
        warm = time_to_first_200(clone, args.port, args.limit)
        report("first_run_warm_seconds", f"{warm:.1f}")
        report("first_run_warm_goal_seconds", "15")


if __name__ == "__main__":
    main()
