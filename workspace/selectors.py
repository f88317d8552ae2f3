"""Reads for the author workspace. An author reaches only their own articles; anything else
is a 404. Feedback is read into plain values, so no template can ever reach a reviewer's
confidential comment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from articles.models import Article, ArticleVersion, Reference, VersionState
from editorial.models import AuditEvent, Review

# The editor's decisions an author reads, with the words they are shown under.
DECISION_ACTIONS = {
    "editorial.version.changes_requested": "Changes requested",
    "editorial.version.rejected": "Rejected",
    "editorial.version.approved": "Approved",
    "editorial.version.withdrawn": "Withdrawn",
    "editorial.version.retracted": "Retracted",
}
# Board reviews reach the author with the editor's decision, not while the review runs.
FEEDBACK_RELEASED = {
    VersionState.CHANGES_REQUESTED,
    VersionState.REJECTED,
    VersionState.APPROVED,
    VersionState.PUBLISHED,
    VersionState.SUPERSEDED,
    VersionState.RETRACTED,
}
OPEN_STATES = {VersionState.DRAFT, VersionState.SUBMITTED, VersionState.UNDER_REVIEW}
WITHDRAWABLE = OPEN_STATES


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


@dataclass(frozen=True)
class ReviewNote:
    """One board member's decision as the author may read it."""

    reviewer: str
    decision: str
    comment: str
    created_at: datetime


@dataclass(frozen=True)
class DecisionNote:
    """The editor's decision (or a withdrawal) with the message the author reads."""

    label: str
    actor: str
    message: str
    created_at: datetime


@dataclass(frozen=True)
class Feedback:
    released: bool
    pending: bool
    reviews: tuple[ReviewNote, ...]
    decisions: tuple[DecisionNote, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.reviews or self.decisions)


def _anonymous() -> bool:
    return settings.EDITORIAL.get("ANONYMOUS_REVIEWS_TO_AUTHORS", True)


def version_feedback(*, version: ArticleVersion, author) -> Feedback:
    """What the board said about ``version``, as its author may read it: decisions and
    comments to the author, never a confidential comment, and no reviewer's name while the
    board keeps reviews anonymous to authors."""
    anonymous = _anonymous()
    released = version.state in FEEDBACK_RELEASED
    reviews: list[ReviewNote] = []
    if released:
        rows = (
            Review.objects.filter(version=version)
            .order_by("created_at", "pk")
            .values_list(
                "decision",
                "comment_to_author",
                "created_at",
                "reviewer__board_member__display_name",
                "reviewer__username",
            )  # fmt: skip
        )
        labels = dict(Review._meta.get_field("decision").choices)
        for index, (decision, comment, created_at, display_name, username) in enumerate(rows, start=1):
            reviews.append(
                ReviewNote(
                    reviewer=f"Reviewer {index}" if anonymous else (display_name or username),
                    decision=labels.get(decision, decision),
                    comment=comment,
                    created_at=created_at,
                )
            )
    decisions = []
    events = (
        AuditEvent.objects.filter(version=version, action__in=list(DECISION_ACTIONS))
        .order_by("seq")
        .values_list("action", "message", "actor_id", "actor_label", "created_at")
    )
    for action, message, actor_id, actor_label, created_at in events:
        editor = "The editor" if anonymous else actor_label
        actor = "You" if actor_id == author.pk else editor
        decisions.append(DecisionNote(DECISION_ACTIONS[action], actor, message, created_at))
    pending = version.state in (VersionState.SUBMITTED, VersionState.UNDER_REVIEW)
    return Feedback(released=released, pending=pending, reviews=tuple(reviews), decisions=tuple(decisions))


def latest_version(article: Article) -> ArticleVersion | None:
    versions = list(article.versions.all())
    return max(versions, key=lambda v: v.number) if versions else None
