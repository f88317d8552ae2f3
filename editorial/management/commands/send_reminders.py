from datetime import UTC, date, datetime, time

from django.core.management.base import BaseCommand, CommandError

from editorial import notifications, reminders


def _as_of(value: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of takes a date, YYYY-MM-DD (got {value!r}).") from None
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Run one reminder sweep now and send what it finds due (reminders, escalations, "
        "re-review notices, and notifications a broker outage left unsent), in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=_as_of,
            default=None,
            help="Sweep as if it were noon UTC on this day (YYYY-MM-DD): what would be due then "
            "(a re-review that comes due, an overdue notice). The events are stamped now.",
        )

    def handle(self, *args, **options):
        delivered = []

        def deliver_now(ids):
            delivered.extend(notifications.deliver_many(ids))

        result = reminders.sweep(now=options["as_of"], dispatch=deliver_now, include_recent=True)
        for claimed in result.claimed:
            self.stdout.write(f"  {claimed}")
        others = [n for n in delivered if n.reminder_id is None]
        for notification in others:
            self.stdout.write(f"  {notification.get_kind_display().lower()} -> {notification.to_email}")
        if result.overdue:
            self.stdout.write(f"  {result.overdue} re-review(s) now shown to readers as overdue")
        if not delivered and not result.claimed:
            self.stdout.write("Sent nothing: no reminder is due that has not already been sent.")
            return
        self.stdout.write(
            f"Sent {len(delivered)} email(s): {len(result.claimed)} reminder(s) or notice(s) claimed, "
            f"{len(others)} pending notification(s) from earlier events."
        )
