"""Reads about the review process, each with its joins."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from articles.models import Article, ArticleVersion, VersionState
from editorial.models import (
    LISTED,
    OPEN_ASSIGNMENT_STATES,
    Annotation,
    AnnotationReply,
    AnnotationState,
    AuditAction,
    AuditCheckpoint,
    AuditEvent,
    BoardMember,
    Decision,
    Review,
    ReviewAssignment,
    Severity,
    late,
    public_meaning,
)
from editorial.roles import member_name


def approving_reviews(*, version: ArticleVersion) -> QuerySet[Review]:
    """The board approvals of a version, with each reviewer's public name and credentials and
    the electronic signature of each (in the same query)."""
    return (
        Review.objects.filter(version=version, decision=Decision.APPROVE)
        .select_related("reviewer__board_member", "signature")
        .order_by("created_at")
    )


EDITOR_SIGNING_VERBS = frozenset({"approve", "publish", "retract"})


@dataclass(frozen=True)
class PublicSignature:
    """An editor's electronic signature on a version, as the reader's page shows it."""

    printed_name: str
    signed_at: datetime
    meaning: str  # as it reads after "electronically signed <date>, "
    verb: str
    content_sha256: str


def editor_signatures(trail: PublicTrail, *, version_number: int) -> list[PublicSignature]:
    """The editors' signatures (approval, publication, retraction) on one version, read from the
    public trail already fetched (its events carry their signature's facts): no query."""
    found = []
    for event in trail.events:
        facts = getattr(event, "signature_facts", None)
        if not isinstance(facts, dict) or getattr(event, "version_number", None) != version_number:
            continue
        if facts.get("verb") not in EDITOR_SIGNING_VERBS:
            continue  # a reviewer's (review, re-review confirmation) is shown with their decision
        found.append(
            PublicSignature(
                printed_name=facts["printed_name"],
                signed_at=datetime.fromisoformat(facts["signed_at"]),
                meaning=public_meaning(facts["meaning"]),
                verb=facts["verb"],
                content_sha256=facts["content_sha256"],
            )
        )
    return found


def board_members() -> QuerySet[BoardMember]:
    """The medical advisory board as readers see it: names, credentials, specialties."""
    return BoardMember.objects.filter(user__is_active=True).order_by("display_name")


def published_approvals() -> QuerySet[Review]:
    """The approvals readers see as "Reviewed by": those of the versions published now (a
    published version is its article's live one; a newer one supersedes it)."""
    return Review.objects.filter(decision=Decision.APPROVE, version__state=VersionState.PUBLISHED)


@dataclass(frozen=True)
class RosterEntry:
    """One member on the public board page, with the published articles they reviewed."""

    member: BoardMember
    articles: tuple[Article, ...]


def public_board() -> list[RosterEntry]:
    """The public board roster: the members readers may find (``LISTED``), each with the
    published articles whose live version they approved, by title. Two queries."""
    members = list(BoardMember.objects.filter(LISTED).select_related("user").order_by("display_name", "pk"))
    reviewed: dict[int, list[Article]] = defaultdict(list)
    approvals = (
        published_approvals()
        .filter(reviewer_id__in=[member.user_id for member in members])
        .select_related("version__article")
        .order_by("version__title", "version__article__slug")
    )
    for review in approvals:
        article = review.version.article
        article.live_version = review.version  # the published version is the live one
        reviewed[review.reviewer_id].append(article)
    return [RosterEntry(member=member, articles=tuple(reviewed[member.user_id])) for member in members]


# Actions whose message is the author's own words (a change note, a reason to withdraw).
AUTHOR_WORDS = (AuditAction.VERSION_CREATED, AuditAction.VERSION_SUBMITTED, AuditAction.VERSION_WITHDRAWN)
# States of a version whose words the board has approved.
BOARD_APPROVED = (
    VersionState.APPROVED,
    VersionState.PUBLISHED,
    VersionState.SUPERSEDED,
    VersionState.RETRACTED,
)


@dataclass(frozen=True)
class PublicTrail:
    """What readers see of an article's audit trail: the public events, and the head of the
    whole chain (its newest event, public or not), which the signed heads file also names."""

    events: list[AuditEvent]
    head_seq: int | None = None
    head_hash: str = ""

    @property
    def count(self) -> int:
        """Events in the whole trail: the chain numbers them 1..N with no gap (verify_audit checks)."""
        return self.head_seq or 0

    @property
    def short_hash(self) -> str:
        return self.head_hash[:12]


def public_trail(*, article: Article) -> PublicTrail:
    """The part of an article's audit trail readers see, and its chain head, in one query.
    Never a confidential comment (those are never in the trail); never a draft that was not
    submitted; and the author's own words (change notes) only for versions the board approved,
    so no unreviewed word reaches a reader through the history either.

    The head is the newest event of the whole chain, not of the filtered rows: two
    uncorrelated subqueries (one index probe each, computed once by the database) annotated
    onto the same query, so the reader's page keeps its query budget. With no public event
    there is no row to carry it, and the head is left unknown."""
    newest = AuditEvent.objects.filter(article_id=article.pk).order_by("-seq")
    events = list(
        AuditEvent.objects.public()
        .filter(article=article)
        .filter(Q(version__isnull=True) | Q(version__submitted_at__isnull=False))
        .annotate(
            version_number=F("version__number"),
            version_state=F("version__state"),
            trail_head_seq=Subquery(newest.values("seq")[:1]),
            trail_head_hash=Subquery(newest.values("hash")[:1]),
            # a signing verb's electronic signature (Signature.facts), none for other events
            signature_facts=F("data__signature"),
        )
        .only("seq", "action", "actor_label", "message", "created_at", "state_after")
        .order_by("seq")
    )
    for event in events:
        if event.action in AUTHOR_WORDS and event.version_state not in BOARD_APPROVED:
            event.message = ""  # shown, never saved: AuditEvent refuses updates
    if not events:
        return PublicTrail(events=[])
    return PublicTrail(events=events, head_seq=events[0].trail_head_seq, head_hash=events[0].trail_head_hash)


def public_history(*, article: Article) -> list[AuditEvent]:
    """The public events of ``public_trail``."""
    return public_trail(article=article).events


def update_under_review(*, article: Article) -> bool:
    return article.versions.filter(
        state__in=[VersionState.SUBMITTED, VersionState.UNDER_REVIEW],
        number__gt=article.live_version.number if article.live_version else 0,
    ).exists()


# The board's admin dashboard -------------------------------------------------------------


def assignments_waiting_for(*, reviewer) -> QuerySet[ReviewAssignment]:
    """The reviewer's open invitations and assignments on versions still in review, and in the
    open re-reviews of live versions."""
    in_review = Q(
        version__state__in=[VersionState.SUBMITTED, VersionState.UNDER_REVIEW], re_review__isnull=True
    )
    return (
        ReviewAssignment.objects.filter(
            in_review | Q(re_review__state="open"),
            reviewer=reviewer,
            state__in=OPEN_ASSIGNMENT_STATES,
        )
        .select_related("version__article")
        .order_by("review_due", "pk")
    )


def versions_awaiting_decision(*, editor) -> QuerySet[ArticleVersion]:
    """Versions where the next move is an editor's: submitted (assign and start the review),
    under review with every assignment closed, the quorum reached or an objection recorded,
    approved (publish). Never the editor's own versions."""
    open_assignment = ReviewAssignment.objects.filter(
        version=OuterRef("pk"), state__in=OPEN_ASSIGNMENT_STATES
    )
    objection = Review.objects.filter(
        version=OuterRef("pk"), decision__in=[Decision.REQUEST_CHANGES, Decision.REJECT]
    )
    approvals = (
        Review.objects.filter(version=OuterRef("pk"), decision=Decision.APPROVE)
        .values("version")
        .annotate(n=Count("pk"))
        .values("n")
    )
    under_review = Q(state=VersionState.UNDER_REVIEW)
    return (
        ArticleVersion.objects.annotate(
            approvals=Coalesce(Subquery(approvals), 0),
            has_open_assignment=Exists(open_assignment),
            has_objection=Exists(objection),
        )
        .filter(
            Q(state__in=[VersionState.SUBMITTED, VersionState.APPROVED])
            | (under_review & Q(has_open_assignment=False))
            | (under_review & Q(has_objection=True))
            | (under_review & Q(approvals__gte=settings.EDITORIAL["QUORUM"]))
        )
        .exclude(author=editor)
        .select_related("article")
        .order_by("submitted_at", "pk")
    )


def overdue_assignments(*, now: datetime, reviewer=None) -> QuerySet[ReviewAssignment]:
    """Open assignments past a due date (or flagged overdue by the reminder sweep); one
    reviewer's, or everyone's."""
    queryset = ReviewAssignment.objects.filter(late(now))
    if reviewer is not None:
        queryset = queryset.filter(reviewer=reviewer)
    return queryset.select_related("version__article", "reviewer__board_member").order_by("review_due", "pk")


def articles_due_for_re_review(*, now: datetime, within_days: int = 30) -> list[Article]:
    """Published articles whose re-review falls due within ``within_days`` (or is past),
    soonest first. The database narrows the list; ``next_review_due`` decides."""
    horizon = now + timedelta(days=within_days)
    default_cutoff = horizon - relativedelta(months=settings.EDITORIAL["RE_REVIEW_MONTHS"])
    candidates = (
        Article.objects.published()
        .filter(Q(re_review_months__isnull=False) | Q(live_version__published_at__lte=default_cutoff))
        .select_related("live_version")
    )
    due = [a for a in candidates if a.next_review_due and a.next_review_due <= horizon]
    return sorted(due, key=lambda article: (article.next_review_due, article.pk))


def with_chain_checkpoint(queryset: QuerySet[Article]) -> QuerySet[Article]:
    """Articles with their audit checkpoint and their chain's last event number
    (``checkpoints.checkpoint_of`` reads both): one join and one index probe per row."""
    head = AuditEvent.objects.filter(article=OuterRef("pk")).order_by("-seq").values("seq")[:1]
    return queryset.select_related("audit_checkpoint").annotate(audit_head_seq=Subquery(head))


def broken_chains() -> QuerySet[AuditCheckpoint]:
    """The checkpoints that stopped at a broken event, for the editors' dashboard."""
    return AuditCheckpoint.objects.filter(broken_seq__isnull=False).select_related("article")


AUDIT_SEARCH_MATCHES = 200  # articles or people one search may name


@dataclass(frozen=True)
class AuditSearch:
    """A search of the audit trail, read as the board searches it: each word that is a date
    (YYYY-MM-DD) narrows to that day; the rest, as one phrase, names an article (slug or
    title), a person (board name or user name, "system" for the system) or an action (its
    label or code). Every match lands on an indexed column of the event table (article,
    actor, action, created_at), never on a scan of the messages."""

    phrase: str
    days: tuple
    bad_dates: tuple

    @classmethod
    def parse(cls, term: str) -> AuditSearch:
        days, bad, words = [], [], []
        for word in term.split():
            if len(word) == 10 and word[4] == "-" and word[7] == "-" and word.replace("-", "").isdigit():
                try:
                    days.append(date.fromisoformat(word))
                except ValueError:
                    bad.append(word)
            else:
                words.append(word)
        return cls(" ".join(words), tuple(days), tuple(bad))

    def filter(self, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if self.bad_dates:
            return queryset.none()
        for day in self.days:
            start = timezone.make_aware(datetime.combine(day, time.min))
            queryset = queryset.filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))
        if not self.phrase:
            return queryset
        return queryset.filter(self._names())

    def _names(self) -> Q:
        phrase = self.phrase
        articles = (
            Article.objects.filter(Q(slug__icontains=phrase) | Q(versions__title__icontains=phrase))
            .values_list("pk", flat=True)
            .distinct()[:AUDIT_SEARCH_MATCHES]
        )
        people = (
            get_user_model()
            .objects.filter(
                Q(username__icontains=phrase)
                | Q(board_member__display_name__icontains=phrase)
                | Q(first_name__icontains=phrase)
                | Q(last_name__icontains=phrase)
            )
            .values_list("pk", flat=True)[:AUDIT_SEARCH_MATCHES]
        )
        folded = phrase.casefold()
        actions = [
            value for value, label in AuditAction.choices if folded in label.casefold() or folded in value
        ]
        names = Q(article_id__in=list(articles)) | Q(actor_id__in=list(people)) | Q(action__in=actions)
        if folded == "system":
            names |= Q(actor__isnull=True)
        return names


