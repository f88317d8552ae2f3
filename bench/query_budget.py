"""The article page's SQL query count as references and history grow (goal: <= 6, and the
same at every size). Each size is built through the real workflow services on PostgreSQL;
the count is taken on a cold cache (a full render) and again on a warm one (a cache hit).

    .venv/bin/python bench/query_budget.py
"""

from __future__ import annotations

import argparse
import os

from common import machine, recreate_database, report, setup_django

DATABASE_URL = os.environ.get(
    "BENCH_QUERY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medreview_bench_q"
)


def build(*, slug: str, references: int, events: int):
    """A published article with ``references`` references, then version drafts withdrawn until
    its public history holds at least ``events`` events."""
    from editorial import workflow
    from editorial.models import AuditEvent
    from tests.support import flows  # the same helpers the tests use
    from tests.support.factories import make_user

    author, editor = make_user("Author"), make_user("Editor")
    reviewers = [make_user("Reviewer"), make_user("Reviewer")]
    body = "\n\n".join(f"Statement number {n} [{n}]." for n in range(1, references + 1))
    refs = [
        {"number": n, "kind": "other", "title": f"Source {n}", "source": "Fictional bench source"}
        for n in range(1, references + 1)
    ]
    version = flows.published(author, editor, reviewers, slug=slug, body=body, references=refs)
    article = version.article
    while AuditEvent.objects.filter(article=article).count() < events:
        draft = workflow.version_create_next(article=article, author=author)
        workflow.version_submit(version=draft, actor=author)
        workflow.version_withdraw(version=draft, actor=author, reason="Bench history")
    return article, AuditEvent.objects.filter(article=article).count()


def count_queries(url: str) -> tuple[int, int]:
    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    client = Client()
    counts = []
    for _ in range(3):  # cold; the render that fills the cache; warm
        reset_queries()  # a full query log (9000) would make the count read 0
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, response.status_code
        counts.append(len(queries))
    return counts[0], counts[2]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--references", default="5,50,500")
    parser.add_argument("--events", default="10,100,1000")
    args = parser.parse_args()
    report("machine", machine())
    recreate_database(DATABASE_URL)
    os.environ["REDIS_URL"] = ""  # a local-memory cache: this counts SQL, not cache round trips
    # the board's default limit is 80 references a version; the benchmark goes to 500
    os.environ["EDITORIAL_MAX_REFERENCES"] = str(max(map(int, args.references.split(","))))
    setup_django(DATABASE_URL)
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cold_counts = []
    for references in map(int, args.references.split(",")):
        for events in map(int, args.events.split(",")):
            article, total = build(slug=f"q-{references}-{events}", references=references, events=events)
            cold, warm = count_queries(article.get_absolute_url())
            cold_counts.append(cold)
            report(f"article_page_queries_refs_{references}_events_{total}", f"{cold} cold, {warm} warm")
    report("article_page_queries_max_cold", max(cold_counts))
    report("article_page_queries_same_at_every_size", "yes" if len(set(cold_counts)) == 1 else "no")
    report("article_page_queries_goal", "<= 6")


if __name__ == "__main__":
    main()
