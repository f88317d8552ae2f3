from django.core.management.base import BaseCommand, CommandError

from articles.models import Article
from editorial.audit import verify_chain


class Command(BaseCommand):
    help = "Re-compute every audit chain (or one article's); print OK or the first broken event."

    def add_arguments(self, parser):
        parser.add_argument("--article", metavar="SLUG", help="Verify only this article's chain.")

    def handle(self, *args, article=None, **options):
        target = None
        if article:
            target = Article.objects.filter(slug=article).first()
            if target is None:
                raise CommandError(f"No article with slug “{article}”.")
        result = verify_chain(article=target)
        if result.ok:
            self.stdout.write(f"{result.checked} events in {result.articles} chains checked: OK")
            return
        event = result.broken
        raise CommandError(
            f"{result.checked} events checked before the break. BROKEN at event {event.seq} "
            f"of article “{event.article.slug}” (id {event.pk}, {event.action}): {result.reason}"
        )
