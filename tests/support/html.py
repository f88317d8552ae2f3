"""Reading rendered HTML in tests: one parser for every test that looks inside a page.

``Elements(html)`` keeps each start tag with its attributes as the parser saw them (a repeated
attribute stays repeated: a browser reads the first, ``dict`` keeps the last) and the text of
each closed ``<script>``. ``active_content`` is what author Markdown must never turn into.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

Attributes = list[tuple[str, str | None]]


class Elements(HTMLParser):
    """The start tags of a page, in order, and the text of its scripts."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.start_tags: list[tuple[str, Attributes]] = []
        self.scripts: list[tuple[dict, str]] = []  # (attributes, text) of each closed <script>
        self._script: dict | None = None
        self._script_text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.start_tags.append((tag, attrs))
        if tag == "script":
            self._script, self._script_text = dict(attrs), []

    def handle_data(self, data):
        if self._script is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._script_text)))
            self._script = None

    @property
    def tags(self) -> list[tuple[str, dict]]:
        """(tag, attributes as a dict) for each start tag."""
        return [(tag, dict(attrs)) for tag, attrs in self.start_tags]

    def ids(self) -> list[str | None]:
        """Every ``id`` attribute, in document order, repeats included."""
        return [value for _, attrs in self.start_tags for name, value in attrs if name == "id"]

    def hrefs(self) -> list[str]:
        return [attrs["href"] for tag, attrs in self.tags if tag == "a" and attrs.get("href")]

    def meta(self, key: str) -> str | None:
        for tag, attrs in self.tags:
            if tag == "meta" and (attrs.get("property") == key or attrs.get("name") == key):
                return attrs.get("content")
        return None


# Elements that could run script or load content, and the links that may stay.
ACTIVE_TAGS = frozenset({"script", "iframe", "svg", "img", "object", "embed", "style", "details", "form"})
SAFE_SCHEMES = frozenset({"https", "http", "mailto"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")


def unsafe_link(value: str | None) -> bool:
    """Whether a link could run script or leave for a scheme the site never links to. A link
    with no scheme (``#ref-1``, ``page``, an empty ``href``) stays on this site and is safe;
    control characters and spaces are dropped first, as browsers drop them."""
    cleaned = "".join(ch for ch in (value or "") if ord(ch) > 32 and ord(ch) != 127).lower()
    match = _SCHEME.match(cleaned)
    return bool(match) and match.group(1) not in SAFE_SCHEMES


def active_content(html: str) -> list[str]:
    """Every element and attribute in ``html`` that could run script or load content
    (``"script"``, ``"a[onclick]"``, ``"a[href=javascript:x]"``); empty for safe HTML."""
    found = []
    for tag, attrs in Elements(html).start_tags:
        if tag in ACTIVE_TAGS:
            found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "src", "srcdoc"}:
                found.append(f"{tag}[{name}]")
            if name == "href" and unsafe_link(value):
                found.append(f"{tag}[href={value}]")
    return found
