"""What the content API answers, as typed schemas: django-ninja writes the OpenAPI document
from them, and every answer is built through them, so an answer cannot drift from its
documentation."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class Error(Schema):
    detail: str = Field(description="What went wrong, for a person to read.")


class FieldError(Schema):
    field: str
    message: str


class BadRequest(Schema):
    detail: str
    errors: list[FieldError]


class Text(Schema):
    """One part of an article, as sanitized HTML and as plain text (citation numbers removed)."""

    html: str
    text: str


class Audience(Schema):
    audience: str = Field(description="patient, clinician or student")
    label: str
    sections: list[str] = Field(description="The parts this audience reads, in order: summary, lead, body.")


class ReferenceOut(Schema):
    number: int
    kind: str = Field(description="guideline, research, review, drug_label or other")
    kind_label: str
    title: str
    authors: str
    source: str
    year: int | None
    doi: str
    doi_url: str
    pmid: str
    pmid_url: str
    url: str


class ElectronicSignature(Schema):
    """An electronic signature on the version (21 CFR 11.50): who, when, what it means, and the
    SHA-256 of the version's frozen content it was made on."""

    printed_name: str = Field(description="The signer's name and credentials, as signed.")
    signed_at: datetime
    verb: str = Field(description="review, approve, publish or retract.")
    meaning: str = Field(description='As the page words it, e.g. "for medical accuracy".')
    content_sha256: str


class Reviewer(Schema):
    name: str
    credentials: str
    specialty: str
    approved_at: datetime
    conflict_of_interest: str = Field(
        description='This reviewer\'s declaration for this review, or "None declared".'
    )
    board_url: str | None = Field(description="The reviewer on the public board page, if listed.")


class HistoryEvent(Schema):
    version: int | None
    action: str
    label: str
    at: datetime
    actor: str
    message: str


class Trail(Schema):
    events: int = Field(description="Events in the article's whole audit trail, internal ones included.")
    head_hash: str = Field(description="The hash of its newest event (see /audit/heads.json).")


class ArticleBase(Schema):
    """What every answer about a published article says of it."""

    slug: str
    title: str
    topic: str
    version: int = Field(description="The number of the live version.")
    published_at: datetime
    last_reviewed: datetime | None
    next_review_due: datetime | None


class ArticleSummary(ArticleBase):
    lead: str = Field(description="The answer in brief, as plain text.")
    url: str = Field(description="This article in the API.")
    canonical_url: str = Field(description="The article's page on the site.")


class ArticlePage(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    next: str | None
    previous: str | None
    results: list[ArticleSummary]


class ArticleOut(ArticleBase):
    update_under_review: bool = Field(description="A newer version is with the board; this one stays live.")
    lead: Text
    body: Text
    summary: Text | None = Field(description="The plain-language summary the board reviewed, if any.")
    audiences: list[Audience]
    references: list[ReferenceOut]
    reviewers: list[Reviewer]
    signatures: list[ElectronicSignature] = Field(
        description="The reviewers' approving signatures and the editors' approval and publication."
    )
    history: list[HistoryEvent]
    trail: Trail
    canonical_url: str
    attribution: str = Field(description="The text to show with the content wherever it is reused.")


class Retracted(Schema):
    detail: str
    slug: str
    title: str
    retracted_at: datetime | None
    reason: str
    canonical_url: str


class Topic(Schema):
    topic: str
    count: int
    url: str


class ReviewedArticle(Schema):
    slug: str
    title: str
    url: str
    canonical_url: str


class BoardMemberOut(Schema):
    id: int
    name: str
    credentials: str
    specialty: str
    biography: str
    conflicts_of_interest: str = Field(description='The member\'s standing statement, or "None declared".')
    profile_url: str
    reviewed_articles: list[ReviewedArticle]
