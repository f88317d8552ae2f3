from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    """The content: articles, their versions and references. Imports nothing of the project."""

    name = "articles"
    verbose_name = "Articles"
