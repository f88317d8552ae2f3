"""The context the reader's article template needs, built for a version that readers cannot
open yet, so the author's preview is rendered by the reader's own template.

A pure read. The names follow ``articles.views._render_article``; the test
``test_preview_matches_the_reader_page_of_the_same_version`` fails if the two drift apart.
"""

from __future__ import annotations

import re
from collections import Counter

from articles.models import ArticleVersion

CITE_ANCHOR = re.compile(r'id="cite-(\d+)-(\d+)"')


def reader_preview_context(version: ArticleVersion, *, audience: str = "") -> dict:
    from articles import views as reader  # the reader's own names for audiences and the site

    lead_html, body_html = version.render()
    references = list(version.references.all())
    occurrences = Counter(int(number) for number, _ in CITE_ANCHOR.findall(lead_html + body_html))
    audience = audience if audience in reader.AUDIENCES else ""
    return {
        "article": version.article,
        "version": version,
        "pending": False,
        "retracted": False,
        "published": False,
        "lead_html": lead_html,
        "body_html": body_html,
        "references": [
            {"ref": ref, "backlinks": range(1, occurrences.get(ref.number, 0) + 1)} for ref in references
        ],
        "approvals": [],
        "history": [],
        "update_under_review": False,
        "next_review_due": None,
        "audience": audience,
        "audiences": reader.AUDIENCES.items(),
        "audience_label": reader.AUDIENCES.get(audience, ""),
        "canonical_url": "",
        "description": "",
        "json_ld": "",
        "noindex": True,
        "site_name": reader.SITE_NAME,
        "contact_email": reader.contact_email(),
    }
