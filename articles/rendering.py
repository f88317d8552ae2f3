"""Markdown to safe HTML for a version's body.

markdown-it-py with the ``js-default`` preset (raw HTML off), citation markers turned into
superscript links to the reference list, then nh3 (ammonia) as the last word on what HTML
may reach a page: whatever the parser lets through, no script, event handler or
``javascript:`` URL survives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from articles.citations import citation_plugin

ALLOWED_TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "b",
    "i",
    "a",
    "code",
    "pre",
    "blockquote",
    "hr",
    "br",
    "sup",
    "span",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "s",
    "del",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "id", "title", "class"},
    "sup": {"class", "id"},
    "span": {"class", "title"},
    "ol": {"start"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def _render_citation(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if token.meta["malformed"]:
        return f'<span class="citation-malformed" title="Malformed citation marker">{escapeHtml(token.content)}</span>'
    known: set[int] = env.get("citation_refs", set())
    seen: Counter = env.setdefault("occurrences", Counter())
    parts = []
    for number in token.meta["numbers"]:
        if number in known:
            seen[number] += 1
            anchor = f"cite-{number}-{seen[number]}"
            parts.append(f'<a href="#ref-{number}" id="{anchor}">{number}</a>')
        else:
            parts.append(f'<span class="citation-unresolved" title="No reference {number}">{number}?</span>')
    return '<sup class="citation">' + ", ".join(parts) + "</sup>"


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("js-default").use(citation_plugin)
    md.add_render_rule("citation", _render_citation)
    return md


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def render_body(body: str, reference_numbers: Iterable[int] = (), *, env: dict | None = None) -> str:
    """Render a Markdown body to sanitized HTML, linking citations to known references."""
    env = {"citation_refs": set(reference_numbers)} if env is None else env
    return sanitize(_markdown().render(body or "", env))


def render_inline(text: str, reference_numbers: Iterable[int] = (), *, env: dict | None = None) -> str:
    """Render one paragraph of Markdown (a lead answer) without a wrapping ``<p>``."""
    env = {"citation_refs": set(reference_numbers)} if env is None else env
    return sanitize(_markdown().renderInline(text or "", env))


def render_version(lead: str, body: str, reference_numbers: Iterable[int]) -> tuple[str, str]:
    """Lead and body together, so each citation anchor id is unique on the page."""
    env = {"citation_refs": set(reference_numbers)}
    return render_inline(lead, env=env), render_body(body, env=env)
