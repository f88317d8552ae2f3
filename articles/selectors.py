"""Reads for reader pages: querysets with what they need already joined."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from articles.models import Article, ArticleVersion, Reference


def published_articles() -> QuerySet[Article]:
    """Articles readers can find, newest publication first."""
    return (
        Article.objects.published()
        .select_related("live_version")
        .order_by("-live_version__published_at", "slug")
    )


def readable_article(*, slug: str) -> Article:
    """The article and its live version with references, or 404 if readers may not see it."""
    article = (
        Article.objects.readable()
        .select_related("live_version")
        .prefetch_related(
            Prefetch(
                "live_version__references",
                queryset=Reference.objects.order_by("number"),
            )
        )
        .filter(slug=slug)
        .first()
    )
    if article is None:
        raise Http404("No published article at this address.")
    return article


def version_history(*, article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.order_by("-number")
