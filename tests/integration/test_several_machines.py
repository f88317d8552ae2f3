"""Several machines, on this one (docs/deploy.md, "Several machines").

Two web "machines" (gunicorn with deploy/gunicorn.conf.py, two workers each, on two ports),
two Celery workers and two beats, all under ``config.production`` on the test database and
one Redis; nginx from Debian with deploy/nginx/medreview.conf in front of both web processes.

- A publication pressed in the admin of web A is on the reader page of web B within the
  documented bound (``READER_LOCAL_TOKEN_SECONDS``), polled, never timed.
- Both beats' reminder sweeps run at once, on both workers, over the same due reminders: the
  test holds the due articles' row locks until a sweep from each worker waits on them, then
  lets both go. Every due reminder is claimed once, every mail is sent once, the audit chain
  verifies.
- Through nginx: the reader page with its security headers, over HTTPS as Django sees it
  (X-Forwarded-Proto), and static files served by nginx itself with their cache headers.

Every process is started in a process group of its own and stopped with it, also when a test
fails (``tests/integration/processes.py``). Every wait polls with a deadline.
"""

from __future__ import annotations

import base64
import datetime as dt
import getpass
import json
import os
import re
import subprocess
import threading
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone

from articles.models import Article
from config.celery import app as celery_app
from editorial import reminders, workflow
from editorial.audit import verify_chain
from editorial.models import AuditAction, AuditEvent, Notification, Reminder
from reader import pagecache
from tests.integration.conftest import _database_url
from tests.integration.faults import expected_mails, free_port, mails, wait_until
from tests.integration.processes import (
    BIN,
    ROOT,
    START_SECONDS,
    Process,
    Worker,
    celery_worker_command,
    logs,
    spawn,
    stop,
    wait_ready,
    worker_ready,
)
from tests.support import flows
from tests.support.attempts import signing_post
from tests.support.factories import make_user
from tests.support.http import PASSWORD, Browser, unverified_tls
from tests.support.signing import enrol

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NGINX = "/usr/sbin/nginx"
NGINX_SITE = ROOT / "deploy" / "nginx" / "medreview.conf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
# docs/deploy.md: a reader page on one machine shows a change made on another at most this
# many seconds after it commits. The test polls up to that plus a margin for a loaded machine.
FRESH_WITHIN = pagecache.LOCAL_TOKEN_SECONDS
FRESH_MARGIN = 20.0
# Beat's first sweep is due a minute after it starts (EDITORIAL_SWEEP_MINUTES=1).
SWEEPS_WAIT = 180
SETTLE_WAIT = 120
OLD_TITLE, NEW_TITLE = "Is this a question?", "Is this still a question?"
# A beat sends a sweep as it starts (config/celery.py) and then on its schedule.
SWEEP_SENT = re.compile(
    r'Scheduler: Sending due task editorial-reminder-sweep|"child_task_name": "editorial\.tasks\.sweep_reminders"'
)
SWEEP_DONE = re.compile(r"Task editorial\.tasks\.sweep_reminders\[[0-9a-f-]+\] succeeded in [0-9.]+s: (\d+)")


@dataclass
class Stack:
    env: dict[str, str]  # what every process of the stack is started with
    database_url: str
    queue: str
    cache_prefix: str
    web: list[Process]
    ports: list[int]
    workers: list[Worker]
    static_root: Path
    tmp: Path

    def url(self, machine: int) -> str:
        return f"http://127.0.0.1:{self.ports[machine]}"

    @property
    def processes(self) -> list[Process]:
        return [*self.web, *self.workers]


def _answers(url: str) -> bool:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - a local test server
            return response.status == 200
    except OSError:
        return False


