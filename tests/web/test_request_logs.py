"""Each request's log lines: a request_id always, the user's id only when the request read it."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _finished(caplog) -> dict:
    lines = [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "request_finished"
    ]
    assert len(lines) == 1, lines
    return lines[0]


def test_a_signed_in_request_names_its_user_and_a_reader_request_names_nobody(client, author, caplog):
    caplog.set_level(logging.INFO, logger="django_structlog")
    client.force_login(author)
    assert client.get(reverse("workspace:dashboard")).status_code == 200
    line = _finished(caplog)
    assert line["user_id"] == author.pk and line["code"] == 200 and len(line["request_id"]) == 36
    caplog.clear()
    client.logout()
    assert client.get(reverse("reader:list")).status_code == 200
    assert "user_id" not in _finished(caplog)


def test_the_request_id_is_taken_from_the_proxy_only_when_trusted(client, caplog, settings):
    caplog.set_level(logging.INFO, logger="django_structlog")
    client.get(reverse("reader:list"), headers={"X-Request-ID": "from-the-client"})
    assert _finished(caplog)["request_id"] != "from-the-client"
    caplog.clear()
    settings.DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
    client.get(reverse("reader:list"), headers={"X-Request-ID": "from-nginx"})
    assert _finished(caplog)["request_id"] == "from-nginx"
