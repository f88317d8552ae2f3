"""When a published article comes due for re-review: its publication plus whole months, on the
same day of the month, or on the month's last day where that day is missing."""

from datetime import UTC, datetime

import pytest

from articles.models import Article, ArticleVersion


def at(year, month, day):
    return datetime(year, month, day, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("published", "months", "due"),
    [
        (at(2026, 3, 2), 12, at(2027, 3, 2)),
        (at(2025, 8, 31), 6, at(2026, 2, 28)),
        (at(2023, 8, 31), 6, at(2024, 2, 29)),  # a leap year
        (at(2024, 2, 29), 12, at(2025, 2, 28)),
        (at(2026, 1, 31), 3, at(2026, 4, 30)),
        (at(2026, 12, 15), 1, at(2027, 1, 15)),
    ],
)
def test_re_review_falls_due_on_the_same_day_or_the_months_last(published, months, due):
    article = Article(slug="fictional", re_review_months=months)
    article.live_version = ArticleVersion(published_at=published)
    assert article.next_review_due == due
