"""No ``<time datetime>`` on the demo's reader and workspace pages carries more than three
digits of a second (the Nu HTML Checker's only error on them before)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from editorial.demo import DEMO_SLUG

pytestmark = pytest.mark.django_db

FRACTION = re.compile(r'datetime="[^"]*\.\d{4,}')
DATETIME = re.compile(r'<time datetime="([^"]+)"')


def test_time_elements_carry_whole_seconds(client, demo, private_cache):
    pages = [
        "/",
        f"/articles/{DEMO_SLUG}/",
        "/audience/?audience=patient&next=/articles/baclofen-muscle-cramping/",
    ]
    seen = 0
    for url in pages:
        html = client.get(url, follow=True).content.decode()
        assert not FRACTION.search(html), url
        seen += len(DATETIME.findall(html))
    client.force_login(get_user_model().objects.get(username="dana.author"))
    for url in (
        f"/author/articles/{DEMO_SLUG}/",
        f"/author/articles/{DEMO_SLUG}/v3/",
        f"/author/articles/{DEMO_SLUG}/v1/",
    ):
        html = client.get(url).content.decode()
        assert not FRACTION.search(html), url
        seen += len(DATETIME.findall(html))
    assert seen >= 10
