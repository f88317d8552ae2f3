"""The author's preview: a version readers cannot open yet, rendered by the reader's own
template from the reader's own context (``reader.pages.article_page_context``)."""

from __future__ import annotations

from articles.models import ArticleVersion
from reader.pages import article_page_context


def reader_preview_context(version: ArticleVersion, *, audience: str = "", preview_url: str = "") -> dict:
    return article_page_context(
        version=version,
        references=list(version.references.all()),
        audience=audience,
        preview_url=preview_url,
    )
