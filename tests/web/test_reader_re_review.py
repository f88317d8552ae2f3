"""What readers see of a re-review: the overdue notice and the JSON-LD on the right days (clock
moved), the "Re-reviewed on" history, references under review; and "Report a problem with this
page" with its abuse protection."""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.test import Client
from django.urls import reverse

from editorial import reminders, rereview, workflow
from editorial.models import AuditAction, AuditEvent, ReaderReport, ReportState
from reader import pagecache
from tests.support import flows
from tests.support.signing import signed
from tests.support.xss_vectors import pack, scan

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE = T0 + relativedelta(months=12)
GRACE = timedelta(days=30)
NOTICE = b'id="overdue-notice"'


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.EDITORIAL = {
        **settings.EDITORIAL,
        "QUORUM": 2,
        "RE_REVIEW_MONTHS": 12,
        "RE_REVIEW_GRACE_DAYS": 30,
        "REPORTS_PER_ADDRESS_PER_HOUR": 3,
        "REPORTS_PER_ARTICLE_PER_DAY": 5,
        "REPORT_RETENTION_DAYS": 90,
    }
    # A cache of this test's own (the page cache and the report counters): clearing the shared
    # Redis would clear the other workers' too.
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"re-review-test-{uuid.uuid4().hex}"}
    }
    pagecache.forget_local_state()
    yield
    pagecache.forget_local_state()


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def live(clock, author, editor, reviewers):
    return flows.published(author, editor, reviewers[:2])


def page(client, version) -> bytes:
    pagecache.forget_local_tokens()
    response = client.get(reverse("reader:detail", args=[version.article.slug]))
    assert response.status_code == 200
    return response.content


def json_ld(content: bytes) -> dict:
    found = re.search(rb'<script type="application/ld\+json">(.*?)</script>', content, re.DOTALL)
    return json.loads(found.group(1))


# The overdue notice ----------------------------------------------------------------------------


def test_the_overdue_notice_appears_after_the_grace_and_goes_when_the_re_review_confirms(
    client, clock, live, editor, reviewers
):
    clock.move_to(DUE + GRACE - timedelta(minutes=1))
    reminders.sweep(dispatch=lambda ids: None)  # opens the cycle
    content = page(client, live)
    assert NOTICE not in content
    assert json_ld(content)["lastReviewed"] == live.decided_at.date().isoformat()
    # when the grace has passed, the sweep records it and the cached page is rebuilt
    clock.move_to(DUE + GRACE)
    reminders.sweep(dispatch=lambda ids: None)
    content = page(client, live)
    assert NOTICE in content
    assert b"overdue for review" in content and b"March 2, 2027" in content
    assert "lastReviewed" not in json_ld(content)
    assert AuditEvent.objects.filter(action=AuditAction.RE_REVIEW_OVERDUE).count() == 1
    # when a quorum confirms, the notice goes and the page says when and by whom
    clock.move_to(DUE + GRACE + timedelta(days=2))
    cycle = rereview.open_cycle(live)
    for reviewer in reviewers[:2]:
        rereview.re_review_assign(cycle=cycle, reviewer=reviewer, actor=editor)
        flows.confirm(cycle, reviewer)
    content = page(client, live)
    assert NOTICE not in content
    assert json_ld(content)["lastReviewed"] == "2027-04-03"
    names = " and ".join(r.board_member.display_name for r in reviewers[:2])
    assert f"Re-reviewed on 3 April 2027 by {names}: no changes needed.".encode() in content
    assert b"<dt>Last reviewed</dt><dd><time" in content and b"April 3, 2027</time>" in content
    assert b"April 3, 2028" in content  # next review due, one interval on
    assert not scan(content)


def test_the_notice_is_not_shown_a_day_early_even_to_a_fresh_render(client, clock, live):
    clock.move_to(DUE + GRACE - timedelta(days=1))
    assert NOTICE not in page(client, live)


def test_a_reference_marked_superseded_is_under_review_for_readers(client, live, reviewers):
    assert b"ref-under-review" not in page(client, live)
    rereview.reference_flag(
        reference=live.references.get(number=2), actor=reviewers[0], note="The label changed in 2027."
    )
    content = page(client, live)
    assert content.count(b'class="ref-under-review"') == 1
    assert b"Reference 2 is under review" in content  # the public history says so


# Report a problem with this page ---------------------------------------------------------------


def report_url(version) -> str:
    return reverse("reader:report", args=[version.article.slug])


def post(client, version, **data):
    return client.post(report_url(version), {"message": "", "email": "", "website": "", **data})


def test_every_article_page_links_to_the_report_form_which_works_without_javascript(client, live):
    assert report_url(live).encode() in page(client, live)
    form = client.get(report_url(live))
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html and "<script" not in html
    assert '<label for="id_message">' in html and '<label for="id_email">' in html
    response = post(
        client, live, message="The link to the label is hard to find.", email="reader@example.org"
    )
    assert response.status_code == 303 and response["Location"].endswith("?sent=1")
    report = ReaderReport.objects.get()
    assert report.state == ReportState.NEW and report.email == "reader@example.org"
    event = AuditEvent.objects.get(action=AuditAction.REPORT_RECEIVED)
    assert "reader@example.org" not in json.dumps(event.data) + event.message
    assert b"reader@example.org" not in page(client, live)
    assert b"Thank you" in client.get(response["Location"]).content


def test_the_form_refuses_without_a_csrf_token(live):
    client = Client(enforce_csrf_checks=True)
    response = post(client, live, message="Broken link.")
    assert response.status_code == 403 and not ReaderReport.objects.exists()


