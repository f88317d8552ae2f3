"""The three roles as Django groups and the permissions each holds."""

from django.contrib.auth.models import Group, Permission

ROLES: dict[str, list[str]] = {
    "Author": ["articles.submit_version"],
    "Reviewer": [
        "articles.review_version",
        "articles.view_article",
        "articles.view_articleversion",
        "articles.view_reference",
        "editorial.view_reviewassignment",
        "editorial.view_review",
    ],
    "Editor": [
        "articles.decide_version",
        "articles.publish_version",
        "articles.view_article",
        "articles.view_articleversion",
        "articles.view_reference",
        "editorial.view_reviewassignment",
        "editorial.view_review",
        "editorial.view_auditevent",
        "editorial.view_boardmember",
    ],
}


def ensure_roles(group_model=Group, permission_model=Permission) -> None:
    """Create the groups and grant their permissions; safe to call any number of times.

    The data migration calls it with historical models; tests that flush the database
    (transactional tests) call it to put the groups back.
    """
    for name, perms in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.add(*wanted)
