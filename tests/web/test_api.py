"""The content API at /api/v1/: keys, quotas, published content only, caching, and answers
that match the OpenAPI document the API publishes."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openapi_spec_validator import validate as validate_spec

from api import keys, usage
from api.models import DailyUsage, Partner
from editorial import workflow
from editorial.models import BoardMember
from tests.support import flows
from tests.support.factories import make_user
from tests.support.openapi import check_response
from tests.support.signing import signed

pytestmark = [pytest.mark.django_db]

API = "/api/v1"


@pytest.fixture
def key(db):
    _, key = keys.partner_create(name="A partner site")
    return key


@pytest.fixture
def call(client, key):
    """GET an API path with the partner's key."""

    def get(path, **kwargs):
        return client.get(path, HTTP_X_API_KEY=key, **kwargs)

    return get


@pytest.fixture
def document(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def published(author, editor, reviewers):
    BoardMember.objects.filter(user=reviewers[0]).update(public=True)
    version = flows.published(author, editor, reviewers[:2], slug="published-one")
    return version


# Keys ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("private_cache")
def test_without_a_key_the_answer_is_401_with_a_message(client, document):
    response = client.get(f"{API}/articles")
    assert response.status_code == 401
    assert "X-API-Key" in response.json()["detail"]
    check_response(document, f"{API}/articles", response)


@pytest.mark.usefixtures("private_cache")
def test_an_unknown_key_is_401_and_a_revoked_one_403(client, key, document):
    response = client.get(f"{API}/topics", HTTP_X_API_KEY="mr_not-a-key")
    assert response.status_code == 401 and "not known" in response.json()["detail"]
    assert client.get(f"{API}/topics", HTTP_X_API_KEY=key).status_code == 200  # cached as valid now
    keys.partner_revoke(partner=Partner.objects.get())
    response = client.get(f"{API}/topics", HTTP_X_API_KEY=key)
    assert response.status_code == 403 and "revoked" in response.json()["detail"]
    check_response(document, f"{API}/topics", response)


def test_a_key_is_stored_only_as_its_hash(key):
    partner = Partner.objects.get()
    assert partner.key_hash == keys.digest(key) and key not in (partner.key_hash, partner.key_prefix)
    assert key.startswith(partner.key_prefix) and len(key) > 40


@pytest.fixture
def redis_counts(settings):
    """The real cache (Redis), with no API counts left from an earlier run."""
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        pytest.fail("This test counts in Redis: run it with REDIS_URL set (make test does).")
    cache.delete_pattern("api:*")
    usage.forget_local_state()
    yield
    cache.delete_pattern("api:*")
    usage.forget_local_state()


@pytest.mark.usefixtures("redis_counts")
def test_past_the_quota_the_answer_is_429_with_retry_after(client, document):
    _, key = keys.partner_create(name="Small quota", requests_per_minute=2)
    statuses = [client.get(f"{API}/topics", HTTP_X_API_KEY=key).status_code for _ in range(2)]
    refused = client.get(f"{API}/topics", HTTP_X_API_KEY=key)
    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    check_response(document, f"{API}/topics", refused)


@pytest.mark.usefixtures("redis_counts")
def test_the_minute_counter_starts_again_each_minute():
    minute = 1_800_000_000 - (1_800_000_000 % 60)
    assert usage.count_request(partner_id=99, per_minute=1, now=minute + 1) is None
    assert usage.count_request(partner_id=99, per_minute=1, now=minute + 50) == 10  # retry in 10 s
    assert usage.count_request(partner_id=99, per_minute=1, now=minute + 61) is None


@pytest.mark.usefixtures("redis_counts")
def test_a_worker_sees_the_other_workers_counts_within_a_second():
    minute = 1_800_000_000 - (1_800_000_000 % 60)
    # given this worker counted one request of the key (and added it to the shared count)
    assert usage.count_request(partner_id=98, per_minute=5, now=minute + 1) is None
    mine = dict(usage._tallies)
    # and another worker served four more, added to the shared count too
    usage.forget_local_state()
    for _ in range(4):
        assert usage.count_request(partner_id=98, per_minute=5, now=minute + 1.2) is None
    usage.flush_all()
    usage._tallies.clear()
    usage._tallies.update(mine)
    # then a second later this worker asks the shared count, finds the quota used, and refuses
    assert usage.count_request(partner_id=98, per_minute=5, now=minute + 2.1) == 58


@pytest.mark.usefixtures("redis_counts")
def test_every_request_counts_towards_the_keys_day(client, key):
    partner = Partner.objects.get()
    for _ in range(3):
        client.get(f"{API}/topics", HTTP_X_API_KEY=key)
    today = timezone.now().date()
    # the worker keeps up to a second of its count to itself (usage.FLUSH_SECONDS)
    assert usage.requests_on(partner_id=partner.pk, day=today) >= 1
    usage.flush_all()
    assert usage.requests_on(partner_id=partner.pk, day=today) == 3
    assert usage.record_usage() == 1
    assert DailyUsage.objects.get(partner=partner, day=today).requests == 3
    assert usage.record_usage() == 0  # nothing new: nothing written


def test_the_api_key_command_creates_lists_and_revokes():
    out = io.StringIO()
    call_command("api_key", "create", "Clinic app", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    partner = Partner.objects.get(name="Clinic app")
    assert partner.key_hash == keys.digest(key)
    out = io.StringIO()
    call_command("api_key", "list", stdout=out)
    assert "Clinic app" in out.getvalue() and "active" in out.getvalue()
    call_command("api_key", "revoke", "Clinic app", stdout=io.StringIO())
    assert Partner.objects.get().revoked_at is not None
    with pytest.raises(Exception, match="already exists"):
        call_command("api_key", "create", "Clinic app", stdout=io.StringIO())


def test_the_admin_shows_a_new_key_once_and_revokes(client):
    root = make_user(is_staff=True, is_superuser=True)
    client.force_login(root)
    response = client.post(
        reverse("admin:api_partner_add"), {"name": "News site", "contact_email": "", **INLINE}, follow=True
    )
    assert response.status_code == 200
    partner = Partner.objects.get(name="News site")
    shown = [str(m) for m in response.context["messages"]]
    key = next(word for text in shown for word in text.split() if word.startswith(keys.KEY_PREFIX))
    assert keys.digest(key) == partner.key_hash
    assert key not in client.get(reverse("admin:api_partner_change", args=[partner.pk])).content.decode()
    client.post(
        reverse("admin:api_partner_changelist"), {"action": "revoke_keys", "_selected_action": [partner.pk]}
    )
    assert Partner.objects.get().revoked_at is not None


INLINE = {
    "usage-TOTAL_FORMS": "0",
    "usage-INITIAL_FORMS": "0",
    "usage-MIN_NUM_FORMS": "0",
    "usage-MAX_NUM_FORMS": "0",
}


# What is reachable -------------------------------------------------------------------------------


@pytest.mark.usefixtures("private_cache")
def test_the_list_holds_published_articles_only(call, document, published, author, editor, reviewers):
    flows.approved(author, editor, reviewers[:2], slug="approved-only")
    flows.under_review(author, editor, reviewers[:1], slug="under-review")
    flows.draft(author, slug="a-draft")
    response = call(f"{API}/articles")
    assert response.status_code == 200
    body = response.json()
    assert [item["slug"] for item in body["results"]] == ["published-one"]
    assert body["count"] == 1 and body["next"] is None
    assert body["results"][0]["url"].endswith(f"{API}/articles/published-one")
    check_response(document, f"{API}/articles", response)
    for slug in ("approved-only", "under-review", "a-draft", "no-such-article"):
        response = call(f"{API}/articles/{slug}")
        assert response.status_code == 404, slug
        assert "No published article" in response.json()["detail"]
        check_response(document, f"{API}/articles/{slug}", response)


@pytest.mark.usefixtures("private_cache")
def test_search_topic_updated_since_and_pages(call, author, editor, reviewers):
    for slug in ("first", "second", "third"):
        flows.published(author, editor, reviewers[:2], slug=slug)
    body = call(f"{API}/articles", data={"page_size": 2}).json()
    assert body["count"] == 3 and body["pages"] == 2 and len(body["results"]) == 2
    assert body["next"] and "page=2" in body["next"]
    assert len(call(body["next"]).json()["results"]) == 1
    later = timezone.now() + timedelta(minutes=1)
    assert call(f"{API}/articles", data={"updated_since": later.isoformat()}).json()["count"] == 0
    earlier = timezone.now() - timedelta(days=1)
    assert call(f"{API}/articles", data={"updated_since": earlier.isoformat()}).json()["count"] == 3
    assert call(f"{API}/articles", data={"q": "question"}).json()["count"] == 3
    assert call(f"{API}/articles", data={"q": "zzzunmatched"}).json()["count"] == 0


@pytest.mark.usefixtures("private_cache")
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 101}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_malformed_parameters_are_400_with_the_field_named(call, document, params, field):
    response = call(f"{API}/articles", data=params)
    assert response.status_code == 400
    body = response.json()
    assert [error["field"] for error in body["errors"]] == [field]
    assert field in body["detail"]
    check_response(document, f"{API}/articles", response)


@pytest.mark.usefixtures("private_cache")
def test_a_page_past_the_last_is_404(call, document, published):
    response = call(f"{API}/articles", data={"page": 5})
    assert response.status_code == 404 and "No page 5" in response.json()["detail"]
    check_response(document, f"{API}/articles", response)


# One article ---------------------------------------------------------------------------------------


@pytest.mark.usefixtures("private_cache")
def test_an_article_carries_its_review_record(call, document, published, reviewers):
    response = call(f"{API}/articles/published-one")
    assert response.status_code == 200
    check_response(document, f"{API}/articles/published-one", response)
    body = response.json()
    version = published
    assert body["version"] == version.number and body["title"] == version.title
    assert body["lead"]["text"] == "The answer first."
    assert "<sup" in body["body"]["html"] and "[1]" not in body["body"]["text"]
    assert [ref["number"] for ref in body["references"]] == [1, 2]
    assert body["references"][0]["kind"] == "guideline" and body["references"][0]["year"] == 2020
    listed, unlisted = (BoardMember.objects.get(user=user) for user in reviewers[:2])
    by_name = {reviewer["name"]: reviewer for reviewer in body["reviewers"]}
    assert by_name[listed.display_name]["board_url"].endswith(f"/board/#{listed.anchor}")
    assert by_name[unlisted.display_name]["board_url"] is None
    assert {reviewer["conflict_of_interest"] for reviewer in body["reviewers"]} == {"None declared"}
    assert body["last_reviewed"] and body["next_review_due"]
    assert body["canonical_url"].endswith("/articles/published-one/")
    assert body["canonical_url"] in body["attribution"] and "Medical Advisory Board" in body["attribution"]
    assert "editorial.version.published" in [event["action"] for event in body["history"]]
    assert body["trail"]["events"] >= len(body["history"])
    assert [a["audience"] for a in body["audiences"]] == ["patient", "clinician", "student"]
    assert body["audiences"][0]["sections"] == ["lead", "body"]  # no summary in this article


@pytest.mark.usefixtures("private_cache")
def test_a_retracted_article_is_410_with_its_notice(call, document, published, editor):
    workflow.version_retract(
        version=published, actor=editor, reason="A dose was wrong.", signing=signed(editor, "retract")
    )
    response = call(f"{API}/articles/published-one")
    assert response.status_code == 410
    body = response.json()
    assert body["reason"] == "A dose was wrong." and "retracted" in body["detail"]
    check_response(document, f"{API}/articles/published-one", response)
    assert call(f"{API}/articles").json()["count"] == 0


@pytest.mark.usefixtures("private_cache")
def test_the_article_is_served_from_cache_with_validators_and_304(
    call, published, django_assert_num_queries, editor
):
    first = call(f"{API}/articles/published-one")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag and modified
    call(f"{API}/articles/published-one")  # the first render learns which article the slug names
    with django_assert_num_queries(0):  # the key and the document both from the cache
        again = call(f"{API}/articles/published-one")
    assert again.content == first.content
    with django_assert_num_queries(0):
        not_modified = call(f"{API}/articles/published-one", HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not not_modified.content
    # a new event on the article (a retraction) makes the cached document stale at once
    workflow.version_retract(
        version=published, actor=editor, reason="Wrong.", signing=signed(editor, "retract")
    )
    assert call(f"{API}/articles/published-one", HTTP_IF_NONE_MATCH=etag).status_code == 410


@pytest.mark.usefixtures("private_cache")
def test_a_fresh_article_document_costs_the_pages_queries_plus_the_key(
    call, author, editor, reviewers, django_assert_num_queries
):
    version = flows.published(author, editor, reviewers[:2])
    for number in range(2, 5):  # a longer history does not add queries
        version = flows.published_next(
            version.article, editor, reviewers[:2], change_note=f"Update {number}."
        )
    # the key (1), the article, references, public trail, approvals, update check (5)
    with django_assert_num_queries(6):
        assert call(f"{API}/articles/{version.article.slug}").status_code == 200


@pytest.mark.usefixtures("private_cache")
def test_topics_and_board(call, document, published, reviewers):
    response = call(f"{API}/topics")
    check_response(document, f"{API}/topics", response)
    response = call(f"{API}/board")
    assert response.status_code == 200
    check_response(document, f"{API}/board", response)
    members = response.json()
    assert [member["name"] for member in members] == [BoardMember.objects.get(user=reviewers[0]).display_name]
    assert members[0]["reviewed_articles"][0]["slug"] == "published-one"
    assert members[0]["conflicts_of_interest"] == "None declared"


# The documents --------------------------------------------------------------------------------------


def test_the_openapi_document_is_valid_openapi(document):
    validate_spec(document)
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["PartnerKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    for path in ("/api/v1/articles", "/api/v1/articles/{slug}", "/api/v1/topics", "/api/v1/board"):
        responses = document["paths"][path]["get"]["responses"]
        assert {"200", "401", "403", "429"} <= set(responses), path


def test_the_docs_page_lists_every_operation_under_the_sites_policy(client, document):
    response = client.get(reverse("api_docs"))
    assert response.status_code == 200
    html = response.content.decode()
    for path in document["paths"]:
        assert path in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script" not in html and "cdn" not in html.lower()


@pytest.mark.usefixtures("private_cache")
@pytest.mark.parametrize(
    "path",
    [
        f"{API}/articles/%00",
        f"{API}/articles/a%20b",
        f"{API}/articles/" + "x" * 300,
        f"{API}/articles?q=%00",
        f"{API}/articles?topic=%00",
        f"{API}/articles?updated_since=2026-13-45",
        f"{API}/articles?page_size=1e9",
        f"{API}/articles?page=99999999999999999999999",
    ],
)
def test_hostile_input_is_a_clear_4xx_never_a_500(call, published, path):
    response = call(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    if response.status_code != 404 or path.startswith(f"{API}/articles?"):
        assert response.json()["detail"]


def test_the_api_root_says_where_things_are_and_other_addresses_are_json_404(client, document):
    index = client.get(f"{API}/").json()
    assert index["openapi"].endswith(f"{API}/openapi.json") and index["docs"].endswith(f"{API}/docs/")
    assert "GET /api/v1/articles/{slug}" in index["operations"]
    for path in (f"{API}/nothing", f"{API}/articles/a/b", f"{API}/articles/"):
        response = client.get(path)
        assert response.status_code == 404 and "No such API address" in response.json()["detail"], path


@pytest.mark.usefixtures("private_cache")
def test_every_documented_answer_of_every_operation_is_produced_and_matches(
    client, document, published, author, editor, reviewers
):
    """Each (operation, status) the document lists is produced by a real request here and
    checked against its schema: a status documented with no way to produce it (or produced
    and undocumented) fails."""
    _, good = keys.partner_create(name="Good")
    revoked_partner, revoked = keys.partner_create(name="Revoked")
    keys.partner_revoke(partner=revoked_partner)
    _, tight = keys.partner_create(name="Tight", requests_per_minute=1)
    retracted = flows.published(author, editor, reviewers[:2], slug="retracted-one")
    workflow.version_retract(
        version=retracted, actor=editor, reason="Wrong.", signing=signed(editor, "retract")
    )
    article = f"{API}/articles/published-one"
    etag = client.get(article, HTTP_X_API_KEY=good)["ETag"]

    def over_quota(path):
        client.get(path, HTTP_X_API_KEY=tight)
        return client.get(path, HTTP_X_API_KEY=tight)

    recipes = {
        "200": lambda path: client.get(path, HTTP_X_API_KEY=good),
        "401": lambda path: client.get(path),
        "403": lambda path: client.get(path, HTTP_X_API_KEY=revoked),
        "429": over_quota,
        "304": lambda path: client.get(path, HTTP_X_API_KEY=good, HTTP_IF_NONE_MATCH=etag),
    }
    special = {
        (f"{API}/articles", "400"): lambda: client.get(f"{API}/articles?page_size=101", HTTP_X_API_KEY=good),
        (f"{API}/articles", "404"): lambda: client.get(f"{API}/articles?page=9", HTTP_X_API_KEY=good),
        (article, "400"): lambda: client.get(f"{API}/articles/a%20b", HTTP_X_API_KEY=good),
        (article, "404"): lambda: client.get(f"{API}/articles/no-such-one", HTTP_X_API_KEY=good),
        (article, "410"): lambda: client.get(f"{API}/articles/retracted-one", HTTP_X_API_KEY=good),
    }
    concrete = {"/api/v1/articles/{slug}": article}
    checked = []
    for template, methods in document["paths"].items():
        path = concrete.get(template, template)
        for status in methods["get"]["responses"]:
            make = special.get((path, status)) or (lambda status=status, path=path: recipes[status](path))
            response = make()
            assert str(response.status_code) == status, (template, status, response.status_code)
            check_response(document, response.wsgi_request.path, response)
            checked.append((template, status))
    assert len(checked) >= 20


@pytest.mark.usefixtures("private_cache")
def test_pending_review_mode_shows_readers_a_pending_article_but_never_the_api(
    call, settings, author, editor, reviewers
):
    settings.EDITORIAL = {**settings.EDITORIAL, "PENDING_REVIEW_VISIBLE": True}
    version = flows.under_review(author, editor, reviewers[:1], slug="pending-one")
    assert call(version.article.get_absolute_url()).status_code == 200  # the reader's cautioned page
    assert call(f"{API}/articles/pending-one").status_code == 404
    assert call(f"{API}/articles").json()["count"] == 0