def _stack_env(database_url: str, redis_url: str, queue: str, cache_prefix: str) -> dict[str, str]:
    env = {
        **os.environ,
        # Production settings: they refuse to start without these.
        "DJANGO_SETTINGS_MODULE": "config.production",
        "SECRET_KEY": base64.urlsafe_b64encode(os.urandom(48)).decode(),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "AUDIT_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        # Behind the TLS-terminating proxy: believe its X-Forwarded-Proto.
        "SECURE_PROXY_SSL_HEADER": "1",
        "SITE_URL": "https://127.0.0.1",
        # This run's own queue and cache keys on the shared Redis.
        "CELERY_QUEUE": queue,
        "CACHE_KEY_PREFIX": cache_prefix,
        # Beat sweeps every minute (as .ci/run's make run), in batches of 4 assignments.
        "EDITORIAL_SWEEP_MINUTES": "1",
        "EDITORIAL_SWEEP_BATCH": "4",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("EMAIL_HOST", None)  # mail to files under each worker's VAR_DIR/mail
    return env


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, redis_url, tmp_path_factory):
    """Two gunicorns and two Celery workers under config.production, on the test database."""
    tmp = tmp_path_factory.mktemp("machines")
    queue = f"medreview-machines-{uuid.uuid4().hex[:12]}"
    cache_prefix = f"medreview-machines-{uuid.uuid4().hex[:12]}"
    with django_db_blocker.unblock():
        database_url = _database_url()
    env = _stack_env(database_url, redis_url, queue, cache_prefix)
    web_var = tmp / "web"
    # What a deploy does on every web machine before starting gunicorn: the manifest storage
    # of config.production needs it, and nginx serves the result.
    collect = subprocess.run(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**env, "VAR_DIR": str(web_var)},
        capture_output=True,
        text=True,
        timeout=START_SECONDS * 3,
    )
    assert collect.returncode == 0, collect.stdout + collect.stderr
    saved_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue  # what this process's services hand over
    started: list[Process] = []
    try:
        ports = [free_port(), free_port()]
        web = []
        for name, port in zip(("web-a", "web-b"), ports, strict=True):
            web_env = {
                **env,
                "VAR_DIR": str(web_var),
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "GUNICORN_WORKERS": "2",
            }
            web.append(
                spawn(
                    name,
                    [str(BIN / "gunicorn"), "--config", str(GUNICORN_CONF)],
                    env=web_env,
                    log=tmp / f"{name}.log",
                )
            )
            started.append(web[-1])
        workers = []
        for name in ("worker-1", "worker-2"):
            var = tmp / name
            var.mkdir()
            worker_env = {**env, "VAR_DIR": str(var)}
            command = celery_worker_command(queue=queue, name=f"{name}-{uuid.uuid4().hex[:6]}")
            workers.append(
                spawn(
                    name, command, env=worker_env, log=var / f"{name}.log", cls=Worker, mail_dir=var / "mail"
                )
            )
            started.append(workers[-1])
        urls = {p.name: f"http://127.0.0.1:{port}/robots.txt" for p, port in zip(web, ports, strict=True)}
        wait_ready(started, lambda p: worker_ready(p) if isinstance(p, Worker) else _answers(urls[p.name]))
        yield Stack(
            env=env,
            database_url=database_url,
            queue=queue,
            cache_prefix=cache_prefix,
            web=web,
            ports=ports,
            workers=workers,
            static_root=web_var / "static",
            tmp=tmp,
        )
    finally:
        stop(*started)
        celery_app.conf.task_default_queue = saved_queue
        with celery_app.connection_for_write() as conn:
            conn.default_channel.client.delete(queue)


@pytest.fixture(autouse=True)
def same_cache_as_the_stack(settings, stack):
    """This process writes audit events (the services the test calls) and so replaces the
    reader's tokens: in the same cache, under the same keys, as the machines."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": stack.cache_prefix}}
    pagecache.forget_local_state()
    yield
    pagecache.forget_local_state()


@pytest.fixture
def start_beats(stack, tmp_path):
    """Start ``count`` Celery beats, each with a schedule file of its own."""
    started: list[Process] = []

    def start(count: int) -> list[Process]:
        for n in range(1, count + 1):
            var = tmp_path / f"beat-{n}"
            var.mkdir()
            command = [
                str(BIN / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(var / "celerybeat-schedule"),
            ]
            started.append(
                spawn(f"beat-{n}", command, env={**stack.env, "VAR_DIR": str(var)}, log=var / f"beat-{n}.log")
            )
        wait_ready(started, lambda p: "beat: Starting..." in p.output())
        return started

    yield start
    stop(*started)


def _board_password(user) -> None:
    """The password the machines check: they hash with Django's default (PBKDF2), not the fast
    hasher this process's tests use."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])


