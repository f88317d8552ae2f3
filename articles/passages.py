"""A version's plain text, in passages, and finding a quoted passage in it.

The plain text is what a reader's eye reads on the rendered page, one passage per block: the
lead, each heading, paragraph and list item of the body (the text of its rendered HTML, so a
citation marker ``[2]`` reads ``2``, or ``2?`` while reference 2 is missing), each paragraph of
the plain-language summary, then each reference. Whitespace inside a passage is collapsed to
one space; passages are joined by a blank line (``SEPARATOR``). It is a function of the
version's content and references only, so the same version always gives the same text, and
the W3C Web Annotation selectors the board stores (``TextQuoteSelector``: the exact words with
a few characters before and after; ``TextPositionSelector``: where they start and end) are
read against it. This module is the one home of that text; nothing else builds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser

SEPARATOR = "\n\n"
# Characters of context kept on each side of a quote (the TextQuoteSelector's prefix and suffix).
CONTEXT_CHARS = 32
BLOCK_TAGS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "td", "th"})
VOID_TAGS = frozenset({"br", "hr", "img"})
_SPACE = re.compile(r"\s+")


class Part:
    """Which part of the version a passage belongs to."""

    LEAD = "lead"
    BODY = "body"
    SUMMARY = "summary"
    REFERENCE = "reference"

    CHOICES = [
        (LEAD, "Lead answer"),
        (BODY, "Body"),
        (SUMMARY, "Plain-language summary"),
        (REFERENCE, "Reference"),
    ]


@dataclass(frozen=True)
class Passage:
    """One block of the version's plain text: where it stands in the text, and its HTML."""

    index: int
    part: str
    tag: str  # the block's HTML element ("p", "li", "h3", ...), or "ref" for a reference
    start: int
    end: int
    text: str
    html: str  # the block's inner HTML, as rendered and sanitized (escaped text for a reference)
    reference_number: int | None = None

    @property
    def label(self) -> str:
        if self.part == Part.REFERENCE:
            return f"Reference {self.reference_number}"
        return dict(Part.CHOICES)[self.part]


@dataclass(frozen=True)
class PlainText:
    """The version's plain text and its passages."""

    text: str
    passages: tuple[Passage, ...]

    def passage_at(self, start: int, end: int) -> Passage | None:
        """The passage that holds ``[start, end)`` whole, or None (it spans two, or is outside)."""
        for passage in self.passages:
            if passage.start <= start and end <= passage.end:
                return passage
        return None

    def context(self, start: int, end: int) -> tuple[str, str]:
        """The prefix and suffix of ``[start, end)``: up to ``CONTEXT_CHARS`` on each side."""
        return self.text[max(0, start - CONTEXT_CHARS) : start], self.text[end : end + CONTEXT_CHARS]


def collapse(text: str) -> str:
    """Each run of whitespace as one space (a quote's prefix and suffix keep their ends)."""
    return _SPACE.sub(" ", text)


def normalize(text: str) -> str:
    """Whitespace as the plain text holds it: each run one space, none at the ends."""
    return collapse(text).strip()


