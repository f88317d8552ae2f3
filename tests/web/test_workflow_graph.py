"""The workflow graph is drawn from ArticleVersion's own transitions (editorial/workflow_graph.py):
every transition of the model is an arrow of the picture, the version page draws the version's
own path in bold, and without Graphviz the pages show the same moves as a table."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from articles.models import ArticleVersion
from editorial import workflow_graph
from editorial.demo import DEMO_SLUG
from tests.support.factories import make_user

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def model_moves() -> set[tuple[str, str]]:
    """(source, target) of every transition django-fsm knows on ArticleVersion.state."""
    field = ArticleVersion._meta.get_field("state")
    return {(str(t.source), str(t.target)) for t in field.get_all_transitions(ArticleVersion)}


def drawn_edges(svg: bytes) -> dict[tuple[str, str], ET.Element]:
    """(source, target) -> the <g class="edge"> Graphviz drew for it."""
    root = ET.fromstring(svg)
    edges = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "edge":
            source, target = group.find(f"{SVG}title").text.split("->")
            edges[(source, target)] = group
    return edges


def stroke(edge: ET.Element) -> str:
    return edge.find(f"{SVG}path").get("stroke")


@pytest.fixture(autouse=True)
def fresh_drawings():
    workflow_graph._render.cache_clear()
    yield
    workflow_graph._render.cache_clear()


def test_every_transition_of_the_model_is_an_arrow_of_the_picture(client, private_cache):
    # given the model's transitions
    moves = model_moves()
    assert len(moves) >= 10
    # when the policy page's picture is fetched
    response = client.get(reverse("reader:workflow"))
    # then it is an SVG image with one arrow per transition, and no other
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert set(drawn_edges(response.content)) == moves
    assert b"<script" not in response.content.lower()


def test_a_transition_missing_from_the_picture_is_caught(monkeypatch):
    # given a drawing from which one move was dropped
    dropped = workflow_graph.transitions()[1:]
    monkeypatch.setattr(workflow_graph, "transitions", lambda: dropped)
    # then the model has a move the picture lacks
    assert model_moves() - set(drawn_edges(workflow_graph.svg()))


def test_the_policy_page_shows_the_picture_and_its_table(client, private_cache):
    page = client.get(reverse("reader:policy")).content.decode()
    assert f'<img src="{reverse("reader:workflow")}" alt="' in page
    assert page.count("<tr><td>") == len(model_moves())


def test_the_drawing_is_made_once_and_kept(monkeypatch):
    calls = []
    real_run = workflow_graph.subprocess.run
    monkeypatch.setattr(
        workflow_graph.subprocess, "run", lambda *a, **k: calls.append(1) or real_run(*a, **k)
    )
    first = workflow_graph.svg()
    assert workflow_graph.svg() == first
    assert workflow_graph.svg(["draft", "submitted"]) != first  # another path, another picture
    assert len(calls) == 2


def test_the_version_page_draws_the_versions_own_path(client, demo):
    # given the demo's published version 2, and its editor
    client.force_login(make_user("Editor", username="graph-editor"))
    version = ArticleVersion.objects.get(article__slug=DEMO_SLUG, number=2)
    path = workflow_graph.path_of(version)
    assert path == ["draft", "submitted", "under_review", "approved", "published"]
    # when the version page and its picture are fetched
    page = client.get(reverse("admin:articles_articleversion_change", args=[version.pk])).content.decode()
    picture = client.get(reverse("admin:articles_articleversion_workflow", args=[version.pk]))
    # then the path is drawn in the board's green, the other moves are not
    assert "This version's path: Draft → Submitted → Under review → Approved → Published." in page
    assert picture["Content-Type"] == "image/svg+xml"
    edges = drawn_edges(picture.content)
    taken = set(zip(path, path[1:], strict=False))
    assert {move for move, edge in edges.items() if stroke(edge) == workflow_graph.PATH_COLOUR} == taken
    assert set(edges) == model_moves()
    assert page.count('<tr class="taken">') == len(taken)


def test_without_graphviz_the_moves_are_a_table(client, private_cache, monkeypatch):
    # given a machine without dot
    monkeypatch.setattr(workflow_graph.shutil, "which", lambda name: None)
    # then the policy page has no picture, and the moves as a table with a caption and headers
    page = client.get(reverse("reader:policy")).content.decode()
    assert 'src="/editorial-policy/workflow.svg"' not in page
    assert "<caption>Moves of the workflow</caption>" in page
    assert '<th scope="col">From</th><th scope="col">Move</th><th scope="col">To</th>' in page
    assert "<tr><td>Under review</td><td>request changes</td><td>Changes requested</td></tr>" in page
    assert page.count("<tr><td>") == len(model_moves())
    # and the picture's address says it is not there
    assert client.get(reverse("reader:workflow")).status_code == 404
