"""Shared pytest fixtures: a scenario written as a raw folder and built by dbt, in a folder of
its own.

    @pytest.fixture(scope="module")
    def run(build_green):
        return build_green("rollups", scenario, AS_OF)  # a DbtRun whose build passed

Scenario objects come from `scenario.py` (one builder per configuration object); the reference
rater and the hypothesis strategies live beside it (`reference/`, `strategies.py`).
"""

from __future__ import annotations

from collections.abc import Callable

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


@pytest.fixture(scope="session")
def customer_spend(build_green):
    """The spend alerts' and statements' scenario (customer_spend.py), built at two as_ofs on
    one warehouse; shared by test_alerts.py and test_statement.py, so it is built once."""
    from customer_spend import build_customer_spend

    return build_customer_spend(build_green)
