"""The article page says how many events its whole trail holds and the short hash of its head,
next to the history, within the page's query budget (tests/web/test_reader_cache.py)."""

import pytest
from django.db import transaction
from django.urls import reverse

from editorial import audit
from editorial.models import AuditAction, AuditEvent
from tests.support import flows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]


def trail_line(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<p class="history-trail">')
    return html[start : html.index("</p>", start)]


def test_the_page_names_the_whole_trail_and_its_head(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    head = AuditEvent.objects.filter(article=version.article).order_by("-seq").first()
    line = trail_line(client, version.article.get_absolute_url())
    # the count is of the whole trail, not of the public rows the history lists
    assert AuditEvent.objects.public().filter(article=version.article).count() < head.seq
    assert f"holds {head.seq} events" in line
    assert f'title="{head.hash}">{head.hash[:12]}</code>' in line
    assert 'href="/audit/heads.json"' in line and 'href="/audit/key"' in line


def test_a_newer_internal_event_moves_the_head_on_a_cached_page(client, author, editor, reviewers):
    # given a published page, rendered and cached
    version = flows.published(author, editor, reviewers[:2])
    url = version.article.get_absolute_url()
    trail_line(client, url)
    trail_line(client, url)
    # when the reminder sweep appends a system event readers never see (bulk, no post_save)
    with transaction.atomic():
        (event,) = audit.record_many(
            [
                {
                    "article_id": version.article_id,
                    "version_id": version.pk,
                    "action": AuditAction.ARTICLE_RE_REVIEW_DUE,
                    "message": "",
                    "data": {},
                }
            ]
        )
    # then the page names the new head, though its history lists nothing new
    line = trail_line(client, url)
    assert f"holds {event.seq} events" in line and event.hash[:12] in line


def test_the_authors_preview_shows_no_trail_line(client, author):
    version = flows.draft(author)
    client.force_login(author)
    response = client.get(reverse("workspace:preview", args=[version.article.slug, version.number]))
    assert response.status_code == 200
    assert "Review history" in response.content.decode()
    assert "history-trail" not in response.content.decode()