def _submitted(author, slug: str, title: str):
    version = workflow.article_create(
        author=author,
        slug=slug,
        title=title,
        lead="The answer first.",
        body=flows.CLEAN_BODY,
        references=flows.REFERENCES,
    )
    return workflow.version_submit(version=version, actor=author)


class Reading:
    """A reader reading one page over and over in a thread: (began, status, shows version 2)."""

    def __init__(self, base_url: str, path: str) -> None:
        self.browser = Browser(base_url, behind_tls_proxy=True)
        self.path = path
        self.answers: list[tuple[float, int, bool]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            answer = self.browser.get(self.path)
            self.answers.append((began, answer.status, NEW_TITLE in answer.body))

    def __enter__(self) -> Reading:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def _sweep_claims(worker: Process) -> list[int]:
    return [int(n) for n in SWEEP_DONE.findall(worker.output())]


def _waiting_on_locks(monitor) -> int:
    """Backends of this database waiting for an article row lock (the sweeps' first step)."""
    row = monitor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND query LIKE '%articles_article%FOR UPDATE%'"
    ).fetchone()
    return row[0]


def test_two_web_machines_two_workers_two_beats_one_database(stack, start_beats, author, editor, reviewers):
    # given an article whose version 1 is live and version 2 approved
    first = flows.published(author, editor, reviewers, slug="two-machines")
    second = flows.next_approved(first, author, editor, reviewers, title=NEW_TITLE)
    _board_password(editor)
    _, recovery = enrol(editor)
    # and 24 open assignments on three versions under review, all past their review date:
    # 12 one hour late (reminder 1 of 3 due) and 12 ten days late (reminder 3 of 3 and the
    # escalation to the editors due)
    board = [make_user("Reviewer", username=f"board{i}") for i in range(8)]
    due_articles = []
    now = timezone.now()
    for n in range(1, 4):
        version = _submitted(author, f"due-{n}", f"Is case {n} a question?")
        due_articles.append(version.article_id)
        for i, reviewer in enumerate(board):
            late = dt.timedelta(hours=1) if i % 2 else dt.timedelta(days=10)
            workflow.assignment_create(
                version=version, reviewer=reviewer, actor=editor, review_due=now - late
            )
    policy = reminders.Policy.from_settings()
    due = {
        str(rule): reminders.assignments_due(rule, now=timezone.now(), policy=policy).count()
        for rule in reminders.ASSIGNMENT_RULES
    }
    assert due == {"invitation": 0, "due_soon": 0, "overdue": 24, "escalation": 12}
    due_total = sum(due.values())

    # when both beats start while the due articles are locked (a sweep's first step is to lock
    # its batch's articles, so every sweep waits at the same line until the lock is released;
    # FOR NO KEY UPDATE still lets the audit verification beat also sends at start insert its
    # checkpoints, which only take the articles' key-share lock)
    holder = psycopg.connect(stack.database_url)
    monitor = psycopg.connect(stack.database_url, autocommit=True)
    try:
        holder.execute(
            f"SELECT id FROM {Article._meta.db_table} WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
            [due_articles],
        )
        beats = start_beats(2)
        everything = [*stack.processes, *beats]

        # and, meanwhile, the editor publishes version 2 in the admin of web machine A while a
        # reader reads the article on web machine B
        reader = Browser(stack.url(1), behind_tls_proxy=True)
        page = "/articles/two-machines/"
        board_admin = Browser(stack.url(0), behind_tls_proxy=True)
        # production settings require the board's second factor: two of the editor's recovery
        # codes stand in for the app's codes (one to sign in, one for the publication's signature)
        board_admin.sign_in("/admin/login/", editor, otp_code=recovery[0])
        # the version page's Publish button: a form posting verb=publish to the page itself
        version_page = f"/admin/articles/articleversion/{second.pk}/change/"
        assert '<input type="hidden" name="verb" value="publish">' in board_admin.get(version_page).body
        for _ in range(4):
            answer = reader.get(page)
            assert answer.status == 200, answer.body[:500]
            assert OLD_TITLE in answer.body and NEW_TITLE not in answer.body
        # (another reader keeps reading B all along, so both of B's workers hold the page and
        # trust its token at the moment of the press)
        with Reading(stack.url(1), page) as readings:
            wait_until(lambda: len(readings.answers) >= 6, what="B's readers", timeout=60, workers=stack.web)
            pressed = board_admin.post(
                version_page,
                {
                    "verb": "publish",
                    "do": "publish",
                    **signing_post("publish"),
                    "publish-otp_code": recovery[1],
                },
            )
            published = time.monotonic()
            assert pressed.status == 302, (pressed.status, pressed.message, pressed.body[:500])
            # then B shows version 2 within the bound (polled: B's workers may serve the page
            # whose token they trust for up to READER_LOCAL_TOKEN_SECONDS)
            while NEW_TITLE not in (answer := reader.get(page)).body:
                assert answer.status == 200
                if time.monotonic() > published + FRESH_WITHIN + FRESH_MARGIN:
                    pytest.fail(
                        f"web B still served version 1 {FRESH_WITHIN + FRESH_MARGIN} s after the publish"
                    )
                time.sleep(0.02)
            fresh_after = time.monotonic() - published
            time.sleep(2 * FRESH_WITHIN)  # the other reader, on B's other worker, meanwhile
        assert {status for _, status, _ in readings.answers} == {200}
        stale = [begun - published for begun, _, fresh in readings.answers if begun > published and not fresh]
        # no stale page is served past the bound (and the margin), on either of B's workers
        assert [late for late in stale if late > FRESH_WITHIN + FRESH_MARGIN] == []
        assert readings.answers[-1][2], "the other reader sees version 2 too"

        # and a sweep from each worker waits on the locked articles
        wait_until(
            lambda: _waiting_on_locks(monitor) >= 2 or not all(p.running for p in everything),
            what="two sweeps waiting on the article locks",
            timeout=SWEEPS_WAIT,
            workers=everything,
        )
        assert all(p.running for p in everything), logs(everything)
        sent_by_beat = [len(SWEEP_SENT.findall(beat.output())) for beat in beats]
        assert all(sent_by_beat), (sent_by_beat, logs(beats))
        waiting = _waiting_on_locks(monitor)
        # when the lock is released: both sweeps go at once
        holder.rollback()
    finally:
        holder.close()
        monitor.close()

    # then every due reminder is claimed once, and every mail sent once
    def settled() -> bool:
        claims = sum(sum(_sweep_claims(w)) for w in stack.workers)
        pending = Notification.objects.filter(sent_at__isnull=True).exists()
        return claims >= due_total and Reminder.objects.count() >= due_total and not pending

    wait_until(settled, what="the sweeps and the mail to finish", timeout=SETTLE_WAIT, workers=everything)
    claims = [_sweep_claims(w) for w in stack.workers]
    assert all(claims), f"each worker ran a sweep: {claims}"
    assert sum(sum(c) for c in claims) == due_total == Reminder.objects.count()
    assert AuditEvent.objects.filter(action=AuditAction.ASSIGNMENT_REMINDED).count() == due["overdue"]
    assert AuditEvent.objects.filter(action=AuditAction.ASSIGNMENT_ESCALATED).count() == due["escalation"]
    editors = 1
    assert (
        Notification.objects.filter(reminder__isnull=False).count()
        == due["overdue"] + editors * due["escalation"]
    )
    rows = list(Notification.objects.all())
    assert {(n.attempts, n.interrupted_attempts) for n in rows} == {(1, 0)}
    sent = sum((mails(w.mail_dir) for w in stack.workers), start=Counter())
    assert sent == expected_mails(rows)
    assert sum(sent.values()) == len(rows)
    # and a sweep now finds nothing left to claim
    assert reminders.sweep().claimed == []
    chain = verify_chain()
    assert chain.ok, chain.reason
    assert chain.checked == AuditEvent.objects.count()
    print(
        f"\nFIGURES several machines: web A published; on web B the poll saw version 2 after "
        f"{fresh_after:.3f} s, the other reader got {len(stale)} stale answers after the publish returned "
        f"(the last begun {max(stale, default=0):.3f} s after it; bound {FRESH_WITHIN} s); sweeps sent by beat 1/2 before the release "
        f"{sent_by_beat[0]}/{sent_by_beat[1]}; sweeps waiting on the lock {waiting}; "
        f"reminders due {due_total}, claimed per sweep {claims} (worker 1, worker 2), rows {Reminder.objects.count()}; "
        f"mails sent {sum(sent.values())} (worker 1 {sum(mails(stack.workers[0].mail_dir).values())}, "
        f"worker 2 {sum(mails(stack.workers[1].mail_dir).values())}), outbox rows {len(rows)}, "
        f"duplicates {sum(c - 1 for c in sent.values())}; audit events {chain.checked} in {chain.articles} chains: OK"
    )


