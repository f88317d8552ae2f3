"""Editors read the outbox in the admin (editorial.view_notification)."""

from importlib import import_module

from django.db import migrations

roles = import_module("editorial.migrations.0002_roles")


class Migration(migrations.Migration):
    dependencies = [("editorial", "0009_job_runs")]

    operations = [migrations.RunPython(roles.create_roles, migrations.RunPython.noop)]
