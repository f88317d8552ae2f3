"""Signed chain heads (editorial/audit_heads.py): a history rewritten by a database superuser
passes the chain check and fails against a heads file signed before the rewrite."""

import base64
import io
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from editorial import audit, audit_heads, tasks
from editorial.models import AuditEvent
from tests.support import flows
from tests.support.tampering import rewrite_history

pytestmark = pytest.mark.django_db


def sign_heads(tmp_path, name="heads.json"):
    path = tmp_path / name
    out = io.StringIO()
    call_command("audit_heads", "--out", str(path), stdout=out)
    return path, out.getvalue()


def verify(*args) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def test_audit_heads_signs_every_articles_newest_event(author, editor, reviewers, tmp_path):
    published = flows.published(author, editor, reviewers[:2])
    flows.submitted(author, slug="second-article")
    path, printed = sign_heads(tmp_path)
    assert "2 article heads signed" in printed
    payload = audit_heads.read_heads_file(path)
    newest = AuditEvent.objects.filter(article=published.article).order_by("-seq").first()
    head = next(head for head in payload["heads"] if head["article_id"] == published.article_id)
    assert head == {
        "article_id": published.article_id,
        "slug": published.article.slug,
        "seq": newest.seq,
        "hash": newest.hash,
        "created_at": head["created_at"],
    }
    assert verify("--heads", str(path)).strip().endswith("are still in today's chains: OK")


def test_the_public_file_names_an_unpublished_article_by_id_only(author, tmp_path):
    # the heads file is served publicly: an address readers cannot open is not in it
    version = flows.submitted(author, slug="not-public-yet")
    path, _ = sign_heads(tmp_path)
    (head,) = audit_heads.read_heads_file(path)["heads"]
    assert head["article_id"] == version.article_id and head["slug"] is None
    assert b"not-public-yet" not in path.read_bytes()


def test_a_rewritten_history_passes_the_chain_check_and_fails_the_signed_heads(
    on_postgres, author, editor, reviewers, tmp_path
):
    # given a published article whose heads were signed
    version = flows.published(author, editor, reviewers[:2])
    path, _ = sign_heads(tmp_path)
    signed_head = AuditEvent.objects.filter(article=version.article).order_by("-seq").first()
    # when a superuser rewrites event 3's message and recomputes every later hash
    rewrite_history(version.article_id, 3, "A quietly changed decision")
    assert AuditEvent.objects.get(article=version.article, seq=3).message == "A quietly changed decision"
    # then the chain alone cannot tell
    assert audit.verify_chain().ok
    assert verify().strip().endswith("chains checked: OK")
    # but the heads signed before the rewrite can, naming the article and the event
    with pytest.raises(CommandError, match="REWRITTEN") as raised:
        verify("--heads", str(path))
    assert raised.value.returncode == 1
    assert f"article “{version.article.slug}” (id {version.article_id}), event {signed_head.seq}" in str(
        raised.value
    )
    assert "rewritten after the file was signed" in str(raised.value)


def test_events_appended_after_signing_still_match(author, editor, reviewers, tmp_path):
    version = flows.under_review(author, editor, reviewers[:2])
    path, _ = sign_heads(tmp_path)
    flows.review(version, reviewers[0])
    assert "1 signed heads" in verify("--heads", str(path))


def test_a_head_whose_event_is_gone_fails(on_postgres, author, tmp_path):
    version = flows.submitted(author)
    path, _ = sign_heads(tmp_path)
    newest = AuditEvent.objects.filter(article=version.article).order_by("-seq").first()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM editorial_auditevent WHERE id = %s", [newest.pk])
        cursor.execute("SET session_replication_role = DEFAULT")
    with pytest.raises(CommandError, match=f"event {newest.seq}: the event is gone from the chain"):
        verify("--heads", str(path))


def flip_byte(path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_flipped_byte_fails_the_signature(author, tmp_path):
    version = flows.submitted(author)
    path, _ = sign_heads(tmp_path)
    head = AuditEvent.objects.filter(article=version.article).order_by("-seq").first()
    flip_byte(path, path.read_bytes().index(head.hash.encode()) + 10)
    with pytest.raises(CommandError, match="signature does not match its content") as raised:
        verify("--heads", str(path))
    assert raised.value.returncode == 2


def test_a_flipped_byte_in_the_signature_fails_it(author, tmp_path):
    flows.submitted(author)
    path, _ = sign_heads(tmp_path)
    signature = json.loads(path.read_text())["signature"]
    flip_byte(path, path.read_bytes().index(signature.encode()) + 5)
    with pytest.raises(CommandError, match="signature does not match") as raised:
        verify("--heads", str(path))
    assert raised.value.returncode == 2


def test_a_missing_file_is_a_clear_error_with_exit_code_2(db, tmp_path):
    with pytest.raises(
        CommandError, match=r"Cannot check the signed heads: .*nowhere.json does not exist"
    ) as raised:
        verify("--heads", str(tmp_path / "nowhere.json"))
    assert raised.value.returncode == 2


def test_a_truncated_file_is_a_clear_error_with_exit_code_2(author, tmp_path):
    flows.submitted(author)
    path, _ = sign_heads(tmp_path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CommandError, match="is not JSON \\(truncated or damaged\\?\\)") as raised:
        verify("--heads", str(path))
    assert raised.value.returncode == 2


def test_a_file_signed_by_another_key_is_foreign(author, tmp_path):
    flows.submitted(author)
    path, _ = sign_heads(tmp_path)
    settings.AUDIT_SIGNING_KEY = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(CommandError, match="was signed by another key") as raised:
        verify("--heads", str(path))
    assert raised.value.returncode == 2


def test_a_file_of_another_kind_is_foreign(author, tmp_path):
    flows.submitted(author)
    path = tmp_path / "trail.json"
    path.write_text(json.dumps({"format": "medreview-audit-trail/1", "events": []}))
    with pytest.raises(CommandError, match="is not a signed audit heads file") as raised:
        verify("--heads", str(path))
    assert raised.value.returncode == 2


def test_the_default_key_is_generated_once_readable_only_by_its_owner(db):
    first = audit_heads.public_key_pem()
    path = settings.AUDIT_SIGNING_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert audit_heads.public_key_pem() == first


@pytest.mark.parametrize("form", ["pem", "base64"])
def test_the_configured_key_is_read_as_pem_or_base64(db, form):
    key = Ed25519PrivateKey.generate()
    if form == "pem":
        text = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    else:
        text = base64.b64encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).decode()
    settings.AUDIT_SIGNING_KEY = text
    assert audit_heads.key_id(audit_heads.public_key()) == audit_heads.key_id(key.public_key())
    assert not settings.AUDIT_SIGNING_KEY_FILE.exists()


def test_a_malformed_key_is_refused(db):
    settings.AUDIT_SIGNING_KEY = "not a key"
    with pytest.raises(ValueError, match="not an Ed25519 private key"):
        audit_heads.signing_key()


def test_the_beat_task_writes_a_new_signed_heads_file(author):
    flows.submitted(author)
    first = tasks.write_audit_heads()
    second = tasks.write_audit_heads()
    assert first != second
    assert str(audit_heads.newest_heads_file()) == second
    assert audit_heads.read_heads_file(second)["count"] == 1
    schedule = settings.CELERY_BEAT_SCHEDULE["editorial-audit-heads"]
    assert schedule["task"] == "editorial.tasks.write_audit_heads"
    assert schedule["schedule"] == settings.EDITORIAL["AUDIT_VERIFY_MINUTES"] * 60
