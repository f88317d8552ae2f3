"""The board's re-review pages: open a cycle with a reason, invite the suggested reviewers, each
records a decision (a confirmation is signed); mark a reference superseded; triage a reader
report from the dashboard. Refusals answer 400/403/404/409 with a message, never a 500."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.urls import reverse

from editorial import reports, rereview
from editorial.models import ReaderReport, ReferenceFlag, ReportState, ReReview, ReReviewState
from tests.support import flows
from tests.support.signing import PASSWORD
from tests.support.xss_vectors import scan

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def policy(settings):
    settings.EDITORIAL = {
        **settings.EDITORIAL,
        "QUORUM": 2,
        "RE_REVIEW_MONTHS": 12,
        "RE_REVIEW_GRACE_DAYS": 30,
    }


@pytest.fixture
def live(author, editor, reviewers):
    return flows.published(author, editor, reviewers[:2])


def decide(client, assignment, *, password=PASSWORD, meaning="still_current", **data):
    return client.post(
        reverse("admin:editorial_re_review_decide", args=[assignment.pk]),
        {
            "verb": "confirm",
            "no_conflict_declared": "on",
            "confirm-meaning": meaning,
            "confirm-password": password,
            **data,
        },
    )


def test_an_editor_opens_assigns_and_the_reviewers_confirm_over_http(client, live, editor, reviewers):
    client.force_login(editor)
    open_url = reverse("admin:editorial_re_review_open", args=[live.article_id])
    refused = client.post(open_url, {"reason": "  "})
    assert refused.status_code == 400 and b"Give the reason" in refused.content
    response = client.post(open_url, {"reason": "A newer guideline was published."})
    cycle = ReReview.objects.get()
    assert response.status_code == 303 and response["Location"] == reverse(
        "admin:editorial_re_review", args=[cycle.pk]
    )
    again = client.post(open_url, {"reason": "Twice."})
    assert again.status_code == 409 and b"already open" in again.content
    page = client.get(response["Location"]).content.decode()
    assert "(last reviewed this version)" in page and not scan(page)
    for reviewer in reviewers[:2]:
        assert (
            client.post(
                reverse("admin:editorial_re_review_assign", args=[cycle.pk]), {"reviewer": reviewer.pk}
            ).status_code
            == 303
        )
    assert (
        client.post(
            reverse("admin:editorial_re_review_assign", args=[cycle.pk]), {"reviewer": "x"}
        ).status_code
        == 400
    )
    first, second = (cycle.assignments.get(reviewer=r) for r in reviewers[:2])
    # the editor is not the assigned reviewer
    assert decide(client, first).status_code == 403
    # a board member not assigned does not see the cycle
    client.force_login(reviewers[2])
    assert client.get(reverse("admin:editorial_re_review", args=[cycle.pk])).status_code == 404
    client.force_login(reviewers[0])
    assert b"Record my decision" in client.get(reverse("admin:editorial_re_review", args=[cycle.pk])).content
    wrong = decide(client, first, password="not-mine")
    assert wrong.status_code == 403 and b"nothing was signed" in wrong.content
    assert decide(client, first).status_code == 303
    assert decide(client, first).status_code == 409  # recorded already
    client.force_login(reviewers[1])
    # another verb's meaning is refused (the signing form's rule), and nothing is recorded
    refused = decide(client, second, verb="confirm", meaning="approval")
    assert refused.status_code == 403 and "Choose what your signature means" in refused.content.decode()
    assert decide(client, second).status_code == 303
    cycle.refresh_from_db()
    assert cycle.state == ReReviewState.CONFIRMED


def test_a_revision_request_over_http_needs_the_evidence(client, live, editor, reviewers):
    cycle = flows.re_review(live, editor, reviewers[:1])
    client.force_login(reviewers[0])
    assignment = cycle.assignments.get()
    assert decide(client, assignment, verb="request_revision").status_code == 400
    assert decide(client, assignment, verb="nonsense").status_code == 400
    assert decide(client, assignment, verb="request_revision", comment="A 2027 guideline.").status_code == 303
    cycle.refresh_from_db()
    assert cycle.state == ReReviewState.REVISION_REQUESTED


def test_a_board_member_marks_a_reference_superseded(client, live, reviewers, author):
    reference = live.references.get(number=1)
    url = reverse("admin:editorial_reference_flag", args=[reference.pk])
    client.force_login(reviewers[2])
    assert client.post(url, {"note": ""}).status_code == 400
    response = client.post(url, {"note": "Replaced by the 2027 guideline."})
    assert response.status_code == 303
    assert ReferenceFlag.objects.count() == 1 and ReReview.objects.count() == 1
    assert client.post(url, {"note": "Again."}).status_code == 409
    assert (
        client.post(reverse("admin:editorial_reference_flag", args=[999_999]), {"note": "x"}).status_code
        == 404
    )


def test_the_dashboard_shows_an_overdue_re_review_in_red_and_triages_reports(
    client, author, editor, reviewers
):
    with time_machine.travel(T0, tick=False) as clock:
        live = flows.published(author, editor, reviewers[:2])
        reports.report_submit(article=live.article, message="When was this page last checked?")
        client.force_login(editor)
        clock.move_to(T0 + relativedelta(months=12) + timedelta(days=29))
        client.force_login(editor)  # a session from a year ago has expired
        html = client.get(reverse("admin:index")).content.decode()
        assert "re-review-overdue" not in html and "When was this page last checked?" in html
        clock.move_to(T0 + relativedelta(months=12) + timedelta(days=30))
        client.force_login(editor)
        html = client.get(reverse("admin:index")).content.decode()
        assert 'class="re-review-overdue"' in html and "overdue: readers are told since" in html
        report = ReaderReport.objects.get()
        triage = reverse("admin:editorial_report_triage", args=[report.pk])
        assert client.post(triage, {"verb": "delete", "words": "x"}).status_code == 400
        assert client.post(triage, {"verb": "reply_report", "words": "Hello"}).status_code == 409  # no email
        assert client.post(triage, {"verb": "dismiss_report", "words": ""}).status_code == 400
        assert (
            client.post(triage, {"verb": "dismiss_report", "words": "Answered on the page."}).status_code
            == 303
        )
        report.refresh_from_db()
        assert report.state == ReportState.DISMISSED
        assert client.post(triage, {"verb": "dismiss_report", "words": "Twice."}).status_code == 409
        client.force_login(reviewers[0])
        assert client.post(triage, {"verb": "dismiss_report", "words": "x"}).status_code == 403
        assert rereview.open_cycle(live) is None
