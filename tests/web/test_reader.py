"""The reader's article page: every element the source page shows, and the trust it lacks."""

import json
import re

import pytest
from dateutil.relativedelta import relativedelta

from articles.models import VersionState
from editorial import workflow
from editorial.models import Decision
from tests.support import flows
from tests.support.html import Elements
from tests.support.signing import signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

DEMO_URL = "/articles/baclofen-muscle-cramping/"
CAUTION = "Educational purpose only - Exercise caution as content is pending human review"


def page(client, url=DEMO_URL, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def json_ld(html: str) -> dict:
    blocks = [data for attrs, data in Elements(html).scripts if attrs.get("type") == "application/ld+json"]
    assert len(blocks) == 1
    return json.loads(blocks[0])


def publish(version, editor, reviewers):
    """Carry a draft through the real services to published."""
    author = version.author
    version = workflow.version_submit(version=version, actor=author)
    for reviewer in reviewers:
        workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    version = workflow.version_start_review(version=version, actor=editor)
    for reviewer in reviewers:
        flows.review(version, reviewer)
    version = workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))
    return workflow.version_publish(version=version, actor=editor, signing=signed(editor, "publish"))


def article_with(author, *, slug="with-summary", summary="Plain words for patients.", references=None):
    return workflow.article_create(
        author=author,
        slug=slug,
        topic="Neurology",
        title="Does it help?",
        lead="The clinical answer, with a dose of 10 mg [1].",
        body="A claim [1]. Another [2].",
        summary=summary,
        change_note="First version.",
        references=references or flows.REFERENCES,
    )


# What the source page shows ---------------------------------------------------------------
def test_baclofen_page_shows_every_item_of_the_source_page(client, demo):
    html = page(client)
    # The question as the title.
    assert '<h1 id="article-title">What is the role of baclofen in treating muscle cramping?</h1>' in html
    # The trust line, with the editorial policy link.
    assert "All articles are reviewed for accuracy by our Medical Advisory Board" in html
    assert '<a href="/editorial-policy/">View editorial policy</a>' in html
    # The review status, in three steps.
    assert "Article Review Status" in html
    for step in ("Submitted", "Under Review", "Approved"):
        assert f'<span class="step-name">{step}</span>' in html
    assert "Last updated" in html
    # Personalize.
    assert "Personalize" in html and "Which best describes you?" in html
    # The one-paragraph answer first, in bold, then sections, lists, a numbered strategy.
    assert html.index('<p class="lead"><strong>Baclofen (10 mg/day') < html.index("Evidence-Based Role")
    assert "<h2>Evidence-Based Role of Baclofen in Muscle Cramping</h2>" in html
    assert "<h3>Dosing Protocol</h3>" in html and "<ol>" in html
    # Inline citation numbers, as superscript links.
    assert re.search(r'<sup class="citation"><a href="#ref-1" id="cite-1-1"[^>]*>1</a></sup>', html)
    # References: kind, title, source, year.
    for kind in ("Guideline", "Research", "Drug label"):
        assert f">{kind}</span>" in html
    assert "Baclofen (Lioresal) in the long-term management of spasticity" in html
    assert "The Medical Journal of Australia, 1976" in html
    # The professional disclaimer and the follow-up invitation.
    assert "Professional Medical Disclaimer" in html
    assert "Have a follow-up question?" in html
    assert "Educational purpose only." in html


