"""Every reader, workspace and admin page of the demo, audited by axe-core in Chromium.

WCAG 2.2 AA, as axe-core tags it (``wcag2a``, ``wcag2aa``, ``wcag21a``, ``wcag21aa``,
``wcag22aa``): zero violations on every page. axe-core comes pinned inside the PyPI package
``axe-playwright-python`` (requirements-dev.txt); it is evaluated into the page by Playwright,
which the Content-Security-Policy does not govern, so the pages are audited with their real
CSP. Keyboard use, visible focus and what a screen reader is told are checked beside it.

Screenshots are kept under ``var/test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from articles.models import ArticleVersion, VersionState
from editorial import rereview
from editorial.demo import DEMO_SLUG, demo_password
from editorial.models import ReviewAssignment
from tests.support import flows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AUTHOR, EDITOR, REVIEWER = "dana.author", "helen.brandt", "priya.raman"
DRAFT_SLUG = "a-draft-to-audit"
DESKTOP = {"width": 1280, "height": 900}


def artifacts():
    folder = settings.VAR_DIR / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def audit(page) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page as it stands, one line per element."""
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(AXE_SCRIPT)
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_22_AA,
    )
    return [
        f"{violation['id']}: {' '.join(map(str, node['target']))} {node['html'][:120]}"
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


def sign_in_workspace(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto(page.base_url + "/author/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", demo_password())
    page.locator("form [type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/author/$"))


def sign_in_admin(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto(page.base_url + "/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", demo_password())
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))


def pages(demo) -> dict[str, list[tuple[str, str]]]:
    """Who signs in -> (name, path) of each page they see."""
    article = f"/articles/{DEMO_SLUG}/"
    versions = {v.number: v.pk for v in ArticleVersion.objects.filter(article=demo.article)}
    last = max(versions)
    author = get_user_model().objects.get(username=AUTHOR)
    draft = flows.draft(author, slug=DRAFT_SLUG)
    assert draft.state == VersionState.DRAFT
    workspace = f"/author/articles/{DEMO_SLUG}/"
    reviewed = ReviewAssignment.objects.filter(reviewer__username=REVIEWER).latest("pk").version_id
    # a re-review of the live version, with the reviewer invited (its page, and their decision form)
    users = get_user_model().objects
    editor = users.get(username=EDITOR)
    cycle = rereview.re_review_open(
        article=demo.article, actor=editor, reason="A reader asked when it was checked."
    )
    rereview.re_review_assign(cycle=cycle, reviewer=users.get(username=REVIEWER), actor=editor)
    return {
        "": [
            ("reader-home", "/"),
            ("reader-search", "/?q=baclofen"),
            ("reader-search-nothing", "/?q=zzzz-nothing"),
            ("reader-article", article),
            ("reader-article-patient", f"/audience/?audience=patient&next={article}"),
            ("reader-article-clinician", f"/audience/?audience=clinician&next={article}"),
            ("reader-article-student", f"/audience/?audience=student&next={article}"),
            ("reader-policy", "/editorial-policy/"),
            ("reader-board", "/board/"),
            ("reader-report", f"{article}report/"),
            ("workspace-login", "/author/login/"),
            ("workspace-password-reset", "/author/password-reset/"),
            ("admin-login", "/admin/login/"),
        ],
        AUTHOR: [
            ("workspace-dashboard", "/author/"),
            ("workspace-new", "/author/new/"),
            ("workspace-article", workspace),
            ("workspace-version", f"{workspace}v{last}/"),
            ("workspace-preview", f"{workspace}v{last}/preview/"),
            ("workspace-first-version", f"{workspace}v1/"),
            ("workspace-draft-editor", f"/author/articles/{DRAFT_SLUG}/v1/"),
            ("workspace-draft-preview", f"/author/articles/{DRAFT_SLUG}/v1/preview/"),
            ("workspace-two-factor", "/author/two-factor/"),  # the enrolment: QR code and key
        ],
        EDITOR: [
            ("admin-dashboard", "/admin/"),
            ("admin-versions", "/admin/articles/articleversion/"),
            ("admin-version", f"/admin/articles/articleversion/{versions[last]}/change/"),
            ("admin-version-published", f"/admin/articles/articleversion/{versions[2]}/change/"),
            ("admin-assign", f"/admin/articles/articleversion/{versions[last]}/assign/"),
            ("admin-assignments", "/admin/editorial/reviewassignment/"),
            ("admin-reviews", "/admin/editorial/review/"),
            ("admin-audit", "/admin/editorial/auditevent/"),
            ("admin-articles", "/admin/articles/article/"),
            ("admin-board-members", "/admin/editorial/boardmember/"),
            ("admin-notifications", "/admin/editorial/notification/"),
            ("admin-re-review", f"/admin/re-review/{cycle.pk}/"),
        ],
        REVIEWER: [
            ("admin-reviewer-dashboard", "/admin/"),
            ("admin-reviewer-version", f"/admin/articles/articleversion/{reviewed}/change/"),
            ("admin-reviewer-re-review", f"/admin/re-review/{cycle.pk}/"),
        ],
    }


def test_every_demo_page_has_no_wcag_22_aa_violation(browser_page, demo):
    # given the demo, seen by a reader, its author, its editor and a reviewer
    page = browser_page
    page.set_viewport_size(DESKTOP)
    shots = artifacts()
    found: dict[str, list[str]] = {}
    audited = 0
    for who, visits in pages(demo).items():
        if who == AUTHOR:
            sign_in_workspace(page, who)
        elif who:
            sign_in_admin(page, who)
        for name, path in visits:
            # when axe-core audits the page
            response = page.goto(page.base_url + path)
            assert response is not None and response.ok, (name, path, response and response.status)
            page.screenshot(path=str(shots / f"a11y-{name}.png"), full_page=True)
            violations = audit(page)
            audited += 1
            if violations:
                found[f"{name} {path}"] = violations
    # then none of them breaks a WCAG 2.2 AA rule
    report = "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in found.items())
    assert not found, (
        f"{sum(map(len, found.values()))} violations on {len(found)} of {audited} pages:\n{report}"
    )
