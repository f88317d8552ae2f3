import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article, VersionState
from editorial.audit import verify_chain
from editorial.models import AuditEvent, Review

pytestmark = pytest.mark.django_db


def test_demo_carries_the_seed_article_through_the_whole_workflow(demo):
    article = Article.objects.get(slug="baclofen-muscle-cramping")
    v1, v2, v3 = article.versions.order_by("number")
    # version 1 as the page had it: six sources cited, three listed
    assert v1.integrity["cited"] == [1, 2, 3, 4, 5, 6]
    assert v1.integrity["references"] == [1, 3, 6]
    assert v1.integrity["unresolved"] == [2, 4, 5]
    assert v1.state == VersionState.CHANGES_REQUESTED
    assert "v1 submitted; citation check: unresolved [2, 4, 5]" in demo.output
    # version 2 resolves it, without inventing a source
    assert v2.integrity["unresolved"] == [] and v2.integrity["uncited"] == []
    kinds = list(v2.references.values_list("kind", flat=True))
    assert kinds == ["guideline", "drug_label", "research", "research"]
    assert not any(ref.doi or ref.pmid or ref.url for ref in v2.references.all())
    assert v2.summary
    assert article.live_version_id == v2.pk and v2.state == VersionState.PUBLISHED
    assert Review.objects.filter(version=v2, decision="approve").count() == 2
    # version 3 is under review while readers still see version 2
    assert v3.state == VersionState.UNDER_REVIEW
    assert verify_chain().ok


def test_demo_update_under_review_changes_wording_only_with_one_reviewer_overdue(demo):
    article = Article.objects.get(slug="baclofen-muscle-cramping")
    v2, v3 = article.versions.filter(number__in=[2, 3]).order_by("number")
    assert article.live_version_id == v2.pk
    # no new statement and no new source: only heading lines differ, references are the same
    changed = [
        (old, new) for old, new in zip(v2.body.splitlines(), v3.body.splitlines(), strict=True) if old != new
    ]
    assert changed and all(old.startswith("#") and old.lower() == new.lower() for old, new in changed)
    assert (v3.title, v3.lead, v3.summary) == (v2.title, v2.lead, v2.summary)
    fields = ("number", "kind", "title", "authors", "source", "year", "doi", "pmid", "url")
    assert list(v3.references.values_list(*fields)) == list(v2.references.values_list(*fields))
    assert v3.integrity["unresolved"] == []
    assert "Wording only" in v3.change_note
    overdue = [a for a in v3.assignments.all() if a.review_due < timezone.now()]
    assert [a.reviewer.username for a in overdue] == ["tomas.lindqvist"]
    assert v3.assignments.count() == 2


def test_demo_overdue_reviewer_is_reminded_and_editors_alerted_in_one_sweep(demo):
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    first = out.getvalue()
    assert "tomas.lindqvist@example.org" in first and "helen.brandt@example.org" in first
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"editorial.assignment.reminded", "editorial.assignment.escalated"} <= actions
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    assert "Sent nothing" in out.getvalue()
    assert verify_chain().ok


def test_demo_is_safe_to_run_twice(demo):
    events = AuditEvent.objects.count()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert AuditEvent.objects.count() == events
    assert Article.objects.count() == 1


