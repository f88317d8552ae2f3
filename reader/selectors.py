"""Reads for reader pages: querysets with what they need already joined."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q, QuerySet
from django.http import Http404

from articles.models import Article, ArticleVersion, Reference, VersionState
from editorial import rereview

PENDING_STATES = (VersionState.SUBMITTED, VersionState.UNDER_REVIEW)


def pending_review_visible() -> bool:
    """Whether readers may see versions the board has not approved yet (off by default)."""
    return bool(settings.EDITORIAL.get("PENDING_REVIEW_VISIBLE", False))


def published_articles() -> QuerySet[Article]:
    """Articles readers can find, newest publication first."""
    return (
        Article.objects.published()
        .select_related("live_version")
        .order_by("-live_version__published_at", "slug")
    )


def search_published_articles(*, query: str = "", topic: str = "") -> QuerySet[Article]:
    """Published articles matching ``query`` (full-text search on PostgreSQL, a plain
    case-insensitive match elsewhere) and ``topic``; best match first when searching."""
    articles = published_articles()
    if topic:
        articles = articles.filter(topic=topic)
    query = query.strip()
    if not query:
        return articles
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = (
            SearchVector("live_version__title", weight="A", config="english")
            + SearchVector("topic", weight="A", config="english")
            + SearchVector("live_version__lead", weight="B", config="english")
            + SearchVector("live_version__summary", weight="B", config="english")
            + SearchVector("live_version__body", weight="C", config="english")
        )
        search = SearchQuery(query, search_type="websearch", config="english")
        return (
            articles.annotate(document=vector, rank=SearchRank(vector, search))
            .filter(document=search)
            .order_by("-rank", "-live_version__published_at", "slug")
        )
    words = query.split()[:8]
    condition = Q()
    for word in words:
        condition &= (
            Q(live_version__title__icontains=word)
            | Q(topic__icontains=word)
            | Q(live_version__lead__icontains=word)
            | Q(live_version__summary__icontains=word)
            | Q(live_version__body__icontains=word)
        )
    return articles.filter(condition)


def published_topics() -> list[dict]:
    """Each topic with at least one published article, and how many."""
    return list(
        Article.objects.published()
        .exclude(topic="")
        .values("topic")
        .annotate(count=Count("pk"))
        .order_by("topic")
    )


def pending_articles() -> QuerySet[ArticleVersion]:
    """Versions awaiting the board, of articles readers cannot otherwise read: shown only in
    pending-review mode."""
    return (
        ArticleVersion.objects.filter(state__in=PENDING_STATES)
        .filter(Q(article__live_version__isnull=True) | ~Q(article__live_version__state__in=_readable()))
        .select_related("article")
        .order_by("-submitted_at", "article__slug")
    )


def _readable() -> list[str]:
    return [VersionState.PUBLISHED, VersionState.RETRACTED]


@dataclass(frozen=True)
class ReaderPage:
    """What an article page shows: the article, the version on the page, its references in
    order, and whether that version is still pending human review."""

    article: Article
    version: ArticleVersion
    references: list[Reference]
    pending: bool = False


def article_for_reader(*, slug: str) -> ReaderPage:
    """The version a reader sees at ``slug``: the live (published or retracted) version, or,
    in pending-review mode only, the newest version awaiting the board. 404 otherwise.

    Three queries: the article with its live version, (pending mode only) the pending
    version, the references.
    """
    article = Article.objects.select_related("live_version").filter(slug=slug).first()
    if article is None:
        raise Http404("No published article at this address.")
    version = article.live_version
    pending = False
    if version is None or version.state not in _readable():
        version = None
        if pending_review_visible():
            version = (
                ArticleVersion.objects.filter(article=article, state__in=PENDING_STATES)
                .order_by("-number")
                .first()
            )
            pending = version is not None
        if version is None:
            raise Http404("No published article at this address.")
        version.article = article
    # Each reference knows whether readers see it "under review" (evidence watch), in the same query.
    references = list(
        Reference.objects.filter(version=version)
        .annotate(under_review=rereview.reference_under_review())
        .order_by("number")
    )
    return ReaderPage(article=article, version=version, references=references, pending=pending)


def readable_article(*, slug: str) -> Article:
    """The article and its live version (published or retracted), or 404 if readers may not
    see it."""
    article = Article.objects.readable().select_related("live_version").filter(slug=slug).first()
    if article is None:
        raise Http404("No published article at this address.")
    return article


def feed_articles(*, limit: int = 50) -> QuerySet[Article]:
    """Published articles for the feed: newest publication first, with the date each was
    first published."""
    return published_articles().annotate(first_published=Min("versions__published_at"))[:limit]


def version_history(*, article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.order_by("-number")
