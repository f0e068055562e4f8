"""What the command-line scripts share: which warehouse to read, and opening it with one line
(not a traceback) when that cannot be done.

    from .cli import add_db_argument, fail, open_warehouse

    add_db_argument(parser)  # --db, else $RATED_EVENTS_DB, else warehouse/rated_events.duckdb
    with open_warehouse(args.db) as connection:  # read-only unless read_only=False
        ...

`open_warehouse` prints one line on stderr and exits with code 2 when the file is missing (it is
never created), when another process holds it (DuckDB locks the file against every other
process while `dbt build` or an export writes it, even against readers), or when DuckDB cannot
open it at all.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import NoReturn

import duckdb

DEFAULT_DB = Path("warehouse/rated_events.duckdb")
# DuckDB: Could not set lock on file "<path>": Conflicting lock is held in <program> (PID <n>)...
LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def default_db() -> Path:
    """$RATED_EVENTS_DB if set, else warehouse/rated_events.duckdb (relative to the cwd)."""
    return Path(os.environ.get("RATED_EVENTS_DB") or DEFAULT_DB)


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=default_db(),
        help="DuckDB warehouse file (default: $RATED_EVENTS_DB or warehouse/rated_events.duckdb)",
    )


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line on stderr and exit."""
    print(message, file=sys.stderr)
    raise SystemExit(code)


def holder_name(program: str, pid: int) -> str:
    """The program holding the lock: `dbt` rather than `python3.11` when the holder runs a Python
    script (read from /proc on Linux; the executable's name elsewhere)."""
    name = Path(program).name
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return name
    if name.startswith("python") and len(argv) > 1 and argv[1] and not argv[1].startswith("-"):
        return Path(argv[1]).name
    return name


def open_warehouse(path: Path | str, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file `path`, or one line on stderr and exit code 2."""
    path = Path(path)
    if not path.is_file():
        fail(f"no warehouse at {path}: run `make run` first")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:
        held = LOCK_HOLDER.search(str(error))
        if held:
            holder = holder_name(held["program"], int(held["pid"]))
            fail(
                f"{path} is in use by {holder} (PID {held['pid']}): "
                "wait for it to finish, then run this again"
            )
        if not path.is_file():  # removed since the check above
            fail(f"no warehouse at {path}: run `make run` first")
        fail(f"cannot open the warehouse {path}: {str(error).splitlines()[0]}")
