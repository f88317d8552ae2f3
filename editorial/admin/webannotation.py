"""A version's annotations as W3C Web Annotation JSON-LD (https://www.w3.org/TR/annotation-model/),
for the board: one ``AnnotationCollection`` whose single ``AnnotationPage`` lists every
annotation (motivation ``commenting``), each reply as an annotation whose target is the one it
answers (motivation ``replying``), and each resolution as one ``assessing`` it.

An annotation's target is a ``SpecificResource``: its ``source`` is the version's page, and its
selectors are a ``TextQuoteSelector`` (exact, prefix, suffix) and, while the passage is found,
a ``TextPositionSelector`` (start, end) over the version's plain text (``articles.passages``).
Its severity and whether it is for the board only are ``tagging`` bodies beside the comment.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from articles.models import ArticleVersion
from editorial.models import Annotation, Severity
from editorial.roles import member_name

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def _absolute(path: str) -> str:
    return settings.EDITORIAL["SITE_URL"] + path


def _person(user) -> dict:
    # No IRI: people have no public page here (the model says an agent SHOULD have one).
    return {"type": "Person", "name": member_name(user)}


def _text(value: str, purpose: str) -> dict:
    return {
        "type": "TextualBody",
        "value": value,
        "format": "text/plain",
        "language": "en",
        "purpose": purpose,
    }


def _time(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def collection(version: ArticleVersion, annotations: list[Annotation]) -> dict:
    """The JSON-LD document for ``version``'s ``annotations`` (``selectors.annotations_on``)."""
    here = _absolute(reverse("admin:articles_articleversion_annotations_jsonld", args=[version.pk]))
    source = _absolute(reverse("admin:articles_articleversion_change", args=[version.pk]))
    items = []
    for annotation in annotations:
        items.extend(_annotation(annotation, here=here, source=source))
    return {
        "@context": CONTEXT,
        "id": here,
        "type": "AnnotationCollection",
        "label": f"Annotations on {version.article.slug}, version {version.number}",
        "total": len(items),
        "first": {"id": f"{here}#page-1", "type": "AnnotationPage", "startIndex": 0, "items": items},
    }


def _annotation(annotation: Annotation, *, here: str, source: str) -> list[dict]:
    anchor = f"{here}#annotation-{annotation.pk}"
    selectors = [
        {
            "type": "TextQuoteSelector",
            "exact": annotation.exact,
            "prefix": annotation.prefix,
            "suffix": annotation.suffix,
        }
    ]
    if annotation.start is not None:
        selectors.append({"type": "TextPositionSelector", "start": annotation.start, "end": annotation.end})
    body = [
        _text(annotation.comment, "commenting"),
        _text("must-fix" if annotation.severity == Severity.MUST_FIX else "suggestion", "tagging"),
    ]
    if annotation.confidential:
        body.append(_text("board-only", "tagging"))
    made = {
        "@context": CONTEXT,
        "id": anchor,
        "type": "Annotation",
        "motivation": "commenting",
        "body": body,
        "target": {"type": "SpecificResource", "source": source, "selector": selectors},
        "creator": _person(annotation.creator),
        "created": _time(annotation.created_at),
    }
    if annotation.carried_from_id:
        made["via"] = f"{here}#annotation-{annotation.carried_from_id}"
    found = [made]
    for reply in annotation.replies.all():
        found.append(
            {
                "@context": CONTEXT,
                "id": f"{here}#reply-{reply.pk}",
                "type": "Annotation",
                "motivation": "replying",
                "body": _text(reply.comment, "replying"),
                "target": anchor,
                "creator": _person(reply.author),
                "created": _time(reply.created_at),
            }
        )
    if annotation.resolved_by_id:
        note = [_text(annotation.resolution_note, "assessing")] if annotation.resolution_note else []
        found.append(
            {
                "@context": CONTEXT,
                "id": f"{here}#resolution-{annotation.pk}",
                "type": "Annotation",
                "motivation": "assessing",
                "body": [*note, _text("resolved", "tagging")],
                "target": anchor,
                "creator": _person(annotation.resolved_by),
                "created": _time(annotation.resolved_at),
            }
        )
    return found
