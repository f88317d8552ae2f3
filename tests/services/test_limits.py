"""Limits, with clear messages: what a version, a reference and a comment may hold, refused by
the services (InvalidInput, nothing written) and by the workspace forms (a form error, 400);
requests too large or with too many fields refused before any query reaches the database;
uploaded files never kept. Never a 500."""

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from articles.models import Article, ArticleVersion, Reference
from editorial import workflow
from editorial.errors import InvalidInput
from editorial.models import Decision, DeclineReason, Review
from tests.support import flows
from tests.support.signing import signed

pytestmark = pytest.mark.django_db

MAX_BODY = django_settings.EDITORIAL["MAX_BODY_CHARS"]
MAX_REFS = django_settings.EDITORIAL["MAX_REFERENCES"]
MAX_COMMENT = django_settings.EDITORIAL["MAX_COMMENT_CHARS"]
FIELDS_PER_REFERENCE = 10  # number, kind, title, authors, source, year, doi, pmid, url, DELETE


def refs(n: int) -> list[dict]:
    return [{"number": i, "kind": "other", "title": f"Reference {i}"} for i in range(1, n + 1)]


def snapshot(version) -> tuple:
    version = ArticleVersion.objects.get(pk=version.pk)
    return (
        tuple(getattr(version, name) for name in ArticleVersion.CONTENT_FIELDS),
        tuple(version.references.values_list("number", "title")),
    )


# The services ------------------------------------------------------------------------------

CONTENT_LIMITS = [
    ("title", 200, "The title is 201 characters long; the limit is 200."),
    ("lead", 2000, "The lead answer is 2,001 characters long; the limit is 2,000."),
    ("body", MAX_BODY, f"The body is {MAX_BODY + 1:,} characters long; the limit is {MAX_BODY:,}."),
    ("summary", 4000, "The plain-language summary is 4,001 characters long; the limit is 4,000."),
    ("change_note", 2000, "The change note is 2,001 characters long; the limit is 2,000."),
]


@pytest.mark.parametrize(("name", "limit", "message"), CONTENT_LIMITS, ids=[c[0] for c in CONTENT_LIMITS])
def test_each_content_field_is_limited_by_the_services(author, name, limit, message):
    # At the limit: accepted.
    version = flows.draft(author)
    workflow.version_edit_draft(version=version, actor=author, **{name: "x" * (limit - 1) + "?"})
    before = snapshot(version)
    # One over: refused, with the field and both numbers, and nothing written.
    with pytest.raises(InvalidInput) as refused:
        workflow.version_edit_draft(
            version=version, actor=author, references=refs(1), **{name: "y" * (limit + 1)}
        )
    assert refused.value.message == message and refused.value.status == 400
    assert snapshot(version) == before
    with pytest.raises(InvalidInput, match=message.split(";")[0]):
        workflow.article_create(author=author, slug="another", **{"title": "Is it?", name: "z" * (limit + 1)})
    assert not Article.objects.filter(slug="another").exists()


def test_the_body_limit_is_a_setting(author, settings):
    settings.EDITORIAL = {**settings.EDITORIAL, "MAX_BODY_CHARS": 1000}
    version = flows.draft(author)
    with pytest.raises(InvalidInput, match="The body is 1,001 characters long; the limit is 1,000."):
        workflow.version_edit_draft(version=version, actor=author, body="b" * 1001)
    workflow.version_edit_draft(version=version, actor=author, body="b" * 1000)


def test_the_number_of_references_is_limited_by_the_services(author, settings):
    version = flows.draft(author)
    workflow.version_edit_draft(version=version, actor=author, references=refs(MAX_REFS))
    assert version.references.count() == MAX_REFS
    before = snapshot(version)
    message = f"A version can list at most {MAX_REFS} references; this one has {MAX_REFS + 1}."
    with pytest.raises(InvalidInput, match=message):
        workflow.version_edit_draft(
            version=version, actor=author, body="changed", references=refs(MAX_REFS + 1)
        )
    assert snapshot(version) == before
    with pytest.raises(InvalidInput, match=message):
        workflow.article_create(author=author, slug="many", title="Is it?", references=refs(MAX_REFS + 1))
    assert not Article.objects.filter(slug="many").exists()
    settings.EDITORIAL = {**settings.EDITORIAL, "MAX_REFERENCES": 3}
    with pytest.raises(InvalidInput, match="at most 3 references; this one has 4"):
        workflow.version_edit_draft(version=version, actor=author, references=refs(4))


