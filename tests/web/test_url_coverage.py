"""Every URL the project serves has a row in the permission table (tests/web/test_access.py).

The test walks Django's URL resolver from the root, into every include (the admin's URLs, its
per-model URLs and the board's own version-page URLs included), and names each pattern by
its URL name with namespaces ("admin:articles_articleversion_act") or, when it has none, by
its full route ("admin/articles/articleversion/<path:object_id>/"). A pattern no table row
covers fails the test: a new view cannot ship without someone deciding who may use it.
"""

from __future__ import annotations

import sys
import types

from django.urls import URLPattern, URLResolver, get_resolver, include, path

from tests.web.test_access import covered_url_keys


def served_urls(resolver: URLResolver, prefix: str = "", namespace: str = "") -> dict[str, str]:
    """{key: route} for every pattern under ``resolver``."""
    found = {}
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found.update(served_urls(pattern, route, inner))
        elif isinstance(pattern, URLPattern):
            key = f"{namespace}{pattern.name}" if pattern.name else route
            found[key] = route
    return found


def test_every_served_url_has_a_row_in_the_permission_table():
    served = served_urls(get_resolver())
    covered = covered_url_keys()
    uncovered = sorted(f"{key}  ({route})" for key, route in served.items() if key not in covered)
    print(
        f"\nURL coverage: {len(served)} URL patterns served, {len(served) - len(uncovered)} covered by a row"
    )
    assert not uncovered, "URLs with no row in the permission table:\n" + "\n".join(uncovered)
    # and no row names a URL that no longer exists (a stale row covers nothing)
    assert not covered - set(served), sorted(covered - set(served))


def test_the_walk_sees_the_admin_and_the_board_views():
    served = served_urls(get_resolver())
    for key in (
        "admin:index",
        "admin:articles_articleversion_act",
        "admin:editorial_auditevent_export",
        "admin:auth_user_password_change",
        "workspace:submit",
        "reader:detail",
        "admin/(?P<url>.*)$",
        "admin/articles/articleversion/<path:object_id>/",
    ):
        assert key in served, key
    assert len(served) > 80


def test_a_new_view_without_a_row_is_caught(settings):
    # given the project's URLs plus one new view, nested in an include, that no row covers
    def export_everything(request):  # pragma: no cover - never called
        raise AssertionError

    extra = types.ModuleType("tests._extra_urls")
    extra.urlpatterns = [
        path("", include("config.urls")),
        path("tools/", include(([path("export/", export_everything, name="export")], "tools"))),
    ]
    sys.modules[extra.__name__] = extra
    try:
        served = served_urls(get_resolver(extra.__name__))
    finally:
        del sys.modules[extra.__name__]
    # then the walk finds it, and it is not covered
    assert "tools:export" in served
    assert "tools:export" not in covered_url_keys()
