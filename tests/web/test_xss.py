"""Cross-site scripting, without a browser: every vector of ``tests/support/xss_vectors.py`` through
the renderer, then through every field an author or a reviewer can write (via the real
services) onto every page that shows it, each page's bytes parsed and searched for anything
a vector could have injected. ``test_xss_browser.py`` loads the same pages in Chromium."""

import json
import time
from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from articles.rendering import render_body, render_inline
from editorial import workflow
from editorial.errors import InvalidInput
from tests.support import xss_vectors
from tests.support.factories import make_user
from tests.support.xss_vectors import VECTORS, hostile_board, pages, scan
from workspace.forms import ReferenceForm

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts"


@pytest.mark.parametrize("vector", VECTORS, ids=str)
def test_the_renderer_lets_no_vector_through(vector):
    for html in (render_body(vector.payload, [1]), render_inline(vector.payload, [1])):
        findings = scan(html)
        assert not findings, f"{vector}: {findings} in {html!r}"
        assert "<script" not in html.lower()


def test_the_vector_list_is_long_and_varied():
    names = " ".join(v.name for v in VECTORS).lower()
    assert len(VECTORS) >= 50
    for kind in (
        "script",
        "onerror",
        "javascript",
        "data",
        "vbscript",
        "svg",
        "math",
        "md link",
        "md image",
        "reference link",
        "autolink",
        "entit",
        "json-ld",
        "template",
        "breakout",
    ):
        assert kind in names, kind
    assert len({v.payload for v in VECTORS}) == len(VECTORS)


HARMLESS_RAW = {
    "script nested to survive one pass",  # raw, the browser reads a tag named "scr<script"
    "script data escape state",  # only dangerous inside a script element (JSON-LD)
    "noscript breakout",  # needs scripting-enabled parsing, which html.parser does not do
    "md code span",  # a code span is text in every Markdown renderer
    "md link title breakout",  # markdown-it escapes titles even without a sanitizer
    "md link with html text",  # its unquoted handler holds "=", so no parser reads it as a tag
    "md autolink quote breakout",  # an autolink is percent-encoded by every renderer
    "JS template literal",  # only dangerous inside a JavaScript template string: the pages have none
}
ATTRIBUTE_CONTEXT = {
    "double-quote handler": '<p title="{}">x</p>',
    "single-quote autofocus handler": "<p title='{}'>x</p>",
    "unquoted attribute handler": "<p title={}>x</p>",
}


def _unsafe_markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True})
    md.validateLink = lambda url: True
    return md.render(text)


def test_the_scanner_sees_what_a_vector_would_inject():
    """The check itself can fail: each vector, unsanitized, is seen (markup raw, Markdown
    through markdown-it with raw HTML on and no link check, URLs in an href)."""
    missed = []
    for vector in VECTORS:
        if vector.name in HARMLESS_RAW or vector.name.startswith(("escaped", "numeric entities", "template")):
            continue
        if vector.name in ATTRIBUTE_CONTEXT:
            html = ATTRIBUTE_CONTEXT[vector.name].format(vector.payload)
        elif vector.name.startswith("md "):
            html = _unsafe_markdown(vector.payload)
        elif vector.name.startswith("bare "):
            html = f'<a href="{vector.payload.strip()}">x</a>'
        else:
            html = f"<div>{vector.payload}</div>"
        if not scan(html):
            missed.append(f"{vector}: {html!r}")
    assert not missed, "\n".join(missed)


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
def test_no_vector_survives_any_field_on_any_page(capsys):
    started = time.monotonic()
    board = hostile_board()
    built = time.monotonic() - started
    everything = {v.number for v in VECTORS}
    # Every field was written with every vector it accepts.
    assert set(board.coverage) >= {
        "title",
        "topic",
        "lead",
        "body",
        "summary",
        "change note",
        "reference title",
        "reference authors",
        "reference source",
        "reference doi",
        "reference url",
        "review comment to author",
        "review confidential comment",
        "conflict statement",
        "decline note",
        "request-changes message",
        "approval note",
        "reject reason",
        "withdraw reason",
        "retract reason",
        "annotation comment",
        "annotation reply",
        "annotation answer",
    }
    for name, numbers in board.coverage.items():
        if not name.startswith(("reference doi", "reference url", "topic")):
            assert numbers == everything, (name, sorted(everything - numbers))

    clients: dict = {}
    per_surface: dict[str, dict] = defaultdict(lambda: {"pages": 0, "findings": []})
    for page in pages(board):
        key = getattr(page.who, "pk", None)
        client = clients.setdefault(key, _client(page.who))
        response = client.get(page.url)
        assert response.status_code == 200, (page, response.status_code)
        content = response.content
        surface = per_surface[page.surface]
        surface["pages"] += 1
        surface["findings"] += [f"{page.label} ({page.url}): {finding}" for finding in scan(content)]

    figures = {}
    for surface, seen in sorted(per_surface.items()):
        let_through = {name for finding in seen["findings"] for name in finding.split("[")[-1].split(", ")}
        figures[surface] = {
            "pages": seen["pages"],
            "vectors_tried": len(VECTORS),
            "vectors_blocked": len(VECTORS) - len({n for n in let_through if n.startswith("#")}),
            "findings": len(seen["findings"]),
        }
    figures["fields"] = {name: len(numbers) for name, numbers in sorted(board.coverage.items())}
    figures["setup_seconds"] = round(built, 1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "xss-figures.json").write_text(json.dumps(figures, indent=2) + "\n")
    with capsys.disabled():
        print("\nXSS figures per surface:", json.dumps({k: v for k, v in figures.items() if k != "fields"}))
    problems = [finding for seen in per_surface.values() for finding in seen["findings"]]
    assert not problems, "\n".join(problems[:40])


