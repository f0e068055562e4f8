"""Run `dbt build` on a raw folder in a subprocess, each run with its own DuckDB file."""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
from rated_events_tools.cli import create_warehouse_file

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"


@dataclass
class DbtRun:
    returncode: int
    output: str
    db_path: Path

    def connect(self, workspace: bool = False) -> duckdb.DuckDBPyConnection:
        """A read-only connection.

        By default the published warehouse, as a reader opens it: the marts, with the build
        workspace attached behind it so intermediate *tables* resolve too.

        `workspace=True` opens the build workspace as dbt built and tested it (the published
        file attached read-only as `published`, as in profiles.yml). Intermediate *views*
        name the workspace's catalog, which has the warehouse's own name, so only this
        connection reads them. Read marts from the default connection: after a publish the
        workspace's history-mart views count this run's rows twice (once published)."""
        if workspace:
            connection = duckdb.connect(str(workspace_path(self.db_path)), read_only=True)
            path = str(self.db_path).replace("'", "''")
            connection.execute(f"attach '{path}' as published (read_only)")
            return connection
        connection = duckdb.connect(str(self.db_path), read_only=True)
        workspace_file = workspace_path(self.db_path)
        if workspace_file.exists():
            path = str(workspace_file).replace("'", "''")
            connection.execute(f"attach '{path}' as workspace (read_only)")
            catalog = self.db_path.stem.replace('"', '""')
            connection.execute(f"""set search_path = '"{catalog}".main,workspace.main'""")
        return connection

    def query(self, sql: str, params: list | None = None, workspace: bool = False) -> list[tuple]:
        with self.connect(workspace) as connection:
            return connection.execute(sql, params or []).fetchall()

    def query_dicts(
        self, sql: str, params: list | None = None, workspace: bool = False
    ) -> list[dict]:
        with self.connect(workspace) as connection:
            cursor = connection.execute(sql, params or [])
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def prepare_warehouse(db_path: Path) -> None:
    """What `make run` prepares: the published warehouse file (empty the first time) and the
    build workspace folder beside it (profiles.yml)."""
    (db_path.parent / ".build").mkdir(parents=True, exist_ok=True)
    if not db_path.exists():
        create_warehouse_file(db_path)


def workspace_path(db_path: Path) -> Path:
    """The build workspace of a published warehouse (profiles.yml)."""
    return db_path.parent / ".build" / db_path.name


def build_invocation(
    raw_path: Path,
    work_dir: Path,
    as_of: str,
    extra_vars: dict | None = None,
    select: str | None = None,
    db_name: str = "warehouse.duckdb",
    flags: tuple[str, ...] = (),
    unit_tests: bool = False,
) -> tuple[list[str], dict[str, str], Path]:
    """The `dbt build` command line, environment and warehouse path of one test build; run it
    with `cwd=db_path.parent` (the work folder).

    Unit tests check the models' SQL on their own fixture rows, whatever the raw folder holds,
    so test builds leave them out (about a sixth of a small build's time) and the one build
    with `unit_tests=True` (test_rating_cases.py) runs them. A build without them is still
    published (macros/publication.sql).

    The raw folder and as_of go in the environment (RATED_EVENTS_RAW_PATH, RATED_EVENTS_AS_OF)
    and the warehouse is named relative to the work folder, so builds without extra vars have
    the same dbt vars and profile: dbt then reuses a saved parse of the project (see
    `reuse_saved_parse`) instead of parsing it again, which was about a fifth of a small
    build."""

    work_dir.mkdir(parents=True, exist_ok=True)
    db_path = work_dir / db_name
    prepare_warehouse(db_path)
    env = {
        **os.environ,
        "RATED_EVENTS_DB": db_name,
        "RATED_EVENTS_RAW_PATH": str(raw_path),
        "RATED_EVENTS_AS_OF": as_of,
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = project_command(["build"], work_dir)
    if extra_vars:
        command += ["--vars", json.dumps(extra_vars, sort_keys=True)]
    if select:
        # only tests whose every parent is selected: a test that also reads later models
        # would otherwise run against tables this build never made
        command += ["--select", select, "--indirect-selection", "cautious"]
    if not unit_tests:
        command += UNIT_TESTS_LEFT_OUT
    command += list(flags)
    reuse_saved_parse(work_dir / "target", extra_vars, db_name)
    return command, env, db_path


# dbt saves its parse of the project in <target>/partial_parse.msgpack and reuses it when the
# command-line vars and the profile are the same; it re-reads only files that changed since, or
# that read an environment variable whose value changed while parsing (nothing does: the raw
# folder and as_of are read only when executing, docs/decisions.md "Test builds reuse dbt's
# parse"). dbt checks all this itself, so a saved parse that does not fit is merely not reused.
# Each test build has a target folder of its own, so the first build of each kind (vars,
# warehouse name) in this process leaves its saved parse here for the next to start from.
_SAVED_PARSES = Path(tempfile.mkdtemp(prefix="rated-events-parse-"))
atexit.register(shutil.rmtree, _SAVED_PARSES, ignore_errors=True)


def _saved_parse(extra_vars: dict | None, db_name: str) -> Path:
    kind = json.dumps([extra_vars or {}, db_name], sort_keys=True)
    return _SAVED_PARSES / (hashlib.sha256(kind.encode()).hexdigest()[:16] + ".msgpack")


def reuse_saved_parse(target: Path, extra_vars: dict | None, db_name: str) -> None:
    """Start `target` from the saved parse of an earlier build of the same kind, if any."""
    saved = _saved_parse(extra_vars, db_name)
    if saved.exists() and not (target / PARTIAL_PARSE).exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, target / PARTIAL_PARSE)


