"""The article page is fast: a flat query budget on a miss, no query on a hit, 304s for
conditional GETs, and a cache that never serves a page the record has moved past."""

import pytest
from django.utils.http import http_date

from articles.models import Article
from editorial import workflow
from editorial.models import AuditEvent, BoardMember
from reader import pagecache
from tests.support import flows
from tests.support.signing import signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]


def big_article(author, editor, reviewers, *, references: int, history_events: int):
    """A published article with ``references`` cited references and at least
    ``history_events`` public events in its record, all made by the real services."""
    refs = [
        {
            "number": n,
            "kind": "research",
            "title": f"Study {n}",
            "authors": "A B",
            "source": "Journal",
            "year": 2000 + n % 25,
            "doi": f"10.1000/{n}",
            "pmid": str(1000 + n),
        }
        for n in range(1, references + 1)
    ]
    body = "\n\n".join(f"Statement {n} [{n}]." for n in range(1, references + 1))
    version = flows.published(author, editor, reviewers[:2], slug="big", body=body, references=refs)
    article = version.article
    while AuditEvent.objects.public().filter(article=article).count() < history_events:
        # submitted then withdrawn: a draft never submitted is not part of the public history
        draft = workflow.version_create_next(article=article, author=author)
        workflow.version_submit(version=draft, actor=author)
        workflow.version_withdraw(version=draft, actor=author, reason="Not needed after all.")
    return Article.objects.get(pk=article.pk)


@pytest.mark.parametrize("audience", ["", "patient", "clinician"])
def test_article_page_query_budget_holds_with_50_references_and_200_history_events(
    client, django_assert_max_num_queries, author, editor, reviewers, audience
):
    article = big_article(author, editor, reviewers, references=50, history_events=200)
    assert AuditEvent.objects.public().filter(article=article).count() >= 200
    if audience:
        client.cookies["audience"] = audience
    with django_assert_max_num_queries(6) as captured:
        response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="ref-50"' in html and "Study 50" in html
    assert html.count(">Withdrawn<") >= 60
    assert "Not needed after all." not in html  # the author's words on a version never approved
    # The miss is rendered, not served from a cache.
    assert len(captured.captured_queries) >= 4


def test_query_count_does_not_grow_with_references_or_history(client, author, editor, reviewers):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(article):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(article.get_absolute_url()).status_code == 200
        return len(captured)

    small = flows.published(author, editor, reviewers[:2], slug="small").article
    small_count = count(small)
    big = big_article(author, editor, reviewers, references=50, history_events=200)
    assert count(big) == small_count


def test_a_cached_page_is_served_with_no_query(client, django_assert_num_queries, author, editor, reviewers):
    url = flows.published(author, editor, reviewers[:2]).article.get_absolute_url()
    first = client.get(url)
    client.get(url)  # the first render learns which article the slug names; this one is stored
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content == first.content
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_another_workers_change_is_seen_once_the_local_token_expires(
    client, django_assert_num_queries, monkeypatch, author, editor, reviewers
):
    # given a page this worker serves from its own memory, trusting the token for a moment
    article = flows.published(author, editor, reviewers[:2]).article
    url = article.get_absolute_url()
    client.get(url)
    client.get(url)
    with django_assert_num_queries(0):
        client.get(url)
    # when another worker replaces the article's token in the shared cache
    pagecache._replace(pagecache._article_key(article.pk))
    # then this worker may serve its page until the local token expires, never longer
    expiry = pagecache._local_tokens[article.pk][0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: expiry + 0.001)
    with django_assert_num_queries(5):  # a fresh render under the new token
        assert client.get(url).status_code == 200


