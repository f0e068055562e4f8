"""Shared pytest fixtures: a scenario written as a raw folder and built by dbt, in a folder of
its own.

    @pytest.fixture(scope="module")
    def run(build_green):
        return build_green("rollups", scenario, AS_OF)  # a DbtRun whose build passed

Scenario objects come from `scenario.py` (one builder per configuration object); the reference
rater and the hypothesis strategies live beside it (`reference/`, `strategies.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from dbt_runner import DbtRun, dbt_build
from scenario import Scenario, write_raw


@pytest.fixture(scope="session")
def build_green(tmp_path_factory) -> Callable[..., DbtRun]:
    """`build_green(name, scenario, as_of, extra_files=None, **build_options)`: writes the
    scenario to `<new folder named name>/raw` (plus `extra_files`, file name -> text, e.g. the
    optional unit_costs.jsonl), runs `dbt build` there at as_of and fails the test, with the
    end of dbt's output, unless every model and test passed."""

    def build(
        name: str,
        scenario: Scenario,
        as_of: str,
        extra_files: dict[str, str] | None = None,
        **build_options,
    ) -> DbtRun:
        root = tmp_path_factory.mktemp(name)
        raw = write_raw(root / "raw", scenario)
        for file_name, text in (extra_files or {}).items():
            (raw / file_name).write_text(text, encoding="utf-8")
        run = dbt_build(raw, root, as_of, **build_options)
        assert run.returncode == 0, f"dbt build of {name} failed:\n{run.output[-4000:]}"
        return run

    return build


def test_file_scopes() -> dict[str, str]:
    """How the suite's test files are scheduled on pytest-xdist workers, from a line each file
    may hold: `INDEPENDENT_TESTS = True` (its tests each build a folder of their own, so they
    are spread one by one) or `TEST_GROUP = "name"` (files sharing a session-scoped build go
    to one worker together). Other files: all their tests on one worker."""
    here = Path(__file__).parent
    scopes = {}
    for path in here.rglob("test_*.py"):
        name = path.relative_to(here.parents[1]).as_posix()
        text = path.read_text(encoding="utf-8")
        group = re.search(r'^TEST_GROUP = "([^"]+)"$', text, re.MULTILINE)
        if "\nINDEPENDENT_TESTS = True\n" in text:
            scopes[name] = "each test"
        elif group:
            scopes[name] = f"group {group.group(1)}"
    return scopes


@pytest.hookimpl(optionalhook=True)  # pytest -p no:xdist still runs the suite
def pytest_xdist_make_scheduler(config, log):
    """`make test` runs the suite on pytest-xdist workers. Each test file's tests go to one
    worker together, so a build a module's tests share is made once (see test_file_scopes
    for the exceptions)."""
    from xdist.scheduler import LoadScopeScheduling

    scopes = test_file_scopes()

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            scope = scopes.get(path, path)
            return nodeid if scope == "each test" else scope

    return FileScheduling(config, log)


@pytest.fixture(scope="session")
def customer_spend(build_green):
    """The spend alerts' and statements' scenario (customer_spend.py), built at two as_ofs on
    one warehouse; shared by test_alerts.py and test_statement.py, so it is built once."""
    from customer_spend import build_customer_spend

    return build_customer_spend(build_green)
