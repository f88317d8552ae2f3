"""Annotations over HTTP: the board's version page (passages with their threads, the comment
link of each paragraph, reply and resolve), the W3C JSON-LD, the author's workspace, query
budgets as the threads grow, and every XSS vector through comments and replies."""

import json

import pytest
from django.urls import reverse

from articles.passages import plain_text
from editorial import annotations, workflow
from editorial.models import Annotation, AnnotationReply
from tests.support import flows
from tests.support.factories import make_annotations
from tests.support.flows import annotate
from tests.support.html import Elements
from tests.support.xss_vectors import VECTORS, scan

pytestmark = pytest.mark.django_db

BODY = "Baclofen is started at a low dose [1].\n\nStopping it abruptly is dangerous [2]."


def page(version) -> str:
    return reverse("admin:articles_articleversion_change", args=[version.pk])


def jsonld(version) -> str:
    return reverse("admin:articles_articleversion_annotations_jsonld", args=[version.pk])


def workspace_page(version) -> str:
    return reverse("workspace:version", args=[version.article.slug, version.number])


@pytest.fixture
def version(author, editor, reviewers):
    return flows.under_review(author, editor, reviewers[:2], body=BODY)


def carried_draft(version, author, editor):
    """Changes requested on ``version``; the author's next draft, with the open annotations."""
    workflow.version_request_changes(version=version, actor=editor, message="See the annotations.")
    return workflow.version_create_next(article=version.article, author=author)


# The board's version page ------------------------------------------------------------------


def test_the_annotation_stands_beside_its_passage(client, version, reviewer):
    annotation = annotate(version, reviewer, severity="must_fix")
    client.force_login(reviewer)
    html = client.get(page(version)).content.decode()
    passage = plain_text(version).passage_at(annotation.start, annotation.end)
    row = html.split(f'id="passage-{passage.index}"')[1].split('class="passage-row')[0]
    assert f'id="annotation-{annotation.pk}"' in row and "Which dose, exactly?" in row and "Must fix" in row


def test_every_paragraph_and_reference_has_its_comment_link(client, version, reviewer):
    client.force_login(reviewer)
    html = client.get(page(version)).content.decode()
    links = [
        dict(attrs)["href"]
        for tag, attrs in Elements(html).start_tags
        if tag == "a" and "annotate-link" in (dict(attrs).get("class") or "")
    ]
    assert len(links) == len(plain_text(version).passages) == 5  # lead, 2 paragraphs, 2 references
    assert links[-1].endswith("?passage=4")


def test_a_paragraph_link_annotates_the_whole_paragraph_without_javascript(client, version, reviewer):
    client.force_login(reviewer)
    url = reverse("admin:articles_articleversion_annotate", args=[version.pk])
    form = client.get(f"{url}?passage=2")
    assert form.status_code == 200
    fields = {
        dict(a).get("name"): dict(a).get("value")
        for t, a in Elements(form.content.decode()).start_tags
        if t == "input"
    }
    assert fields["exact"] == "Stopping it abruptly is dangerous 2."
    posted = {
        name: value for name, value in fields.items() if name and value is not None and name != "confidential"
    }
    response = client.post(url, {**posted, "severity": "must_fix", "comment": "[2] is missing."})
    annotation = Annotation.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#annotation-{annotation.pk}")
    assert (annotation.exact, annotation.severity, annotation.part) == (fields["exact"], "must_fix", "body")


def test_a_refused_annotation_says_why_and_writes_nothing(client, version, reviewer):
    client.force_login(reviewer)
    url = reverse("admin:articles_articleversion_annotate", args=[version.pk])
    response = client.post(url, {"exact": "not in the text", "severity": "suggestion", "comment": "?"})
    assert response.status_code == 400
    assert "is not in the text of version 1" in response.content.decode()
    assert Annotation.objects.count() == 0


def test_the_author_has_no_comment_link_and_an_unassigned_reviewer_no_page(
    client, version, reviewers, editor
):
    client.force_login(reviewers[2])
    assert client.get(page(version)).status_code == 404
    assert client.get(jsonld(version)).status_code == 404
    withdrawn = workflow.version_withdraw(version=version, actor=editor, reason="Duplicate.")
    client.force_login(editor)
    html = client.get(page(withdrawn)).content.decode()
    assert "annotate-link" not in html and "annotate.js" not in html