# nginx ------------------------------------------------------------------------------------


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, as the site's real one would be for its name."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert, private


def _replace(text: str, old: str, new: str, count: int = 1) -> str:
    """Replace a line of the shipped site exactly ``count`` times: if the file changed, the test
    says so instead of quietly testing something else."""
    found = text.count(old)
    assert found == count, f"{NGINX_SITE.name}: expected {count} x {old!r}, found {found}"
    return text.replace(old, new)


def nginx_site(*, http_port: int, https_port: int, upstreams: list[int], static_root: Path, tls: Path) -> str:
    """deploy/nginx/medreview.conf with this test's ports, paths and certificate."""
    cert, key = _self_signed(tls)
    site = NGINX_SITE.read_text()
    site = _replace(
        site,
        "    server 127.0.0.1:8000 fail_timeout=0;\n",
        "".join(f"    server 127.0.0.1:{port} fail_timeout=0;\n" for port in upstreams),
    )
    site = _replace(site, "    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n")
    site = _replace(site, "    listen [::]:80;\n", "")
    site = _replace(site, "    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n")
    site = _replace(site, "    listen [::]:443 ssl http2;\n", "")
    site = _replace(site, "/etc/letsencrypt/live/reviews.example.org/fullchain.pem;", f"{cert};")
    site = _replace(site, "/etc/letsencrypt/live/reviews.example.org/privkey.pem;", f"{key};")
    return _replace(site, "alias /var/lib/medreview/static/;", f"alias {static_root}/;")


