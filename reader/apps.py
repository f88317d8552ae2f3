from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ReaderConfig(AppConfig):
    """The public site. It listens to the layers below (an audit event written, an article or
    a board member changed) to keep its page cache current; they never know it is there."""

    name = "reader"
    verbose_name = "Reader"

    def ready(self) -> None:
        from editorial.audit import chain_extended
        from reader import pagecache

        receivers = (
            (post_save, pagecache.on_audit_event_saved, "editorial.AuditEvent", "audit_event"),
            (post_save, pagecache.on_article_saved, "articles.Article", "article_saved"),
            (post_delete, pagecache.on_article_saved, "articles.Article", "article_deleted"),
            (post_save, pagecache.on_board_member_saved, "editorial.BoardMember", "board_member"),
        )
        for signal, receiver, sender, name in receivers:
            signal.connect(receiver, sender=sender, dispatch_uid=f"reader.pagecache.{name}")
        # A plain signal (a model signal's lazy "app.Model" sender would never match it).
        chain_extended.connect(pagecache.on_chain_extended, dispatch_uid="reader.pagecache.chain_extended")
