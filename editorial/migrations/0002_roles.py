"""The three roles as Django groups, with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
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


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0001_initial"),
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
