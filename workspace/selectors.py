"""Reads for the author workspace. An author reaches only their own articles; anything else
is a 404. What the board said is ``editorial.selectors.feedback_for_author``."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from articles.models import Article, ArticleVersion, Reference


def author_articles(*, author) -> QuerySet[Article]:
    """The author's articles, newest first, each with its versions newest first."""
    return (
        Article.objects.filter(created_by=author)
        .prefetch_related(Prefetch("versions", queryset=ArticleVersion.objects.order_by("-number")))
        .order_by("-created_at", "slug")
    )


def author_article(*, author, slug: str) -> Article:
    return get_object_or_404(
        Article.objects.filter(created_by=author).prefetch_related(
            Prefetch("versions", queryset=ArticleVersion.objects.order_by("-number"))
        ),
        slug=slug,
    )


def author_version(*, author, slug: str, number: int) -> ArticleVersion:
    return get_object_or_404(
        ArticleVersion.objects.filter(article__created_by=author)
        .select_related("article", "based_on")
        .prefetch_related(Prefetch("references", queryset=Reference.objects.order_by("number"))),
        article__slug=slug,
        number=number,
    )


def latest_version(article: Article) -> ArticleVersion | None:
    versions = list(article.versions.all())
    return max(versions, key=lambda v: v.number) if versions else None
