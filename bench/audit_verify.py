"""Audit verification speed: ``verify_chain`` over N events in M chains on PostgreSQL, beside
the raw SHA-256 chain over the same canonical bytes in memory (the ceiling), and the peak
memory of verification at two sizes (it must not grow with the number of events).

    .venv/bin/python bench/audit_verify.py --events 1000000 --articles 1000
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time

from common import BENCH_DATABASE_URL, ROOT, generate, machine, recreate_database, report, setup_django


def ceiling(events: int) -> float:
    """Events per second of the bare SHA-256 chain over the same canonical lines, in memory."""
    from editorial.audit import GENESIS, canonical_line, jsonb_text

    data_text = jsonb_text({"decision": "approve", "review": 1})
    lines = [
        canonical_line(
            1,
            seq,
            None,
            None,
            "system",
            "editorial.review.recorded",
            "invited",
            "completed",
            f"Board review {seq}",
            data_text,
            1767225600000000 + seq,
        ).encode()
        for seq in range(1, events + 1)
    ]
    started = time.perf_counter()
    prev = GENESIS.encode()
    sha = hashlib.sha256
    for line in lines:
        prev = sha(line + prev).hexdigest().encode()
    return events / (time.perf_counter() - started)


def verify_in_subprocess() -> tuple[float, int, int]:
    """Run verify_chain in a fresh process: (events per second, events, the process's peak RSS
    in KiB, VmHWM: ru_maxrss would inherit the parent's peak across exec). The same peak at
    10x the events means memory does not grow with the chain."""
    code = (
        "import resource, sys, time; sys.path.insert(0, 'bench'); from common import setup_django; setup_django();"
        "from editorial.audit import verify_chain;"
        "t = time.perf_counter(); r = verify_chain(); e = time.perf_counter() - t;"
        "assert r.ok, r.reason;"
        "hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'));"
        "print(r.checked / e, r.checked, hwm)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    if out.returncode:
        sys.exit(f"verification failed:\n{out.stderr}")
    rate, checked, peak = out.stdout.split()
    return float(rate), int(checked), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=1_000)
    args = parser.parse_args()
    report("machine", machine())
    small = max(args.events // 10, args.articles)
    rates = {}
    for size in (small, args.events):
        recreate_database(BENCH_DATABASE_URL)
        setup_django(BENCH_DATABASE_URL)
        from django.db import connection

        connection.close()
        t = time.perf_counter()
        generate(size, args.articles)
        connection.close()
        report(f"audit_generate_{size}_seconds", f"{time.perf_counter() - t:.1f}")
        rate, checked, peak_kib = verify_in_subprocess()
        rates[size] = rate
        report(f"audit_verify_{checked}_events_per_second", f"{rate:,.0f}")
        report(f"audit_verify_{checked}_peak_rss_mib", f"{peak_kib / 1024:.1f}")
    top = ceiling(min(args.events, 1_000_000))
    report("sha256_chain_in_memory_events_per_second", f"{top:,.0f}")
    report("audit_verify_goal_events_per_second", "200,000")
    report("audit_verify_ratio_to_ceiling", f"{rates[args.events] / top:.2f}")


if __name__ == "__main__":
    main()
