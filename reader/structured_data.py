"""schema.org ``MedicalWebPage`` data for an article page, as JSON-LD.

The JSON goes inside ``<script type="application/ld+json">``: data a browser never runs, so a
strict Content-Security-Policy does not need to allow it. Author-written text must still not
be able to close that element, so ``<``, ``>`` and ``&`` are written as JSON escapes (the
same escapes Django's ``json_script`` uses): the result parses to exactly the same data.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from django.utils.html import strip_tags

# Readers the page is written for, as schema.org names them.
MEDICAL_AUDIENCES = (
    {"@type": "MedicalAudience", "audienceType": "Patient", "name": "Patients and caregivers"},
    {"@type": "MedicalAudience", "audienceType": "Clinician", "name": "Clinicians"},
    {"@type": "MedicalAudience", "audienceType": "MedicalResearcher", "name": "Students"},
)

_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
_CITATION_HTML = re.compile(r'<sup class="citation">.*?</sup>', re.DOTALL)
_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?])")


def to_json_ld(data: dict) -> str:
    """``data`` as JSON that is safe to place inside a ``<script>`` element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_ESCAPES)


def plain_text(html: str) -> str:
    """Readable text from rendered HTML, without citation numbers."""
    text = _SPACE.sub(" ", strip_tags(_CITATION_HTML.sub("", html or ""))).strip()
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _date(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment else None


def citation(reference) -> dict:
    work: dict = {"@type": "CreativeWork", "name": reference.title, "position": reference.number}
    if reference.authors:
        work["author"] = reference.authors
    if reference.source:
        work["publisher"] = reference.source
    if reference.year:
        work["datePublished"] = str(reference.year)
    same_as = [url for url in (reference.doi_url, reference.pmid_url, reference.url) if url]
    if same_as:
        work["url"] = same_as[0]
        work["sameAs"] = same_as
    identifiers = []
    if reference.doi:
        identifiers.append({"@type": "PropertyValue", "propertyID": "DOI", "value": reference.doi})
    if reference.pmid:
        identifiers.append({"@type": "PropertyValue", "propertyID": "PMID", "value": reference.pmid})
    if identifiers:
        work["identifier"] = identifiers
    return work


def medical_web_page(
    *,
    url: str,
    site_name: str,
    policy_url: str,
    version,
    description: str,
    references: list,
    approvals: list,
    topic: str = "",
    first_published: datetime | None = None,
    overdue: bool = False,
) -> dict:
    """The page as schema.org sees it: what it is, who reviewed it and when, what it cites.
    When its re-review is overdue (``editorial.rereview.overdue_since``) the old review date is
    not claimed as current: ``lastReviewed`` is left out."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "@id": url,
        "url": url,
        "name": version.title,
        "headline": version.title,
        "description": description,
        "inLanguage": "en",
        "isAccessibleForFree": True,
        "datePublished": _iso(first_published or version.published_at),
        "dateModified": _iso(version.published_at),
        "lastReviewed": None if overdue else _date(version.reviewed_at),
        "version": str(version.number),
        "medicalAudience": list(MEDICAL_AUDIENCES),
        "publisher": {"@type": "Organization", "name": site_name, "publishingPrinciples": policy_url},
        "reviewedBy": [
            {
                "@type": "Person",
                "name": review.reviewer.board_member.display_name,
                "honorificSuffix": review.reviewer.board_member.credentials,
                "jobTitle": "Medical Advisory Board member",
            }
            for review in approvals
            if getattr(review.reviewer, "board_member", None) is not None
        ],
        "citation": [citation(reference) for reference in references],
    }
    if topic:
        data["about"] = {"@type": "Thing", "name": topic}
    return {key: value for key, value in data.items() if value not in (None, "")}