def test_baclofen_page_shows_reviewers_dates_next_review_and_history(client, demo):
    version = demo.article.live_version
    html = page(client)
    assert "Reviewed by" in html
    for name, credentials in (("Dr. Priya Raman", "MD"), ("Dr. Grace Okafor", "PharmD")):
        # the demo board is listed: each name links to the member on the board page
        assert f'">{name}, {credentials}</a>' in html
    assert html.count('<a class="reviewer-name" href="/board/#member-') == 2
    # The member who asked for changes on version 1 did not approve version 2.
    reviewed_by = html[
        html.index("<h3>Reviewed by</h3>") : html.index("</section>", html.index("Reviewed by"))
    ]
    assert "Tomas Lindqvist" not in reviewed_by
    assert (
        f'<dt>Last updated</dt><dd><time datetime="{version.published_at.replace(microsecond=0).isoformat()}"'
        in html
    )
    assert (
        f'<dt>Last reviewed</dt><dd><time datetime="{version.decided_at.replace(microsecond=0).isoformat()}"'
        in html
    )
    due = version.published_at + relativedelta(months=12)
    assert (
        f'<dt>Next review due</dt><dd><time datetime="{due.replace(microsecond=0).isoformat()}">{due:%B} {due.day}, {due.year}'
        in html
    )
    # The history: both versions, what changed, who was involved; never a confidential comment.
    assert "Review history" in html
    assert "Version 2" in html and "Version 1" in html
    assert "Resolves the three unresolved citations the board found in version 1." in html
    assert "Changes requested" in html and "Citations 2, 4, 5 have no reference" in html
    assert "by Dr. Tomas Lindqvist" in html and "by Dr. Helen Brandt" in html
    assert "Demo note for editors only" not in html


def test_version_one_citation_defect_never_reaches_readers(client, demo):
    html = page(client)
    assert "citation-unresolved" not in html
    assert "Bacloffen" not in html.split("Review history")[0]


def test_every_citation_links_to_a_reference_and_every_reference_links_back(client, demo):
    elements = Elements(page(client))
    ids = elements.ids()
    to_refs = [href for href in elements.hrefs() if href.startswith("#ref-")]
    back = [href for href in elements.hrefs() if href.startswith("#cite-")]
    assert to_refs and back
    assert all(href[1:] in ids for href in to_refs + back)
    # Each reference links back to every place it is cited.
    cited = {re.match(r"#ref-(\d+)", href).group(1) for href in to_refs}
    assert {re.match(r"#cite-(\d+)-", href).group(1) for href in back} == cited
    assert len(back) == len(to_refs)


def test_reference_shows_kind_title_authors_source_year_and_identifier_links(
    client, author, editor, reviewers
):
    references = [
        {
            "number": 1,
            "kind": "review",
            "title": "A systematic review",
            "authors": "Smith J, Jones K",
            "source": "A Journal",
            "year": 2021,
            "doi": "10.1000/xyz123",
            "pmid": "12345678",
        },
        {
            "number": 2,
            "kind": "drug_label",
            "title": "A label",
            "source": "A maker",
            "url": "https://example.org/label",
        },
    ]
    version = publish(article_with(author, references=references), editor, reviewers[:2])
    html = page(client, version.article.get_absolute_url())
    item = html[html.index('id="ref-1"') : html.index('id="ref-2"')]
    assert '<span class="kind kind-review">Review</span>' in item
    assert '<cite class="ref-title">A systematic review</cite>' in item
    assert "Smith J, Jones K" in item and "A Journal, 2021" in item
    assert 'href="https://doi.org/10.1000/xyz123"' in item and "DOI 10.1000/xyz123" in item
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/12345678/"' in item and "PMID 12345678" in item
    assert 'href="https://example.org/label"' in html


# The audience picker ------------------------------------------------------------------------
def test_audience_picker_is_a_plain_form_with_labelled_choices_and_a_button(client, demo):
    html = page(client)
    form = html[
        html.index('<form class="audience"') : html.index("</form>", html.index('<form class="audience"'))
    ]
    assert 'method="get" action="/audience/"' in form
    assert "<legend>Which best describes you?</legend>" in form
    for value, label in (
        ("patient", "Patient or caregiver"),
        ("clinician", "Clinician"),
        ("student", "Student"),
    ):
        assert re.search(
            rf'<label class="audience-option"><input type="radio" name="audience" value="{value}"[^>]*> {label}</label>',
            form,
        )
    assert '<input type="hidden" name="next" value="/articles/baclofen-muscle-cramping/">' in form
    assert '<button type="submit">' in form


@pytest.mark.parametrize("audience", ["patient", "clinician", "student"])
def test_choosing_an_audience_keeps_it_in_a_cookie_and_goes_back(client, demo, audience):
    response = client.get("/audience/", {"audience": audience, "next": DEMO_URL})
    assert response.status_code == 303
    assert response["Location"] == DEMO_URL + "#answer"
    cookie = response.cookies["audience"]
    assert cookie.value == audience and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 180 * 24 * 3600
    html = page(client)  # the test client sends the cookie back
    assert re.search(rf'value="{audience}" checked', html)


