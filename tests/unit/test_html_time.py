"""``<time datetime>`` values carry whole seconds (HTML allows at most three digits)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from django.template import Context, Template

from articles.templatetags.html_time import html_datetime

VALID = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?([+-]\d{2}:?\d{2}|Z)?)?$")


def test_an_aware_datetime_loses_its_microseconds_and_keeps_its_offset(settings):
    settings.TIME_ZONE = "UTC"
    when = datetime(2026, 12, 2, 20, 4, 43, 423888, tzinfo=UTC)
    assert html_datetime(when) == "2026-12-02T20:04:43+00:00"
    assert VALID.match(html_datetime(when))


def test_a_date_and_nothing():
    assert html_datetime(date(2027, 1, 5)) == "2027-01-05"
    assert html_datetime(None) == ""


def test_the_filter_in_a_template():
    when = datetime(2026, 12, 2, 20, 4, 43, 5, tzinfo=UTC)
    html = Template('{% load html_time %}<time datetime="{{ when|html_datetime }}">').render(
        Context({"when": when})
    )
    assert ".000005" not in html and VALID.match(html.split('"')[1])