def test_reply_and_resolve_from_the_version_page(client, version, reviewers, editor):
    annotation = annotate(version, reviewers[0], severity="must_fix")
    act = "admin:articles_articleversion_annotation_act"
    client.force_login(reviewers[1])
    refused = client.post(reverse(act, args=[version.pk, annotation.pk, "resolve"]), {"note": "Fine."})
    assert refused.status_code == 403
    client.force_login(editor)
    assert (
        client.post(
            reverse(act, args=[version.pk, annotation.pk, "reply"]), {"comment": "Agreed."}
        ).status_code
        == 302
    )
    empty = client.post(reverse(act, args=[version.pk, annotation.pk, "resolve"]), {"note": ""})
    assert empty.status_code == 400 and "note is required" in empty.content.decode()
    done = client.post(reverse(act, args=[version.pk, annotation.pk, "resolve"]), {"note": "Cited now."})
    assert done.status_code == 302
    annotation.refresh_from_db()
    assert annotation.state == "resolved" and AnnotationReply.objects.get().comment == "Agreed."


def test_the_approve_panel_names_the_open_must_fix(client, version, reviewers, editor):
    annotate(version, reviewers[0], severity="must_fix", exact="low dose")
    for reviewer in reviewers[:2]:
        flows.review(version, reviewer)
    client.force_login(editor)
    html = client.get(page(version)).content.decode()
    blocked = html.split('id="approve-blocked"')[1].split("</p>")[0]
    assert "open must-fix annotations: “low dose”" in blocked


# W3C JSON-LD ------------------------------------------------------------------------------


