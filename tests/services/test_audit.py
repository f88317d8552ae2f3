import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from editorial import audit
from editorial.models import AuditEvent
from tests.support import flows
from tests.support.tampering import tamper

pytestmark = pytest.mark.django_db


def test_events_chain_to_each_other_per_article(author, editor, reviewers):
    flows.published(author, editor, reviewers[:2])
    flows.submitted(author, slug="second-article")
    for article_id in set(AuditEvent.objects.values_list("article_id", flat=True)):
        events = list(AuditEvent.objects.filter(article_id=article_id).order_by("seq"))
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[0].prev_hash == audit.GENESIS
        for before, after in zip(events, events[1:], strict=False):
            assert after.prev_hash == before.hash
    result = audit.verify_chain()
    assert result.ok and result.articles == 2 and result.checked == AuditEvent.objects.count()


def test_the_orm_refuses_updates_and_deletes(author):
    flows.submitted(author)
    event = AuditEvent.objects.first()
    event.message = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(message="rewritten")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE editorial_auditevent SET message = 'rewritten'", "DELETE FROM editorial_auditevent"],
)
def test_the_database_refuses_raw_updates_and_deletes(on_postgres, author, statement):
    flows.submitted(author)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert not AuditEvent.objects.filter(message="rewritten").exists()


def test_verify_audit_names_the_first_tampered_event(on_postgres, author, editor, reviewers):
    flows.published(author, editor, reviewers[:2])
    events = list(AuditEvent.objects.order_by("seq"))
    target = events[4]
    tamper(target.pk, message="A quietly changed decision")
    result = audit.verify_chain()
    assert not result.ok
    assert result.broken.pk == target.pk
    assert result.checked == 4
    with pytest.raises(CommandError, match=f"BROKEN at event {target.seq} .*does not match its hash"):
        call_command("verify_audit", stdout=io.StringIO())


def test_verify_audit_finds_a_deleted_event(on_postgres, author, editor, reviewers):
    flows.published(author, editor, reviewers[:2])
    target = AuditEvent.objects.order_by("seq")[2]
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM editorial_auditevent WHERE id = %s", [target.pk])
        cursor.execute("SET session_replication_role = DEFAULT")
    result = audit.verify_chain()
    assert not result.ok and result.broken.seq == target.seq + 1
    assert "expected event 3" in result.reason


def test_verify_audit_prints_ok_and_counts(author):
    flows.submitted(author)
    out = io.StringIO()
    call_command("verify_audit", "--article", "an-article", stdout=out)
    assert out.getvalue().strip() == f"{AuditEvent.objects.count()} events in 1 chains checked: OK"


def test_audit_data_is_stored_as_read_back(author):
    version = flows.submitted(author, body="Claim [1] and [7].")
    event = AuditEvent.objects.get(action="editorial.version.integrity_checked")
    assert event.data["integrity"]["unresolved"] == [7]
    assert event.version_id == version.pk and event.actor is None and event.actor_label == "system"
    assert json.loads(json.dumps(event.data)) == event.data
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused(author):
    version = flows.draft(author)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record(article=version.article, action="editorial.test")


def test_sqlite_triggers_refuse_update_and_delete():
    """The SQLite half of the trigger migration, applied to a scratch SQLite database."""
    import importlib
    import sqlite3

    migration = importlib.import_module("editorial.migrations.0003_audit_triggers")
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE editorial_auditevent (id INTEGER PRIMARY KEY, message TEXT)")
    for statement in migration.SQLITE_UP:
        db.execute(statement)
    db.execute("INSERT INTO editorial_auditevent (message) VALUES ('kept')")
    for statement in (
        "UPDATE editorial_auditevent SET message = 'changed'",
        "DELETE FROM editorial_auditevent",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(statement)
    assert db.execute("SELECT message FROM editorial_auditevent").fetchall() == [("kept",)]


TRICKY_DATA = [
    {},
    {"b": 1, "aa": [1, "two", None, True], "a": {"zz": "", "y": False}},
    {"text": 'quote " backslash \\ newline \n tab \t control \x01 unicode é ✓ 𝄞'},
    {"é": 1, "e": 2, "ee": 3, "Z": [], "list": [{"k": {}}]},
]


@pytest.mark.parametrize("data", TRICKY_DATA)
def test_jsonb_text_matches_postgresql_exactly(on_postgres, data):
    # verification on PostgreSQL hashes data::text directly; the write path must agree
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::jsonb::text", [json.dumps(data)])
        assert cursor.fetchone()[0] == audit.jsonb_text(data)


@pytest.mark.parametrize("data", TRICKY_DATA)
def test_fast_and_portable_verification_agree(on_postgres, author, data):
    version = flows.draft(author)
    with transaction.atomic():
        audit.record(article=version.article, version=version, action="editorial.test", data=data)
    fast = audit.verify_chain()
    checked, articles, broken, _ = audit.verify_rows(audit._rows(None))
    assert fast.ok and broken is None and fast.checked == checked == 2


def test_audit_data_refuses_values_without_a_canonical_text(author):
    version = flows.draft(author)
    with pytest.raises(TypeError, match="floats"), transaction.atomic():
        audit.record(article=version.article, action="editorial.test", data={"dose": 2.5})


@pytest.mark.django_db(transaction=True)
def test_parallel_verification_names_the_first_break_across_articles(on_postgres, author, editor, reviewers):
    # given committed chains for three articles (outside a transaction verify_chain uses workers)
    for slug in ("first", "second", "third"):
        flows.submitted(author, slug=slug)
    assert not connection.in_atomic_block
    clean = audit.verify_chain(workers=3)
    assert clean.ok and clean.articles == 3 and clean.checked == AuditEvent.objects.count()
    # when an event of the second and of the third article are altered
    second = AuditEvent.objects.filter(article__slug="second").order_by("seq")[1]
    third = AuditEvent.objects.filter(article__slug="third").order_by("seq")[0]
    tamper(second.pk, message="altered")
    tamper(third.pk, message="altered too")
    # then the first break in article order is named, whichever worker found it
    result = audit.verify_chain(workers=3)
    assert not result.ok and result.broken.pk == second.pk
    assert "does not match its hash" in result.reason
