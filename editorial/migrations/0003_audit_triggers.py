"""Database triggers that refuse UPDATE and DELETE on the audit table, on PostgreSQL and
SQLite alike. The ORM refuses them too; these hold against raw SQL."""

from django.db import migrations

TABLE = "editorial_auditevent"
MESSAGE = "editorial_auditevent is append-only"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION editorial_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER editorial_audit_no_update BEFORE UPDATE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION editorial_audit_refuse_change();
CREATE TRIGGER editorial_audit_no_delete BEFORE DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION editorial_audit_refuse_change();
"""
POSTGRES_DOWN = f"""
DROP TRIGGER IF EXISTS editorial_audit_no_update ON {TABLE};
DROP TRIGGER IF EXISTS editorial_audit_no_delete ON {TABLE};
DROP FUNCTION IF EXISTS editorial_audit_refuse_change();
"""
SQLITE_UP = [
    f"CREATE TRIGGER editorial_audit_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END;",
    f"CREATE TRIGGER editorial_audit_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END;",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS editorial_audit_no_update;",
    "DROP TRIGGER IF EXISTS editorial_audit_no_delete;",
]


def _run(schema_editor, postgres: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres, params=None)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"No audit triggers for {vendor}; add them before using it.")


def create_triggers(apps, schema_editor):
    _run(schema_editor, POSTGRES_UP, SQLITE_UP)


def drop_triggers(apps, schema_editor):
    _run(schema_editor, POSTGRES_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("editorial", "0002_roles")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