def nginx_main(prefix: Path, site: Path) -> str:
    """The main configuration Debian's /etc/nginx/nginx.conf would be, in ``prefix``: in the
    foreground, every file it writes under ``prefix``."""
    # As root, nginx's workers would switch to "nobody", who cannot read pytest's temporary
    # folders; run them as this user (as anyone else, nginx cannot switch and ignores it).
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {prefix / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} info;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {prefix / 'access.log'};\n"
        f"{temp}"
        f"    include {site};\n"
        "}\n"
    )


@pytest.fixture
def nginx(stack, tmp_path):
    """Debian's nginx with the shipped site, in front of both web machines; ``nginx -t``
    first. Returns (http port, https port)."""
    if not os.access(NGINX, os.X_OK):
        pytest.fail(
            f"{NGINX} is missing: make test-packages installs it (as root), or apt-get install -y nginx"
        )
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    http_port, https_port = free_port(), free_port()
    site = prefix / "medreview.conf"
    site.write_text(
        nginx_site(
            http_port=http_port,
            https_port=https_port,
            upstreams=stack.ports,
            static_root=stack.static_root,
            tls=prefix,
        )
    )
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_main(prefix, site))
    command = [NGINX, "-e", str(prefix / "error.log"), "-p", str(prefix), "-c", str(conf)]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "test is successful" in check.stderr, check.stderr + check.stdout
    server = spawn("nginx", command, env=dict(os.environ), log=prefix / "nginx.out")
    try:
        tls = unverified_tls()

        def answers(_: Process) -> bool:
            try:
                with urllib.request.urlopen(  # noqa: S310 - a local test server
                    f"https://127.0.0.1:{https_port}/robots.txt", timeout=5, context=tls
                ) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_ready([server], answers)
        yield http_port, https_port
    finally:
        stop(server)


