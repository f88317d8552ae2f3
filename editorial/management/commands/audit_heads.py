from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from editorial import audit_heads


class Command(BaseCommand):
    help = (
        "Write every article's audit chain head (article, event number, hash, time), signed with "
        "the site's Ed25519 key, to a JSON file kept outside the database. "
        "Check it later with verify_audit --heads FILE."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", metavar="FILE", required=True, help="Where to write the signed heads.")

    def handle(self, *args, out, **options):
        try:
            path = audit_heads.write_heads(Path(out))
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}.", returncode=2) from exc
        except ValueError as exc:  # a malformed AUDIT_SIGNING_KEY
            raise CommandError(str(exc), returncode=2) from exc
        document = audit_heads.read_heads_file(path)
        self.stdout.write(f"{document['count']} article heads signed into {path}")
