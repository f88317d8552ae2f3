"""What an article page shows, as a template context: one function, used by the reader's
article page and by the author's preview of a version readers cannot open yet, so the two
can never drift apart."""

from __future__ import annotations

import re
from collections import Counter

from django.conf import settings
from django.http import HttpRequest

from articles.models import Article, ArticleVersion, Reference, VersionState
from editorial import rereview
from editorial import selectors as editorial_selectors
from reader.structured_data import plain_text

SITE_NAME = "Medically reviewed answers"

# Who the reader is, as they pick it; the cookie keeps the choice (no login).
AUDIENCE_COOKIE = "audience"
AUDIENCES = {
    "patient": "Patient or caregiver",
    "clinician": "Clinician",
    "student": "Student",
}

# What each audience reads, in order, as the article page's answer section shows it (the
# content API names the same): a patient reads the plain-language summary before the clinical
# answer, a student both, a clinician the clinical answer. A missing summary is left out.
AUDIENCE_SECTIONS = {
    "patient": ("summary", "lead", "body"),
    "clinician": ("lead", "body"),
    "student": ("lead", "summary", "body"),
}

CITE_ANCHOR = re.compile(r'id="cite-(\d+)-(\d+)"')


def audience_of(request: HttpRequest) -> str:
    value = request.COOKIES.get(AUDIENCE_COOKIE, "")
    return value if value in AUDIENCES else ""


def contact_email() -> str:
    return settings.EDITORIAL.get("CONTACT_EMAIL") or settings.DEFAULT_FROM_EMAIL


def article_page_context(
    *,
    version: ArticleVersion,
    references: list[Reference],
    article: Article | None = None,
    audience: str = "",
    pending: bool = False,
    approvals: list | tuple = (),
    history: list | tuple = (),
    trail=None,
    update_under_review: bool = False,
    canonical_url: str = "",
    preview_url: str = "",
) -> dict:
    """The context of ``reader/article_detail.html`` for ``version``. A version that is not
    published or retracted (a pending one, or an author's preview) is never indexed. An
    author's preview passes its own address as ``preview_url``: the audience form then asks
    the preview again, never the public address of an article readers cannot open yet."""
    article = article or version.article
    retracted = version.state == VersionState.RETRACTED
    published = version.state == VersionState.PUBLISHED
    audience = audience if audience in AUDIENCES else ""
    # Overdue for re-review past the grace period: the page says so and since when.
    overdue_since = (
        rereview.overdue_since(article) if published and article.live_version_id == version.pk else None
    )
    lead_html, body_html = version.render()
    occurrences = Counter(int(number) for number, _ in CITE_ANCHOR.findall(lead_html + body_html))
    return {
        "article": article,
        "version": version,
        "pending": pending,
        "retracted": retracted,
        "published": published,
        "lead_html": lead_html,
        "body_html": body_html,
        "references": [
            {"ref": ref, "backlinks": range(1, occurrences.get(ref.number, 0) + 1)} for ref in references
        ],
        "approvals": list(approvals),
        "history": list(history),
        # editorial.selectors.PublicTrail: how many events the whole trail holds, and its head
        "trail": trail,
        # the editors' signatures on this version, from the trail's events (no query); none on a
        # pending page or an author's preview
        "editor_signatures": (
            editorial_selectors.editor_signatures(trail, version_number=version.number)
            if trail is not None and not pending
            else []
        ),
        "update_under_review": update_under_review,
        "next_review_due": article.next_review_due if published else None,
        "overdue_since": overdue_since,
        "reviewed_at": version.reviewed_at,
        "references_under_review": any(getattr(ref, "under_review", False) for ref in references),
        "audience": audience,
        "audiences": AUDIENCES.items(),
        "audience_label": AUDIENCES.get(audience, ""),
        "canonical_url": canonical_url,
        "description": plain_text(lead_html) if canonical_url else "",
        "json_ld": "",
        "noindex": not published,
        "site_name": SITE_NAME,
        "contact_email": contact_email(),
        "preview_url": preview_url,
    }
