"""Django admin with the board's site (``editorial.board.BoardAdminSite``) as ``admin.site``.

Kept apart from ``editorial.board`` because Django imports app configs before models load.
"""

from django.contrib.admin.apps import AdminConfig


class BoardAdminConfig(AdminConfig):
    default_site = "editorial.board.BoardAdminSite"
