"""A backup of the record: the database (``pg_dump``, custom format; SQLite's online backup for
the embedded default), the signed audit heads taken just before it, and a manifest naming
both with their SHA-256 and what the database held. The heads come first, so every head in
the file is an event of the dump: ``verify_audit --heads`` on a restored copy passes, and a
copy whose history was rewritten after the backup fails it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection

from articles.models import Article
from editorial import audit_heads
from editorial.models import AuditEvent

MANIFEST_FORMAT = "medreview-backup/1"


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Backup:
    database: Path
    heads: Path
    manifest: Path
    events: int
    articles: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_dump(target: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client)")
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
    for flag, value in (
        ("--host", db.get("HOST")),
        ("--port", db.get("PORT")),
        ("--username", db.get("USER")),
    ):
        if value:
            command.append(f"{flag}={value}")
    command.append(db["NAME"])
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode:
        target.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")


def _sqlite_copy(target: Path) -> None:
    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)


def take(directory: Path, *, now: datetime | None = None) -> Backup:
    """Write the heads, the database and the manifest into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    base = directory / f"medreview-{stamp}"
    if connection.vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"no backup for a {connection.vendor} database")
    heads = audit_heads.write_heads(base.with_suffix(".heads.json"))
    try:
        if connection.vendor == "postgresql":
            database = base.with_suffix(".dump")
            _pg_dump(database)
        else:
            database = base.with_suffix(".sqlite3")
            _sqlite_copy(database)
    except BaseException:
        heads.unlink(missing_ok=True)  # no half a backup: heads without their database
        raise
    events, articles = AuditEvent.objects.count(), Article.objects.count()
    manifest = base.with_suffix(".json")
    manifest.write_text(
        json.dumps(
            {
                "format": MANIFEST_FORMAT,
                "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "database": {"file": database.name, "sha256": _sha256(database), "vendor": connection.vendor},
                "heads": {"file": heads.name, "sha256": _sha256(heads)},
                # At least this many: events appended while the dump ran may be in it too.
                "audit_events_at_least": events,
                "articles_at_least": articles,
            },
            indent=2,
        )
        + "\n"
    )
    return Backup(database, heads, manifest, events, articles)