def test_patient_reads_the_reviewed_plain_language_summary_first(client, demo):
    summary_start = "Baclofen is a medicine that relaxes muscles."
    client.cookies["audience"] = "patient"
    html = page(client)
    assert '<h2 id="answer-title">In plain language</h2>' in html
    assert summary_start in html
    assert html.index(summary_start) < html.index('<p class="lead">')


def test_clinician_reads_the_clinical_lead_and_not_the_plain_summary(client, demo):
    client.cookies["audience"] = "clinician"
    html = page(client)
    assert '<h2 id="answer-title">The clinical answer</h2>' in html
    assert '<p class="lead"><strong>Baclofen (10 mg/day' in html
    assert "Baclofen is a medicine that relaxes muscles." not in html


def test_student_reads_both_and_a_reader_without_a_choice_gets_the_lead_first(client, demo):
    client.cookies["audience"] = "student"
    student = page(client)
    assert student.index('<p class="lead">') < student.index("Baclofen is a medicine that relaxes muscles.")
    client.cookies.pop("audience")
    anyone = page(client)
    assert '<h2 id="answer-title">The answer in brief</h2>' in anyone
    assert "<summary>Read it in plain language</summary>" in anyone
    assert not re.search(r'name="audience" value="\w+" checked', anyone)


def test_patient_without_a_reviewed_summary_is_told_and_shown_the_clinical_answer(
    client, author, editor, reviewers
):
    version = flows.published(author, editor, reviewers[:2])  # no summary
    client.cookies["audience"] = "patient"
    html = page(client, version.article.get_absolute_url())
    assert "No plain-language summary has been reviewed for this article yet" in html
    assert "The answer first." in html


def test_an_unknown_audience_cookie_or_choice_is_ignored(client, demo):
    client.cookies["audience"] = "<script>"
    assert "The answer in brief" in page(client)
    response = client.get("/audience/", {"audience": "hacker", "next": DEMO_URL})
    assert response.status_code == 303 and "audience" not in response.cookies


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", ""]
)
def test_audience_redirect_never_leaves_the_site(client, next_url):
    response = client.get("/audience/", {"audience": "patient", "next": next_url})
    assert response.status_code == 303
    assert response["Location"].startswith("/") and not response["Location"].startswith("//")
    assert "evil" not in response["Location"] and "javascript" not in response["Location"]


def test_audience_choice_is_not_a_write_a_post_is_refused(client):
    assert client.post("/audience/", {"audience": "patient"}).status_code == 405


# Structured data and sharing ------------------------------------------------------------------
def test_json_ld_describes_a_reviewed_medical_web_page(client, demo):
    version = demo.article.live_version
    data = json_ld(page(client))
    assert data["@context"] == "https://schema.org" and data["@type"] == "MedicalWebPage"
    assert data["name"] == version.title
    assert data["url"] == "http://testserver" + DEMO_URL
    assert data["lastReviewed"] == version.decided_at.date().isoformat()
    assert data["dateModified"] == version.published_at.isoformat()
    assert [(p["name"], p["honorificSuffix"]) for p in data["reviewedBy"]] == [
        ("Dr. Priya Raman", "MD"),
        ("Dr. Grace Okafor", "PharmD"),
    ]
    assert {a["audienceType"] for a in data["medicalAudience"]} == {
        "Patient",
        "Clinician",
        "MedicalResearcher",
    }
    assert [c["name"] for c in data["citation"]] == [
        ref.title for ref in version.references.order_by("number")
    ]
    assert data["citation"][2]["datePublished"] == "1976"
    assert data["publisher"]["publishingPrinciples"] == "http://testserver/editorial-policy/"
    assert "[1]" not in data["description"] and data["description"].startswith("Baclofen (10 mg/day")


