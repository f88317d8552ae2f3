"""The board's admin lists and the reader pages as the audit trail grows (issue 13; goal: every
admin list <= 150 ms warm with 1,000,000 events, and the same query count as without them),
and what verifying a checkpointed chain after 10 new events costs beside a full check.

In one run, on its own PostgreSQL database: migrate, the demo, ``--articles`` more articles
taken through the real workflow services (submitted, under review, approved, published), then
warm requests through Django's test client signed in as the demo editor ("before"); then
``--events`` chained events over ``--event-articles`` further articles, inserted with COPY as
``bench/audit_verify.py`` inserts them, and the same requests again ("after"). Over the goal
is reported, never a failure.

    .venv/bin/python bench/admin_scale.py --events 1000000 --event-articles 1000 --articles 500
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import time

from common import generate, machine, recreate_database, report, setup_django

DATABASE_URL = os.environ.get(
    "BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medreview_bench_admin"
)
GOAL_MS = 150
EDITOR = "helen.brandt"  # the demo's editor (editorial/demo.py)
REFERENCES = 3


def build_articles(count: int) -> dict[str, int]:
    """``count`` articles through the real services, a quarter in each of submitted, under
    review, approved and published. Fictional statements cite a fictional bench source."""
    from tests.support import flows  # the same helpers the tests use
    from tests.support.factories import make_user

    author, editor = make_user("Author"), make_user("Editor")
    reviewers = [make_user("Reviewer") for _ in range(6)]
    body = "\n\n".join(f"Statement number {n} [{n}]." for n in range(1, REFERENCES + 1))
    refs = [
        {"number": n, "kind": "other", "title": f"Source {n}", "source": "Fictional bench source"}
        for n in range(1, REFERENCES + 1)
    ]
    states = ("submitted", "under_review", "approved", "published")
    built = dict.fromkeys(states, 0)
    for i in range(count):
        state = states[i % len(states)]
        pair = [reviewers[i % len(reviewers)], reviewers[(i + 1) % len(reviewers)]]
        content = {"slug": f"scale-{i}", "body": body, "references": refs}
        if state == "submitted":
            flows.submitted(author, **content)
        else:
            getattr(flows, state)(author, editor, pair, **content)
        built[state] += 1
    return built


def deep_page() -> int:
    """Page 50 of the audit list, or its last page while it has fewer."""
    from editorial.models import AuditEvent

    return max(1, min(50, AuditEvent.objects.count() // 100))


def pages(baclofen_id: int) -> dict[str, str]:
    from django.urls import reverse
    from django.utils import timezone

    from editorial.demo import DEMO_SLUG

    audit = reverse("admin:editorial_auditevent_changelist")
    return {
        "admin_index": reverse("admin:index"),
        "article_list": reverse("admin:articles_article_changelist"),
        "audit_list": audit,
        "audit_search_baclofen": audit + "?q=baclofen",
        "audit_search_person": audit + f"?q={EDITOR}",
        "audit_search_action": audit + "?q=review+started",
        "audit_search_day": audit + f"?q={timezone.localdate().isoformat()}",
        "audit_page_deep": audit + f"?p={deep_page()}",
        "audit_article": audit + f"?article__id__exact={baclofen_id}",
        "version_list": reverse("admin:articles_articleversion_changelist"),
        "assignment_list": reverse("admin:editorial_reviewassignment_changelist"),
        "reader_article": reverse("reader:detail", args=[DEMO_SLUG]),
        "reader_home": reverse("reader:list"),
    }


def measure(client, url: str, requests: int, warmup: int) -> tuple[float, list[int], float]:
    """``warmup`` untimed requests, then ``requests`` timed ones: (median ms, query counts,
    median of each request's slowest query in ms)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times, counts, slowest = [], [], []
    for _ in range(requests):
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        times.append(elapsed * 1000)
        counts.append(len(queries))
        slowest.append(max((float(q["time"]) * 1000 for q in queries.captured_queries), default=0.0))
    return statistics.median(times), counts, statistics.median(slowest)


def measure_pages(
    phase: str, client, urls: dict[str, str], requests: int, warmup: int
) -> dict[str, tuple[float, int]]:
    results = {}
    for key, url in urls.items():
        ms, counts, slowest = measure(client, url, requests, warmup)
        queries = str(counts[0]) if len(set(counts)) == 1 else f"{min(counts)}-{max(counts)}"
        report(f"admin_scale_{phase}_{key}_ms", f"{ms:.1f}")
        report(f"admin_scale_{phase}_{key}_queries", queries)
        report(f"admin_scale_{phase}_{key}_slowest_query_ms", f"{slowest:.0f}")
        results[key] = (ms, max(counts))
    return results


def over_goal(results: dict[str, tuple[float, int]]) -> str:
    return ", ".join(key for key, (ms, _) in results.items() if ms > GOAL_MS) or "none"


def checkpoint_cost(label: str, article_id: int, rounds: int = 3) -> None:
    """Bring the article's checkpoint to its head, then ``rounds`` times: append 10 events
    through ``audit.record`` (as the services do) and time ``verify_from_checkpoint``; beside
    it, the full ``verify_chain`` of the same article."""
    from django.db import transaction

    from articles.models import Article
    from editorial.audit import record, verify_chain
    from editorial.checkpoints import verify_from_checkpoint
    from editorial.models import AuditAction, AuditEvent

    length = AuditEvent.objects.filter(article_id=article_id).count()
    started = time.perf_counter()
    first = verify_from_checkpoint(article_id)
    first_ms = (time.perf_counter() - started) * 1000
    assert first.ok and first.checked == length, first
    incremental, full = [], []
    for round_ in range(rounds):
        with transaction.atomic():
            for n in range(10):
                record(
                    article=article_id,
                    action=AuditAction.ASSIGNMENT_REMINDED,
                    message=f"Bench event {round_}.{n}",
                )
        started = time.perf_counter()
        result = verify_from_checkpoint(article_id)
        incremental.append((time.perf_counter() - started) * 1000)
        assert result.ok and result.checked == 10, result
        started = time.perf_counter()
        chain = verify_chain(article=Article(pk=article_id))
        full.append((time.perf_counter() - started) * 1000)
        assert chain.ok, chain.reason
    report(f"admin_scale_checkpoint_{label}_chain_events", f"{length:,} (+{10 * rounds} appended)")
    report(f"admin_scale_checkpoint_{label}_first_run_ms", f"{first_ms:.0f}")
    report(f"admin_scale_checkpoint_{label}_10_new_events_ms", f"{statistics.median(incremental):.1f}")
    report(f"admin_scale_checkpoint_{label}_full_verify_ms", f"{statistics.median(full):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=500, help="taken through the services")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--event-articles", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=5, help="timed per page")
    # The reader's page is a cache hit from the third request on: the first learns which
    # article the slug names, the second renders and stores the page.
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page first")
    args = parser.parse_args()
    began = time.perf_counter()
    report("machine", machine())
    report("admin_scale_load_average", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    recreate_database(DATABASE_URL)
    os.environ["REDIS_URL"] = ""  # a local-memory cache: no Redis round trips in the figures
    os.environ["DEBUG"] = "False"
    setup_django(DATABASE_URL)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from articles.models import Article
    from editorial.demo import DEMO_SLUG

    settings.DEBUG = False
    logging.getLogger("axes").setLevel(logging.WARNING)  # force_login's "Successful login" line
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    started = time.perf_counter()
    call_command("load_demo", stdout=io.StringIO())
    built = build_articles(args.articles)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    report("admin_scale_articles_built", ", ".join(f"{n} {state}" for state, n in built.items()))
    report("admin_scale_build_seconds", f"{time.perf_counter() - started:.1f}")

    baclofen_id = Article.objects.get(slug=DEMO_SLUG).pk
    urls = pages(baclofen_id)
    client = Client()
    client.force_login(get_user_model().objects.get(username=EDITOR))
    report("admin_scale_goal_ms", GOAL_MS)
    before = measure_pages("before", client, urls, args.requests, args.warmup)

    started = time.perf_counter()
    event_articles = generate(args.events, args.event_articles, prefix="bench")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    report(
        "admin_scale_events_generated",
        f"{args.events // args.event_articles * args.event_articles:,} over {args.event_articles:,} articles",
    )
    report("admin_scale_generate_seconds", f"{time.perf_counter() - started:.1f}")
    after = measure_pages("after", client, urls, args.requests, args.warmup)

    # A chain from the bulk, then one longer chain inserted for this (a tenth of --events, and
    # at least ten times a bulk chain): a checkpointed run should cost the same at both lengths.
    checkpoint_cost("bulk", event_articles[len(event_articles) // 2])
    long_events = max(args.events // 10, 10 * (args.events // args.event_articles))
    (long_article,) = generate(long_events, 1, prefix="bench-long")
    checkpoint_cost("longest", long_article)

    changed = [k for k in urls if before[k][1] != after[k][1]]
    report("admin_scale_queries_changed_with_events", ", ".join(changed) or "none")
    report("admin_scale_total_seconds", f"{time.perf_counter() - began:.1f}")
    report("admin_scale_over_goal", f"before: {over_goal(before)}; after: {over_goal(after)}")


if __name__ == "__main__":
    main()