def test_this_workers_own_change_is_seen_at_once(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    url = version.article.get_absolute_url()
    client.get(url)
    client.get(url)
    workflow.version_retract(
        version=version, actor=editor, reason="A dose was wrong.", signing=signed(editor, "retract")
    )
    assert "A dose was wrong." in client.get(url).content.decode()


def test_each_audience_is_cached_on_its_own(client, django_assert_num_queries, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    url = version.article.get_absolute_url()
    for _ in range(2):
        client.get(url)
    client.cookies["audience"] = "patient"
    patient = client.get(url).content.decode()
    assert "No plain-language summary has been reviewed" in patient
    with django_assert_num_queries(0):
        again = client.get(url).content.decode()
    assert again == patient
    client.cookies["audience"] = "clinician"
    assert "No plain-language summary has been reviewed" not in client.get(url).content.decode()


def test_conditional_get_answers_304_by_etag_and_by_date(client, author, editor, reviewers):
    url = flows.published(author, editor, reviewers[:2]).article.get_absolute_url()
    response = client.get(url)
    etag, last_modified = response["ETag"], response["Last-Modified"]
    assert etag.startswith('"') and response["Vary"] == "Cookie"
    not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=http_date(0)).status_code == 200


def test_the_etag_differs_per_audience(client, author, editor, reviewers):
    url = flows.published(author, editor, reviewers[:2]).article.get_absolute_url()
    anyone = client.get(url)["ETag"]
    client.cookies["audience"] = "patient"
    assert client.get(url, HTTP_IF_NONE_MATCH=anyone).status_code == 200


def test_publishing_a_new_version_replaces_the_cached_page(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    url = version.article.get_absolute_url()
    for _ in range(3):
        old = client.get(url)
    second = workflow.version_create_next(article=version.article, author=author)
    workflow.version_edit_draft(version=second, actor=author, lead="The second answer.", change_note="Newer.")
    second = workflow.version_submit(version=second, actor=author)
    under_review = client.get(url).content.decode()
    assert "An update to this article is being reviewed" in under_review
    for reviewer in reviewers[:2]:
        workflow.assignment_create(version=second, reviewer=reviewer, actor=editor)
    second = workflow.version_start_review(version=second, actor=editor)
    for reviewer in reviewers[:2]:
        flows.review(second, reviewer)
    second = workflow.version_approve(version=second, actor=editor, signing=signed(editor, "approve"))
    workflow.version_publish(version=second, actor=editor, signing=signed(editor, "publish"))
    response = client.get(url, HTTP_IF_NONE_MATCH=old["ETag"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "The second answer." in html and "The answer first." not in html
    assert "An update to this article is being reviewed" not in html


def test_a_retraction_replaces_the_cached_page(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    url = version.article.get_absolute_url()
    for _ in range(3):
        client.get(url)
    workflow.version_retract(
        version=version, actor=editor, reason="Withdrawn by the board.", signing=signed(editor, "retract")
    )
    html = client.get(url).content.decode()
    assert "This article has been retracted" in html and "Withdrawn by the board." in html


def test_a_board_members_new_credentials_reach_every_cached_page(client, author, editor, reviewers):
    url = flows.published(author, editor, reviewers[:2]).article.get_absolute_url()
    for _ in range(3):
        client.get(url)
    member = BoardMember.objects.get(user=reviewers[0])
    member.credentials = "MD, FRCP"
    member.save()
    assert "MD, FRCP" in client.get(url).content.decode()


def test_a_page_rendered_from_a_snapshot_the_record_has_moved_past_is_never_served(author, editor, reviewers):
    # given a reader who looked the page up (reading the article's token) before a change
    article = flows.published(author, editor, reviewers[:2]).article
    pagecache.remember_slug(article.slug, article.pk)
    found = pagecache.lookup(slug=article.slug, audience="")
    assert found.token is not None and found.page is None
    # when the change commits and only then the stale render is stored
    pagecache.invalidate_article(article.pk)
    stale = pagecache.CachedPage(
        content=b"stale", etag='"x"', last_modified=None, article_id=article.pk, token=found.token
    )
    pagecache.store(found.key, stale)
    # then nobody is served it
    assert pagecache.lookup(slug=article.slug, audience="").page is None


def test_changing_the_editorial_settings_changes_the_page_key(settings):
    before = pagecache.page_key(slug="a", audience="", generation="g")
    settings.EDITORIAL = {**settings.EDITORIAL, "RE_REVIEW_MONTHS": 6}
    assert pagecache.page_key(slug="a", audience="", generation="g") != before


def test_next_review_due_follows_the_articles_own_interval(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    url = version.article.get_absolute_url()
    for _ in range(3):
        client.get(url)
    article = Article.objects.get(pk=version.article_id)
    article.re_review_months = 3
    article.save()
    due = article.next_review_due
    assert (
        f'<dt>Next review due</dt><dd><time datetime="{due.replace(microsecond=0).isoformat()}"'
        in client.get(url).content.decode()
    )


@pytest.fixture
def unreachable_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5},
        }
    }


def test_an_unreachable_cache_neither_breaks_the_page_nor_the_workflow(
    client, author, editor, reviewers, unreachable_cache
):
    version = flows.published(author, editor, reviewers[:2])  # every audit event tries to invalidate
    url = version.article.get_absolute_url()
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200 and version.title in response.content.decode()
    workflow.version_retract(
        version=version,
        actor=editor,
        reason="Checked while the cache was down.",
        signing=signed(editor, "retract"),
    )
    assert "This article has been retracted" in client.get(url).content.decode()


def test_the_redis_backend_reuses_one_client_and_works(settings):
    import os
    import uuid

    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"reader-test-{uuid.uuid4().hex}",
        }
    }
    cache = caches["default"]
    assert cache.client.get_client(write=True) is cache.client.get_client(write=True)
    cache.set("answer", {"bytes": b"page"}, timeout=30)
    assert cache.get_many(["answer", "missing"]) == {"answer": {"bytes": b"page"}}
    cache.delete("answer")