def test_nginx_in_front_of_two_gunicorns_serves_static_files_and_keeps_https(
    stack, nginx, author, editor, reviewers
):
    http_port, https_port = nginx
    flows.published(author, editor, reviewers, slug="behind-nginx")
    page = "/articles/behind-nginx/"
    site = Browser(f"https://127.0.0.1:{https_port}", tls=unverified_tls())

    # the reader page through nginx: 200, with every security header Django sets
    answer = site.get(page)
    assert answer.status == 200, answer.body[:500]
    headers = answer.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    # X-Forwarded-Proto honoured: Django saw HTTPS, so it sent HSTS (only ever on a secure
    # request), did not redirect to https, and builds https addresses
    assert headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert '<link rel="canonical" href="https://127.0.0.1/articles/behind-nginx/">' in answer.body
    assert headers["Server"] == "nginx"  # server_tokens off: no version
    # the same request to gunicorn directly, without the proxy's header, is redirected to https
    direct = Browser(stack.url(0)).get(page)
    assert (direct.status, direct.location) == (301, f"https://127.0.0.1:{stack.ports[0]}{page}")
    # plain HTTP at nginx is redirected to HTTPS before it reaches Django
    plain = Browser(f"http://127.0.0.1:{http_port}").get(page)
    assert (plain.status, plain.location) == (301, f"https://127.0.0.1{page}")

    # static files from STATIC_ROOT, by nginx itself
    css = site.get("/static/editorial/board-admin.css")
    assert css.status == 200
    assert css.body == (stack.static_root / "editorial" / "board-admin.css").read_text()
    assert css.headers["Cache-Control"] == "public, max-age=3600"
    assert css.headers["X-Content-Type-Options"] == "nosniff"
    manifest = json.loads((stack.static_root / "staticfiles.json").read_text())["paths"]
    hashed = site.get(f"/static/{manifest['editorial/board-admin.css']}")
    assert hashed.status == 200 and hashed.body == css.body
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    gzipped = site.get(
        f"/static/{manifest['editorial/board-admin.css']}", headers={"Accept-Encoding": "gzip"}
    )
    assert gzipped.headers["Content-Encoding"] == "gzip"  # whitenoise's .gz, sent as it is (gzip_static)
    assert site.get("/static/editorial/no-such-file.css").status == 404
    # the pages link the hashed names, which nginx serves
    stylesheet = f"/static/{manifest['css/site.css']}"
    assert f'href="{stylesheet}"' in answer.body
    assert site.get(stylesheet).headers["Cache-Control"] == "public, max-age=31536000, immutable"

    # gunicorn saw the page requests, through nginx, and never a static file
    def gunicorn_access() -> str:
        return "".join(p.output() for p in stack.web)

    wait_until(
        lambda: f'"GET {page} ' in gunicorn_access(),
        what="gunicorn's access log",
        timeout=30,
        workers=stack.web,
    )
    assert "/static/" not in gunicorn_access()