def test_json_ld_cannot_be_broken_out_of_by_author_text(client, author, editor, reviewers):
    hostile = 'Evil </script><script>alert("x")</script> & <!-- more'
    references = [
        {"number": 1, "kind": "other", "title": hostile, "source": "S"},
        {"number": 2, "kind": "other", "title": "Fine", "source": "S"},
    ]
    version = publish(article_with(author, slug="hostile", references=references), editor, reviewers[:2])
    html = page(client, version.article.get_absolute_url())
    script = html[html.index('<script type="application/ld+json">') :]
    script = script[: script.index("</script>")]
    assert "<" not in script[len('<script type="application/ld+json">') :]
    assert json_ld(html)["citation"][0]["name"] == hostile
    # Every script on the page is this data block: nothing executable, inline or not.
    scripts = [attrs for tag, attrs in Elements(html).tags if tag == "script"]
    assert scripts == [{"type": "application/ld+json"}]


def test_open_graph_and_canonical_tags(client, demo):
    html = page(client)
    elements = Elements(html)
    assert elements.meta("og:type") == "article"
    assert elements.meta("og:title") == demo.article.live_version.title
    assert elements.meta("og:url") == "http://testserver" + DEMO_URL
    assert elements.meta("og:description").startswith("Baclofen (10 mg/day")
    assert elements.meta("article:modified_time") == demo.article.live_version.published_at.isoformat()
    assert '<link rel="canonical" href="http://testserver/articles/baclofen-muscle-cramping/">' in html
    assert elements.meta("robots") is None


# Strict CSP, accessibility -------------------------------------------------------------------
@pytest.mark.parametrize("url", [DEMO_URL, "/", "/editorial-policy/"])
def test_reader_pages_send_a_strict_csp_and_carry_no_inline_style_or_script(client, demo, url):
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    html = response.content.decode()
    elements = Elements(html)
    assert not [tag for tag, attrs in elements.tags if "style" in attrs]
    assert not [tag for tag, _ in elements.tags if tag == "style"]
    assert all(attrs.get("type") == "application/ld+json" for tag, attrs in elements.tags if tag == "script")
    assert not [name for _, attrs in elements.tags for name in attrs if name.startswith("on")]


def test_page_structure_is_accessible(client, demo):
    html = page(client)
    elements = Elements(html)
    assert '<html lang="en">' in html
    assert [tag for tag, _ in elements.tags].count("h1") == 1
    assert '<a class="skip" href="#main">' in html and '<main id="main"' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    # Every form control has a label around it or pointing at it.
    labelled = {attrs.get("for") for tag, attrs in elements.tags if tag == "label"}
    for tag, attrs in elements.tags:
        if tag == "input" and attrs.get("type") not in ("hidden",):
            assert attrs.get("id") in labelled or attrs.get("type") == "radio"
    assert 'aria-labelledby="status-title"' in html and 'aria-labelledby="references-title"' in html


# Notices and states -----------------------------------------------------------------------
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


def test_unknown_article_is_a_404_and_a_post_is_refused_not_a_500(client, demo):
    assert client.get("/articles/no-such-article/").status_code == 404
    assert client.post(DEMO_URL).status_code == 405


def test_published_article_is_listed_and_shown(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    assert version.title in client.get("/").content.decode()
    html = client.get(f"/articles/{version.article.slug}/").content.decode()
    assert version.title in html and 'id="ref-1"' in html and 'href="#ref-1"' in html


def test_retracted_article_shows_the_notice_instead_of_content(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    workflow.version_retract(
        version=version,
        actor=editor,
        reason="A dose was found to be wrong.",
        signing=signed(editor, "retract"),
    )
    response = client.get(f"/articles/{version.article.slug}/")
    html = response.content.decode()
    assert "This article has been retracted" in html and "A dose was found to be wrong." in html
    assert "Stopping it abruptly" not in html and "References" not in html
    assert "Review history" in html and "Retracted" in html
    assert version.title not in client.get("/").content.decode()
    assert response["X-Robots-Tag"] == "noindex" and '<meta name="robots" content="noindex' in html
    assert "application/ld+json" not in html


def test_update_under_review_is_announced_while_the_approved_version_stays(client, author, editor, reviewers):
    version = flows.published(author, editor, reviewers[:2])
    second = workflow.version_create_next(article=version.article, author=author)
    workflow.version_edit_draft(version=second, actor=author, lead="A newer, unreviewed answer.")
    second = workflow.version_submit(version=second, actor=author)
    html = client.get(f"/articles/{version.article.slug}/").content.decode()
    assert "An update to this article is being reviewed" in html
    assert "The answer first." in html and "A newer, unreviewed answer." not in html
    assert second.state == VersionState.SUBMITTED


def test_review_history_never_shows_a_confidential_comment(client, author, editor, reviewers):
    version = flows.under_review(author, editor, reviewers[:2])
    for reviewer in reviewers[:2]:
        workflow.review_record(
            assignment=version.assignments.get(reviewer=reviewer),
            actor=reviewer,
            decision=Decision.APPROVE,
            comment_to_author="Fine by me.",
            no_conflict_declared=True,
            citations_checked=True,
            doses_checked=True,
            confidential_comment="SECRET-FOR-EDITORS",
            signing=signed(reviewer, "review"),
        )
    version = workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))
    workflow.version_publish(version=version, actor=editor, signing=signed(editor, "publish"))
    html = page(client, version.article.get_absolute_url())
    assert "SECRET-FOR-EDITORS" not in html
    assert "Board review recorded" in html


