"""Around the article page: the home page with search and topics, the editorial policy,
sitemap.xml, the Atom feed and robots.txt."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from editorial import workflow
from tests.support import flows
from tests.support.signing import signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def published_at(moment, author, editor, reviewers, **kwargs):
    with time_machine.travel(moment, tick=False):
        return flows.published(author, editor, reviewers[:2], **kwargs)


def article(author, editor, reviewers, *, slug, title, topic, body, moment):
    version = workflow.article_create(
        author=author,
        slug=slug,
        topic=topic,
        title=title,
        lead="An answer [1].",
        body=body,
        references=[{"number": 1, "kind": "guideline", "title": "G", "source": "S"}],
    )
    with time_machine.travel(moment, tick=False):
        version = workflow.version_submit(version=version, actor=author)
        for reviewer in reviewers[:2]:
            workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
        version = workflow.version_start_review(version=version, actor=editor)
        for reviewer in reviewers[:2]:
            flows.review(version, reviewer)
        version = workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))
        return workflow.version_publish(version=version, actor=editor, signing=signed(editor, "publish"))


@pytest.fixture
def three(author, editor, reviewers):
    return [
        article(
            author,
            editor,
            reviewers,
            slug="older",
            title="Is walking good for the knees?",
            topic="Orthopaedics",
            body="Walking strengthens muscles around the knee [1].",
            moment=datetime(2025, 1, 10, tzinfo=UTC),
        ),
        article(
            author,
            editor,
            reviewers,
            slug="newest",
            title="Does caffeine cause cramps?",
            topic="Neurology",
            body="Muscle cramps are common at night [1].",
            moment=datetime(2025, 6, 1, tzinfo=UTC),
        ),
        article(
            author,
            editor,
            reviewers,
            slug="middle",
            title="When are headaches dangerous?",
            topic="Neurology",
            body="A sudden severe headache needs urgent care [1].",
            moment=datetime(2025, 3, 5, tzinfo=UTC),
        ),
    ]


# The home page ----------------------------------------------------------------------------
def test_home_lists_published_articles_newest_first_and_nothing_else(
    client, three, author, editor, reviewers
):
    flows.submitted(author, slug="pending-one")
    retracted = flows.published(author, editor, reviewers[:2], slug="retracted-one")
    workflow.version_retract(
        version=retracted, actor=editor, reason="Wrong.", signing=signed(editor, "retract")
    )
    html = client.get("/").content.decode()
    positions = [html.index(f'href="/articles/{slug}/"') for slug in ("newest", "middle", "older")]
    assert positions == sorted(positions)
    assert "/articles/pending-one/" not in html and "/articles/retracted-one/" not in html
    assert "Pending human review" not in html


def test_home_has_a_labelled_search_box_and_topics_with_counts(client, three):
    html = client.get("/").content.decode()
    assert '<form class="search" method="get" action="/" role="search">' in html
    assert '<label for="search-q">Search the articles</label>' in html and 'id="search-q" name="q"' in html
    assert 'href="/?topic=Neurology">Neurology <span class="count">(2)</span>' in html
    assert 'href="/?topic=Orthopaedics">Orthopaedics <span class="count">(1)</span>' in html


def test_topic_filter_lists_only_that_topic(client, three):
    html = client.get("/", {"topic": "Orthopaedics"}).content.decode()
    assert "/articles/older/" in html and "/articles/newest/" not in html and "/articles/middle/" not in html
    assert 'aria-current="page">Orthopaedics' in html


def test_search_finds_articles_by_stemmed_words_and_only_those(client, three, on_postgres):
    # Full-text search stems words: "cramp" finds "cramps"; "headache" the headache article.
    html = client.get("/", {"q": "cramp"}).content.decode()
    assert "/articles/newest/" in html and "/articles/older/" not in html and "/articles/middle/" not in html
    html = client.get("/", {"q": "headaches dangerous"}).content.decode()
    assert "/articles/middle/" in html and "/articles/newest/" not in html
    html = client.get("/", {"q": "knee OR night"}).content.decode()
    assert html.index("/articles/newest/") > 0 and html.index("/articles/older/") > 0


def test_search_falls_back_to_a_plain_match_off_postgresql(client, three, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    html = client.get("/", {"q": "Cramps"}).content.decode()
    assert "/articles/newest/" in html and "/articles/older/" not in html


def test_search_with_no_match_says_so_and_is_not_indexed(client, three):
    response = client.get("/", {"q": "xylophone"})
    assert "No published article matches" in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex"


def test_search_never_finds_unpublished_text(client, three, author):
    workflow.article_create(
        author=author,
        slug="secret-draft",
        title="Hidden?",
        lead="Zebrafish [1].",
        body="Zebrafish.",
        references=[],
    )
    assert "/articles/secret-draft/" not in client.get("/", {"q": "zebrafish"}).content.decode()


@pytest.mark.parametrize(
    "params", [{"q": "x" * 5000}, {"q": "'\"<>;--"}, {"page": "999"}, {"page": "x"}, {"topic": "<script>"}]
)
def test_odd_home_page_parameters_are_answered_not_500(client, three, params):
    response = client.get("/", params)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_home_page_query_budget_is_flat(client, django_assert_max_num_queries, author, editor, reviewers):
    for n in range(25):
        flows.published(author, editor, reviewers[:2], slug=f"article-{n}")
    with django_assert_max_num_queries(4):
        html = client.get("/").content.decode()
    assert "Page 1 of 2" in html
    with django_assert_max_num_queries(4):
        assert client.get("/", {"q": "abruptly"}).status_code == 200


# The editorial policy ------------------------------------------------------------------------
def test_policy_page_quotes_the_live_settings(client, settings):
    settings.EDITORIAL = {
        **settings.EDITORIAL,
        "QUORUM": 3,
        "RE_REVIEW_MONTHS": 18,
        "REVIEW_DAYS": 10,
        "RESPONSE_DAYS": 4,
    }
    html = client.get("/editorial-policy/").content.decode()
    assert '<span class="policy-number" id="policy-quorum">3</span> board approvals' in html
    assert '<span class="policy-number" id="policy-re-review-months">18</span> months' in html
    assert '<span class="policy-number" id="policy-review-days">10</span> days' in html
    assert '<span class="policy-number" id="policy-response-days">4</span> days' in html
    assert "Conflicts of interest" in html and "Nobody reviews or approves a version they wrote" in html
    settings.EDITORIAL = {**settings.EDITORIAL, "QUORUM": 1}
    assert 'id="policy-quorum">1</span> board approval,' in client.get("/editorial-policy/").content.decode()


def test_policy_page_names_the_board(client, demo):
    html = client.get("/editorial-policy/").content.decode()
    assert "Dr. Priya Raman" in html and "PharmD" in html and "Dana Whitfield" not in html


def test_the_article_trust_line_links_to_the_policy_page(client, demo):
    html = client.get("/articles/baclofen-muscle-cramping/").content.decode()
    assert '<a href="/editorial-policy/">View editorial policy</a>' in html
    assert client.get("/editorial-policy/").status_code == 200


# Sitemap, feed, robots ---------------------------------------------------------------------
def test_sitemap_lists_published_articles_only(client, settings, three, author, editor, reviewers):
    settings.EDITORIAL = {**settings.EDITORIAL, "PENDING_REVIEW_VISIBLE": True}
    flows.submitted(author, slug="pending-one")
    retracted = flows.published(author, editor, reviewers[:2], slug="retracted-one")
    workflow.version_retract(
        version=retracted, actor=editor, reason="Wrong.", signing=signed(editor, "retract")
    )
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    urls = {url.find(f"{SITEMAP}loc").text: url.find(f"{SITEMAP}lastmod") for url in root}
    for slug in ("older", "newest", "middle"):
        assert f"http://testserver/articles/{slug}/" in urls
    assert urls["http://testserver/articles/newest/"].text == "2025-06-01"
    assert "http://testserver/editorial-policy/" in urls
    assert not [url for url in urls if "pending-one" in url or "retracted-one" in url]


def test_atom_feed_has_published_articles_newest_first(client, settings, three, author, editor, reviewers):
    settings.EDITORIAL = {**settings.EDITORIAL, "PENDING_REVIEW_VISIBLE": True}
    flows.submitted(author, slug="pending-one")
    response = client.get("/feed/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    entries = root.findall(f"{ATOM}entry")
    links = [entry.find(f"{ATOM}link").get("href") for entry in entries]
    assert links == [f"http://testserver/articles/{slug}/" for slug in ("newest", "middle", "older")]
    first = entries[0]
    assert first.find(f"{ATOM}title").text == "Does caffeine cause cramps?"
    assert first.find(f"{ATOM}updated").text.startswith("2025-06-01")
    assert first.find(f"{ATOM}summary").text == "An answer."


def test_feed_entry_is_updated_when_a_new_version_is_published(client, three, author, editor, reviewers):
    older = three[0]
    second = workflow.version_create_next(article=older.article, author=author)
    workflow.version_edit_draft(version=second, actor=author, change_note="Update.")
    with time_machine.travel(datetime(2025, 9, 1, tzinfo=UTC), tick=False):
        second = workflow.version_submit(version=second, actor=author)
        for reviewer in reviewers[:2]:
            workflow.assignment_create(version=second, reviewer=reviewer, actor=editor)
        second = workflow.version_start_review(version=second, actor=editor)
        for reviewer in reviewers[:2]:
            flows.review(second, reviewer)
        second = workflow.version_approve(version=second, actor=editor, signing=signed(editor, "approve"))
        workflow.version_publish(version=second, actor=editor, signing=signed(editor, "publish"))
    root = ET.fromstring(client.get("/feed/").content)
    entry = root.findall(f"{ATOM}entry")[0]
    assert entry.find(f"{ATOM}link").get("href") == "http://testserver/articles/older/"
    assert entry.find(f"{ATOM}updated").text.startswith("2025-09-01")
    assert entry.find(f"{ATOM}published").text.startswith("2025-01-10")


def test_robots_txt_points_to_the_sitemap(client):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in body and "Disallow: /admin/" in body


def test_every_page_links_the_feed_and_policy(client, demo):
    html = client.get("/").content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/editorial-policy/"' in html


@pytest.mark.parametrize("query", ["?q=%00", "?topic=%00", "?q=baclofen%00"])
def test_a_nul_in_the_search_is_dropped_not_a_500(client, query):
    assert client.get("/" + query).status_code == 200
