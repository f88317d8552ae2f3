"""Citation markers in a version's Markdown body: ``[1]``, ``[1, 4]``, ``[2-4]``.

The markers are read by a markdown-it inline rule, so the parser and the renderer agree on
what is a citation: a marker inside a code span or code block is text, an escaped bracket
(``\\[1]``) is text, and ``[1](https://...)`` is a link. A bracket holding only digits,
commas, spaces and dashes is a citation marker; one that does not read as a list of numbers
and ascending ranges (``[3-1]``, ``[1,,2]``, ``[0]``) is reported as malformed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference
from markdown_it.rules_inline import StateInline

# The most numbers one range may expand to; a wider range is malformed, not a loop.
MAX_RANGE = 50
MARKER_RE = re.compile(r"\[([0-9][0-9 ,\-\u2013]*)\]")
ITEM_RE = re.compile(r"^\s*([0-9]+)\s*(?:[-\u2013]\s*([0-9]+)\s*)?$")


@dataclass(frozen=True)
class Citation:
    """One marker in the body: the numbers it cites and where it stands."""

    raw: str
    numbers: tuple[int, ...]
    line: int  # 1-based line of the block that holds the marker
    malformed: bool = False


@dataclass(frozen=True)
class IntegrityReport:
    """What the citation check found in one version: the facts the board must see."""

    cited: tuple[int, ...]
    references: tuple[int, ...]
    unresolved: tuple[int, ...]
    uncited: tuple[int, ...]
    malformed: tuple[str, ...] = field(default_factory=tuple)

    @property
    def blocks_approval(self) -> bool:
        return bool(self.unresolved or self.malformed)

    @property
    def is_clean(self) -> bool:
        return not (self.unresolved or self.uncited or self.malformed)

    def to_dict(self) -> dict:
        return {
            "cited": list(self.cited),
            "references": list(self.references),
            "unresolved": list(self.unresolved),
            "uncited": list(self.uncited),
            "malformed": list(self.malformed),
        }

    def summary(self) -> str:
        parts = []
        if self.unresolved:
            parts.append("unresolved citations (no reference): " + ", ".join(map(str, self.unresolved)))
        if self.malformed:
            parts.append("malformed citation markers: " + ", ".join(self.malformed))
        if self.uncited:
            parts.append("references never cited: " + ", ".join(map(str, self.uncited)))
        return "; ".join(parts) if parts else "every citation resolves and every reference is cited"


def parse_marker(inner: str) -> tuple[tuple[int, ...], bool]:
    """Read the text between the brackets. Returns (numbers, malformed)."""
    numbers: list[int] = []
    for item in inner.split(","):
        match = ITEM_RE.match(item)
        if not match:
            return (), True
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else start
        if start < 1 or end < start or end - start >= MAX_RANGE:
            return (), True
        numbers.extend(range(start, end + 1))
    return tuple(dict.fromkeys(numbers)), False


def _citation_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "[":
        return False
    match = MARKER_RE.match(state.src, state.pos)
    if not match:
        return False
    after = match.end()
    if after < state.posMax and state.src[after] == "(":
        return False  # a Markdown link: [1](https://...)
    if after < state.posMax and state.src[after] == "[":
        close = state.src.find("]", after)
        label = state.src[after + 1 : close] if close != -1 else ""
        if label and normalizeReference(label) in state.env.get("references", {}):
            return False  # a reference link to a defined label: [1][ref]
    if not silent:
        numbers, malformed = parse_marker(match.group(1))
        token = state.push("citation", "", 0)
        token.content = match.group(0)
        token.meta = {"numbers": numbers, "malformed": malformed}
    state.pos = after
    return True


def citation_plugin(md: MarkdownIt) -> None:
    """Teach a markdown-it parser to read citation markers as ``citation`` tokens."""
    md.inline.ruler.before("link", "citation", _citation_rule)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("js-default").use(citation_plugin)


def find_citations(body: str) -> list[Citation]:
    """Every citation marker in ``body``, in reading order."""
    found: list[Citation] = []
    for block in _parser().parse(body or ""):
        if block.type != "inline" or not block.children:
            continue
        line = (block.map[0] + 1) if block.map else 0
        for token in block.children:
            if token.type == "citation":
                found.append(
                    Citation(
                        raw=token.content,
                        numbers=token.meta["numbers"],
                        line=line,
                        malformed=token.meta["malformed"],
                    )
                )
    return found


def check_integrity(body: str, reference_numbers: list[int] | set[int]) -> IntegrityReport:
    """Compare the numbers cited in ``body`` with the numbers of the references."""
    citations = find_citations(body)
    cited = sorted({n for c in citations for n in c.numbers})
    refs = sorted(set(reference_numbers))
    return IntegrityReport(
        cited=tuple(cited),
        references=tuple(refs),
        unresolved=tuple(n for n in cited if n not in set(refs)),
        uncited=tuple(n for n in refs if n not in set(cited)),
        malformed=tuple(dict.fromkeys(c.raw for c in citations if c.malformed)),
    )
