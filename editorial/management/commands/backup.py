from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from editorial import backup


class Command(BaseCommand):
    help = (
        "Back up the record: the signed audit heads, then the database (pg_dump in custom format; "
        "a copy of the SQLite file for the embedded default), and a manifest with both files' "
        "SHA-256. docs/deploy.md says how to restore and check it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            metavar="DIR",
            default=None,
            help="Where to write the backup (default: BACKUP_DIR, var/backups).",
        )

    def handle(self, *args, out=None, **options):
        directory = Path(out or settings.BACKUP_DIR)
        try:
            taken = backup.take(directory)
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except OSError as exc:
            raise CommandError(f"Cannot write into {directory}: {exc.strerror}.", returncode=2) from exc
        self.stdout.write(
            f"Backed up {taken.events} audit events of {taken.articles} articles:\n"
            f"  database  {taken.database}\n  heads     {taken.heads}\n  manifest  {taken.manifest}"
        )
