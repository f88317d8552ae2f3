"""An Atom feed of published and updated articles: one entry per article, updated whenever a
new version is published. Never a retracted article, never a version pending review."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from articles.models import Article
from reader import selectors
from reader.headers import reader_headers
from reader.structured_data import plain_text


class ArticleFeed(Feed):
    feed_type = Atom1Feed
    title = "Medically reviewed answers"
    subtitle = "New and updated articles, each reviewed by our Medical Advisory Board before publication."

    def __call__(self, request, *args, **kwargs):
        return reader_headers(super().__call__)(request, *args, **kwargs)

    def link(self) -> str:
        return reverse("reader:list")

    def items(self):
        return selectors.feed_articles()

    def item_title(self, article: Article) -> str:
        return article.live_version.title

    def item_description(self, article: Article) -> str:
        version = article.live_version
        return plain_text(version.lead_html) or version.lead

    def item_link(self, article: Article) -> str:
        return article.get_absolute_url()

    def item_pubdate(self, article: Article):
        return article.first_published

    def item_updateddate(self, article: Article):
        return article.live_version.published_at

    def item_categories(self, article: Article):
        return [article.topic] if article.topic else []