@pytest.mark.django_db
def test_template_syntax_in_a_field_is_shown_as_text(client):
    board = hostile_board(title_rounds=0)
    html = client.get(board.rounds[0].article.get_absolute_url()).content.decode()
    assert "{{ request.user.password }}" in html
    assert "{% debug %}" in html
    assert "${window.__xss=" in html


# Fields that refuse what a vector needs: the refusal is clear, and nothing is written. --------


@pytest.mark.django_db
@pytest.mark.parametrize("vector", VECTORS, ids=str)
def test_pmid_refuses_every_vector_in_the_service_and_the_form(vector):
    author = make_user("Author")
    ref = {"number": 1, "kind": "other", "title": "A title", "pmid": vector.payload[:20]}
    with pytest.raises(InvalidInput, match=r"Reference 1: a PubMed ID \(PMID\) is a number"):
        workflow.article_create(author=author, slug="pmid", title="Is it?", references=[ref])
    assert not author.articles.exists()
    form = ReferenceForm(data={**ref, "pmid": vector.payload})
    assert not form.is_valid()
    assert "pmid" in form.errors


URL_REFUSED = [v for v in VECTORS if v.name.startswith("bare ")] + [
    xss_vectors.Vector(0, "javascript in a URL with a host", "javascript://example.org/%0Aalert(1)"),
    xss_vectors.Vector(0, "data URL", "data:text/html,<script>alert(1)</script>"),
    xss_vectors.Vector(0, "leading tab", "\tjavascript:alert(1)"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("vector", URL_REFUSED, ids=str)
def test_reference_url_refuses_scripting_schemes_in_the_service_and_the_form(vector):
    author = make_user("Author")
    ref = {"number": 1, "kind": "other", "title": "A title", "url": vector.payload}
    with pytest.raises(InvalidInput, match="Reference 1: the URL must be a web address starting with http"):
        workflow.article_create(author=author, slug="url", title="Is it?", references=[ref])
    assert not author.articles.exists()
    form = ReferenceForm(data={**ref, "url": vector.payload})
    assert not form.is_valid() and "url" in form.errors


@pytest.mark.django_db
def test_reference_doi_refuses_a_vector_with_spaces_and_escapes_one_without():
    author = make_user("Author")
    spaced = next(v for v in VECTORS if " " in v.payload)
    ref = {"number": 1, "kind": "other", "title": "A title", "doi": "10.1000/" + spaced.payload}
    with pytest.raises(InvalidInput, match="Reference 1: a DOI starts with"):
        workflow.article_create(author=author, slug="doi", title="Is it?", references=[ref])
    assert not ReferenceForm(data=ref).is_valid()