# Pending-review mode ------------------------------------------------------------------------
def test_pending_mode_is_off_by_default(settings):
    from config import settings as base

    assert base.EDITORIAL["PENDING_REVIEW_VISIBLE"] is False


@pytest.mark.parametrize("stage", ["submitted", "under_review"])
def test_pending_mode_shows_versions_awaiting_review_with_the_caution_banner(
    client, settings, author, editor, reviewers, stage
):
    settings.EDITORIAL = {**settings.EDITORIAL, "PENDING_REVIEW_VISIBLE": True}
    version = (
        flows.submitted(author) if stage == "submitted" else flows.under_review(author, editor, reviewers[:2])
    )
    response = client.get(version.article.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert CAUTION in html
    assert (
        response["X-Robots-Tag"] == "noindex" and '<meta name="robots" content="noindex, nofollow">' in html
    )
    assert "application/ld+json" not in html
    assert "Not yet approved" in html and "Reviewed by" not in html
    if stage == "under_review":
        assert 'aria-current="step"' in html
    home = client.get("/").content.decode()
    assert "Pending human review" in home and version.title in home and CAUTION in home
    assert version.article.get_absolute_url() not in client.get("/sitemap.xml").content.decode()
    assert version.article.get_absolute_url() not in client.get("/feed/").content.decode()


def test_pending_mode_never_shows_drafts_or_replaces_a_published_version(
    client, settings, author, editor, reviewers
):
    settings.EDITORIAL = {**settings.EDITORIAL, "PENDING_REVIEW_VISIBLE": True}
    assert client.get(flows.draft(author, slug="a-draft").article.get_absolute_url()).status_code == 404
    version = flows.published(author, editor, reviewers[:2])
    second = workflow.version_create_next(article=version.article, author=author)
    workflow.version_edit_draft(version=second, actor=author, lead="A newer, unreviewed answer.")
    workflow.version_submit(version=second, actor=author)
    html = page(client, version.article.get_absolute_url())
    assert "A newer, unreviewed answer." not in html and CAUTION not in html
    assert "An update to this article is being reviewed" in html


def test_no_unreviewed_words_reach_readers_through_the_history(client, author, editor, reviewers):
    from editorial import workflow as wf

    version = flows.published(author, editor, reviewers[:2])
    # a draft never submitted, then one under review, each with its author's change note
    hidden_draft = wf.version_create_next(article=version.article, author=author)
    wf.version_edit_draft(version=hidden_draft, actor=author, change_note="SECRET DRAFT NOTE")
    wf.version_withdraw(version=hidden_draft, actor=author, reason="SECRET WITHDRAW REASON")
    pending = wf.version_create_next(article=version.article, author=author)
    wf.version_edit_draft(version=pending, actor=author, change_note="UNREVIEWED CHANGE NOTE")
    wf.version_submit(version=pending, actor=author)
    html = client.get(f"/articles/{version.article.slug}/").content.decode()
    assert "SECRET DRAFT NOTE" not in html and "SECRET WITHDRAW REASON" not in html
    assert "UNREVIEWED CHANGE NOTE" not in html
    assert "Submitted for review" in html  # the step itself is public
