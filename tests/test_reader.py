import pytest

from articles.models import VersionState
from editorial import workflow
from tests import flows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("stage", ["draft", "submitted", "under_review", "approved"])
def test_anything_not_published_is_a_404(client, author, editor, reviewers, stage):
    make = {
        "draft": lambda: flows.draft(author),
        "submitted": lambda: flows.submitted(author),
        "under_review": lambda: flows.under_review(author, editor, reviewers[:2]),
        "approved": lambda: flows.approved(author, editor, reviewers[:2]),
    }[stage]
    version = make()
    assert client.get(f"/articles/{version.article.slug}/").status_code == 404
    assert version.title not in client.get("/").content.decode()


def test_published_article_is_listed_and_shown(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    assert version.title in client.get("/").content.decode()
    html = client.get(f"/articles/{version.article.slug}/").content.decode()
    assert version.title in html and 'id="ref-1"' in html and 'href="#ref-1"' in html


def test_retracted_article_shows_the_notice_instead_of_content(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    workflow.version_retract(version=version, actor=editor, reason="A dose was found to be wrong.")
    html = client.get(f"/articles/{version.article.slug}/").content.decode()
    assert "This article has been retracted" in html and "A dose was found to be wrong." in html
    assert "Stopping it abruptly" not in html
    assert version.title not in client.get("/").content.decode()


def test_update_under_review_is_announced_while_the_approved_version_stays(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    second = workflow.version_create_next(article=version.article, author=author)
    workflow.version_edit_draft(version=second, actor=author, lead="A newer, unreviewed answer.")
    second = workflow.version_submit(version=second, actor=author)
    html = client.get(f"/articles/{version.article.slug}/").content.decode()
    assert "An update to this article is being reviewed" in html
    assert "The answer first." in html and "A newer, unreviewed answer." not in html
    assert second.state == VersionState.SUBMITTED


@pytest.mark.parametrize("extra_reviews", [0, 3])
def test_article_page_query_budget_is_flat(client, django_assert_max_num_queries, author, editor, reviewers,
                                           extra_reviews):  # fmt: skip
    version = flows.published(author, editor, reviewers[:2])
    for n in range(extra_reviews):  # more history events must not add queries
        nxt = workflow.version_create_next(article=version.article, author=author)
        workflow.version_withdraw(version=nxt, actor=author, reason=f"Attempt {n}")
    with django_assert_max_num_queries(6):
        assert client.get(f"/articles/{version.article.slug}/").status_code == 200


def test_refusals_are_http_answers_not_500(rf, author, editor):
    from editorial.middleware import WorkflowErrorMiddleware

    version = flows.draft(author)
    middleware = WorkflowErrorMiddleware(lambda request: None)
    request = rf.post("/")
    try:
        workflow.version_publish(version=version, actor=editor)
    except Exception as exc:  # noqa: BLE001
        response = middleware.process_exception(request, exc)
    assert response.status_code == 409
    assert b"cannot be published" in response.content
