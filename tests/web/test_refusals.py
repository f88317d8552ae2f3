"""A refusal is a clear 4xx page, never a 500: the site-wide middleware and the admin's version
lookup, each way they answer."""

import pytest
from django.test import RequestFactory

from articles.models import VersionFrozen
from config.middleware import WorkflowErrorMiddleware
from editorial.errors import ConcurrentChange, InvalidInput, NotPermitted
from tests.support import flows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("exception", "status"),
    [
        (NotPermitted("Editors only."), 403),
        (InvalidInput("Say what must change."), 400),
        (ConcurrentChange("Someone else was faster."), 409),
        (VersionFrozen("Version 1 is frozen."), 409),
    ],
)
def test_a_refusal_becomes_a_page_with_its_status_and_words(exception, status):
    middleware = WorkflowErrorMiddleware(lambda request: None)
    response = middleware.process_exception(RequestFactory().get("/"), exception)
    assert response.status_code == status
    assert str(exception) in response.content.decode()


def test_any_other_error_is_left_to_django():
    middleware = WorkflowErrorMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/"), KeyError("x")) is None


def test_a_version_address_that_is_not_a_number_is_a_404(client, editor):
    client.force_login(editor)
    assert client.get("/admin/articles/articleversion/not-a-number/change/").status_code == 404


# The workspace when the service refuses after the form was valid (another request won) --------


def test_an_address_taken_at_the_same_moment_is_a_409_beside_the_address(client, author, monkeypatch):
    from django.db import IntegrityError

    from editorial import workflow

    def taken(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(workflow, "article_create", taken)
    client.force_login(author)
    response = client.post("/author/new/", {"title": "Is this a question?", "slug": "raced", "topic": ""})
    assert response.status_code == 409
    assert "An article with the address “raced” already exists." in response.content.decode()


def test_a_save_the_service_refuses_keeps_the_authors_words_on_the_form(client, author, monkeypatch):
    from editorial import workflow

    version = flows.draft(author)

    def refused(**kwargs):
        raise ConcurrentChange(
            "Version 1 was changed by someone else at the same moment; reload and try again."
        )

    monkeypatch.setattr(workflow, "version_edit_draft", refused)
    client.force_login(author)
    data = {
        "title": version.title,
        "lead": "My unsaved lead [1].",
        "body": version.body,
        "summary": "",
        "change_note": "",
        "action": "save",
        "refs-TOTAL_FORMS": "0",
        "refs-INITIAL_FORMS": "0",
        "refs-MIN_NUM_FORMS": "0",
        "refs-MAX_NUM_FORMS": "1000",
    }
    response = client.post(f"/author/articles/{version.article.slug}/v1/", data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else at the same moment" in html and "My unsaved lead [1]." in html