def open_load() -> Coalesce:
    """An annotation for board members: how many open assignments each one has."""
    load = (
        ReviewAssignment.objects.filter(reviewer=OuterRef("user_id"), state__in=OPEN_ASSIGNMENT_STATES)
        .values("reviewer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(load), 0)


def board_members_with_load() -> QuerySet[BoardMember]:
    """Active board members who may review, each with ``open_load``: their open assignments."""
    may_review = Q(user__groups__permissions__codename="review_version") | Q(
        user__user_permissions__codename="review_version"
    )
    reviewers = BoardMember.objects.filter(may_review, user__is_active=True).values("pk")
    return (
        BoardMember.objects.filter(pk__in=reviewers)
        .annotate(open_load=open_load())
        .select_related("user")
        .order_by("display_name", "pk")
    )


def version_audit_trail(*, version: ArticleVersion) -> QuerySet[AuditEvent]:
    """Every audit event about one version, in chain order."""
    return AuditEvent.objects.filter(version=version).order_by("seq")


# What an author may read of the board's reviews (the workspace page and the email) --------


@dataclass(frozen=True)
class ReviewNote:
    """One board review as its author may read it: never the confidential comment."""

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


# The editor's decisions an author reads (under the action's label).
DECISION_ACTIONS = (
    AuditAction.VERSION_CHANGES_REQUESTED,
    AuditAction.VERSION_REJECTED,
    AuditAction.VERSION_APPROVED,
    AuditAction.VERSION_WITHDRAWN,
    AuditAction.VERSION_RETRACTED,
)
# Board reviews reach the author with the editor's decision, not while the review runs.
FEEDBACK_RELEASED = (
    VersionState.CHANGES_REQUESTED,
    VersionState.REJECTED,
    VersionState.APPROVED,
    VersionState.PUBLISHED,
    VersionState.SUPERSEDED,
    VersionState.RETRACTED,
)


def feedback_for_author(*, version: ArticleVersion, author) -> Feedback:
    """What the board said about ``version``, as its author may read it: the reviews (once the
    editor has decided) and the editor's decisions with their messages, without names while
    reviews are anonymous to authors."""
    anonymous = settings.EDITORIAL["ANONYMOUS_REVIEWS_TO_AUTHORS"]
    released = version.state in FEEDBACK_RELEASED
    reviews = reviews_for_author(version=version) if released else []
    events = (
        AuditEvent.objects.filter(version=version, action__in=DECISION_ACTIONS)
        .order_by("seq")
        .values_list("action", "message", "actor_id", "actor_label", "created_at")
    )
    decisions = [
        DecisionNote(
            AuditAction(action).label,
            "You" if actor_id == author.pk else ("The editor" if anonymous else actor_label),
            message,
            created_at,
        )
        for action, message, actor_id, actor_label, created_at in events
    ]
    pending = version.state in (VersionState.SUBMITTED, VersionState.UNDER_REVIEW)
    return Feedback(released=released, pending=pending, reviews=tuple(reviews), decisions=tuple(decisions))


def reviews_for_author(*, version: ArticleVersion) -> list[ReviewNote]:
    """The board's reviews of ``version`` as its author reads them, in the order they were
    recorded: the decision and the comment to the author, never the confidential comment, and
    "Reviewer 1, 2, ..." instead of names while reviews are anonymous to authors."""
    anonymous = settings.EDITORIAL["ANONYMOUS_REVIEWS_TO_AUTHORS"]
    reviews = (
        Review.objects.filter(version=version)
        .select_related("reviewer__board_member")
        .only(
            "decision",
            "comment_to_author",
            "created_at",
            "reviewer__first_name",
            "reviewer__last_name",
            "reviewer__username",
            "reviewer__board_member__display_name",
        )
        .order_by("created_at", "pk")
    )
    return [
        ReviewNote(
            reviewer=f"Reviewer {number}" if anonymous else member_name(review.reviewer),
            decision=str(Decision(review.decision).label),
            comment=review.comment_to_author,
            created_at=review.created_at,
        )
        for number, review in enumerate(reviews, start=1)
    ]


# Annotations: who reads which (the admin's version page, the workspace, the JSON-LD) ---------


def open_must_fix(*, version: ArticleVersion) -> QuerySet[Annotation]:
    """The open must-fix annotations of ``version``, with who made them: each blocks approval."""
    return (
        Annotation.objects.filter(version=version, state=AnnotationState.OPEN, severity=Severity.MUST_FIX)
        .select_related("creator__board_member")
        .order_by("start", "created_at", "pk")
    )


def open_must_fix_count(version_ref: str = "version_id") -> Coalesce:
    """An annotation for rows that name a version (``version_ref``): how many open must-fix
    annotations it holds (the reviewers' emails say so)."""
    found = (
        Annotation.objects.filter(
            version=OuterRef(version_ref), state=AnnotationState.OPEN, severity=Severity.MUST_FIX
        )
        .values("version")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(found), 0)


def author_may_read(annotation: Annotation, *, version_state: str) -> bool:
    """Whether the version's author may read (and answer) ``annotation``: never a confidential
    one; the others once the board's feedback is released, as with reviews (the editor has
    decided on the version it was made on; a carried annotation was released with the version
    it came from)."""
    if annotation.confidential:
        return False
    return annotation.carried_from_id is not None or version_state in FEEDBACK_RELEASED


def annotations_on(*, version: ArticleVersion, for_author: bool) -> list[Annotation]:
    """The annotations on ``version`` with their threads, in the order of the text (those whose
    passage changed last): every one for the board; for its author (``for_author``) only those
    ``author_may_read``, and no board member's name while reviews are anonymous to authors.
    Each carries ``creator_label`` and each reply ``author_label``; ``carried_to``, the copies in
    later versions. Three queries, however many."""
    queryset = (
        Annotation.objects.filter(version=version)
        .select_related("creator__board_member", "resolved_by__board_member", "carried_from__version")
        .prefetch_related(
            Prefetch(
                "carried_to",
                queryset=Annotation.objects.select_related("version").only(
                    "state", "carried_from", "version__number"
                ),
            ),
            Prefetch(
                "replies",
                queryset=AnnotationReply.objects.select_related("author__board_member").order_by(
                    "created_at", "pk"
                ),
            ),
        )
        .order_by(F("start").asc(nulls_last=True), "created_at", "pk")
    )
    if for_author:
        queryset = queryset.filter(confidential=False)
        if version.state not in FEEDBACK_RELEASED:
            queryset = queryset.filter(carried_from__isnull=False)
    anonymous = for_author and settings.EDITORIAL["ANONYMOUS_REVIEWS_TO_AUTHORS"]
    annotations = list(queryset)

    def label(user) -> str:
        if user.pk == version.author_id:
            return "You" if for_author else f"{member_name(user)} (author)"
        return "A board member" if anonymous else member_name(user)

    for annotation in annotations:
        annotation.version = version  # the rules read its state: no query per annotation
        annotation.creator_label = label(annotation.creator)
        annotation.resolver_label = label(annotation.resolved_by) if annotation.resolved_by_id else ""
        for reply in annotation.replies.all():
            reply.author_label = label(reply.author)
    return annotations
