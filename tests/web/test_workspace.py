"""The author workspace at /author/: views and forms, through the real services."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import ArticleVersion, VersionState
from articles.rendering import render_version
from editorial import workflow
from editorial.errors import NotPermitted
from editorial.models import AuditEvent, Decision
from tests.support import flows
from tests.support.factories import make_user
from tests.support.signing import signed
from workspace.forms import ReferenceForm, findings_token, propose_slug

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

PASSWORD = "test-pass-123"  # tests.support.factories.UserFactory


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


def content(**overrides):
    data = {
        "title": "Is this a fictional question?",
        "lead": "A fictional answer first [1].",
        "body": "A fictional body that cites one source [1] and another [2].",
        "summary": "",
        "change_note": "",
    }
    data.update(overrides)
    return data


def refs_post(rows, *, initial=0):
    """A references formset POST (prefix ``refs``) from a list of row dicts."""
    data = {
        "refs-TOTAL_FORMS": str(len(rows)),
        "refs-INITIAL_FORMS": str(initial),
        "refs-MIN_NUM_FORMS": "0",
        "refs-MAX_NUM_FORMS": "80",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"refs-{index}-{name}"] = "" if value is None else str(value)
    return data


def ref(number, **overrides):
    row = {
        "number": number,
        "kind": "review",
        "title": f"A fictional review {number}",
        "authors": "",
        "source": "A fictional journal",
        "year": 2020,
        "doi": "",
        "pmid": "",
        "url": "",
    }
    row.update(overrides)
    return row


def edit_url(version):
    return f"/author/articles/{version.article.slug}/v{version.number}/"


def post_edit(client, version, *, action="save", rows=None, initial=0, **fields):
    data = {**content(**fields), **refs_post(rows if rows is not None else [ref(1), ref(2)], initial=initial)}
    data["action"] = action
    return client.post(edit_url(version), data)


# Who may use it -----------------------------------------------------------------------------


def test_a_reviewer_is_told_the_workspace_is_for_authors(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/author/")
    assert response.status_code == 403
    assert "This workspace is for authors" in response.content.decode()


def test_forms_are_csrf_protected(author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    response = client.post("/author/new/", {"title": "Is this a fictional question?"})
    assert response.status_code == 403
    assert 'name="csrfmiddlewaretoken"' in client.get("/author/new/").content.decode()


# Starting an article ------------------------------------------------------------------------


def test_starting_an_article_proposes_the_slug_from_the_title(author_client, author):
    response = author_client.post(
        "/author/new/", {"title": "Is  a fictional drug safe, at all?", "topic": "Tests"}
    )
    version = ArticleVersion.objects.get(article__created_by=author)
    assert version.article.slug == "is-a-fictional-drug-safe-at-all"
    assert version.title == "Is a fictional drug safe, at all?"
    assert version.state == VersionState.DRAFT and version.number == 1
    assert response["Location"] == "/author/articles/is-a-fictional-drug-safe-at-all/v1/"


def test_a_taken_slug_is_a_form_error_next_to_the_address(author_client, author):
    flows.draft(author, slug="taken")
    response = author_client.post("/author/new/", {"title": "Is it taken?", "slug": "taken"})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"ws-field-slug ws-field-invalid.*already exists", html, re.S)


def test_a_title_must_be_a_question(author_client):
    response = author_client.post("/author/new/", {"title": "A statement."})
    assert "ending with a question mark" in response.content.decode()


def test_slug_proposal_is_cut_at_a_word_within_the_limit():
    slug = propose_slug("Is " + "word " * 60 + "?")
    assert len(slug) <= 120 and not slug.endswith("-") and slug.endswith("word")


# Editing a draft and its references ---------------------------------------------------------


def test_saving_a_draft_writes_text_and_references_and_reports_citations(author_client, author):
    version = flows.draft(author, references=[])
    response = post_edit(author_client, version, rows=[ref(1), ref(2, doi="https://doi.org/10.1000/xyz-1")])
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.lead == "A fictional answer first [1]."
    assert [(r.number, r.doi) for r in version.references.all()] == [(1, ""), (2, "10.1000/xyz-1")]
    page = author_client.get(edit_url(version)).content.decode()
    assert "Draft saved. Citation check: every citation resolves" in page


def test_the_integrity_report_names_unresolved_and_uncited_numbers(author_client, author):
    version = flows.draft(author, references=[])
    post_edit(author_client, version, rows=[ref(1), ref(5)], body="Cites [1] and [3].")
    page = author_client.get(edit_url(version)).content.decode()
    assert re.search(r"Citations with no reference: <strong>3</strong>", page)
    assert re.search(r"References never cited: <strong>5</strong>", page)


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (ref(1, doi="10.12/abc"), "doi", "A DOI starts with “10.”"),
        (ref(1, doi="doi 10.1000/abc"), "doi", "A DOI starts with “10.”"),
        (ref(1, pmid="PMC12345"), "pmid", "A PubMed ID (PMID) is a number"),
        (ref(1, pmid="12a"), "pmid", "A PubMed ID (PMID) is a number"),
        (ref(1, year=1700), "year", "Enter a year between 1800 and"),
        (ref(1, year=timezone.now().year + 2), "year", "Enter a year between 1800 and"),
        (ref(1, kind="research", source=""), "source", "A research reference needs its source"),
        (ref(1, kind="guideline", source=" "), "source", "A guideline reference needs its source"),
        (ref(1, kind=""), "kind", "This field is required"),
        (ref(1, title=""), "title", "This field is required"),
        (ref(1, url="javascript:alert(1)"), "url", "Enter a valid URL"),
    ],
)
def test_reference_validation_shows_the_message_next_to_the_field_and_saves_nothing(
    author_client, author, row, field, message
):
    version = flows.draft(author)
    before = list(version.references.values_list("title", flat=True))
    response = post_edit(author_client, version, rows=[row], lead="Changed lead, not saved.")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html
    # The message sits in the field's own group, after its input.
    group = re.search(
        rf'<div class="ws-field ws-field-{field} ws-field-invalid">(.*?)</div>\s*(?=<div class="ws-field|</div>)',
        html,
        re.S,
    )
    assert group and message in group.group(1), html
    version.refresh_from_db()
    assert (
        version.lead == "The answer first."
        and list(version.references.values_list("title", flat=True)) == before
    )


def test_reference_form_accepts_valid_identifiers_and_cleans_their_prefixes():
    form = ReferenceForm(
        data=ref(1, kind="research", doi="doi: 10.1056/NEJMoa000000", pmid="PMID: 123456", year=1800)
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["doi"] == "10.1056/NEJMoa000000" and form.cleaned_data["pmid"] == "123456"


def test_two_references_with_one_number_are_refused(author_client, author):
    version = flows.draft(author)
    response = post_edit(author_client, version, rows=[ref(1), ref(1, title="Another")])
    assert response.status_code == 400
    # articles.rules' message, beside the second row's number only
    html = response.content.decode()
    first_row, second_row = html.split('id="reference-row-1"')
    assert "ws-field-number ws-field-invalid" not in first_row
    group = re.search(
        r'<div class="ws-field ws-field-number ws-field-invalid">(.*?)</div>\s*(?=<div class="ws-field|</div>)',
        second_row,
        re.S,
    )
    assert group and "Reference 1 is listed twice: give each reference its own number." in group.group(1)


def test_a_blank_row_is_ignored_and_a_deleted_row_is_removed(author_client, author):
    version = flows.draft(author)  # references 1 and 2
    rows = [ref(1), ref(2, DELETE="on"), {"number": 3, "kind": "", "title": ""}]
    response = post_edit(author_client, version, rows=rows, initial=2, body="Only [1].")
    assert response.status_code == 302
    assert list(version.references.values_list("number", flat=True)) == [1]


def test_blank_rows_propose_the_next_free_number(author_client, author):
    version = flows.draft(author)  # references 1 and 2
    html = author_client.get(edit_url(version)).content.decode()
    assert 'name="refs-2-number" value="3"' in html


def test_a_submitted_version_is_read_only(author_client, author):
    version = flows.submitted(author)
    page = author_client.get(edit_url(version)).content.decode()
    assert "its content is frozen" in page and 'name="lead"' not in page
    response = post_edit(author_client, version, lead="Sneaky change.")
    assert response.status_code == 409
    version.refresh_from_db()
    assert version.lead == "The answer first."


def test_a_service_refusal_is_shown_with_its_status_not_a_500(author_client, author, other_author):
    # the service refuses another author's next version of this article; the workspace never
    # offers it, and the refusal is a clear 403 from the service itself
    version = flows.submitted(author)
    workflow.version_withdraw(version=version, actor=author)
    with pytest.raises(NotPermitted, match="Only the article's author"):
        workflow.version_create_next(article=version.article, author=other_author)
    # a draft submitted elsewhere (another tab) between loading and saving the editor
    draft = workflow.version_create_next(article=version.article, author=author)
    workflow.version_submit(version=draft, actor=author)
    response = post_edit(author_client, draft)
    assert response.status_code == 409
    assert "it is frozen" in response.content.decode()


# Preview ------------------------------------------------------------------------------------


def test_preview_renders_like_the_reader_page(author_client, author):
    version = flows.draft(author)
    html = author_client.get(edit_url(version) + "preview/").content.decode()
    lead_html, body_html = render_version(version.lead, version.body, [1, 2])
    assert f'<p class="lead"><strong>{lead_html}</strong></p>' in html
    assert f'<div class="body">{body_html}</div>' in html
    assert 'id="ref-1"' in html and 'id="ref-2"' in html and 'href="#ref-2"' in html
    assert "Preview of version 1" in html


def _section(html, start_pattern, end_tag):
    start = re.search(start_pattern, html)
    assert start, start_pattern
    return html[start.start() : html.index(end_tag, start.start()) + len(end_tag)]


def test_preview_matches_the_reader_page_of_the_same_version(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    reader = client.get(f"/articles/{version.article.slug}/").content.decode()
    client.force_login(author)
    preview = client.get(edit_url(version) + "preview/").content.decode()
    for start, end in [
        (r'<p class="lead">', "</p>"),
        (r'<div class="body">', "</div>"),
        (r'<section class="references"', "</section>"),
        (r"<h1[ >]", "</h1>"),
    ]:
        assert _section(preview, start, end) == _section(reader, start, end)


def test_preview_for_a_patient_shows_the_summary_as_the_reader_page_does(author_client, author):
    version = flows.draft(author)
    workflow.version_edit_draft(version=version, actor=author, summary="A fictional plain summary.")
    html = author_client.get(edit_url(version) + "preview/?audience=patient").content.decode()
    assert "A fictional plain summary." in html and "noindex" in html


def test_preview_shows_an_unresolved_citation_as_readers_would_never_see_it(author_client, author):
    version = flows.draft(author, references=flows.REFERENCES[:1])
    html = author_client.get(edit_url(version) + "preview/").content.decode()
    assert 'class="citation-unresolved"' in html and "Citations with no reference" in html


# Submitting ---------------------------------------------------------------------------------


def test_a_clean_draft_is_submitted_once_the_author_confirms_what_freezing_means(author_client, author):
    version = flows.draft(author, references=[])
    # when the author presses "Save and submit" on a clean draft
    response = post_edit(author_client, version, action="submit")
    # then they are asked once, told that the version freezes, and nothing is submitted yet
    assert response.status_code == 200
    html = response.content.decode()
    assert "Once submitted, version 1 is frozen." in html
    version.refresh_from_db()
    assert version.state == VersionState.DRAFT
    # when they confirm
    token = re.search(r'name="findings" value="([^"]*)"', html).group(1)
    response = author_client.post(edit_url(version) + "submit/", {"findings": token})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.state == VersionState.SUBMITTED
    page = author_client.get(edit_url(version)).content.decode()
    assert "Version 1 submitted to the board" in page
    assert '<span class="ws-state ws-state-submitted">Submitted</span>' in page


def test_the_preview_offers_submitting(author_client, author):
    version = flows.draft(author)
    html = author_client.get(edit_url(version) + "preview/").content.decode()
    assert f'href="{edit_url(version)}submit/"' in html


def test_submitting_with_unresolved_citations_asks_to_confirm_naming_them(author_client, author):
    version = flows.draft(author, references=[])
    response = post_edit(
        author_client, version, action="submit", rows=[ref(1)], body="Cites [1], [2] and [4]."
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Citations <strong>2, 4</strong> have no reference" in html
    assert "Submit with these findings" in html
    version.refresh_from_db()
    assert version.state == VersionState.DRAFT
    token = re.search(r'name="findings" value="([^"]*)"', html).group(1)
    response = author_client.post(edit_url(version) + "submit/", {"findings": token})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.state == VersionState.SUBMITTED and version.integrity["unresolved"] == [2, 4]


def test_a_confirmation_for_other_findings_asks_again(author_client, author):
    version = flows.draft(author, references=[])
    post_edit(author_client, version, rows=[ref(1)], body="Cites [1] and [2].")
    response = author_client.post(edit_url(version) + "submit/", {"findings": "unresolved:9;malformed:"})
    assert response.status_code == 200
    assert "The citation check changed since you looked" in response.content.decode()
    version.refresh_from_db()
    assert version.state == VersionState.DRAFT


def test_submitting_without_confirmation_does_not_submit(author_client, author):
    version = flows.draft(author, references=flows.REFERENCES[:1])  # cites [2], which is missing
    response = author_client.post(edit_url(version) + "submit/")
    assert (
        response.status_code == 200
        and "Citation <strong>2</strong> has no reference" in response.content.decode()
    )
    version.refresh_from_db()
    assert version.state == VersionState.DRAFT


def test_a_get_on_submit_only_asks(author_client, author):
    version = flows.draft(author)
    response = author_client.get(edit_url(version) + "submit/")
    assert response.status_code == 200 and "Submit version 1" in response.content.decode()
    version.refresh_from_db()
    assert version.state == VersionState.DRAFT


def test_submitting_an_empty_body_is_a_form_error(author_client, author):
    version = flows.draft(author, references=[])
    response = post_edit(author_client, version, action="submit", rows=[], lead="", body="")
    assert response.status_code == 400
    assert "Fill in lead, body before submitting." in response.content.decode()
    version.refresh_from_db()
    assert version.state == VersionState.DRAFT


def test_submitting_twice_is_a_409_with_a_message(author_client, author):
    version = flows.submitted(author)
    response = author_client.post(edit_url(version) + "submit/", {"findings": ""})
    assert response.status_code == 409
    assert "it cannot be submitted" in response.content.decode()


# Withdrawing --------------------------------------------------------------------------------


def test_author_withdraws_a_submitted_version(author_client, author):
    version = flows.submitted(author)
    response = author_client.post(edit_url(version) + "withdraw/", {"reason": "A fictional reason."})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.state == VersionState.WITHDRAWN and version.end_reason == "A fictional reason."


def test_withdrawing_a_decided_version_is_refused_with_a_message(author_client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:1])
    workflow.version_request_changes(version=version, actor=editor, message="Fictional changes.")
    response = author_client.post(edit_url(version) + "withdraw/", {"reason": ""})
    assert response.status_code == 409
    assert "it cannot be withdrawn" in response.content.decode()


# Feedback and the next version --------------------------------------------------------------


@pytest.fixture
def changes_requested(author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    workflow.review_record(
        assignment=version.assignments.get(reviewer=reviewers[0]),
        actor=reviewers[0],
        decision=Decision.REQUEST_CHANGES,
        comment_to_author="Fictional comment: cite a source for [2].",
        confidential_comment="CONFIDENTIAL fictional remark for the editor only.",
        no_conflict_declared=True,
        signing=signed(reviewers[0], "review"),
    )
    flows.review(version, reviewers[1], Decision.APPROVE, comment="Fictional approval comment.")
    workflow.version_request_changes(
        version=version, actor=editor, message="Fictional editor message: add the label."
    )
    return version


def test_author_reads_the_board_comments_but_never_the_confidential_ones(
    author_client, changes_requested, reviewers
):
    html = author_client.get(edit_url(changes_requested)).content.decode()
    assert "Fictional comment: cite a source for [2]." in html
    assert "Fictional approval comment." in html
    assert "Fictional editor message: add the label." in html
    assert "CONFIDENTIAL" not in html
    for reviewer in reviewers:  # (a last name alone may be the author's: Faker's names repeat)
        names = {reviewer.get_full_name(), reviewer.username, reviewer.board_member.display_name}
        assert [name for name in names if name in html] == []
    assert "Reviewer 1: Request changes" in html and "Changes requested" in html


def test_reviewer_names_appear_only_when_the_board_allows(
    author_client, changes_requested, reviewers, settings
):
    settings.EDITORIAL = {**settings.EDITORIAL, "ANONYMOUS_REVIEWS_TO_AUTHORS": False}
    html = author_client.get(edit_url(changes_requested)).content.decode()
    assert reviewers[0].board_member.display_name in html
    assert "CONFIDENTIAL" not in html


def test_reviews_reach_the_author_with_the_decision_not_before(author_client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:1])
    flows.review(version, reviewers[0], Decision.REQUEST_CHANGES, comment="Fictional early comment.")
    html = author_client.get(edit_url(version)).content.decode()
    assert "Fictional early comment." not in html
    assert "reach you with the editor" in html


def test_next_version_copies_content_and_shows_the_feedback_beside_the_editor(
    author_client, changes_requested
):
    article = changes_requested.article
    response = author_client.post(f"/author/articles/{article.slug}/next/")
    v2 = article.versions.get(number=2)
    assert response["Location"] == edit_url(v2)
    assert v2.body == changes_requested.body and v2.based_on == changes_requested
    assert list(v2.references.values_list("number", "title")) == list(
        changes_requested.references.values_list("number", "title")
    )
    html = author_client.get(edit_url(v2)).content.decode()
    assert "What the board said about version 1" in html
    assert "Fictional editor message: add the label." in html and 'name="body"' in html
    assert "CONFIDENTIAL" not in html


def test_starting_a_next_version_while_one_is_open_is_refused_with_a_message(author_client, author):
    version = flows.submitted(author)
    response = author_client.post(f"/author/articles/{version.article.slug}/next/")
    assert response.status_code == 409
    assert "still submitted" in response.content.decode()
    assert version.article.versions.count() == 1


def test_my_articles_lists_each_version_with_its_tracker(author_client, author, changes_requested):
    flows.draft(author, slug="a-second-one")
    html = author_client.get("/author/").content.decode()
    assert "an-article" in html and "a-second-one" in html
    assert '<span class="ws-state ws-state-changes_requested">Changes requested</span>' in html
    assert re.search(r'<li class="step done"><span class="step-name">Submitted</span>', html)
    assert re.search(r'<li class="step done"><span class="step-name">Under Review</span>', html)
    # the decision step names the decision, never "Approved" (issue 20)
    assert re.search(r'<li class="step done"><span class="step-name">Changes requested</span>\s*<time', html)
    assert not re.search(r'<span class="step-name">Approved</span>\s*<span class="step-when">Changes', html)


# Ownership ----------------------------------------------------------------------------------

OTHERS_URLS = [
    ("get", "/author/articles/{slug}/"),
    ("get", "/author/articles/{slug}/v1/"),
    ("post", "/author/articles/{slug}/v1/"),
    ("get", "/author/articles/{slug}/v1/preview/"),
    ("get", "/author/articles/{slug}/v1/submit/"),
    ("post", "/author/articles/{slug}/v1/submit/"),
    ("get", "/author/articles/{slug}/v1/withdraw/"),
    ("post", "/author/articles/{slug}/v1/withdraw/"),
    ("post", "/author/articles/{slug}/next/"),
]


@pytest.mark.parametrize(("method", "url"), OTHERS_URLS)
def test_another_authors_article_is_a_404(client, author, other_author, method, url):
    version = flows.draft(other_author, slug="not-yours")
    client.force_login(author)
    response = getattr(client, method)(url.format(slug="not-yours"), content(**refs_post([])))
    assert response.status_code == 404
    version.refresh_from_db()
    assert version.state == VersionState.DRAFT and version.lead == "The answer first."
    assert "not-yours" not in client.get("/author/").content.decode()


def test_a_missing_article_is_a_404(author_client):
    assert author_client.get("/author/articles/nothing-here/v1/").status_code == 404


def test_every_edit_is_recorded_through_the_services(author_client, author):
    version = flows.draft(author, references=[])
    post_edit(author_client, version, action="submit")
    author_client.post(edit_url(version) + "submit/", {"findings": findings_token(version.check_integrity())})
    actions = list(AuditEvent.objects.filter(version=version).values_list("action", flat=True))
    assert actions == [
        "editorial.version.created",
        "editorial.version.submitted",
        "editorial.version.integrity_checked",
    ]


def test_a_user_without_a_role_cannot_start_an_article(client):
    client.force_login(make_user(None, username="nobody"))
    assert client.post("/author/new/", {"title": "Is it mine?"}).status_code == 403


def test_the_demo_author_reads_the_baclofen_feedback_without_the_confidential_note(client):
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())
    client.force_login(get_user_model().objects.get(username="dana.author"))
    dashboard = client.get("/author/").content.decode()
    assert "What is the role of baclofen in treating muscle cramping?" in dashboard
    assert "ws-state-published" in dashboard and "ws-state-changes_requested" in dashboard
    v1 = client.get("/author/articles/baclofen-muscle-cramping/v1/").content.decode()
    assert "Changes requested" in v1 and "Reviewer 1" in v1
    assert "never shown to authors" not in v1
    for name in ("Priya", "Tomas", "Grace"):
        assert name not in v1
    preview = client.get("/author/articles/baclofen-muscle-cramping/v2/preview/")
    assert preview.status_code == 200


def test_a_tampered_references_form_is_a_400_not_a_500(author_client, author):
    version = flows.draft(author)
    response = author_client.post(edit_url(version), {**content(), "action": "save"})  # no management form
    assert response.status_code == 400
    assert "ManagementForm data is missing" in response.content.decode()
    response = author_client.post(
        edit_url(version),
        {**content(), **refs_post([ref(n) for n in range(1, 3)]), "refs-TOTAL_FORMS": "100000"},
    )
    assert response.status_code == 400
    assert version.references.count() == 2
