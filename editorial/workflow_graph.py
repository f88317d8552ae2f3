"""The state graph of a version, drawn from the model's own django-fsm transitions.

The edges are read from ``ArticleVersion.state``'s transitions, never written down a second
time; Graphviz's ``dot`` (Debian's ``graphviz``) lays them out as SVG. The SVG is made on
demand and kept in memory, keyed by the hash of the DOT source it was drawn from, so a change
to the transitions draws a new picture and no SVG is ever committed. Where ``dot`` is missing
the pages show the same transitions as a table (``available()`` says which).

A version's own path is the states its audit trail records, in order; the picture draws those
states and the moves between them in bold.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from django.http import Http404, HttpResponse

from articles.models import ArticleVersion, VersionState
from editorial.models import AuditAction, AuditEvent

DOT_TIMEOUT_SECONDS = 10
PATH_COLOUR = "#1d6b35"  # the board's "ok" green, 6.4:1 on white
PATH_FILL = "#dcf1e2"
NODE_FONT_PT, EDGE_FONT_PT = 14, 12

# The state each audit action leaves a version in (the actions that move it).
STATE_AFTER = {
    AuditAction.VERSION_CREATED: VersionState.DRAFT,
    AuditAction.VERSION_SUBMITTED: VersionState.SUBMITTED,
    AuditAction.VERSION_REVIEW_STARTED: VersionState.UNDER_REVIEW,
    AuditAction.VERSION_CHANGES_REQUESTED: VersionState.CHANGES_REQUESTED,
    AuditAction.VERSION_REJECTED: VersionState.REJECTED,
    AuditAction.VERSION_APPROVED: VersionState.APPROVED,
    AuditAction.VERSION_PUBLISHED: VersionState.PUBLISHED,
    AuditAction.VERSION_SUPERSEDED: VersionState.SUPERSEDED,
    AuditAction.VERSION_WITHDRAWN: VersionState.WITHDRAWN,
    AuditAction.VERSION_RETRACTED: VersionState.RETRACTED,
}


@dataclass(frozen=True)
class Edge:
    """One move of the workflow: a transition method from one state to another."""

    source: str
    target: str
    name: str

    @property
    def source_label(self) -> str:
        return VersionState(self.source).label

    @property
    def target_label(self) -> str:
        return VersionState(self.target).label

    @property
    def verb(self) -> str:
        return self.name.replace("_", " ")


def transitions() -> list[Edge]:
    """Every (source, target) move of ``ArticleVersion.state``, as django-fsm declares it."""
    field = ArticleVersion._meta.get_field("state")
    states = [value for value, _ in VersionState.choices]
    edges = set()
    for transition in field.get_all_transitions(ArticleVersion):
        sources = states if transition.source in ("*", "+") else [transition.source]
        target = transition.target
        for source in sources:
            if target is None or target == source and transition.source == "+":
                continue
            edges.add(Edge(str(source), str(target), transition.name))
    order = {state: i for i, state in enumerate(states)}
    return sorted(edges, key=lambda e: (order[e.source], order[e.target], e.name))


def path_of(version: ArticleVersion, events=None) -> list[str]:
    """The states ``version`` has been in, in order, as its audit trail records them
    (``events``: its audit events in order, when the caller has them already)."""
    if events is None:
        events = AuditEvent.objects.filter(version=version, action__in=list(STATE_AFTER)).order_by("seq")
    states: list[str] = []
    for event in events:
        if event.action not in STATE_AFTER:
            continue
        state = str(STATE_AFTER[AuditAction(event.action)])
        if not states or states[-1] != state:
            states.append(state)
    if not states or states[-1] != version.state:
        states.append(str(version.state))
    return states


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_source(path: list[str] | None = None) -> str:
    """The graph in Graphviz's DOT language; ``path`` (states, in order) is drawn in bold."""
    path = path or []
    on_path = set(path)
    path_moves = set(zip(path, path[1:], strict=False))
    edges = transitions()
    lines = [
        "digraph workflow {",
        # Top to bottom, so the drawing fits a reading column (46rem on the policy page) at
        # nine-tenths of its size or more: its smallest label, 12 pt, stays above 12 px.
        '  rankdir=TB; bgcolor="white"; pad=0.2; nodesep=0.25; ranksep=0.5;',
        '  node [shape=box, style="rounded,filled", fillcolor="white", color="#444444", '
        f'fontname="sans-serif", fontsize={NODE_FONT_PT}, fontcolor="#111111"];',
        f'  edge [color="#555555", fontname="sans-serif", fontsize={EDGE_FONT_PT}, fontcolor="#333333"];',
    ]
    for value, label in VersionState.choices:
        attributes = {"label": label, "id": f"state-{value}"}
        if value in on_path:
            attributes.update(color=PATH_COLOUR, fillcolor=PATH_FILL, penwidth="3", fontcolor="#0b3d1c")
        if path and value == path[-1]:
            attributes.update(label=f"{label}\n(now)")
        lines.append(f"  {_quote(value)} [{', '.join(f'{k}={_quote(v)}' for k, v in attributes.items())}];")
    for edge in edges:
        attributes = {"label": edge.verb, "id": f"move-{edge.source}-{edge.target}"}
        if (edge.source, edge.target) in path_moves:
            attributes.update(color=PATH_COLOUR, penwidth="3", fontcolor="#0b3d1c")
        lines.append(
            f"  {_quote(edge.source)} -> {_quote(edge.target)} "
            f"[{', '.join(f'{k}={_quote(v)}' for k, v in attributes.items())}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def available() -> bool:
    """Whether Graphviz's ``dot`` is installed here (otherwise the pages show a table)."""
    return shutil.which("dot") is not None


class GraphUnavailable(Exception):
    """``dot`` is missing or failed: show the transitions as a table instead."""


def svg(path: list[str] | None = None) -> bytes:
    """The graph as SVG, drawn once per distinct DOT source and kept in memory."""
    source = dot_source(path)
    return _render(hashlib.sha256(source.encode()).hexdigest(), source)


@lru_cache(maxsize=256)
def _render(digest: str, source: str) -> bytes:
    dot = shutil.which("dot")
    if dot is None:
        raise GraphUnavailable("Graphviz's dot is not installed (apt-get install graphviz).")
    try:
        done = subprocess.run(  # noqa: S603 - our own dot, our own DOT source on stdin
            [dot, "-Tsvg"],
            input=source.encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT_SECONDS,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise GraphUnavailable(f"dot failed: {error}") from error
    drawing = done.stdout
    # Drawn by dot from our own labels; still, nothing in it may run.
    lowered = drawing.lower()
    if b"<script" in lowered or b"javascript:" in lowered or b"<foreignobject" in lowered:
        raise GraphUnavailable("dot's output holds active content.")
    return drawing


@dataclass(frozen=True)
class Move:
    """A row of the table of moves: the edge, and whether this version made it."""

    edge: Edge
    taken: bool


def picture(*, src: str, path: list[str] | None = None) -> dict:
    """What ``editorial/_workflow_graph.html`` shows: the image (if ``dot`` is here) and the table."""
    path = path or []
    taken = set(zip(path, path[1:], strict=False))
    return {
        "available": available(),
        "src": src,
        "path": [VersionState(state).label for state in path],
        "moves": [Move(edge, (edge.source, edge.target) in taken) for edge in transitions()],
    }


def svg_response(path: list[str] | None = None) -> HttpResponse:
    """The graph as an ``image/svg+xml`` response (404 where ``dot`` is missing: the page
    shows the table then and never asks for the image)."""
    try:
        drawing = svg(path)
    except GraphUnavailable as error:
        raise Http404(str(error)) from error
    response = HttpResponse(drawing, content_type="image/svg+xml")
    response["X-Content-Type-Options"] = "nosniff"
    return response
