"""The outbox: every email is a ``Notification`` row written in the transaction of the event
that causes it, handed to Celery when that transaction commits, and sent at most once.

- A rolled-back event leaves no row, so it sends nothing.
- Handing over happens in an on-commit callback that never raises: if the broker is down at
  that moment the event still succeeds for the user, the row stays pending, and the next
  sweep (``editorial.reminders.sweep``) hands it over again.
- ``deliver`` locks the row and sends only if it is not yet sent, so a task delivered twice
  (``acks_late``, a redelivery, a sweep handing the row over again) sends one mail. It marks
  each attempt (committed) before the mail leaves, so a worker killed mid-send is found out by
  the next attempt and the row records that the mail may have gone twice
  (``interrupted_attempts``).

The context stored on each row is fixed when the event happens and holds only what the
recipient may read: for an author, never a reviewer's confidential comment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from articles.models import ArticleVersion
from editorial import selectors
from editorial.models import Notification, NotificationKind, ReviewAssignment
from editorial.roles import member_name

logger = logging.getLogger(__name__)

Dispatch = Callable[[Sequence[int]], object]

# How many notification ids one Celery task carries.
TASK_CHUNK = 100


# Building rows ---------------------------------------------------------------------------


def site_url(path: str) -> str:
    return settings.EDITORIAL["SITE_URL"] + path


def display_date(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%-d %B %Y")


_PLACEHOLDER = "0000PLACEHOLDER0000"


@lru_cache(maxsize=64)
def _path_pattern(name: str, urlconf: str) -> str | None:
    """``reverse(name)`` with a placeholder argument, once: the sweep builds thousands of
    links and ``reverse`` costs a fraction of a millisecond each."""
    try:
        return reverse(name, args=[_PLACEHOLDER], urlconf=urlconf)
    except NoReverseMatch:
        return None


def _path(name: str, value) -> str | None:
    pattern = _path_pattern(name, settings.ROOT_URLCONF)
    return pattern.replace(_PLACEHOLDER, str(value)) if pattern else None


def admin_url(model: str, pk: int | None = None) -> str:
    """The admin page for a row of ``editorial.<model>``, or the admin index."""
    path = _path(f"admin:editorial_{model}_change", pk) if pk else None
    return site_url(path or "/admin/")


def version_context(version: ArticleVersion) -> dict:
    return article_context(title=version.title, slug=version.article.slug, number=version.number)


def article_context(*, title: str, slug: str, number: int) -> dict:
    path = _path("reader:detail", slug) or reverse("reader:detail", kwargs={"slug": slug})
    return {
        "article_title": title,
        "article_slug": slug,
        "version_number": number,
        "article_url": site_url(path),
    }


def editors() -> list:
    """The people told about escalations and re-reviews: active users who may decide on
    versions (the Editor group), with an email address."""
    User = get_user_model()
    return list(
        # The permission as Django's model backend grants it (the sign-in throttle is a backend too).
        User.objects.with_perm(
            "articles.decide_version",
            include_superusers=False,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .filter(is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


def row(
    *, kind: str, recipient, version: ArticleVersion, context: dict, reminder=None
) -> Notification | None:
    """An unsaved notification to ``recipient``, or None when they have no address."""
    return row_for(
        kind=kind,
        recipient_id=recipient.pk,
        email=recipient.email,
        name=member_name(recipient),
        version_id=version.pk,
        context=context,
        reminder_id=reminder.pk if reminder else None,
    )


def row_for(
    *,
    kind: str,
    recipient_id: int,
    email: str,
    name: str,
    version_id: int,
    context: dict,
    reminder_id: int | None = None,
) -> Notification | None:
    """``row`` from ids and values, for the sweep's batches."""
    if not email:
        logger.warning("No email address for user %s: %s not written", recipient_id, kind)
        return None
    return Notification(
        kind=kind,
        recipient_id=recipient_id,
        to_email=email,
        version_id=version_id,
        reminder_id=reminder_id,
        context={"recipient_name": name, **context},
    )


def queue(rows: Iterable[Notification | None], *, dispatch: Dispatch | None = None) -> list[Notification]:
    """Write the rows in the current transaction; hand them to Celery once it commits."""
    if not db_connection.in_atomic_block:
        raise RuntimeError("notifications.queue must run inside the transaction of the event")
    created = Notification.objects.bulk_create([item for item in rows if item is not None])
    ids = [item.pk for item in created]
    if ids:
        transaction.on_commit(_hand_over_after_commit(ids, dispatch or enqueue))
    return created


def _hand_over_after_commit(ids: list[int], dispatch: Dispatch) -> Callable[[], None]:
    # A plain function, not functools.partial: Django 5.2's robust on-commit logging needs
    # __qualname__. And it never raises: the event has committed, the sweep will retry.
    def hand_over() -> None:
        try:
            dispatch(ids)
        except Exception:
            logger.warning(
                "Could not hand %d notification(s) to the broker; the next sweep will.",
                len(ids),
                exc_info=True,
            )

    return hand_over


