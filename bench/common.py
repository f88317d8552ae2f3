"""Shared set-up for the benchmarks: a Django process on a benchmark database, and chained
audit events inserted in bulk."""

from __future__ import annotations

import io
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medreview_bench"
)


def setup_django(database_url: str = BENCH_DATABASE_URL) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def recreate_database(database_url: str = BENCH_DATABASE_URL) -> None:
    """Drop and create the benchmark database, then migrate it."""
    name = database_url.rsplit("/", 1)[1]
    base = database_url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def generate(events: int, articles: int, *, prefix: str = "bench") -> list[int]:
    """Insert ``events`` chained events over ``articles`` new articles (slugs ``{prefix}-N``)
    with COPY, then ANALYZE the audit table. Returns the new articles' ids."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from articles.models import Article
    from editorial.audit import GENESIS, HASH_FIELDS, canonical_line, chain_digest, jsonb_text

    user, _ = get_user_model().objects.get_or_create(username=f"{prefix}-author")
    created = Article.objects.bulk_create(
        [Article(slug=f"{prefix}-{i}", created_by=user) for i in range(articles)], batch_size=1000
    )
    article_ids = sorted(article.pk for article in created)
    per_article = events // articles
    start = datetime(2026, 1, 1, tzinfo=UTC)
    buffer = io.StringIO()
    data = {"decision": "approve", "review": 1}
    data_text = jsonb_text(data)
    data_json = json.dumps(data)
    for article_id in article_ids:
        prev = GENESIS
        for seq in range(1, per_article + 1):
            created_at = start + timedelta(seconds=seq)
            created_us = (created_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
            message = f"Board review {seq}"
            line = canonical_line(
                article_id,
                seq,
                None,
                None,
                "system",
                "editorial.review.recorded",
                "invited",
                "completed",
                message,
                data_text,
                created_us,
            )
            digest = chain_digest(line, prev)
            buffer.write(
                f"{article_id}\t{seq}\t\\N\t\\N\tsystem\teditorial.review.recorded\tinvited\tcompleted\t"
                f"{message}\t{data_json}\t{created_at.isoformat()}\t{prev}\t{digest}\n"
            )
            prev = digest
    buffer.seek(0)
    columns = (*HASH_FIELDS, "hash")
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY editorial_auditevent ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE editorial_auditevent")
    return article_ids


def machine() -> str:
    cores = os.cpu_count()
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.processor() or platform.machine()}, {cores} cores, {mem_gib:.0f} GiB, Python {platform.python_version()}"


def report(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)
