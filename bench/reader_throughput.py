"""Reader page throughput: gunicorn (2 workers) on PostgreSQL with the demo loaded, the
baclofen page and the content API's baclofen article (with a partner's key) against a bare
constant view served by the same gunicorn, measured by wrk on loopback in the same run.
Prints the request rates and each one's ratio to the bare view (goal: >= 0.70).

    .venv/bin/python bench/reader_throughput.py --seconds 10
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from common import ROOT, machine, recreate_database, report

DATABASE_URL = os.environ.get(
    "BENCH_READER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medreview_bench_reader"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
ARTICLE = "/articles/baclofen-muscle-cramping/"
BARE = "/bench/bare/"
API_ARTICLE = "/api/v1/articles/baclofen-muscle-cramping"


def wait_for(url: str, deadline: float, headers: dict | None = None) -> None:
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer 200 in time")


def wrk(url: str, seconds: int, connections: int, headers: dict | None = None) -> float:
    header_args = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(  # noqa: S603
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", *header_args, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"{url}: {errors.group(1)} non-2xx responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10, help="per measurement")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best of each is kept")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    report("machine", machine())
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "config.bench_settings",
        "SECRET_KEY": "bench-only",
    }
    recreate_database(DATABASE_URL)
    subprocess.run(
        [sys.executable, "manage.py", "load_demo"],
        cwd=ROOT,
        env=env,
        check=True,  # noqa: S603
        stdout=subprocess.DEVNULL,
    )
    created = subprocess.run(  # a partner whose quota the benchmark never reaches
        [sys.executable, "manage.py", "api_key", "create", "bench", "--per-minute", "1000000000"],
        cwd=ROOT,
        env=env,
        check=True,  # noqa: S603
        capture_output=True,
        text=True,
    )
    api_headers = {"X-API-Key": created.stdout.strip().splitlines()[-1]}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,  # noqa: S603
        check=True,
    )
    server = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_for(base + BARE, time.monotonic() + 30)
        wait_for(base + ARTICLE, time.monotonic() + 30)
        wait_for(base + API_ARTICLE, time.monotonic() + 30, api_headers)
        wrk(base + ARTICLE, 2, args.connections)  # warm both workers' caches
        wrk(base + API_ARTICLE, 2, args.connections, api_headers)
        rates = {"bare": 0.0, "article": 0.0, "api": 0.0}
        for _ in range(args.rounds):
            rates["bare"] = max(rates["bare"], wrk(base + BARE, args.seconds, args.connections))
            rates["article"] = max(rates["article"], wrk(base + ARTICLE, args.seconds, args.connections))
            rates["api"] = max(
                rates["api"], wrk(base + API_ARTICLE, args.seconds, args.connections, api_headers)
            )
        report("reader_bare_view_requests_per_second", f"{rates['bare']:.0f}")
        report("reader_article_page_requests_per_second", f"{rates['article']:.0f}")
        report("reader_article_to_bare_ratio", f"{rates['article'] / rates['bare']:.2f}")
        report("api_article_requests_per_second", f"{rates['api']:.0f}")
        report("api_article_to_bare_ratio", f"{rates['api'] / rates['bare']:.2f}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
