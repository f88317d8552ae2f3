"""``{{ when|html_datetime }}``: a ``<time datetime>`` value that HTML accepts.

Django's ``date:'c'`` writes microseconds (``20:04:43.423888+00:00``); HTML allows at most
three digits of a second, and the Nu HTML Checker rejects the rest. Whole seconds are enough
for a reader's "updated on" and keep the offset as ``+00:00``.
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def html_datetime(value) -> str:
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return ""