REFERENCE_LIMITS = [
    ("title", 500),
    ("authors", 500),
    ("source", 300),
    ("doi", 200),
    ("pmid", 20),
    ("url", 500),
]


@pytest.mark.parametrize(("name", "limit"), REFERENCE_LIMITS, ids=[r[0] for r in REFERENCE_LIMITS])
def test_each_reference_field_is_limited_by_the_services(author, name, limit):
    version = flows.draft(author)
    before = snapshot(version)
    ref = {**refs(1)[0], name: "1" * (limit + 1)}
    label = {"doi": "DOI", "pmid": "PMID", "url": "URL"}.get(name, name)
    with pytest.raises(InvalidInput, match=f"The {label} of reference 1 is {limit + 1:,} characters long"):
        workflow.version_edit_draft(version=version, actor=author, references=[ref])
    assert snapshot(version) == before


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ({"number": 0, "kind": "other", "title": "T"}, "A reference number is a whole number from 1 to 999."),
        ({"number": 10**10, "kind": "other", "title": "T"}, "A reference number is a whole number"),
        ({"number": "1", "kind": "other", "title": "T"}, "A reference number is a whole number"),
        ({"number": 1, "kind": "poem", "title": "T"}, "Reference 1: choose its kind"),
        ({"number": 1, "kind": "other", "title": "  "}, "Reference 1 needs a title."),
        (
            {"number": 1, "kind": "other", "title": "T", "year": 40000},
            "Reference 1: enter a year between 1800",
        ),
        ({"number": 1, "kind": "other", "title": "T", "colour": "red"}, "Unknown reference fields: colour."),
        ({"number": 1, "kind": "other", "title": ["T"]}, "The title of reference 1 must be text."),
        ("a string", "Each reference must be a set of fields."),
    ],
)
def test_malformed_references_are_refused_with_a_message_not_a_database_error(author, ref, message):
    version = flows.draft(author)
    before = snapshot(version)
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
        workflow.version_edit_draft(version=version, actor=author, references=[ref])
    assert snapshot(version) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": None}, None),  # None means empty: allowed while drafting
        ({"title": 42}, "The title must be text."),
        ({"body": "a\x00b"}, "The body contains a null character; remove it."),
        ({"colour": "red"}, "Unknown version fields: colour."),
    ],
)
def test_content_of_the_wrong_kind_is_refused(author, fields, message):
    version = flows.draft(author)
    if message is None:
        workflow.version_edit_draft(version=version, actor=author, **fields)
        return
    with pytest.raises(InvalidInput, match=message):
        workflow.version_edit_draft(version=version, actor=author, **fields)


@pytest.mark.parametrize(
    ("slug", "topic", "message"),
    [
        (
            "no spaces allowed",
            "",
            "An article's address uses only letters, numbers, hyphens and underscores.",
        ),
        ("a" * 121, "", "The address is 121 characters long; the limit is 120."),
        ("fine", "t" * 81, "The topic is 81 characters long; the limit is 80."),
    ],
)
def test_article_address_and_topic_are_checked_by_the_service(author, slug, topic, message):
    with pytest.raises(InvalidInput, match=message):
        workflow.article_create(author=author, slug=slug, topic=topic, title="Is it?")
    assert not Article.objects.exists()


def test_every_comment_and_reason_is_limited_by_the_services(author, editor, reviewers):
    too_long = "c" * (MAX_COMMENT + 1)
    version = flows.under_review(author, editor, reviewers[:3])
    r1, r2, r3 = reviewers[:3]
    limited = {
        "comment to the author": {"comment_to_author": too_long},
        "confidential comment": {"comment_to_author": "ok", "confidential_comment": too_long},
        "conflict statement": {"comment_to_author": "ok", "conflict_statement": "c" * 2001},
    }
    for label, extra in limited.items():
        with pytest.raises(InvalidInput, match=f"The {label} is"):
            workflow.review_record(
                assignment=version.assignments.get(reviewer=r1),
                actor=r1,
                decision=Decision.REQUEST_CHANGES,
                no_conflict_declared=True,
                **extra,
                signing=signed(r1, "review"),
            )
    assert not Review.objects.exists()
    with pytest.raises(InvalidInput, match="The note is 2,001 characters long; the limit is 2,000."):
        workflow.assignment_decline(
            assignment=version.assignments.get(reviewer=r3),
            actor=r3,
            reason=DeclineReason.TIME,
            note="n" * 2001,
        )
    calls = [
        lambda: workflow.version_request_changes(version=version, actor=editor, message=too_long),
        lambda: workflow.version_reject(version=version, actor=editor, reason=too_long),
        lambda: workflow.version_withdraw(version=version, actor=author, reason=too_long),
        lambda: workflow.version_approve(
            version=version, actor=editor, message=too_long, signing=signed(editor, "approve")
        ),
        lambda: workflow.assignment_withdraw(
            assignment=version.assignments.get(reviewer=r2), actor=editor, reason=too_long
        ),
    ]
    for call in calls:
        with pytest.raises(InvalidInput, match=f"characters long; the limit is {MAX_COMMENT:,}."):
            call()
    version.refresh_from_db()
    assert version.state == "under_review"
    assert set(version.assignments.values_list("state", flat=True)) == {"invited"}
    published = flows.published(author, editor, reviewers[:2], slug="live")
    with pytest.raises(InvalidInput, match=f"The reason is {MAX_COMMENT + 1:,} characters long"):
        workflow.version_retract(
            version=published, actor=editor, reason=too_long, signing=signed(editor, "retract")
        )
    published.refresh_from_db()
    assert published.state == "published"


