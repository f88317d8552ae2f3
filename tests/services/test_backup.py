"""manage.py backup, then the restore docs/deploy.md describes: pg_restore into a fresh
database, verify_audit --heads on it, every event there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from editorial.backup import _sha256
from editorial.models import AuditEvent
from tests.support import flows

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def _server(name: str) -> dict:
    db = connection.settings_dict
    return {"dbname": name, "user": db["USER"], "host": db["HOST"], "port": db["PORT"] or 5432}


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restored"
    with psycopg.connect(**_server("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(**_server("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


def test_a_restored_backup_verifies_against_its_heads_with_every_event(
    on_postgres, tmp_path, fresh_database, author, editor, reviewers
):
    # given a published article and a second one under review
    flows.published(author, editor, reviewers[:2], slug="first")
    flows.under_review(author, editor, reviewers[:2], slug="second")
    events = AuditEvent.objects.count()
    # when the backup is taken
    call_command("backup", out=str(tmp_path))
    manifest_path = next(tmp_path.glob("medreview-*Z.json"))
    manifest = json.loads(manifest_path.read_text())
    dump, heads = tmp_path / manifest["database"]["file"], tmp_path / manifest["heads"]["file"]
    assert manifest["format"] == "medreview-backup/1" and manifest["audit_events_at_least"] == events
    assert _sha256(dump) == manifest["database"]["sha256"] and _sha256(heads) == manifest["heads"]["sha256"]
    # and restored into a fresh database as docs/deploy.md says
    db = connection.settings_dict
    subprocess.run(  # noqa: S603
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            f"--host={db['HOST']}",
            f"--port={db['PORT'] or 5432}",
            f"--username={db['USER']}",
            f"--dbname={fresh_database}",
            str(dump),
        ],
        check=True,
    )
    # then verify_audit --heads passes on the copy, and every event is there
    env = {
        **os.environ,
        "DATABASE_URL": _url(fresh_database),
        "AUDIT_SIGNING_KEY": Path(settings.AUDIT_SIGNING_KEY_FILE).read_text(),
    }
    checked = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "verify_audit", "--heads", str(heads)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert f"{events} events in 2 chains checked: OK" in checked.stdout
    assert "2 signed heads" in checked.stdout and "OK" in checked.stdout.splitlines()[-1]
    with psycopg.connect(**_server(fresh_database)) as copy:
        assert copy.execute("SELECT count(*) FROM editorial_auditevent").fetchone()[0] == events


def test_a_failed_dump_leaves_no_half_backup(on_postgres, tmp_path, author, monkeypatch):
    flows.submitted(author)
    monkeypatch.setitem(connection.settings_dict, "NAME", "medreview_no_such_database")
    with pytest.raises(CommandError, match="pg_dump failed") as refused:
        call_command("backup", out=str(tmp_path))
    assert refused.value.returncode == 2
    assert list(tmp_path.iterdir()) == []
