import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.models import Article
from editorial.audit import HASH_FIELDS, verify_chain, verify_rows


class Command(BaseCommand):
    help = (
        "Re-compute every audit chain (or one article's); print OK or the first broken event. "
        "With --file, check a trail exported from the admin, offline: the database is not read. "
        "With --heads, also check that every head in a signed heads file (audit_heads) is still an "
        "event of today's chain with the same hash. A file that cannot be checked exits with 2."
    )

    def add_arguments(self, parser):
        parser.add_argument("--article", metavar="SLUG", help="Verify only this article's chain.")
        parser.add_argument(
            "--file", metavar="TRAIL.json", help="Verify an exported trail (admin: Audit events, Export)."
        )
        parser.add_argument(
            "--heads",
            metavar="HEADS.json",
            help="After the chains, check the heads signed in this file (audit_heads, /audit/heads.json).",
        )

    def handle(self, *args, article=None, file=None, heads=None, **options):
        if file:
            return self.verify_file(Path(file))
        signed = self.read_heads(Path(heads)) if heads else None
        target = None
        if article:
            target = Article.objects.filter(slug=article).first()
            if target is None:
                raise CommandError(f"No article with slug “{article}”.")
        result = verify_chain(article=target)
        if result.ok:
            self.stdout.write(f"{result.checked} events in {result.articles} chains checked: OK")
            if signed is not None:
                self.verify_heads(Path(heads), signed, article=target)
            return
        event = result.broken
        raise CommandError(
            f"{result.checked} events checked before the break. BROKEN at event {event.seq} "
            f"of article “{event.article.slug}” (id {event.pk}, {event.action}): {result.reason}"
        )

    def read_heads(self, path: Path) -> dict:
        from editorial.audit_heads import HeadsFileError, read_heads_file

        try:
            return read_heads_file(path)
        except HeadsFileError as exc:
            raise CommandError(f"Cannot check the signed heads: {exc}.", returncode=2) from exc

    def verify_heads(self, path: Path, signed: dict, *, article: Article | None) -> None:
        from editorial.audit_heads import compare_heads

        heads = signed["heads"]
        if article is not None:
            heads = [head for head in heads if head["article_id"] == article.pk]
        mismatches = compare_heads(heads)
        if not mismatches:
            self.stdout.write(
                f"{len(heads)} signed heads in {path.name} (signed {signed['signed_at']}) "
                "are still in today's chains: OK"
            )
            return
        lines = "\n".join(f"  {mismatch}" for mismatch in mismatches)
        raise CommandError(
            f"{len(mismatches)} of {len(heads)} signed heads in {path.name} (signed {signed['signed_at']}) "
            f"no longer match today's chains. REWRITTEN:\n{lines}"
        )

    def verify_file(self, path: Path) -> None:
        from editorial.audit_export import trail_rows

        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            rows = trail_rows(document)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise CommandError(f"{path} is not a readable audit trail: {exc}.") from exc
        slug = document.get("article", {}).get("slug", "?")
        checked, articles, broken, reason = verify_rows(rows)
        if broken is None:
            head = rows[-1][-1] if rows else "none"
            self.stdout.write(
                f"{checked} events in {articles} chains checked: OK ({path.name}, article “{slug}”, head {head})"
            )
            return
        # verify_rows returns the broken row as it checked it: (pk, article_id, seq, ...).
        event_id, seq = broken[0], broken[2]
        action = next((row[1 + HASH_FIELDS.index("action")] for row in rows if row[0] == event_id), "?")
        raise CommandError(
            f"{checked} events checked before the break. BROKEN at event {seq} of article “{slug}” "
            f"(id {event_id}, {action}) in {path.name}: {reason}"
        )
