"""Who is who: the three roles as Django groups with the permissions each holds, who counts as
a board member or an editor, and the name a person goes by on the record."""

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
        "editorial.view_notification",
    ],
}


def ensure_roles(group_model=Group, permission_model=Permission, *, migrating: bool = False) -> None:
    """Create the groups and grant their permissions; safe to call any number of times.

    The data migrations call it with historical models (``migrating``: a permission whose
    model a later migration creates is granted by the migration that comes after it); tests
    that flush the database (transactional tests) call it to put the groups back.
    """
    for name, perms in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is None and not migrating:
                raise permission_model.DoesNotExist(f"No permission {perm}")
            if found is not None:
                wanted.append(found)
        group.permissions.add(*wanted)


def is_board_member(user) -> bool:
    """Reviewers and editors work in the admin; authors (and everyone else) do not."""
    return bool(
        user.is_active
        and user.is_staff
        and (
            user.is_superuser
            or user.has_perm("articles.review_version")
            or user.has_perm("articles.decide_version")
        )
    )


def is_editor(user) -> bool:
    return bool(user.is_active and user.has_perm("articles.decide_version"))


def member_name(user) -> str:
    """A person by the name the board knows them by (their board name, else their full name,
    else their username); ``None`` is the system."""
    if user is None:
        return "system"
    member = getattr(user, "board_member", None)
    return member.display_name if member else (user.get_full_name() or user.get_username())
