from django.core.management.base import BaseCommand

from editorial import notifications, reminders


class Command(BaseCommand):
    help = (
        "Run one reminder sweep now and send what it finds due (reminders, escalations, "
        "re-review notices, and notifications a broker outage left unsent), in this process."
    )

    def handle(self, *args, **options):
        delivered = []

        def deliver_now(ids):
            delivered.extend(notifications.deliver_many(ids))

        result = reminders.sweep(dispatch=deliver_now, include_recent=True)
        for claimed in result.claimed:
            self.stdout.write(f"  {claimed}")
        others = [n for n in delivered if n.reminder_id is None]
        for notification in others:
            self.stdout.write(f"  {notification.get_kind_display().lower()} -> {notification.to_email}")
        if not delivered and not result.claimed:
            self.stdout.write("Sent nothing: no reminder is due that has not already been sent.")
            return
        self.stdout.write(
            f"Sent {len(delivered)} email(s): {len(result.claimed)} reminder(s) or notice(s) claimed, "
            f"{len(others)} pending notification(s) from earlier events."
        )