def enqueue(ids: Sequence[int]) -> None:
    """Hand notifications to the Celery broker, in chunks, and note when each was handed over."""
    from editorial.tasks import send_notifications

    ids = list(ids)
    for start in range(0, len(ids), TASK_CHUNK):
        chunk = ids[start : start + TASK_CHUNK]
        # Noted before the task is published, never after: a worker quick enough to take the
        # task while that UPDATE held the rows would skip them as locked by someone else
        # (``deliver`` uses SKIP LOCKED) and the mail would wait for the sweep. A publish that
        # fails takes the note back, so the sweep hands those rows over after the grace period.
        Notification.objects.filter(pk__in=chunk).update(dispatched_at=timezone.now())
        try:
            send_notifications.apply_async(args=[chunk])
        except Exception:
            Notification.objects.filter(pk__in=chunk, sent_at__isnull=True).update(dispatched_at=None)
            raise


# Notifications on workflow events --------------------------------------------------------


def notify_invited(assignment: ReviewAssignment) -> list[Notification]:
    version = assignment.version
    return queue(
        [
            row(
                kind=NotificationKind.INVITED,
                recipient=assignment.reviewer,
                version=version,
                context={
                    **version_context(version),
                    "response_due": display_date(assignment.response_due),
                    "review_due": display_date(assignment.review_due),
                    "link": admin_url("reviewassignment", assignment.pk),
                    "open_must_fix": selectors.open_must_fix(version=version).count(),
                },
            )
        ]
    )


def notify_changes_requested(version: ArticleVersion, *, message: str) -> list[Notification]:
    return queue(
        [
            row(
                kind=NotificationKind.CHANGES_REQUESTED,
                recipient=version.author,
                version=version,
                context={
                    **version_context(version),
                    "message": message,
                    "comments": [
                        {"reviewer": note.reviewer, "decision": note.decision, "comment": note.comment}
                        for note in selectors.reviews_for_author(version=version)
                        if note.comment.strip()
                    ],
                    "link": site_url("/author/"),
                },
            )
        ]
    )


def notify_approved(version: ArticleVersion) -> list[Notification]:
    return queue(
        [
            row(
                kind=NotificationKind.APPROVED,
                recipient=version.author,
                version=version,
                context={**version_context(version), "link": site_url("/author/")},
            )
        ]
    )


def notify_published(version: ArticleVersion) -> list[Notification]:
    return queue(
        [
            row(
                kind=NotificationKind.PUBLISHED,
                recipient=version.author,
                version=version,
                context={**version_context(version), "published_at": display_date(version.published_at)},
            )
        ]
    )


# Sending ---------------------------------------------------------------------------------


def build_message(notification: Notification, *, connection=None) -> EmailMultiAlternatives:
    context = {**notification.context, "site_url": settings.EDITORIAL["SITE_URL"]}
    base = f"editorial/email/{notification.kind}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    text = render_to_string(f"{base}.txt", context)
    html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[notification.to_email], connection=connection
    )
    message.attach_alternative(html, "text/html")
    return message


def deliver(notification_id: int, *, connection=None) -> Notification | None:
    """Send one notification unless it is already sent (or being sent by someone else right
    now). Returns the notification if this call sent it. Mail errors are recorded on the row
    and raised, for the task to retry.

    Two transactions, so that a process killed mid-send leaves a trace. The first marks the
    attempt (``attempts`` + 1, ``sending_since``) and commits; the second locks the row, hands
    the mail to the mail server and records the outcome, which clears ``sending_since``. A
    later attempt that finds ``sending_since`` still set knows the one before it died between
    the two commits, possibly after the mail left: it counts it in ``interrupted_attempts``
    (the mail may reach the recipient twice) and sends. It errs towards "possibly": a mark
    found between another live attempt's two commits is counted too, and that attempt then
    backs off, so a mail is still sent once."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, sent_at__isnull=True)
            .first()
        )
        if notification is None:
            return None
        fields = ["attempts", "sending_since"]
        if notification.sending_since is not None:
            notification.interrupted_attempts += 1
            fields.append("interrupted_attempts")
            logger.warning(
                "Notification %s: attempt %d never recorded its outcome and may have sent the mail; "
                "sending again (possibly twice).",
                notification.pk,
                notification.attempts,
            )
        notification.attempts += 1
        notification.sending_since = timezone.now()
        notification.save(update_fields=fields)
    attempt = notification.attempts
    with transaction.atomic():
        # Ours only if no later attempt has marked it since.
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, sent_at__isnull=True, attempts=attempt)
            .first()
        )
        if notification is None:
            return None
        try:
            build_message(notification, connection=connection).send()
        except Exception as exc:
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            notification.sending_since = None
            notification.save(update_fields=["last_error", "sending_since"])
            error = exc
        else:
            notification.sent_at = timezone.now()
            notification.sending_since = None
            notification.last_error = ""
            notification.save(update_fields=["sent_at", "sending_since", "last_error"])
            return notification
    raise error


def deliver_many(ids: Sequence[int]) -> list[Notification]:
    """Send each notification not yet sent, over one mail connection. Stops at the first mail
    error (the server is likely down) and raises it; what was sent stays sent."""
    sent = []
    mail = get_connection()
    mail.open()
    try:
        for notification_id in ids:
            notification = deliver(notification_id, connection=mail)
            if notification is not None:
                sent.append(notification)
    finally:
        mail.close()
    return sent
