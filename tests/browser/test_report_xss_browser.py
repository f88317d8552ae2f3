"""The reader's report form in Chromium: every vector of ``tests/support/xss_vectors.py`` typed
into "Report a problem with this page" (submitted without JavaScript's help, as a reader's
browser posts it), shown back on the form's error page, and read by an editor on the dashboard:
no dialog, no ``window.__xss``, no marker, handler, script or CSP violation."""

import pytest
from django.urls import reverse

from editorial.models import ReaderReport
from tests.browser.test_xss_browser import _inspect, _login_cookie
from tests.support import flows
from tests.support.xss_vectors import pack

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_vector_sent_through_the_report_form_runs_in_chromium(
    browser_page, private_cache, settings, author, editor, reviewers
):
    settings.EDITORIAL = {
        **settings.EDITORIAL,
        "REPORTS_PER_ADDRESS_PER_HOUR": 1000,
        "REPORTS_PER_ARTICLE_PER_DAY": 1000,
    }
    live = flows.published(author, editor, reviewers[:2])
    page = browser_page
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    url = page.base_url + reverse("reader:report", args=[live.article.slug])
    problems = []
    chunks = pack(2000)
    for chunk in chunks:
        page.goto(url)
        page.fill("#id_message", chunk)
        with page.expect_navigation():
            page.click("button[type=submit]")
        problems += [f"after sending: {p}" for p in _inspect(page, console)]
    assert ReaderReport.objects.count() == len(chunks)
    # a report too long is shown back in the form, with its error
    page.goto(url)
    page.evaluate("document.querySelector('#id_message').removeAttribute('maxlength')")
    page.fill("#id_message", " ".join(chunks)[:2100].ljust(2100, "x"))
    with page.expect_navigation():
        page.click("button[type=submit]")
    problems += [f"error page: {p}" for p in _inspect(page, console)]
    assert page.locator(".field-error").count() == 1
    assert ReaderReport.objects.count() == len(chunks)
    # the editor reads them on the dashboard
    page.context.add_cookies([{**_login_cookie(editor), "url": page.base_url}])
    page.goto(page.base_url + reverse("admin:index"), wait_until="load")
    assert page.locator(".report-message").count() >= 1
    problems += [f"dashboard: {p}" for p in _inspect(page, console)]
    assert not problems, "\n".join(problems)
