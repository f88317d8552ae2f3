"""Fixtures every test folder may use; ``tests/conftest.py`` registers this module as a plugin."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.core.management import call_command

from articles.models import Article
from editorial.demo import DEMO_SLUG


@dataclass(frozen=True)
class Demo:
    """What ``manage.py load_demo`` built and said."""

    article: Article  # the seed article, with its live version loaded
    output: str  # what the command printed


@pytest.fixture
def demo(db) -> Demo:
    """The demo, loaded as ``make demo`` loads it: the seed article carried through the whole
    workflow by its board. Works in transactional tests too (the ``django_db`` mark decides)."""
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    article = Article.objects.select_related("live_version").get(slug=DEMO_SLUG)
    return Demo(article=article, output=out.getvalue())
