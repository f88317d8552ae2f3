"""Signing in at the two doors: the author workspace's (/author/login/, the ``accounts`` app) and the
board's admin (/admin/login/). django-axes counts failed sign-ins for both in the cache, per
username and address and per address, and a refused sign-in is answered 429 with how long to wait.
"""

import json
import os
import re
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from tests.support.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "test-pass-123"  # tests.support.factories.UserFactory
DOORS = {"workspace": "/author/login/", "admin": "/admin/login/"}
INVALID = {
    "workspace": "Please enter a correct username and password",
    "admin": "Please enter the correct username and password for a staff account",
}
LOCKED = "Too many failed sign-in attempts. Wait 10 minutes and try again"


@pytest.fixture
def policy(settings):
    """Three failures per username and address, a hundred per address, ten minutes' cool-off."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 100
    settings.AXES_COOLOFF_TIME = timedelta(minutes=10)
    return settings


@pytest.fixture
def member(db):
    """A board member: signs in at either door (the workspace then tells them it is for authors)."""
    return make_user("Reviewer", username="member")


def sign_in(client, door, username, password, address="10.0.0.1"):
    return client.post(DOORS[door], {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# The author's door --------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_the_workspace_login(client):
    response = client.get("/author/")
    assert response.status_code == 302
    assert response["Location"].startswith("/author/login/?next=/author/")


def test_author_signs_in_and_lands_on_my_articles(client, author):
    response = client.post("/author/login/", {"username": "author", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/author/"
    assert "My articles" in response.content.decode()
    assert not author.is_staff  # no admin access


def test_logout_is_a_post_and_signs_out(client, author):
    client.force_login(author)
    response = client.post("/author/logout/")
    assert response.status_code == 302 and response["Location"] == "/author/login/"
    assert client.get("/author/").status_code == 302


def test_password_reset_mails_a_link_that_sets_a_new_password(client, author, mailoutbox):
    response = client.post("/author/password-reset/", {"email": author.email})
    assert response.status_code == 302 and response["Location"] == "/author/password-reset/sent/"
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [author.email] and mail.subject == "Your password for the author workspace"
    assert mail.alternatives and "Choose a new password" in mail.alternatives[0][0]
    link = re.search(r"http://testserver(/author/reset/\S+/)", mail.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    new = "a-fictional-new-passphrase-42"
    response = client.post(set_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302 and response["Location"] == "/author/reset/done/"
    assert Client().post("/author/login/", {"username": "author", "password": new}).status_code == 302


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, mailoutbox):
    response = client.post("/author/password-reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and mailoutbox == []


# The admin's door ---------------------------------------------------------------------------


@pytest.mark.parametrize("is_staff", [False, True])
def test_only_the_board_signs_in_at_the_admin_and_anyone_else_counts_as_a_failure(policy, is_staff):
    # given an author (even one with the staff flag) and the right password
    author = make_user("Author", is_staff=is_staff)
    client = Client()
    for _ in range(2):
        # then they are told what a wrong password is told, and not signed in
        response = sign_in(client, "admin", author.username, PASSWORD)
        assert response.status_code == 200 and not signed_in(client)
        assert INVALID["admin"] in response.content.decode()
    # and each try counted: the third is refused like a third wrong password
    assert sign_in(client, "admin", author.username, PASSWORD).status_code == 429


# Failed sign-ins, at both doors -------------------------------------------------------------


@pytest.mark.parametrize("door", DOORS)
def test_failures_for_one_username_from_one_address_shut_the_door_for_that_pair(policy, member, door):
    client = Client()
    # given two wrong passwords, each told so
    for _ in range(2):
        response = sign_in(client, door, member.username, "wrong")
        assert response.status_code == 200 and INVALID[door] in response.content.decode()
    # when a third fails, it is answered 429 with how long to wait
    response = sign_in(client, door, member.username, "wrong")
    assert response.status_code == 429 and LOCKED in response.content.decode()
    # then even the right password is refused, on a page with the site's security headers
    response = sign_in(client, door, member.username, PASSWORD)
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert not signed_in(client)
    # but the same person from another address signs in, and so does another username from this one
    other_address = Client()
    assert sign_in(other_address, door, member.username, PASSWORD, address="10.0.0.2").status_code == 302
    colleague = make_user("Reviewer", username="colleague")
    assert sign_in(Client(), door, colleague.username, PASSWORD).status_code == 302


@pytest.mark.parametrize("door", DOORS)
def test_the_door_opens_again_after_the_cool_off_which_refused_tries_do_not_extend(policy, member, door):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        for _ in range(3):
            sign_in(client, door, member.username, "wrong")
        clock.move_to(start + timedelta(minutes=9))
        assert sign_in(client, door, member.username, "wrong").status_code == 429  # refused, not counted
        clock.move_to(start + timedelta(minutes=10, seconds=1))
        response = sign_in(client, door, member.username, PASSWORD)
        assert response.status_code == 302 and signed_in(client)


@pytest.mark.parametrize("door", DOORS)
def test_one_address_spraying_guesses_over_many_usernames_is_refused(settings, member, door):
    settings.AXES_FAILURE_LIMIT = 100
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    settings.AXES_COOLOFF_TIME = timedelta(minutes=10)
    client = Client()
    for index in range(3):
        assert sign_in(client, door, f"nobody-{index}", "wrong").status_code == 200
    response = sign_in(client, door, "nobody-3", "wrong")
    assert response.status_code == 429 and LOCKED in response.content.decode()
    # every username from that address is refused now, the right password too; other addresses are not
    assert sign_in(client, door, member.username, PASSWORD).status_code == 429
    assert sign_in(Client(), door, member.username, PASSWORD, address="10.0.0.2").status_code == 302


def test_behind_a_trusted_proxy_each_client_is_counted_under_its_own_address(settings, member):
    # nginx on the same machine: every request arrives from 127.0.0.1, with the client's address
    # appended to X-Forwarded-For (deploy/nginx/medreview.conf)
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.9.0/24"]
    settings.AXES_FAILURE_LIMIT = 100
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    settings.AXES_COOLOFF_TIME = timedelta(minutes=10)

    def via(remote, forwarded, username=member.username, password=PASSWORD, client=None):
        return (client or Client()).post(
            DOORS["admin"],
            {"username": username, "password": password},
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    # one client spraying guesses through nginx, each with a made-up address in front of its own
    client = Client()
    for index in range(3):
        guess = via("127.0.0.1", f"198.51.100.{index}, 203.0.113.7", f"nobody-{index}", "wrong", client)
        assert guess.status_code == 200
    assert via("127.0.0.1", "198.51.100.99, 203.0.113.7", "nobody-3", "wrong", client).status_code == 429
    # is refused under its own address; another client behind the same proxy signs in
    assert via("127.0.0.1", "203.0.113.8").status_code == 302
    # a load balancer in front of nginx (a trusted network) is looked through as well
    assert via("127.0.0.1", "203.0.113.7, 10.0.9.4").status_code == 429
    # from an address that is not a trusted proxy, X-Forwarded-For is ignored
    assert via("192.0.2.50", "203.0.113.7").status_code == 302


@pytest.mark.parametrize(("first", "then"), [("workspace", "admin"), ("admin", "workspace")])
def test_failures_at_one_door_count_at_the_other(policy, member, first, then):
    # guesses cannot be split between the doors: one set of counters
    client = Client()
    for _ in range(2):
        assert sign_in(client, first, member.username, "wrong").status_code == 200
    assert sign_in(client, then, member.username, "wrong").status_code == 429
    assert sign_in(client, first, member.username, PASSWORD).status_code == 429


@pytest.mark.parametrize("door", DOORS)
def test_signing_in_clears_that_usernames_failures(policy, member, door):
    for _ in range(2):  # twice: two failures, then the right password
        client = Client()
        for _ in range(2):
            assert sign_in(client, door, member.username, "wrong").status_code == 200
        assert sign_in(client, door, member.username, PASSWORD).status_code == 302


@pytest.fixture
def redis_cache(settings):
    """The real Redis of ``make test``, under a key prefix of this test's own."""
    prefix = f"sign-in-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": prefix,
        }
    }
    redis = caches["default"].client.get_client(write=True)
    yield redis, prefix
    for key in redis.scan_iter(f"{prefix}:*"):
        redis.delete(key)


def test_failures_are_counted_in_redis_for_the_cool_off_and_nothing_goes_to_the_database(
    policy, author, redis_cache
):
    redis, prefix = redis_cache
    client = Client()
    for _ in range(3):
        sign_in(client, "workspace", author.username, "wrong")
    assert sign_in(client, "workspace", author.username, PASSWORD).status_code == 429
    keys = list(redis.scan_iter(f"{prefix}:*"))
    assert len(keys) == 2  # per username and address, and per address
    assert all(0 < redis.ttl(key) <= 600 for key in keys)
    assert not AccessAttempt.objects.exists()


def test_the_limits_are_read_from_the_environment():
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "VAR_DIR") if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        LOGIN_THROTTLE_ATTEMPTS="7",
        LOGIN_THROTTLE_ADDRESS_ATTEMPTS="40",
        LOGIN_THROTTLE_WINDOW_SECONDS="120",
    )
    script = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.AXES_FAILURE_LIMIT, s.LOGIN_ADDRESS_FAILURE_LIMIT, "
        "s.AXES_COOLOFF_TIME.total_seconds()]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [7, 40, 120]
