"""The suite on several pytest-xdist workers (``make test``: ``-n auto --dist loadgroup``).

Each worker has a test database of its own (pytest-django names it after the worker) and,
set here, a cache of its own on the shared Redis (its own key prefix). The tests that cannot
share the machine with each other each keep one group, run one after another by one worker:
the browser tests (Chromium), the races (64 threads and database connections at once) and
the integration tests (Celery workers on a queue of the session's own, a redis-server of
their own that they kill and restart). The others are spread over the workers.

The marks are given here by file name and folder, not in each file, so they follow the files
when they move; ``.ci/run`` selects the workflow, race and integration tests with them.

pytest-xdist 3.8 groups tests by appending ``@group`` to their node ids in the worker, and
pytest 9.2's structured node ids ignore that: the groups are silently spread over the workers
(pytest-dev/pytest-xdist#1386). Until xdist carries the groups itself, each worker writes its
grouped tests' groups to a folder the controller gives it, and the controller schedules with
xdist's own loadgroup scheduler, reading the groups from there.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from xdist.scheduler import LoadGroupScheduling

FILE_MARKS = {
    "test_workflow.py": "workflow",
    "test_races.py": "races",
    "test_http_races.py": "races",
    # Two gunicorns, two Celery workers, two beats and nginx: alone, not beside other integration tests.
    "test_several_machines.py": "machines",
}
FOLDER_MARKS = {"integration": "integration", "browser": "browser"}
# The first of these marks a test has is its group.
GROUPS = ("browser", "races", "machines", "integration")
GROUPS_FOLDER = "medreview_xdist_groups"
_groups_folder = pytest.StashKey[Path]()


def _worker_id(config) -> str | None:
    return getattr(config, "workerinput", {}).get("workerid")


@pytest.hookimpl(tryfirst=True)  # before -m selects, and before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    xdist = config.pluginmanager.hasplugin("xdist")
    groups = {}
    for item in items:
        if item.path.name in FILE_MARKS:
            item.add_marker(FILE_MARKS[item.path.name])
        for folder in item.path.relative_to(config.rootpath).parts[:-1]:
            if folder in FOLDER_MARKS:
                item.add_marker(FOLDER_MARKS[folder])
        group = next((name for name in GROUPS if item.get_closest_marker(name)), None)
        if group and xdist:
            item.add_marker(pytest.mark.xdist_group(group))
            groups[item.nodeid] = group
    folder = getattr(config, "workerinput", {}).get(GROUPS_FOLDER)
    if folder:
        path = Path(folder) / f"{_worker_id(config)}.json"
        path.with_suffix(".tmp").write_text(json.dumps(groups))
        path.with_suffix(".tmp").replace(path)


def pytest_configure(config):
    worker = _worker_id(config)
    if worker:
        from django.conf import settings

        cache = settings.CACHES["default"]
        if "KEY_PREFIX" in cache:
            cache["KEY_PREFIX"] = f"{cache['KEY_PREFIX']}-{worker}"


def pytest_unconfigure(config):
    folder = config.stash.get(_groups_folder, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist, on the controller: tell a worker where to write its groups."""
    config = node.config
    if _groups_folder not in config.stash:
        config.stash[_groups_folder] = Path(tempfile.mkdtemp(prefix="medreview-xdist-groups-"))
    node.workerinput[GROUPS_FOLDER] = str(config.stash[_groups_folder])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadgroup":
        return WrittenGroupScheduling(config, log)
    return None


class WrittenGroupScheduling(LoadGroupScheduling):
    """xdist's loadgroup scheduling, with the groups the workers wrote down."""

    def __init__(self, config, log=None):
        super().__init__(config, log)
        self.groups: dict[str, str] = {}

    def schedule(self) -> None:
        if self.collection is None:  # the first call: every worker has collected
            folder = self.config.stash.get(_groups_folder, None)
            for path in sorted(folder.glob("*.json")) if folder else ():
                self.groups.update(json.loads(path.read_text()))
        super().schedule()

    def _split_scope(self, nodeid: str) -> str:
        group = self.groups.get(nodeid)
        return f"group:{group}" if group else super()._split_scope(nodeid)