def keep_saved_parse(target: Path, extra_vars: dict | None, db_name: str) -> None:
    """Keep the parse a build saved in `target` for later builds of the same kind."""
    saved = _saved_parse(extra_vars, db_name)
    if (target / PARTIAL_PARSE).exists() and not saved.exists():
        partial = saved.with_suffix(".partial")
        shutil.copyfile(target / PARTIAL_PARSE, partial)
        partial.replace(saved)


PARTIAL_PARSE = "partial_parse.msgpack"


# what build_invocation adds unless unit_tests=True; a command other than `dbt build` made from
# its command line (`dbt run-operation ...`) leaves it out
UNIT_TESTS_LEFT_OUT = ["--exclude-resource-type", "unit_test"]


def other_command(command: list[str], *args: str) -> list[str]:
    """`dbt <args>` with the project, target and vars of build_invocation's `command`."""
    rest = command[2:]
    for index in range(len(rest) - 1):
        if rest[index : index + 2] == UNIT_TESTS_LEFT_OUT:
            rest = rest[:index] + rest[index + 2 :]
            break
    return [command[0], *args, *rest]


def dbt_build(
    raw_path: Path,
    work_dir: Path,
    as_of: str,
    extra_vars: dict | None = None,
    select: str | None = None,
    db_name: str = "warehouse.duckdb",
    flags: tuple[str, ...] = (),
    unit_tests: bool = False,
) -> DbtRun:
    """`dbt build` of the project on `raw_path` at `as_of`; the warehouse lives in work_dir."""
    command, env, db_path = build_invocation(
        raw_path, work_dir, as_of, extra_vars, select, db_name, flags, unit_tests
    )
    completed = subprocess.run(
        command, cwd=db_path.parent, env=env, capture_output=True, text=True, check=False
    )
    keep_saved_parse(work_dir / "target", extra_vars, db_name)
    return DbtRun(completed.returncode, completed.stdout + completed.stderr, db_path)


def dbt_command(
    args: list[str], work_dir: Path, db: str | Path = ":memory:", variables: dict | None = None
) -> subprocess.CompletedProcess:
    """`dbt <args>` other than a build (parse, compile, show): its target and logs in work_dir,
    on the warehouse `db` (in memory by default, enough for commands that only parse or
    compile). Not checked: the caller asserts on the return code and output."""
    command = project_command(args, work_dir)
    if variables:
        command += ["--vars", json.dumps(variables)]
    env = {**os.environ, "RATED_EVENTS_DB": str(db), "DBT_LOG_PATH": str(work_dir / "logs")}
    return subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False
    )


def project_command(args: list[str], work_dir: Path) -> list[str]:
    """`dbt <args>` on this project and its profiles, with dbt's target folder in work_dir."""
    return [
        str(DBT),
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(work_dir / "target"),
    ]
