"""Run `dbt build` on a raw folder in a subprocess, each run with its own DuckDB file."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
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
        duckdb.connect(str(db_path)).close()


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
) -> tuple[list[str], dict[str, str], Path]:
    """The `dbt build` command line, environment and warehouse path of one test build.

    Run it with `cwd=db_path.parent`: the warehouse is named relative to the work folder, and
    as_of and the raw folder travel as environment variables, so every test build has the same
    profile and vars and starts from the parse an earlier build left (see `warm_parse`)."""

    work_dir.mkdir(parents=True, exist_ok=True)
    db_path = work_dir / db_name
    prepare_warehouse(db_path)
    env = {
        **os.environ,
        "RATED_EVENTS_DB": db_name,
        "RATED_EVENTS_AS_OF": as_of,
        # the usual work_dir/raw is named relative to the work folder too: a path rendered into
        # the sources' definitions that differed per build would make dbt parse them again
        "RATED_EVENTS_RAW_PATH": (
            "raw" if raw_path.resolve() == (work_dir / "raw").resolve() else str(raw_path)
        ),
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
    ]
    if extra_vars:
        command += ["--vars", json.dumps(extra_vars)]
    if select:
        # only tests whose every parent is selected: a test that also reads later models
        # would otherwise run against tables this build never made
        command += ["--select", select, "--indirect-selection", "cautious"]
    command += list(flags)
    warm_parse(work_dir / "target")
    return command, env, db_path


# dbt keeps its parse of the project in target/partial_parse.msgpack and reuses it when the
# project files, profile and command-line vars are unchanged. A test build copies the parse the
# first build of the session left, saving a full parse (seconds) per build; dbt itself decides
# whether the copy still fits and parses afresh when it does not.
_PARSE_CACHE = Path(tempfile.gettempdir()) / f"rated-events-parse-{os.getpid()}.msgpack"
atexit.register(_PARSE_CACHE.unlink, missing_ok=True)


def warm_parse(target_dir: Path) -> None:
    """Seed a build's target folder with the session's parse, or keep its parse for the next."""
    saved = target_dir / "partial_parse.msgpack"
    if saved.exists():
        return
    if _PARSE_CACHE.exists():
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_PARSE_CACHE, saved)


def remember_parse(target_dir: Path) -> None:
    saved = target_dir / "partial_parse.msgpack"
    if saved.exists() and not _PARSE_CACHE.exists():
        shutil.copyfile(saved, _PARSE_CACHE)


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
        command, cwd=db_path.parent, env=env, capture_output=True, text=True, check=False
    )
    if not extra_vars and db_name == "warehouse.duckdb":
        remember_parse(work_dir / "target")
    return DbtRun(completed.returncode, completed.stdout + completed.stderr, db_path)