def test_the_honeypot_is_answered_as_a_success_and_keeps_nothing(client, live):
    response = post(client, live, message="Buy cheap pills", website="http://spam.example")
    assert response.status_code == 303 and not ReaderReport.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"message": ""},
        {"message": "   "},
        {"message": "x" * 2001},
        {"message": "A null \x00 character"},
        {"message": "Fine.", "email": "not-an-email"},
        {"message": "Fine.", "email": "a" * 250 + "@example.org"},
    ],
    ids=["empty", "blank", "too long", "nul", "bad email", "long email"],
)
def test_bad_input_is_a_form_error_and_writes_nothing(client, live, data):
    before = AuditEvent.objects.count()
    response = post(client, live, **data)
    assert response.status_code == 400
    assert b'class="field-error"' in response.content
    assert not ReaderReport.objects.exists() and AuditEvent.objects.count() == before


def test_floods_are_refused_per_address_and_per_article(client, live):
    for n in range(3):
        assert post(client, live, message=f"Report {n}").status_code == 303
    refused = post(client, live, message="One more")
    assert refused.status_code == 429 and b"try again later" in refused.content
    assert ReaderReport.objects.count() == 3
    # another address may still report, until the article's daily limit
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert post(other, live, message="Report 4").status_code == 303
    assert post(other, live, message="Report 5").status_code == 303
    third = Client(REMOTE_ADDR="192.0.2.8")
    assert post(third, live, message="Report 6").status_code == 429
    assert ReaderReport.objects.count() == 5


def test_no_report_on_an_article_readers_cannot_read(client, author):
    version = flows.submitted(author)
    assert client.get(report_url(version)).status_code == 404
    assert post(client, version, message="Hello").status_code == 404
    assert client.put(report_url(version)).status_code == 405
    assert not ReaderReport.objects.exists()


def test_hostile_reports_are_kept_as_text_and_shown_escaped_on_the_dashboard(client, live, editor, settings):
    settings.EDITORIAL = {
        **settings.EDITORIAL,
        "REPORTS_PER_ADDRESS_PER_HOUR": 1000,
        "REPORTS_PER_ARTICLE_PER_DAY": 1000,
    }
    chunks = pack(2000)
    for chunk in chunks:
        response = post(client, live, message=chunk, email="")
        assert response.status_code in (303, 400), response.status_code
    assert ReaderReport.objects.count() >= len(chunks) - 2
    client.force_login(editor)
    dashboard = client.get(reverse("admin:index"))
    assert dashboard.status_code == 200
    assert not scan(dashboard.content)
    assert b"Reader reports" in dashboard.content


# Retention and triage ---------------------------------------------------------------------------


def test_the_reporters_email_is_deleted_after_the_retention_period(client, clock, live):
    post(client, live, message="When was this page last checked?", email="reader@example.org")
    clock.move_to(T0 + timedelta(days=89))
    reminders.sweep(dispatch=lambda ids: None)
    assert ReaderReport.objects.get().email == "reader@example.org"
    clock.move_to(T0 + timedelta(days=90, minutes=1))
    reminders.sweep(dispatch=lambda ids: None)
    report = ReaderReport.objects.get()
    assert report.email == "" and report.email_deleted_at is not None
    assert (
        AuditEvent.objects.filter(action=AuditAction.REPORT_EMAIL_DELETED, data__report=report.pk).count()
        == 1
    )
    reminders.sweep(dispatch=lambda ids: None)  # once
    assert AuditEvent.objects.filter(action=AuditAction.REPORT_EMAIL_DELETED).count() == 1


def test_an_editor_triages_a_report_once(
    client, live, editor, mailoutbox, django_capture_on_commit_callbacks
):
    from editorial import reports

    post(client, live, message="When was this page last checked?", email="reader@example.org")
    report = ReaderReport.objects.get()
    with pytest.raises(Exception, match="Write the reply"):
        reports.report_reply(report=report, actor=editor, reply=" ")
    with django_capture_on_commit_callbacks(execute=True):
        reports.report_reply(report=report, actor=editor, reply="It was reviewed in March.")
    assert [m.to for m in mailoutbox] == [["reader@example.org"]]
    report.refresh_from_db()
    assert report.state == ReportState.REPLIED
    assert AuditEvent.objects.filter(action=AuditAction.REPORT_REPLIED).count() == 1
    with pytest.raises(Exception, match="triaged already"):
        reports.report_dismiss(report=report, actor=editor, reason="Twice.")


def test_a_report_can_open_a_re_review(client, live, editor):
    from editorial import reports

    post(client, live, message="The page mentions an old guideline.")
    report = reports.report_open_re_review(
        report=ReaderReport.objects.get(), actor=editor, reason="Check the guideline."
    )
    assert report.state == ReportState.RE_REVIEW
    cycle = rereview.open_cycle(live)
    assert cycle is not None and cycle.trigger == "report"


def test_a_signed_decision_needs_the_reviewers_own_password(live, editor, reviewers):
    cycle = flows.re_review(live, editor, reviewers[:1])
    with pytest.raises(Exception, match="nothing was signed"):
        rereview.re_review_confirm(
            assignment=cycle.assignments.get(),
            actor=reviewers[0],
            no_conflict_declared=True,
            signing=signed(reviewers[0], "confirm", password="wrong"),
        )
    assert not cycle.reviews.exists()
    assert workflow.quorum() == 2
