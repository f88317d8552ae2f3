"""config/logs.py: the formatter every log line goes through."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest
import structlog

from config.logs import logging_config


def _logged(log_format: str, emit) -> str:
    config = logging_config(log_format, "INFO")
    stream = io.StringIO()
    formatter = logging.config.DictConfigurator(config).configure_custom(
        dict(config["formatters"]["structured"])
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"test.logs.{log_format}")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with structlog.contextvars.bound_contextvars(request_id="req-42"):
            emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_plain_logging_call_is_one_json_line_with_the_bound_request_id():
    out = _logged("json", lambda logger: logger.warning("Could not hand %d notification(s) over", 3))
    line = json.loads(out.strip())
    assert line["event"] == "Could not hand 3 notification(s) over"
    assert line["request_id"] == "req-42" and line["level"] == "warning"
    assert line["logger"] == "test.logs.json" and line["timestamp"].endswith("Z")


def test_the_plain_format_is_one_readable_line():
    out = _logged("plain", lambda logger: logger.info("Sweep done"))
    assert "Sweep done" in out and "request_id=req-42" in out and not out.lstrip().startswith("{")


def test_an_unknown_format_is_refused_by_name():
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of json, plain, not 'xml'"):
        logging_config("xml", "INFO")
