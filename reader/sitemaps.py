"""sitemap.xml: published articles and the pages around them. Never a retracted article,
never a version pending review."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from articles.models import Article
from reader import selectors


class ArticleSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return selectors.published_articles()

    def lastmod(self, article: Article):
        return article.live_version.published_at

    def location(self, article: Article) -> str:
        return article.get_absolute_url()


class PageSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self) -> list[str]:
        return ["reader:list", "reader:policy"]

    def location(self, name: str) -> str:
        return reverse(name)


SITEMAPS = {"articles": ArticleSitemap, "pages": PageSitemap}
