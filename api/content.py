"""What the API says of the reviewed content: built from the reader's own selectors (what
readers may see is decided there, once) and passed through the schemas in ``api/schemas.py``."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import linebreaks

from api import schemas
from articles.models import Article, ArticleVersion, Reference, VersionState
from editorial import selectors as editorial_selectors
from editorial.audit import action_label
from editorial.roles import member_name
from reader import pagecache
from reader import selectors as reader_selectors
from reader.pages import AUDIENCE_SECTIONS, AUDIENCES, SITE_NAME
from reader.structured_data import plain_text

_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|blockquote|pre|tr)>", re.IGNORECASE)


@lru_cache(maxsize=1)
def cache_kind() -> str:
    """The page cache's name for the API's article documents: a fingerprint of the code that
    shapes them, so a deploy never serves yesterday's shape."""
    digest = hashlib.sha256()
    for name in ("content.py", "schemas.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return f"api-{digest.hexdigest()[:12]}"


def plain_paragraphs(html: str) -> str:
    """Readable text from rendered HTML, one paragraph (or list item, heading) a block."""
    blocks = (plain_text(part) for part in _BLOCK_END.split(html or ""))
    return "\n\n".join(block for block in blocks if block)


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def api_url(request: HttpRequest, article: Article) -> str:
    return _absolute(request, reverse("api:article", kwargs={"slug": article.slug}))


def attribution(*, version: ArticleVersion, canonical_url: str) -> str:
    reviewed = f", last reviewed {version.reviewed_at:%Y-%m-%d}" if version.reviewed_at else ""
    return (
        f"“{version.title}”, version {version.number}{reviewed}, reviewed by the Medical Advisory Board "
        f"of {SITE_NAME}. Source: {canonical_url}"
    )


def _article_base(article: Article) -> dict:
    """``schemas.ArticleBase`` of a published article (its live version loaded)."""
    version = article.live_version
    return {
        "slug": article.slug,
        "title": version.title,
        "topic": article.topic,
        "version": version.number,
        "published_at": version.published_at,
        "last_reviewed": version.reviewed_at,
        "next_review_due": article.next_review_due,
    }


def article_summary(request: HttpRequest, article: Article) -> dict:
    return {
        **_article_base(article),
        "lead": plain_text(article.live_version.render()[0]),
        "url": api_url(request, article),
        "canonical_url": _absolute(request, article.get_absolute_url()),
    }


def _reference(ref: Reference) -> dict:
    return {
        "number": ref.number,
        "kind": ref.kind,
        "kind_label": ref.get_kind_display(),
        "title": ref.title,
        "authors": ref.authors,
        "source": ref.source,
        "year": ref.year,
        "doi": ref.doi,
        "doi_url": ref.doi_url,
        "pmid": ref.pmid,
        "pmid_url": ref.pmid_url,
        "url": ref.url,
    }


def _reviewer(request: HttpRequest, review) -> dict:
    member = getattr(review.reviewer, "board_member", None)
    listed = member is not None and member.is_listed
    return {
        "name": member_name(review.reviewer),
        "credentials": member.credentials if member else "",
        "specialty": member.specialty if member else "",
        "approved_at": review.created_at,
        "conflict_of_interest": review.conflict_declaration,
        "board_url": _absolute(request, f"{reverse('reader:board')}#{member.anchor}") if listed else None,
    }


def _has_signature(review) -> bool:
    try:
        return review.signature is not None
    except ObjectDoesNotExist:
        return False


def _signature(signature) -> dict:
    return {
        "printed_name": signature.printed_name,
        "signed_at": signature.signed_at,
        "verb": signature.verb,
        "meaning": signature.public_meaning,
        "content_sha256": signature.content_sha256,
    }


def _dump(schema, payload: dict) -> bytes:
    data = schema.model_validate(payload).model_dump(mode="json")
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def render_article(request: HttpRequest, *, slug: str, token: str) -> pagecache.CachedPage:
    """One article as the API answers it: the live published version (200), or the
    retraction notice (410). ``Http404`` for anything readers may not see. Five queries, like
    the page: the article, the references, the public trail, the approvals, the update check."""
    article = reader_selectors.readable_article(slug=slug)
    version = article.live_version
    canonical_url = _absolute(request, article.get_absolute_url())
    trail = editorial_selectors.public_trail(article=article)
    if version.state == VersionState.RETRACTED:
        payload = {
            "detail": "This article has been retracted; its content is no longer published.",
            "slug": article.slug,
            "title": version.title,
            "retracted_at": version.ended_at,
            "reason": version.end_reason,
            "canonical_url": canonical_url,
        }
        content = _dump(schemas.Retracted, payload)
        return pagecache.cached_page(
            content=content,
            version=version,
            events=trail.events,
            article_id=article.pk,
            token=token,
            status=410,
        )
    references = list(Reference.objects.filter(version=version).order_by("number"))
    approvals = editorial_selectors.approving_reviews(version=version)
    lead_html, body_html = version.render()
    summary_html = linebreaks(version.summary, autoescape=True) if version.summary else ""
    sections = {"summary": bool(summary_html), "lead": True, "body": True}
    payload = {
        **_article_base(article),
        "update_under_review": editorial_selectors.update_under_review(article=article),
        "lead": {"html": lead_html, "text": plain_text(lead_html)},
        "body": {"html": body_html, "text": plain_paragraphs(body_html)},
        "summary": {"html": summary_html, "text": version.summary.strip()} if summary_html else None,
        "audiences": [
            {
                "audience": key,
                "label": label,
                "sections": [part for part in AUDIENCE_SECTIONS[key] if sections[part]],
            }
            for key, label in AUDIENCES.items()
        ],
        "references": [_reference(ref) for ref in references],
        "reviewers": [_reviewer(request, review) for review in approvals],
        "signatures": [
            *(_signature(review.signature) for review in approvals if _has_signature(review)),
            *(
                vars(signature)
                for signature in editorial_selectors.editor_signatures(trail, version_number=version.number)
            ),
        ],
        "history": [
            {
                "version": getattr(event, "version_number", None),
                "action": event.action,
                "label": action_label(event.action),
                "at": event.created_at,
                "actor": event.actor_label,
                "message": event.message,
            }
            for event in trail.events
        ],
        "trail": {"events": trail.count, "head_hash": trail.head_hash},
        "canonical_url": canonical_url,
        "attribution": attribution(version=version, canonical_url=canonical_url),
    }
    content = _dump(schemas.ArticleOut, payload)
    return pagecache.cached_page(
        content=content, version=version, events=trail.events, article_id=article.pk, token=token
    )


def topics(request: HttpRequest) -> list[dict]:
    return [
        {
            "topic": row["topic"],
            "count": row["count"],
            "url": _absolute(request, reverse("api:articles")) + "?" + urlencode({"topic": row["topic"]}),
        }
        for row in reader_selectors.published_topics()
    ]


def board(request: HttpRequest) -> list[dict]:
    board_url = reverse("reader:board")
    return [
        {
            "id": entry.member.pk,
            "name": entry.member.display_name,
            "credentials": entry.member.credentials,
            "specialty": entry.member.specialty,
            "biography": entry.member.biography,
            "conflicts_of_interest": entry.member.conflict_declaration,
            "profile_url": _absolute(request, f"{board_url}#{entry.member.anchor}"),
            "reviewed_articles": [
                {
                    "slug": article.slug,
                    "title": article.live_version.title,
                    "url": api_url(request, article),
                    "canonical_url": _absolute(request, article.get_absolute_url()),
                }
                for article in entry.articles
            ],
        }
        for entry in editorial_selectors.public_board()
    ]
