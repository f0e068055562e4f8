"""Run `dbt build` on a raw folder in a subprocess, each run with its own DuckDB file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"


@dataclass
class DbtRun:
    returncode: int
    output: str
    db_path: Path

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.db_path), read_only=True) as connection:
            return connection.execute(sql, params or []).fetchall()

    def query_dicts(self, sql: str, params: list | None = None) -> list[dict]:
        with duckdb.connect(str(self.db_path), read_only=True) as connection:
            cursor = connection.execute(sql, params or [])
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def build_invocation(
    raw_path: Path,
    work_dir: Path,
    as_of: str,
    extra_vars: dict | None = None,
    select: str | None = None,
    db_name: str = "warehouse.duckdb",
    flags: tuple[str, ...] = (),
) -> tuple[list[str], dict[str, str], Path]:
    """The `dbt build` command line, environment and warehouse path of one test build."""

    work_dir.mkdir(parents=True, exist_ok=True)
    db_path = work_dir / db_name
    variables = {"as_of": as_of, "raw_data_path": str(raw_path), **(extra_vars or {})}
    env = {
        **os.environ,
        "RATED_EVENTS_DB": str(db_path),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(DBT),
        "build",
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(work_dir / "target"),
        "--vars",
        json.dumps(variables),
    ]
    if select:
        # only tests whose every parent is selected: a test that also reads later models
        # would otherwise run against tables this build never made
        command += ["--select", select, "--indirect-selection", "cautious"]
    command += list(flags)
    return command, env, db_path


def dbt_build(
    raw_path: Path,
    work_dir: Path,
    as_of: str,
    extra_vars: dict | None = None,
    select: str | None = None,
    db_name: str = "warehouse.duckdb",
    flags: tuple[str, ...] = (),
) -> DbtRun:
    """`dbt build` of the project on `raw_path` at `as_of`; the warehouse lives in work_dir."""
    command, env, db_path = build_invocation(
        raw_path, work_dir, as_of, extra_vars, select, db_name, flags
    )
    completed = subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False
    )
    return DbtRun(completed.returncode, completed.stdout + completed.stderr, db_path)
