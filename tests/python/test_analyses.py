"""analyses/: every use case says who asks it and how to run it, and runs (with `dbt show`, as
its header says) on a warehouse built from the sample data generator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dbt_runner import DBT, PROJECT_DIR, dbt_build

ANALYSES = sorted((PROJECT_DIR / "analyses").glob("*.sql"))
AS_OF = "2026-06-15T00:00:00Z"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("analyses")
    subprocess.run(
        [
            sys.executable,
            str(PROJECT_DIR / "scripts" / "generate_data.py"),
            "--events",
            "4000",
            "--customers",
            "10",
            "--out",
            str(root / "raw"),
            "--as-of",
            AS_OF,
        ],
        check=True,
        capture_output=True,
    )
    run = dbt_build(root / "raw", root, AS_OF)
    assert run.returncode == 0, run.output[-3000:]
    return root, run


def test_there_are_analyses():
    assert len(ANALYSES) >= 5


@pytest.mark.parametrize("path", ANALYSES, ids=lambda path: path.stem)
def test_header_says_who_asks_and_how_to_run(path: Path):
    header = path.read_text().split("\n\n")[0]
    assert "-- Who asks:" in header and "-- Run:" in header and path.stem in header


@pytest.mark.parametrize("path", ANALYSES, ids=lambda path: path.stem)
def test_analysis_runs(warehouse, path: Path):
    root, run = warehouse
    variables = {"as_of": AS_OF, "raw_data_path": str(root / "raw")}
    # the vars the headers name, pointed at data this warehouse has
    (variables["trace_transaction_id"],) = run.query(
        "select min(transaction_id) from fct_rated_events_finalized where coverage <> 'OVERAGE'"
    )[0]
    (variables["spend_customer_id"],) = run.query(
        "select min(customer_id) from fct_rated_events_draft"
    )[0]
    env = {
        **os.environ,
        "RATED_EVENTS_DB": str(run.db_path),
        "DBT_LOG_PATH": str(root / "logs"),
    }
    result = subprocess.run(
        [
            str(DBT),
            "show",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(root / "target"),
            "--select",
            path.stem,
            "--limit",
            "5",
            "--output",
            "json",
            "--log-format",
            "json",
            "--vars",
            json.dumps(variables),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    previews = [
        json.loads(json.loads(line)["data"]["preview"])
        for line in result.stdout.splitlines()
        if '"preview"' in line
    ]
    assert previews and previews[0], f"{path.stem} returned no rows"
