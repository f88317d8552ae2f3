"""What the browser tests share: signing in to the board's admin."""

from __future__ import annotations

import re

PASSWORD = "test-pass-123"  # tests.support.factories.UserFactory


def log_in(page, user) -> None:
    """Sign ``user`` in to the admin in ``page`` (a Playwright page), from a clean session."""
    page.context.clear_cookies()
    page.goto(page.base_url + "/admin/login/?next=/admin/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))