class _Blocks(HTMLParser):
    """Split sanitized HTML into its innermost blocks: (tag, text, inner HTML)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str, str]] = []
        self._stack: list[str] = []  # open block tags
        self._text: list[str] = []
        self._html: list[str] = []
        self._open_inline: list[str] = []

    def _flush(self) -> None:
        text = normalize("".join(self._text))
        if text and self._stack:
            closing = "".join(f"</{tag}>" for tag in reversed(self._open_inline))
            self.blocks.append((self._stack[-1], text, "".join(self._html).strip() + closing))
        self._text, self._html = [], []
        # inline elements still open carry on into the next block's HTML
        self._html = [f"<{tag}>" for tag in self._open_inline]

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self._flush()
            self._stack.append(tag)
            self._open_inline = []
            self._html = []
            return
        attributes = "".join(f' {name}="{escape(value or "", quote=True)}"' for name, value in attrs)
        self._html.append(f"<{tag}{attributes}>")
        if tag not in VOID_TAGS:
            self._open_inline.append(tag)
        elif tag == "br":
            self._text.append(" ")

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self._flush()
            if self._stack:
                self._stack.pop()
            self._open_inline = []
            self._html = []
            return
        if tag in self._open_inline:
            self._open_inline.remove(tag)
            self._html.append(f"</{tag}>")

    def handle_data(self, data):
        self._text.append(data)
        self._html.append(escape(data, quote=False))


def html_blocks(html: str) -> list[tuple[str, str, str]]:
    """The innermost blocks of sanitized HTML, in reading order: (tag, text, inner HTML)."""
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.blocks


def reference_text(reference) -> str:
    """A reference as one line of plain text: its title, authors and source with the year."""
    source = ", ".join(str(part) for part in (reference.source, reference.year) if part)
    return normalize(" · ".join(part for part in (reference.title, reference.authors, source) if part))


def plain_text(version, *, references=None) -> PlainText:
    """The plain text of ``version`` (an ``ArticleVersion``), in passages. Deterministic: the
    same content and references always give the same text. ``references``: the version's
    references, when the caller has them already."""
    references = list(version.references.all()) if references is None else references
    lead_html, body_html = version.render()
    pieces: list[tuple[str, str, str, str, int | None]] = []  # part, tag, text, html, reference
    lead = normalize(_text_of(lead_html))
    if lead:
        pieces.append((Part.LEAD, "p", lead, lead_html, None))
    pieces.extend((Part.BODY, tag, text, html, None) for tag, text, html in html_blocks(body_html))
    for paragraph in re.split(r"\n\s*\n", version.summary or ""):
        text = normalize(paragraph)
        if text:
            pieces.append((Part.SUMMARY, "p", text, escape(text, quote=False), None))
    for reference in references:
        text = reference_text(reference)
        pieces.append((Part.REFERENCE, "ref", text, escape(text, quote=False), reference.number))
    passages, offset = [], 0
    for index, (part, tag, text, html, number) in enumerate(pieces):
        if index:
            offset += len(SEPARATOR)
        passages.append(Passage(index, part, tag, offset, offset + len(text), text, html, number))
        offset += len(text)
    return PlainText(text=SEPARATOR.join(p.text for p in passages), passages=tuple(passages))


def _text_of(html: str) -> str:
    blocks = html_blocks(f"<p>{html}</p>")
    return " ".join(text for _, text, _ in blocks)


# Finding a quote -----------------------------------------------------------------------------

EXACT_WITH_CONTEXT = "context"  # the exact words with the same prefix and suffix
EXACT_ONLY = "exact"  # the exact words, in other surroundings
NOT_FOUND = "changed"  # the words are gone: the passage changed


def occurrences(text: str, exact: str) -> list[int]:
    """Every position where ``exact`` starts in ``text`` (overlapping ones too)."""
    found, at = [], text.find(exact)
    while exact and at != -1:
        found.append(at)
        at = text.find(exact, at + 1)
    return found


def in_context(text: str, exact: str, prefix: str, suffix: str, starts: list[int]) -> list[int]:
    """Those of ``starts`` where ``exact`` stands between ``prefix`` and ``suffix``. The plain
    text's separators between passages read as whitespace, as a browser's selection gives them."""
    end_of = len(exact)
    prefix, suffix = collapse(prefix), collapse(suffix)
    return [
        at
        for at in starts
        if collapse(text[max(0, at - len(prefix) - 2) : at]).endswith(prefix)
        and collapse(text[at + end_of : at + end_of + len(suffix) + 2]).startswith(suffix)
    ]


def _agreement(text: str, at: int, end: int, prefix: str, suffix: str) -> int:
    """How many characters of the context agree at ``[at, end)``: of the prefix, read backwards
    from the quote, and of the suffix, read forwards."""
    before = collapse(text[max(0, at - len(prefix) - 2) : at])[::-1]
    after = collapse(text[end : end + len(suffix) + 2])
    score = 0
    for mine, theirs in ((before, collapse(prefix)[::-1]), (after, collapse(suffix))):
        for a, b in zip(mine, theirs, strict=False):
            if a != b:
                break
            score += 1
    return score


def locate(text: str, exact: str, prefix: str = "", suffix: str = "", *, near: int | None = None):
    """Where the quote (``exact`` between ``prefix`` and ``suffix``) stands in ``text``:
    ``(start, end, how)``. First the exact words with their whole context (the prefix ending
    just before, the suffix starting just after), then the exact words alone (where several
    stand, the one whose surroundings agree longest with the context, then the one nearest
    ``near``, the old position), then nothing: ``(None, None, NOT_FOUND)``."""
    starts = occurrences(text, exact)
    if not starts:
        return None, None, NOT_FOUND
    with_context = in_context(text, exact, prefix, suffix, starts)
    how = EXACT_WITH_CONTEXT if with_context else EXACT_ONLY
    candidates = with_context or starts
    at = min(
        candidates,
        key=lambda at: (
            -_agreement(text, at, at + len(exact), prefix, suffix),
            abs(at - near) if near is not None else 0,
            at,
        ),
    )
    return at, at + len(exact), how
