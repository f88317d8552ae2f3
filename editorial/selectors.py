"""Reads about the review process, each with its joins."""

from __future__ import annotations

from django.db.models import F, QuerySet

from articles.models import Article, ArticleVersion, VersionState
from editorial.audit import PUBLIC_ACTIONS
from editorial.models import AuditEvent, Decision, Review


def approving_reviews(*, version: ArticleVersion) -> QuerySet[Review]:
    """The board approvals of a version, with each reviewer's public name and credentials."""
    return (
        Review.objects.filter(version=version, decision=Decision.APPROVE)
        .select_related("reviewer__board_member")
        .order_by("created_at")
    )


def public_history(*, article: Article) -> QuerySet[AuditEvent]:
    """The part of an article's audit trail readers see: no confidential comment is ever in it."""
    return (
        AuditEvent.objects.filter(article=article, action__in=list(PUBLIC_ACTIONS))
        .annotate(version_number=F("version__number"))
        .only("seq", "action", "actor_label", "message", "created_at", "state_after")
        .order_by("seq")
    )


def update_under_review(*, article: Article) -> bool:
    return article.versions.filter(
        state__in=[VersionState.SUBMITTED, VersionState.UNDER_REVIEW],
        number__gt=article.live_version.number if article.live_version else 0,
    ).exists()
