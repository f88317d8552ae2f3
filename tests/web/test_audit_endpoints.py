"""The public signed audit heads (/audit/heads.json) and the key that checks them (/audit/key)."""

import json

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.urls import reverse

from editorial import audit_heads
from tests.support import flows

pytestmark = pytest.mark.django_db


def test_heads_are_not_found_before_the_first_is_written(client):
    response = client.get(reverse("reader:audit_heads"))
    assert response.status_code == 404
    assert b"No signed audit heads have been written yet" in response.content


def test_the_newest_signed_heads_file_is_served_as_written(client, author, tmp_path):
    version = flows.submitted(author)
    audit_heads.write_heads_into()
    newest = audit_heads.write_heads_into()
    response = client.get(reverse("reader:audit_heads"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = b"".join(response.streaming_content)
    assert body == newest.read_bytes()
    # what a reader downloads checks against the key the site publishes
    copy = tmp_path / "copy.json"
    copy.write_bytes(body)
    key = load_pem_public_key(client.get(reverse("reader:audit_key")).content)
    assert audit_heads.read_heads_file(copy, key=key)["heads"][0]["article_id"] == version.article_id
    assert json.loads(body)["format"] == audit_heads.HEADS_FORMAT


def test_the_public_key_is_plain_text_pem(client):
    response = client.get(reverse("reader:audit_key"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == audit_heads.public_key_pem()
    assert response.content.startswith(b"-----BEGIN PUBLIC KEY-----")


@pytest.mark.parametrize("name", ["reader:audit_heads", "reader:audit_key"])
def test_the_audit_endpoints_only_answer_reads(client, name):
    assert client.post(reverse(name)).status_code == 405
