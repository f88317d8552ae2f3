"""Point this process's Celery app somewhere else for a while: a dead Redis, or a queue of
its own."""

from __future__ import annotations

import socket
from contextlib import contextmanager

from config.celery import app


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed when the block ends: nothing listens there


def _reset_pools() -> None:
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_unreachable():
    """Celery publishes to a Redis port where nothing listens, as if Redis were down."""
    saved = app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_transport_options
    app.conf.broker_url = app.conf.broker_write_url = f"redis://127.0.0.1:{closed_port()}/0"
    app.conf.broker_transport_options = {}
    _reset_pools()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_transport_options = saved
        _reset_pools()
