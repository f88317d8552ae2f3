"""gunicorn's settings for one web machine: ``gunicorn -c deploy/gunicorn.conf.py``.

Everything that differs between machines comes from the environment (the systemd unit reads
it from its ``EnvironmentFile=``); docs/deploy.md lists the variables. nginx on the same
machine (deploy/nginx/medreview.conf) serves /static/ and passes the rest here.
"""

import os


def _cores() -> int:
    # The cores this process may run on (a container or a CPU quota may allow fewer than
    # the machine has).
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


wsgi_app = "config.wsgi:application"

# Where nginx reaches gunicorn: loopback when nginx runs on the same machine (the default), or
# an address the load balancer can reach. A comma separates several.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Synchronous workers, one request each: every request is short (a cached reader page, an
# admin page) and holds a database connection only while it runs. Two per core plus one keeps
# the cores busy while some workers wait on PostgreSQL or Redis.
workers = int(os.environ.get("GUNICORN_WORKERS") or 2 * _cores() + 1)
worker_class = "sync"

# A request that has not finished in this many seconds is killed (and its worker replaced);
# nginx's proxy_read_timeout is a little longer, so nginx reports gunicorn's 502/504 rather
# than cutting in first. A restart lets workers finish what they hold for graceful_timeout.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5  # seconds an idle keep-alive connection from nginx stays open

# Replace each worker after this many requests (with jitter, so they do not all restart at
# once): a slow leak never grows for long.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10

# Logs to stdout and stderr: journald (or the container runtime) keeps them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# The proxies whose X-Forwarded-Proto (and X-Forwarded-For) gunicorn believes: nginx on this
# machine by default. Django itself trusts X-Forwarded-Proto only with SECURE_PROXY_SSL_HEADER=1
# (config/production.py), so a request can claim HTTPS only through these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The application is imported in each worker, after the fork: no database or Redis
# connection is ever shared between processes.
preload_app = False
proc_name = "medreview-web"
