"""What a database superuser can do to the audit trail behind the system's back, for the tests
that show the system notices (tests/services/test_audit_heads.py, test_checkpoints.py)."""

from django.db import connection

from editorial import audit
from editorial.models import AuditEvent


def tamper(event_id: int, **changes) -> None:
    """Change one event's columns with the triggers off for the session: its hash no longer fits."""
    assignments = ", ".join(f"{name} = %s" for name in changes)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            f"UPDATE editorial_auditevent SET {assignments} WHERE id = %s", [*changes.values(), event_id]
        )
        cursor.execute("SET session_replication_role = DEFAULT")


def rewrite_history(article_id: int, seq: int, message: str) -> None:
    """What a database superuser can do: switch the audit triggers off, change one event's
    message, recompute that event's hash and every later one, switch the triggers back on."""
    rows = list(
        AuditEvent.objects.filter(article_id=article_id, seq__gte=seq - 1)
        .order_by("seq")
        .values("id", *audit.HASH_FIELDS, "hash")
    )
    prev_hash = rows[0]["hash"] if seq > 1 else audit.GENESIS
    with connection.cursor() as cursor:
        # The test's own inserts left deferred foreign-key checks pending; ALTER TABLE needs none.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE editorial_auditevent DISABLE TRIGGER editorial_audit_no_update")
        for row in rows:
            if row["seq"] < seq:
                continue
            if row["seq"] == seq:
                row["message"] = message
            row["prev_hash"] = prev_hash
            row["hash"] = audit.compute_hash(row)
            prev_hash = row["hash"]
            cursor.execute(
                "UPDATE editorial_auditevent SET message = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [row["message"], row["prev_hash"], row["hash"], row["id"]],
            )
        cursor.execute("ALTER TABLE editorial_auditevent ENABLE TRIGGER editorial_audit_no_update")