# The workspace forms -----------------------------------------------------------------------


def _form_data(version, *, n_refs: int = 1, **fields) -> dict:
    data = {
        "title": version.title,
        "lead": version.lead,
        "body": version.body,
        "summary": "",
        "change_note": "",
        "refs-TOTAL_FORMS": str(n_refs),
        "refs-INITIAL_FORMS": "0",
        "refs-MIN_NUM_FORMS": "0",
        "refs-MAX_NUM_FORMS": str(MAX_REFS),
        "action": "save",
    }
    for i in range(n_refs):
        data |= {f"refs-{i}-number": str(i + 1), f"refs-{i}-kind": "other", f"refs-{i}-title": f"Ref {i + 1}"}
    return data | fields


def _edit_url(version) -> str:
    return f"/author/articles/{version.article.slug}/v{version.number}/"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "q" * 200 + "?"}, "Ensure this value has at most 200 characters (it has 201)."),
        ({"lead": "l" * 2001}, "Ensure this value has at most 2000 characters (it has 2001)."),
        ({"body": "b" * (MAX_BODY + 1)}, "Ensure this value has at most 100000 characters"),
        ({"summary": "s" * 4001}, "Ensure this value has at most 4000 characters"),
        ({"change_note": "n" * 2001}, "Ensure this value has at most 2000 characters"),
        ({"refs-0-title": "t" * 501}, "Ensure this value has at most 500 characters"),
        ({"refs-0-source": "s" * 301}, "Ensure this value has at most 300 characters"),
        ({"refs-0-url": "https://example.org/" + "u" * 490}, "Ensure this value has at most 500 characters"),
        ({"body": "a\x00b"}, "Null characters are not allowed."),
    ],
    ids=["title", "lead", "body", "summary", "change_note", "ref-title", "ref-source", "ref-url", "nul"],
)
def test_the_draft_editor_refuses_each_over_long_field_with_a_form_error(client, author, fields, message):
    version = flows.draft(author)
    before = snapshot(version)
    client.force_login(author)
    response = client.post(_edit_url(version), _form_data(version, **fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot(version) == before


def test_the_draft_editor_body_limit_follows_the_setting(client, author, settings):
    settings.EDITORIAL = {**settings.EDITORIAL, "MAX_BODY_CHARS": 500}
    version = flows.draft(author)
    client.force_login(author)
    response = client.post(_edit_url(version), _form_data(version, body="b" * 501))
    assert response.status_code == 400
    # The model's validator reads the setting; the form shows its message beside the body.
    assert "Ensure this value has at most 500 characters (it has 501)." in response.content.decode()


def test_the_draft_editor_takes_the_most_references_and_refuses_one_more(client, author):
    version = flows.draft(author)
    client.force_login(author)
    response = client.post(_edit_url(version), _form_data(version, n_refs=MAX_REFS))
    assert response.status_code == 302
    assert version.references.count() == MAX_REFS
    before = snapshot(version)
    response = client.post(_edit_url(version), _form_data(version, n_refs=MAX_REFS + 1, body="changed"))
    assert response.status_code == 400
    message = f"A version can list at most {MAX_REFS} references; this one has {MAX_REFS + 1}."
    assert message in response.content.decode()
    assert snapshot(version) == before
    # A forged management form cannot make the server build thousands of forms.
    response = client.post(_edit_url(version), _form_data(version, **{"refs-TOTAL_FORMS": "100000"}))
    assert response.status_code == 400
    assert snapshot(version) == before


def test_the_withdraw_form_refuses_an_over_long_reason(client, author):
    version = flows.submitted(author)
    client.force_login(author)
    # The comment limit, as the service and the admin's forms have it.
    response = client.post(_edit_url(version) + "withdraw/", {"reason": "r" * (MAX_COMMENT + 1)})
    assert response.status_code == 200  # the form again, with its error
    assert f"Ensure this value has at most {MAX_COMMENT} characters" in response.content.decode()
    version.refresh_from_db()
    assert version.state == "submitted"


def test_the_admin_refuses_an_over_long_comment_with_a_message(client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    client.force_login(editor)
    url = f"/admin/articles/articleversion/{version.pk}/act/request_changes/"
    response = client.post(url, {"request_changes-message": "m" * (MAX_COMMENT + 1)})
    assert response.status_code == 400
    assert "The text is too long." in response.content.decode()
    version.refresh_from_db()
    assert version.state == "under_review"


# Requests too large, before the database -----------------------------------------------------


def _csrf_client(user=None) -> Client:
    """CSRF checks on, with a CSRF cookie, as a browser would post: the check reads the body.
    (Without the cookie the request is refused with 403 before the body is read.)"""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    client.cookies[django_settings.CSRF_COOKIE_NAME] = "a" * 32
    return client


def test_a_request_over_the_size_limit_is_refused_before_any_query(author):
    version = flows.draft(author)
    before = snapshot(version)
    client = _csrf_client(author)
    size = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    with CaptureQueriesContext(connection) as queries:
        response = client.post(_edit_url(version), _form_data(version, body="x" * size))
    assert response.status_code == 400
    assert "This request was refused" in response.content.decode()
    assert "larger than this site accepts" in response.content.decode()
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert snapshot(version) == before


def test_a_request_with_too_many_fields_is_refused_before_any_query(author):
    version = flows.draft(author)
    before = snapshot(version)
    client = _csrf_client(author)
    data = _form_data(version) | {
        f"junk{i}": "1" for i in range(django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.post(_edit_url(version), data)
    assert response.status_code == 400
    assert "This request was refused" in response.content.decode()
    assert len(queries) == 0
    assert snapshot(version) == before


def test_anonymous_oversized_posts_are_refused_too():
    data = {"username": "u" * django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    with CaptureQueriesContext(connection) as queries:
        assert _csrf_client().post("/author/login/", data).status_code == 400
        assert Client(enforce_csrf_checks=True).post("/author/login/", data).status_code == 403  # no cookie
    assert len(queries) == 0


def test_the_limits_fit_together():
    # The draft editor with the most references still fits the field limit...
    form_fields = 5 + 2 + 4 + FIELDS_PER_REFERENCE * MAX_REFS  # content, action and csrf, management
    assert form_fields <= django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    # ...and a full body of plain text, with full references, fits the size limit.
    full = len("body=") + MAX_BODY * 3 // 2 + MAX_REFS * (500 + 500 + 300 + 200 + 20 + 500 + 100)
    assert full <= django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_the_draft_editor_accepts_a_full_body_through_csrf_and_size_checks(author):
    version = flows.draft(author)
    client = Client()
    client.force_login(author)
    body = ("Baclofen is started at a low dose [1]. " * 3000)[:MAX_BODY]
    response = client.post(_edit_url(version), _form_data(version, body=body))
    assert response.status_code == 302
    assert ArticleVersion.objects.get(pk=version.pk).body == body


# No form takes a file ------------------------------------------------------------------------


def test_an_uploaded_file_is_dropped_never_kept():
    upload = SimpleUploadedFile("big.bin", b"\0" * 300_000, content_type="application/octet-stream")
    request = RequestFactory().post("/author/login/", {"username": "u", "file": upload})
    assert request.POST["username"] == "u"
    assert len(request.FILES) == 0


def test_a_file_posted_to_the_draft_editor_is_ignored(client, author):
    version = flows.draft(author)
    client.force_login(author)
    upload = SimpleUploadedFile("x.html", b"<script>alert(1)</script>", content_type="text/html")
    response = client.post(_edit_url(version), _form_data(version, body="Saved [1].", attachment=upload))
    assert response.status_code == 302
    assert ArticleVersion.objects.get(pk=version.pk).body == "Saved [1]."
    assert Reference.objects.filter(version=version).count() == 1
