"""The rendered bytes of reader article pages, in Django's cache (Redis when ``REDIS_URL``
is set, local memory otherwise).

A published version never changes, but its page also shows things that do: the review
history, the "update under review" notice, a retraction. Every one of those changes writes
an audit event, so each article has a *token* in the cache that is replaced whenever an event
is written for it (at once, and again when the transaction commits). A cached page records
the token it was rendered under and is served only while that token is still current:

- a hit costs at most one cache round trip (the generation and the article's token, read
  together) and no SQL query; a worker trusts what it read for ``LOCAL_TOKEN_SECONDS``
  (1 s), forgets it at once when it makes a change itself, so another worker's change is
  seen within that second;
- the token is read *before* the database, so a page rendered from a snapshot that a
  concurrent commit made stale is stored under the old token and never served;
- anything that changes many pages at once (a board member's name or credentials) replaces
  the site-wide generation, which is part of every page key;
- the key also holds a fingerprint of the editorial settings and of the reader templates and
  stylesheet, so a deploy or a settings change never serves yesterday's markup.

The content API keeps its article documents here too (``serve(kind=...)``, the kind naming a
fingerprint of the API's code), under the same tokens: one rule for when an article's copy is
stale, for the page and the API alike.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.http import http_date

PREFIX = "reader"
GENERATION_KEY = f"{PREFIX}:generation"
# Pages are rebuilt at least this often even if nothing changed (seconds).
PAGE_TIMEOUT = 24 * 60 * 60
# Tokens expire too: if an invalidation could not reach the cache (it was unreachable while
# the change committed), no page outlives this by more than this long.
TOKEN_TIMEOUT = 60 * 60

logger = logging.getLogger(__name__)


def _never_fails(default):
    """The cache only makes pages faster: if it is unreachable, log it and carry on, never
    fail a reader's request or an editorial action because of it."""

    def decorate(function):
        @wraps(function)
        def wrapped(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except Exception:
                logger.warning("Reader page cache unavailable in %s", function.__name__, exc_info=True)
                return default

        return wrapped

    return decorate


@dataclass(frozen=True)
class CachedPage:
    """One rendered page and what a conditional GET needs to answer 304 without rendering."""

    content: bytes
    etag: str
    last_modified: datetime | None
    article_id: int
    token: str
    headers: tuple[tuple[str, str], ...] = ()
    status: int = 200


def cached_page(
    *, content: bytes, version, events: list, article_id: int, token: str, headers=(), status: int = 200
) -> CachedPage:
    """A rendered page of ``version`` with its validators: the ETag is the content's hash;
    Last-Modified is the newest of the version's own moments and its article's newest public
    event, in whole seconds (as HTTP dates are)."""
    moments = [version.published_at, version.ended_at, version.submitted_at, version.review_started_at]
    moments += [event.created_at for event in events[-1:]]
    last_modified = max((m for m in moments if m is not None), default=None)
    return CachedPage(
        content=content,
        etag=f'"{hashlib.sha256(content).hexdigest()[:32]}"',
        last_modified=last_modified.replace(microsecond=0) if last_modified else None,
        article_id=article_id,
        token=token,
        headers=tuple(headers),
        status=status,
    )


def _new_token() -> str:
    return uuid.uuid4().hex


def _article_key(article_id: int) -> str:
    return f"{PREFIX}:article:{article_id}"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the files that shape a reader page; computed once per process."""
    root = Path(settings.BASE_DIR)
    files = sorted((root / "reader" / "templates" / "reader").glob("*.html"))
    files += [root / "templates" / "base.html", *sorted((root / "static" / "css").glob("*.css"))]
    digest = hashlib.sha256()
    for path in files:
        if path.exists():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def settings_fingerprint() -> str:
    editorial = sorted((str(k), repr(v)) for k, v in settings.EDITORIAL.items())
    return hashlib.sha256(repr(editorial).encode()).hexdigest()[:12]


def _token(key: str) -> str:
    value = cache.get(key)
    if value is None:
        cache.add(key, _new_token(), timeout=TOKEN_TIMEOUT)
        value = cache.get(key)
    return value


def generation() -> str:
    return _token(GENERATION_KEY)


def page_key(*, slug: str, audience: str, generation: str, kind: str = "page") -> str:
    """``kind`` names what is cached ("page", or the content API's document with a fingerprint
    of the code that shapes it)."""
    return ":".join(
        [PREFIX, kind, code_fingerprint(), settings_fingerprint(), generation, slug, audience or "none"]
    )


def _slug_key(slug: str) -> str:
    return f"{PREFIX}:slug:{slug}"


@dataclass(frozen=True)
class Lookup:
    """The answer of the cache for one request: a current page, or what a fresh render must
    be stored with. ``token`` is read before the database is, and is ``None`` when the
    article behind the slug is not known yet (then the fresh page is not stored)."""

    key: str
    page: CachedPage | None
    article_id: int | None
    token: str | None


# Process-local copies, only ever served after the shared token has been checked: they save
# fetching and unpickling the page bytes, never the check. Bounded; cleared when full.
_LOCAL_MAX = 256
_local_pages: dict[str, CachedPage] = {}
_local_slugs: dict[str, int] = {}


# How long a worker may trust the generation and an article's token without asking the shared
# cache again. Within the worker that made a change they are forgotten at once; another worker
# serves the previous page for at most this long after a change commits. 0 asks every time.
LOCAL_TOKEN_SECONDS = float(os.environ.get("READER_LOCAL_TOKEN_SECONDS", "1.0"))
_local_tokens: dict[int, tuple[float, str, str]] = {}


def _remember_token(article_id: int, current: str, token: str) -> None:
    if len(_local_tokens) >= _LOCAL_MAX:
        _local_tokens.clear()
    _local_tokens[article_id] = (time.monotonic() + LOCAL_TOKEN_SECONDS, current, token)


def forget_local_tokens() -> None:
    _local_tokens.clear()


def forget_local_state() -> None:
    """Drop everything this process remembers (tokens, slugs, page bytes): for tests that
    start each case with a fresh cache."""
    _local_tokens.clear()
    _local_pages.clear()
    _local_slugs.clear()


def _keep_local(key: str, page: CachedPage) -> None:
    if len(_local_pages) >= _LOCAL_MAX:
        _local_pages.clear()
    _local_pages[key] = page


def _current(page: CachedPage | None, article_id: int, token: str | None) -> bool:
    return page is not None and token is not None and page.article_id == article_id and page.token == token


@_never_fails(Lookup(key="", page=None, article_id=None, token=None))
def lookup(*, slug: str, audience: str, kind: str = "page") -> Lookup:
    """A current page, or what a fresh render needs. On a hit in a warm process this is one
    cache round trip (the generation and the article's token together)."""
    article_id = _local_slugs.get(slug)
    if article_id is None:
        found = cache.get_many([GENERATION_KEY, _slug_key(slug)])
        article_id = found.get(_slug_key(slug))
        if article_id is not None:
            _local_slugs[slug] = article_id
        current = found.get(GENERATION_KEY) or generation()
        token = cache.get(_article_key(article_id)) if article_id is not None else None
    else:
        remembered = _local_tokens.get(article_id)
        if remembered is not None and remembered[0] > time.monotonic():
            current, token = remembered[1], remembered[2]
        else:
            found = cache.get_many([GENERATION_KEY, _article_key(article_id)])
            current = found.get(GENERATION_KEY) or generation()
            token = found.get(_article_key(article_id))
            if token is not None and LOCAL_TOKEN_SECONDS > 0:
                _remember_token(article_id, current, token)
    key = page_key(slug=slug, audience=audience, generation=current, kind=kind)
    if article_id is not None and token is None:
        token = _token(_article_key(article_id))
    page = _local_pages.get(key)
    if article_id is not None and _current(page, article_id, token):
        return Lookup(key=key, page=page, article_id=article_id, token=token)
    page = cache.get(key)
    if page is not None and article_id is None:  # the slug map was evicted: the page names it
        article_id = page.article_id
        token = _token(_article_key(article_id))
    if article_id is None:
        return Lookup(key=key, page=None, article_id=None, token=None)
    if _current(page, article_id, token):
        _keep_local(key, page)
        return Lookup(key=key, page=page, article_id=article_id, token=token)
    return Lookup(key=key, page=None, article_id=article_id, token=token)


def serve(*, slug: str, audience: str = "", kind: str = "page", render) -> CachedPage:
    """The current cached page of ``slug``, or ``render(token)``'s fresh one, stored when the
    token it was rendered under is known. ``render`` raises ``Http404`` for what readers may
    not see."""
    found = lookup(slug=slug, audience=audience, kind=kind)
    page = found.page
    if page is None:
        page = render(found.token or "")
        if found.token is not None and found.article_id == page.article_id:
            store(found.key, page)
        if found.article_id != page.article_id:
            remember_slug(slug, page.article_id)
    return page


def response(page: CachedPage, *, content_type: str = "text/html; charset=utf-8") -> HttpResponse:
    """The page as an HTTP response with the validators a conditional GET is answered from
    (config's ConditionalGetMiddleware answers a matching one with 304)."""
    answer = HttpResponse(page.content, content_type=content_type, status=page.status)
    for name, value in page.headers:
        answer.headers[name] = value
    answer.headers["ETag"] = page.etag
    if page.last_modified:
        answer.headers["Last-Modified"] = http_date(page.last_modified.timestamp())
    return answer


@_never_fails(None)
def remember_slug(slug: str, article_id: int) -> None:
    """Which article a slug names, so the next render can read its token first."""
    _local_slugs[slug] = article_id
    cache.set(_slug_key(slug), article_id, timeout=None)


@_never_fails(None)
def store(key: str, page: CachedPage) -> None:
    cache.set(key, page, timeout=PAGE_TIMEOUT)
    _keep_local(key, page)


@_never_fails(None)
def _replace(key: str) -> None:
    cache.set(key, _new_token(), timeout=TOKEN_TIMEOUT)


def invalidate_article(article_id: int) -> None:
    """Make every cached page of this article stale: now, and again once the change commits
    (a reader who rendered from the pre-commit snapshot meanwhile stored it under a token
    that is already gone)."""
    key = _article_key(article_id)
    _local_tokens.pop(article_id, None)
    _replace(key)
    transaction.on_commit(lambda: (_local_tokens.pop(article_id, None), _replace(key)))


def invalidate_all() -> None:
    forget_local_tokens()
    _replace(GENERATION_KEY)
    transaction.on_commit(lambda: (forget_local_tokens(), _replace(GENERATION_KEY)))


# Receivers, connected in ``ReaderConfig.ready``.
def on_audit_event_saved(sender, instance, **kwargs) -> None:
    invalidate_article(instance.article_id)


def on_chain_extended(sender, article_ids, **kwargs) -> None:
    """Events bulk-appended (editorial.audit.record_many): the page shows the chain head."""
    for article_id in article_ids:
        invalidate_article(article_id)


def on_article_saved(sender, instance, **kwargs) -> None:
    invalidate_article(instance.pk)


def on_board_member_saved(sender, instance, **kwargs) -> None:
    invalidate_all()
