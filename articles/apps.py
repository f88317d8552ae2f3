from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self) -> None:
        # Cached reader pages go stale when their article's record changes. The senders are
        # named lazily, so this app's models still never import ``editorial``.
        from articles import pagecache

        post_save.connect(pagecache.on_audit_event_saved, sender="editorial.AuditEvent",
                          dispatch_uid="articles.pagecache.audit_event")  # fmt: skip
        post_save.connect(pagecache.on_article_saved, sender="articles.Article",
                          dispatch_uid="articles.pagecache.article_saved")  # fmt: skip
        post_delete.connect(pagecache.on_article_saved, sender="articles.Article",
                            dispatch_uid="articles.pagecache.article_deleted")  # fmt: skip
        post_save.connect(pagecache.on_board_member_saved, sender="editorial.BoardMember",
                          dispatch_uid="articles.pagecache.board_member")  # fmt: skip
