"""The board's path with two-factor sign-in required, in Chromium: the editor signs in with a
password, is sent to set up an authenticator app, reads the key off the page, confirms it with a
code computed here (pyotp, as the app would), keeps the recovery codes, reaches the dashboard,
and signs the approval with the password and a fresh code; the reader's page then shows the
signature. Screenshots: ``var/test-artifacts/two-factor-*.png``."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.conf import settings
from playwright.sync_api import expect

from editorial.models import Signature
from tests.support import flows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-pass-123"  # tests.support.factories.UserFactory


def shot(page, name: str) -> None:
    folder = settings.VAR_DIR / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"two-factor-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_the_editor_sets_up_an_app_and_signs_an_approval_with_its_code(
    browser_page, settings, author, editor, reviewers
):
    settings.EDITORIAL = {**settings.EDITORIAL, "REQUIRE_2FA": True}
    version = flows.under_review(author, editor, reviewers[:2], slug="two-factor-article")
    for reviewer in reviewers[:2]:
        flows.review(version, reviewer)
    page = browser_page

    # Signed in with the password alone, the admin sends the editor to set up a second factor.
    page.goto(page.base_url + "/admin/login/?next=/admin/")
    page.fill("#id_username", editor.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/author/two-factor/\?next=.*"))
    expect(page.get_by_role("alert")).to_contain_text("requires two-factor sign-in")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    shot(page, "1-enrol")
    key = page.locator(".otp-key").inner_text().replace(" ", "")
    app = pyotp.TOTP(key)
    page.get_by_label("Code from your authenticator app").fill(app.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes = page.locator(".recovery-codes code")
    expect(codes).to_have_count(10)
    shot(page, "2-recovery-codes")
    page.get_by_role("link", name="Go to the board's admin").click()
    page.wait_for_url(re.compile(r".*/admin/$"))
    expect(page.locator("#panel-decision")).to_be_visible()

    # The approval: the meaning, the password, and a code from a later time step than the one
    # spent on enrolment (the app's next code; django-otp accepts one step of drift).
    page.goto(page.base_url + f"/admin/articles/articleversion/{version.pk}/change/")
    approve = page.locator("#verb-approve")
    approve.locator("textarea").fill("Two approvals; every citation resolves.")
    approve.get_by_label("I approve this version for publication").check()
    approve.get_by_label("Your password (this is your electronic signature)").fill(PASSWORD)
    expect(approve.locator(".help").first).to_contain_text("Needed now")
    approve.get_by_label("Code from your authenticator app").fill(app.at(time.time() + 30))
    shot(page, "3-sign")
    page.get_by_role("button", name=re.compile(r"Approve version 1")).click()
    expect(page.locator("ul.messagelist li.success")).to_contain_text("Version 1 approved")
    signature = Signature.objects.get(verb="approve", version=version)
    assert signature.components == "password+code"
    expect(page.locator(".signature-components").last).to_have_text("password and authenticator code")

    # Within the window, publishing takes the password only: the form says so.
    publish = page.locator("#verb-publish")
    expect(publish).to_contain_text("Not needed now")
    publish.get_by_label("I authorise publication of this version").check()
    publish.get_by_label("Your password (this is your electronic signature)").fill(PASSWORD)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("ul.messagelist li.success")).to_contain_text("Published")

    # The reader sees who signed, when and what it meant.
    page.context.clear_cookies()
    page.goto(page.base_url + "/articles/two-factor-article/")
    signed_off = page.locator(".signed-off")
    expect(signed_off).to_contain_text(signature.printed_name)
    expect(signed_off).to_contain_text("approving it for publication")
    expect(signed_off).to_contain_text("authorising its publication")
    shot(page, "4-reader")
