"""A side-by-side, word-marked diff of a version against the one before it."""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import ArticleVersion, Reference

WORD_RE = re.compile(r"\s+|[^\s]+")
CONTEXT_LINES = 2


@dataclass(frozen=True)
class DiffRow:
    kind: str  # equal, replace, delete, insert, skip
    left_no: int | None = None
    left: SafeString | str = ""
    right_no: int | None = None
    right: SafeString | str = ""


def _words(left: str, right: str) -> tuple[SafeString, SafeString]:
    """Both lines escaped, with the changed words marked (<del> left, <ins> right)."""
    a, b = WORD_RE.findall(left), WORD_RE.findall(right)
    out_a, out_b = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old, new = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if tag == "equal":
            out_a.append(old)
            out_b.append(new)
            continue
        if old:
            out_a.append(f"<del>{old}</del>")
        if new:
            out_b.append(f"<ins>{new}</ins>")
    return mark_safe("".join(out_a)), mark_safe("".join(out_b))  # noqa: S308 - every piece escaped above


def side_by_side(old: str, new: str) -> list[DiffRow]:
    """A side-by-side diff of two texts, line by line, words marked; unchanged runs folded."""
    a, b = old.splitlines(), new.splitlines()
    if a == b:
        return []
    rows: list[DiffRow] = []
    last = 0
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(CONTEXT_LINES):
        if group[0][1] > last or (rows and group[0][1] == last):
            rows.append(DiffRow("skip"))
        last = group[-1][2]
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [
                    DiffRow("equal", i + 1, a[i], j + 1, b[j])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
            elif tag == "replace":
                for i, j in itertools.zip_longest(range(i1, i2), range(j1, j2)):
                    if i is not None and j is not None:
                        left, right = _words(a[i], b[j])
                        rows.append(DiffRow("replace", i + 1, left, j + 1, right))
                    elif i is not None:
                        rows.append(DiffRow("delete", i + 1, a[i]))
                    else:
                        rows.append(DiffRow("insert", right_no=j + 1, right=b[j]))
            elif tag == "delete":
                rows += [DiffRow("delete", i + 1, a[i]) for i in range(i1, i2)]
            else:
                rows += [DiffRow("insert", right_no=j + 1, right=b[j]) for j in range(j1, j2)]
    if last < len(a):
        rows.append(DiffRow("skip"))
    return rows


def reference_line(ref: Reference) -> str:
    parts = [f"[{ref.number}] {ref.get_kind_display()}: {ref.title}"]
    parts += [p for p in (ref.authors, ref.source, str(ref.year or "")) if p]
    parts += [
        f"{label} {value}"
        for label, value in (("DOI", ref.doi), ("PMID", ref.pmid), ("URL", ref.url))
        if value
    ]
    return " · ".join(parts)


@dataclass
class VersionDiff:
    previous: ArticleVersion
    sections: list[tuple[str, list[DiffRow]]]

    @property
    def unchanged(self) -> list[str]:
        return [name for name, rows in self.sections if not rows]


def version_diff(version: ArticleVersion, previous: ArticleVersion | None) -> VersionDiff | None:
    if previous is None:
        return None
    refs_now = "\n".join(reference_line(ref) for ref in version.references.all())
    refs_before = "\n".join(reference_line(ref) for ref in previous.references.all())
    sections = [
        ("Title", side_by_side(previous.title, version.title)),
        ("Lead answer", side_by_side(previous.lead, version.lead)),
        ("Body", side_by_side(previous.body, version.body)),
        ("References", side_by_side(refs_before, refs_now)),
        ("Plain-language summary", side_by_side(previous.summary, version.summary)),
    ]
    return VersionDiff(previous=previous, sections=sections)
