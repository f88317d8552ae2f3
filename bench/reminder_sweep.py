"""Reminder sweep at scale on PostgreSQL: N open assignments of which N/10 are overdue.
One sweep: time, queries, reminders claimed; a second sweep right after: 0 claimed.
Goal: every due reminder exactly once; queries grow with batches, not rows; <= 10 s.

    .venv/bin/python bench/reminder_sweep.py --assignments 100000
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta

from common import machine, recreate_database, report, setup_django

DATABASE_URL = os.environ.get(
    "BENCH_SWEEP_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medreview_bench_sweep"
)
REVIEWERS = 100


def build(assignments: int, now) -> int:
    """Open (accepted) assignments over versions under review; every tenth is one day overdue.
    Returns how many are due."""
    from django.contrib.auth import get_user_model

    from articles.models import Article, ArticleVersion
    from editorial.models import ReviewAssignment
    from tests.support.factories import make_user

    User = get_user_model()
    author = User.objects.create(username="bench-author", email="author@example.org")
    editor = make_user("Editor", username="bench-editor")
    reviewers = User.objects.bulk_create(
        [User(username=f"bench-r{i}", email=f"r{i}@example.org") for i in range(REVIEWERS)]
    )
    count = assignments // REVIEWERS
    articles = Article.objects.bulk_create(
        [Article(slug=f"bench-{i}", created_by=author) for i in range(count)]
    )
    versions = ArticleVersion.objects.bulk_create(
        [
            ArticleVersion(
                article=a, number=1, title="Q?", lead="A.", body="B", author=author, state="under_review"
            )
            for a in articles
        ]
    )
    rows, due = [], 0
    for vi, version in enumerate(versions):
        for ri, reviewer in enumerate(reviewers):
            is_due = (vi * REVIEWERS + ri) % 10 == 0
            due += is_due
            rows.append(
                ReviewAssignment(
                    version=version,
                    reviewer=reviewer,
                    assigned_by=editor,
                    state="accepted",
                    response_due=now - timedelta(days=20),
                    review_due=(now - timedelta(days=1)) if is_due else now + timedelta(days=30),
                    created_at=now - timedelta(days=21),
                    responded_at=now - timedelta(days=20),
                )
            )
    ReviewAssignment.objects.bulk_create(rows, batch_size=5000)
    return due


def sweep_once(now) -> tuple[int, int, float, int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from editorial import reminders

    handed_over: list[int] = []
    reset_queries()  # a full query log (9000) would make the count read 0
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = reminders.sweep(now=now, dispatch=handed_over.extend)
        elapsed = time.perf_counter() - started
    return len(result.claimed), len(queries.captured_queries), elapsed, len(handed_over)


def run(assignments: int) -> None:
    recreate_database(DATABASE_URL)
    from django.db import connection
    from django.utils import timezone

    connection.close()
    now = timezone.now()
    due = build(assignments, now)
    from editorial.audit import verify_chain
    from editorial.models import Reminder

    claimed, queries, elapsed, mails = sweep_once(now)
    again, queries_again, elapsed_again, _ = sweep_once(now)
    distinct = Reminder.objects.values("assignment_id").distinct().count()
    prefix = f"sweep_{assignments}_assignments"
    report(f"{prefix}_due", due)
    report(f"{prefix}_first_sweep_claimed", claimed)
    report(f"{prefix}_first_sweep_mails_handed_to_celery", mails)
    report(f"{prefix}_first_sweep_seconds", f"{elapsed:.2f}")
    report(f"{prefix}_first_sweep_queries", queries)
    report(f"{prefix}_second_sweep_claimed", again)
    report(f"{prefix}_second_sweep_seconds", f"{elapsed_again:.2f}")
    report(f"{prefix}_second_sweep_queries", queries_again)
    report(f"{prefix}_exactly_once", "yes" if claimed == due == distinct and again == 0 else "NO")
    report(f"{prefix}_audit_chain", "OK" if verify_chain().ok else "BROKEN")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assignments", type=int, default=100_000)
    args = parser.parse_args()
    report("machine", machine())
    setup_django(DATABASE_URL)
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for size in sorted({max(args.assignments // 10, REVIEWERS * 10), args.assignments}):
        run(size)
    report("sweep_goal_seconds", "10")


if __name__ == "__main__":
    main()