def test_demo_page_shows_what_the_issue_promises(demo, client):
    response = client.get("/articles/baclofen-muscle-cramping/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "What is the role of baclofen in treating muscle cramping?" in html
    assert "Approved" in html
    assert "Dr. Priya Raman, MD" in html and "Dr. Grace Okafor, PharmD" in html
    assert len(set(re.findall(r'<li[^>]* id="ref-(\d+)"', html))) == 4
    for kind in ("Guideline", "Drug label", "Research"):
        assert f">{kind}</span>" in html
    assert html.count('class="history-action"') >= 8
    assert 'href="#ref-2" id="cite-2-1"' in html
    # the confidential comment never reaches a reader
    assert "Demo note for editors only" not in html


def test_demo_reviewers_anchor_their_findings_and_version_2_resolves_them(demo):
    from articles.passages import plain_text
    from editorial.models import Anchor, Annotation

    article = Article.objects.get(slug="baclofen-muscle-cramping")
    v1, v2, v3 = article.versions.order_by("number")
    found = list(Annotation.objects.filter(version=v1).order_by("pk"))
    # the claims cited 2, 4 and 5 (unresolved: "2?"), and the misspelling in reference 3's title
    text = plain_text(v1).text
    assert [(a.severity, text[a.start : a.end + 3].rstrip(".\n")[-2:]) for a in found[:3]] == [
        ("must_fix", "2?"),
        ("must_fix", "4?"),
        ("must_fix", "5?"),
    ]
    assert found[3].exact == "Bacloffen" and found[3].part == "reference" and found[3].reference_number == 3
    assert all(a.state == "open" for a in found)  # version 1 was decided with them open
    # carried into version 2, answered by the author, resolved before approval
    carried = list(Annotation.objects.filter(version=v2).order_by("carried_from_id"))
    assert [a.carried_from_id for a in carried] == [a.pk for a in found]
    assert [a.anchor for a in carried].count(Anchor.CHANGED) == 1  # "Bacloffen" is gone
    assert all(a.state == "resolved" and a.resolution_note for a in carried)
    assert all([r.author.username for r in a.replies.all()] == ["dana.author"] for a in carried)
    resolved = v2.audit_events.filter(action="editorial.annotation.resolved").values_list("seq", flat=True)
    approved = v2.audit_events.get(action="editorial.version.approved").seq
    assert len(resolved) == 4 and max(resolved) < approved
    assert not Annotation.objects.filter(version=v3).exists()  # nothing open was left to carry


def test_demo_twice_adds_no_annotation(demo):
    from editorial.models import Annotation

    before = Annotation.objects.count()
    call_command("load_demo", stdout=io.StringIO())
    assert Annotation.objects.count() == before == 8


def test_demo_signs_its_approvals_through_the_services(demo):
    from editorial import signatures
    from editorial.models import Signature

    article = Article.objects.get(slug="baclofen-muscle-cramping")
    v2 = article.versions.get(number=2)
    signed = list(Signature.objects.filter(version=v2).order_by("signed_at", "pk"))
    # two board approvals, the editor's approval and the publication, each with its meaning
    assert [s.verb for s in signed] == ["review", "review", "approve", "publish"]
    assert {s.meaning for s in signed[:2]} == {"medical_accuracy"}
    assert all(s.content_sha256 == signatures.content_sha256(v2) for s in signed)
    assert all(s.printed_name.endswith(s.signer.board_member.credentials) for s in signed)
    # and running the demo again signs nothing more
    call_command("load_demo", stdout=io.StringIO())
    assert Signature.objects.count() == 4


def test_demo_leaves_one_reader_report_waiting_and_a_dated_sweep_opens_the_re_review(demo, client):
    from datetime import timedelta

    from editorial.models import ReaderReport, ReportState, ReReview, ReReviewTrigger

    # one report, waiting for triage, inventing no medical fact; once only
    (report,) = ReaderReport.objects.filter(article=demo.article)
    assert report.state == ReportState.NEW and "hard to spot" in report.message and not report.email
    call_command("load_demo", stdout=io.StringIO())
    assert ReaderReport.objects.filter(article=demo.article).count() == 1
    # the README's way to see a re-review open: a sweep run as of the day it comes due
    due = demo.article.next_review_due
    out = io.StringIO()
    call_command("send_reminders", "--as-of", (due + timedelta(days=1)).date().isoformat(), stdout=out)
    cycle = ReReview.objects.get(article=demo.article)
    assert cycle.trigger == ReReviewTrigger.SCHEDULE and cycle.version == demo.article.live_version
    assert "re-review due" in out.getvalue()
