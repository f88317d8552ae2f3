from django.apps import AppConfig
from django.db.models.signals import post_save


class ApiConfig(AppConfig):
    """The read-only content API for partners at /api/v1/. It reuses the reader's selectors
    and page cache; nothing below it knows it is there."""

    name = "api"
    verbose_name = "Content API"

    def ready(self) -> None:
        from api import keys, webhooks

        post_save.connect(keys.on_partner_saved, sender="api.Partner", dispatch_uid="api.keys.partner_saved")
        # Published, superseded, retracted, due for re-review: each is an audit event.
        post_save.connect(
            webhooks.on_audit_event_saved,
            sender="editorial.AuditEvent",
            dispatch_uid="api.webhooks.audit_event",
        )
