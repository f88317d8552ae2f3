"""A full run of the suite must run the integration tests: CI fails, never skips, without
Redis or a Celery worker. Imported by ``tests/conftest.py`` so it also sees a run that
ignored ``tests/integration``.

A full run is ``pytest`` with no paths (``make test``, ``.ci/run``) and no ``-k``, ``--lf``
or ``--collect-only``; ``-m "not browser"`` is still a full run, ``-m "not integration"``
is refused.

Under pytest-xdist the controller judges: it hears every test's report, and each worker,
which collected (and deselected) the tests itself, tells it what it deselected when it ends.
A worker never judges the run by the share of the tests it happened to get.
"""

from __future__ import annotations

import pytest

MARK = "integration"
WORKER_OUTPUT = "integration_deselected"
_seen = {"passed": 0, "skipped": [], "deselected": []}


def _full_run(config) -> bool:
    option = config.option
    if option.keyword or getattr(option, "lf", False) or getattr(option, "collectonly", False):
        return False
    return config.args_source == pytest.Config.ArgsSource.TESTPATHS


def _xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_deselected(items):
    _seen["deselected"] += [item.nodeid for item in items if item.get_closest_marker(MARK)]


def pytest_runtest_logreport(report):
    if MARK not in report.keywords:
        return
    if report.skipped:
        _seen["skipped"].append(report.nodeid)
    elif report.when == "call" and report.passed:
        _seen["passed"] += 1


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist, on the controller: a worker ended; every worker deselected the same tests."""
    deselected = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT, [])
    _seen["deselected"] = sorted(set(_seen["deselected"]) | set(deselected))


def pytest_sessionfinish(session, exitstatus):
    if _xdist_worker(session.config):
        session.config.workeroutput[WORKER_OUTPUT] = _seen["deselected"]
        return
    if not _full_run(session.config):
        return
    problems = []
    if _seen["deselected"]:
        problems.append(f"{len(_seen['deselected'])} integration test(s) deselected")
    if _seen["skipped"]:
        problems.append(f"integration test(s) skipped: {', '.join(_seen['skipped'])}")
    if not _seen["passed"]:
        problems.append("no integration test passed (Redis, PostgreSQL and a Celery worker are required)")
    if not problems:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        for problem in problems:
            reporter.write_line(f"FULL RUN INCOMPLETE: {problem}", red=True, bold=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
