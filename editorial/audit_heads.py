"""Signed chain heads, kept outside the database (after Certificate Transparency's signed tree
heads, RFC 9162).

A database superuser can drop the audit triggers and recompute every hash: the chain alone
cannot show that. So every article's head (its newest event's number and hash) is signed with
an Ed25519 key that the database never holds, written to a file anyone may copy
(``audit_heads --out``, the beat task, ``/audit/heads.json``), and checked later
(``verify_audit --heads``): each signed head must still be an event of today's chain, with the
same hash. A history rewritten after the file was signed no longer holds the signed hash.

The file is JSON: ``{"format", "key_id", "payload", "signature"}``. The signature is Ed25519
over the payload serialized canonically (``canonical_payload``: keys sorted, no spaces, UTF-8),
so an outsider can check it with any Ed25519 library and the public key at ``/audit/key``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from articles.models import Article
from editorial.models import AuditEvent

HEADS_FORMAT = "medreview-audit-heads/1"
HEADS_FILE_PREFIX = "heads-"


class HeadsFileError(ValueError):
    """The heads file cannot be checked: missing, unreadable, not a heads file, signed by
    another key, or altered since it was signed."""


# The key ---------------------------------------------------------------------------------------
def _load_private_key(text: str) -> Ed25519PrivateKey:
    """A private key from PEM (PKCS#8) or base64 of its 32 raw bytes."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ValueError(f"AUDIT_SIGNING_KEY is not an Ed25519 private key (PEM or base64): {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("AUDIT_SIGNING_KEY is not an Ed25519 private key.")
    return key


def _generated_key(path: Path) -> Ed25519PrivateKey:
    """The local default: a key generated once into ``path`` (mode 0600), then read from it."""
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process generated it first: use that one
            pass
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
    return _load_private_key(path.read_text())


def signing_key() -> Ed25519PrivateKey:
    """``settings.AUDIT_SIGNING_KEY`` when set (production requires it), else the key generated
    into ``settings.AUDIT_SIGNING_KEY_FILE``."""
    if settings.AUDIT_SIGNING_KEY:
        return _load_private_key(settings.AUDIT_SIGNING_KEY)
    return _generated_key(Path(settings.AUDIT_SIGNING_KEY_FILE))


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_pem() -> str:
    return (
        public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def key_id(key: Ed25519PublicKey) -> str:
    """A short name for a public key: SHA-256 of its raw bytes, first 16 hex digits."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# The heads -------------------------------------------------------------------------------------
def current_heads() -> list[dict]:
    """Every article's newest event (one query): article id, event number, hash, time, and the
    slug of an article readers may open. The file is public: an article not yet published (or
    never) is named by its id only, as its address is not public either."""
    newest_seq = (
        AuditEvent.objects.filter(article_id=OuterRef("article_id")).order_by("-seq").values("seq")[:1]
    )
    readable = Article.objects.readable().filter(pk=OuterRef("article_id"))
    rows = (
        AuditEvent.objects.filter(seq=Subquery(newest_seq))
        .annotate(readable=Exists(readable))
        .order_by("article_id")
        .values_list("article_id", "article__slug", "readable", "seq", "hash", "created_at")
    )
    return [
        {
            "article_id": article_id,
            "slug": slug if readable else None,
            "seq": seq,
            "hash": digest,
            "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        }
        for article_id, slug, readable, seq, digest, created_at in rows
    ]


def canonical_payload(payload: dict) -> bytes:
    """The bytes the signature covers."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signed_heads(*, key: Ed25519PrivateKey | None = None) -> dict:
    """Every article's head, signed: the document ``audit_heads`` writes."""
    key = key or signing_key()
    payload = {
        "signed_at": timezone.now().astimezone(UTC).isoformat(timespec="microseconds"),
        "count": 0,
        "heads": current_heads(),
    }
    payload["count"] = len(payload["heads"])
    signature = key.sign(canonical_payload(payload))
    return {
        "format": HEADS_FORMAT,
        "key_id": key_id(key.public_key()),
        "payload": payload,
        "signature": base64.b64encode(signature).decode(),
    }


def _write(path: Path, document: dict) -> Path:
    """Write atomically: a reader of the directory never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def write_heads(path: Path) -> Path:
    return _write(Path(path), signed_heads())


def write_heads_into(directory: Path | None = None) -> Path:
    """A new signed heads file in ``directory`` (default ``settings.AUDIT_HEADS_DIR``), named
    for its time so the names sort oldest first: what the beat task calls."""
    directory = Path(directory or settings.AUDIT_HEADS_DIR)
    document = signed_heads()
    stamp = document["payload"]["signed_at"].replace("-", "").replace(":", "").replace("+0000", "Z")
    return _write(directory / f"{HEADS_FILE_PREFIX}{stamp}.json", document)


def newest_heads_file(directory: Path | None = None) -> Path | None:
    directory = Path(directory or settings.AUDIT_HEADS_DIR)
    if not directory.is_dir():
        return None
    names = sorted(directory.glob(f"{HEADS_FILE_PREFIX}*.json"))
    return names[-1] if names else None


# Checking --------------------------------------------------------------------------------------
def read_heads_file(path: Path, *, key: Ed25519PublicKey | None = None) -> dict:
    """The signed payload of a heads file, once its signature checks against this site's key.
    Raises ``HeadsFileError`` saying what is wrong with the file."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise HeadsFileError(f"{path} does not exist") from exc
    except OSError as exc:
        raise HeadsFileError(f"cannot read {path}: {exc.strerror}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise HeadsFileError(f"{path} is not JSON (truncated or damaged?): {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != HEADS_FORMAT:
        raise HeadsFileError(f"{path} is not a signed audit heads file (expected format “{HEADS_FORMAT}”)")
    key = key or public_key()
    payload, signature = document.get("payload"), document.get("signature")
    if not isinstance(payload, dict) or not isinstance(signature, str):
        raise HeadsFileError(f"{path} has no signed payload")
    if document.get("key_id") != key_id(key):
        raise HeadsFileError(
            f"{path} was signed by another key ({document.get('key_id')}, this site's is {key_id(key)})"
        )
    try:
        key.verify(base64.b64decode(signature, validate=True), canonical_payload(payload))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise HeadsFileError(
            f"{path}: the signature does not match its content (altered since signed)"
        ) from exc
    heads = payload.get("heads")
    if not isinstance(heads, list) or payload.get("count") != len(heads):
        raise HeadsFileError(f"{path}: the signed payload holds no list of heads")
    return payload


@dataclass(frozen=True)
class HeadMismatch:
    article_id: int
    slug: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"article “{self.slug or '?'}” (id {self.article_id}), event {self.seq}: {self.reason}"


def compare_heads(heads: list[dict], *, batch: int = 500) -> list[HeadMismatch]:
    """Each signed head against today's events, ``batch`` heads per query."""
    mismatches = []
    for start in range(0, len(heads), batch):
        part = heads[start : start + batch]
        condition = Q()
        for head in part:
            condition |= Q(article_id=head["article_id"], seq=head["seq"])
        stored = {
            (article_id, seq): digest
            for article_id, seq, digest in AuditEvent.objects.filter(condition).values_list(
                "article_id", "seq", "hash"
            )
        }
        for head in part:
            digest = stored.get((head["article_id"], head["seq"]))
            if digest == head["hash"]:
                continue
            reason = (
                "the event is gone from the chain"
                if digest is None
                else f"its hash is now {digest[:12]}…, the signed head says {head['hash'][:12]}… "
                "(the history was rewritten after the file was signed)"
            )
            mismatches.append(HeadMismatch(head["article_id"], head["slug"], head["seq"], reason))
    # The file names unpublished articles by id only; whoever runs the check may see their slugs.
    slugs = dict(Article.objects.filter(pk__in=[m.article_id for m in mismatches]).values_list("pk", "slug"))
    return [
        HeadMismatch(m.article_id, m.slug or slugs.get(m.article_id, ""), m.seq, m.reason) for m in mismatches
    ]