def test_the_jsonld_has_the_w3c_required_fields(client, version, reviewer, editor):
    annotation = annotate(version, reviewer, severity="must_fix", confidential=True)
    annotations.annotation_reply(annotation=annotation, actor=editor, comment="Agreed.")
    annotations.annotation_resolve(annotation=annotation, actor=editor, note="Cited.")
    client.force_login(editor)
    response = client.get(jsonld(version))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    document = json.loads(response.content)
    assert document["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert document["type"] == "AnnotationCollection" and document["total"] == 3
    made, reply, resolution = document["first"]["items"]
    for item in (made, reply, resolution):
        # The model's MUSTs: an IRI id, the type Annotation, at least one target; ours add the rest
        assert item["id"].startswith("http") and item["type"] == "Annotation" and item["target"]
        assert item["creator"]["type"] == "Person" and item["created"].endswith("Z")
    assert made["motivation"] == "commenting"
    assert made["body"][0] == {
        "type": "TextualBody",
        "value": "Which dose, exactly?",
        "format": "text/plain",
        "language": "en",
        "purpose": "commenting",
    }
    assert {b["value"] for b in made["body"][1:]} == {"must-fix", "board-only"}
    target = made["target"]
    assert target["source"].endswith(page(version))
    quote, position = target["selector"]
    text = plain_text(version).text
    assert quote == {
        "type": "TextQuoteSelector",
        "exact": "started at a low dose",
        "prefix": annotation.prefix,
        "suffix": annotation.suffix,
    }
    assert position["type"] == "TextPositionSelector"
    assert text[position["start"] : position["end"]] == quote["exact"]
    assert (reply["motivation"], reply["target"]) == ("replying", made["id"])
    assert (resolution["motivation"], resolution["target"]) == ("assessing", made["id"])


def test_the_jsonld_is_for_the_board_only(client, version, author):
    client.force_login(author)
    response = client.get(jsonld(version))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_a_changed_passage_keeps_only_its_quote_in_the_jsonld(client, version, author, editor, reviewer):
    annotate(version, reviewer)
    draft = carried_draft(version, author, editor)
    workflow.version_edit_draft(version=draft, actor=author, body="Start with 5 mg [1].")
    client.force_login(editor)
    [item] = json.loads(client.get(jsonld(draft)).content)["first"]["items"]
    assert [s["type"] for s in item["target"]["selector"]] == ["TextQuoteSelector"]
    assert item["via"].endswith(f"#annotation-{Annotation.objects.get(version=version).pk}")


# The author's workspace ----------------------------------------------------------------------


def test_the_author_sees_open_annotations_beside_their_paragraph_and_answers(
    client, version, author, editor, reviewer
):
    annotate(version, reviewer, severity="must_fix")
    annotate(version, reviewer, exact="dangerous", confidential=True, comment="Board eyes only.")
    draft = carried_draft(version, author, editor)
    client.force_login(author)
    html = client.get(workspace_page(draft)).content.decode()
    assert "Which dose, exactly?" in html and "Board eyes only." not in html
    section = html.split('id="annotations-title"')[1]
    assert "Baclofen is started at a low dose 1." in section  # the paragraph, beside its annotation
    copy = Annotation.objects.get(version=draft, confidential=False)
    url = reverse("workspace:annotation_reply", args=[draft.article.slug, draft.number, copy.pk])
    assert client.post(url, {"comment": "Now cites the label."}).status_code == 302
    secret = Annotation.objects.get(version=draft, confidential=True)
    url = reverse("workspace:annotation_reply", args=[draft.article.slug, draft.number, secret.pk])
    assert client.post(url, {"comment": "Let me see."}).status_code == 403
    assert list(AnnotationReply.objects.values_list("comment", flat=True)) == ["Now cites the label."]
    # version 1 says where its annotation went, to the author and to the board
    assert "Carried to version 2, open there." in client.get(workspace_page(version)).content.decode()
    client.force_login(editor)
    assert "Carried to version 2, open there." in client.get(page(version)).content.decode()


# Query budgets: flat as the threads grow -------------------------------------------------------


def _count_queries(client, url, django_assert_max_num_queries) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _grow(version, reviewer, editor, count):
    made = make_annotations(version, reviewer, count, passage=1)
    AnnotationReply.objects.bulk_create(
        [AnnotationReply(annotation=annotation, author=editor, comment="Agreed.") for annotation in made]
    )


def test_the_version_page_costs_the_same_with_1_or_200_annotations(
    client, author, editor, reviewers, settings
):
    counts = []
    for number, size in ((1, 1), (2, 200)):
        version = flows.under_review(author, editor, reviewers[:2], body=BODY, slug=f"budget-{number}")
        _grow(version, reviewers[0], editor, size)
        client.force_login(reviewers[0])
        counts.append(_count_queries(client, page(version), None))
    assert counts[0] == counts[1], counts


def test_the_workspace_editor_costs_the_same_with_1_or_200_annotations(client, author, editor, reviewers):
    counts = []
    for number, size in ((1, 1), (2, 200)):
        version = flows.under_review(author, editor, reviewers[:2], body=BODY, slug=f"ws-budget-{number}")
        _grow(version, reviewers[0], editor, size)
        draft = carried_draft(version, author, editor)
        assert draft.annotations.count() == size
        client.force_login(author)
        counts.append(_count_queries(client, workspace_page(draft), None))
    assert counts[0] == counts[1], counts


# Every XSS vector through comments and replies ---------------------------------------------------


def test_no_vector_in_a_comment_or_reply_survives_any_page(client, author, editor, reviewers, settings):
    settings.EDITORIAL = {**settings.EDITORIAL, "MAX_ANNOTATIONS_PER_VERSION": 2 * len(VECTORS)}
    version = flows.under_review(author, editor, reviewers[:2], body=BODY)
    for vector in VECTORS:
        annotation = annotate(version, reviewers[0], comment=vector.payload)
        annotations.annotation_reply(annotation=annotation, actor=editor, comment=vector.payload)
    draft = carried_draft(version, author, editor)
    for annotation in draft.annotations.all()[:5]:
        annotations.annotation_reply(annotation=annotation, actor=author, comment=VECTORS[0].payload)
    findings = []
    for who, url in (
        (editor, page(version)),
        (reviewers[0], page(version)),
        (editor, page(draft)),
        (author, workspace_page(draft)),
        (author, workspace_page(version)),
    ):
        client.force_login(who)
        response = client.get(url)
        assert response.status_code == 200, url
        findings += [f"{url}: {finding}" for finding in scan(response.content)]
    client.force_login(editor)
    response = client.get(jsonld(version))
    assert response["X-Content-Type-Options"] == "nosniff"
    items = json.loads(response.content)["first"]["items"]
    assert {
        item["body"]["value"] if item["motivation"] == "replying" else item["body"][0]["value"]
        for item in items
    } == {v.payload for v in VECTORS}
    assert not findings, "\n".join(findings[:20])
