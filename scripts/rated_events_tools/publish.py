"""Publish the marts to a read-only snapshot dashboards can read while a build runs.

Usage (after `dbt build`, not during it):
    .venv/bin/python scripts/publish.py --db warehouse/rated_events.duckdb \
        --dest warehouse/published

DuckDB locks its file per process: while `dbt build` writes the warehouse, no other process can
open it, not even read-only (`IO Error: Could not set lock on file ...`). So dashboards read a
published copy instead:

1. every mart of the warehouse (tables and views named `fct_*`, `dim_*`, `rpt_*`; views are
   materialized as tables) is copied with `CREATE TABLE ... AS SELECT` into a fresh file, first
   under a temporary name `.published-<UTC timestamp>.duckdb.partial`, renamed to
   `published-<UTC timestamp>.duckdb` once complete and closed;
2. `DEST/current.duckdb`, a symbolic link, is pointed at the new file atomically (a new link under
   a temporary name, then `os.replace`): a reader opening `current.duckdb` gets either the old
   snapshot or the new one, never a half-written file;
3. older snapshots are deleted, except the previous one (the file `current.duckdb` pointed at
   before the swap). A reader still holding an older file open keeps reading it: on Linux a
   deleted file stays readable through its open handle.

Dashboards open `DEST/current.duckdb` read-only (`duckdb.connect(path, read_only=True)`, or
`ATTACH '.../current.duckdb' (READ_ONLY)`) and reconnect to see a newer publish. Each snapshot
also holds `_publish_info` (published_at, source warehouse, tables). Run one publish at a time.
Exit codes: 0 published, 1 no marts found, 2 the warehouse is locked (a build is running) or
missing.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .cli import READER_STORAGE_VERSION, add_db_argument, parser_for
from .sqlsafe import quote_identifier, quote_literal

MART_PREFIXES = ("fct_", "dim_", "rpt_")
CURRENT = "current.duckdb"
SNAPSHOT_PREFIX = "published-"
SNAPSHOT_SUFFIX = ".duckdb"
TARGET_ALIAS = "publish_target"


def mart_names(connection: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    """(schema, name) of every mart table or view in the attached warehouse `catalog`."""
    rows = connection.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? order by table_schema, table_name",
        [catalog],
    ).fetchall()
    return [(schema, name) for schema, name in rows if name.startswith(MART_PREFIXES)]


def snapshot_name(dest: Path) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{SNAPSHOT_PREFIX}{stamp}{SNAPSHOT_SUFFIX}"
    suffix = 1
    while (dest / name).exists():
        name = f"{SNAPSHOT_PREFIX}{stamp}-{suffix}{SNAPSHOT_SUFFIX}"
        suffix += 1
    return name


def write_snapshot(db: Path, partial: Path) -> list[str]:
    """Copy the marts of `db` into the new file `partial`; returns the tables written."""
    catalog = db.stem
    if catalog == TARGET_ALIAS:
        raise SystemExit(f"publish: rename the warehouse file; {db.name} clashes with an alias")
    connection = duckdb.connect()
    try:
        # the warehouse's views name their tables as <file stem>.main.<table>: attach it under
        # its own stem so they resolve
        connection.execute(
            f"attach {quote_literal(str(db))} as {quote_identifier(catalog)} (read_only)"
        )
        connection.execute(
            f"attach {quote_literal(str(partial))} as {TARGET_ALIAS} "
            f"(storage_version {quote_literal(READER_STORAGE_VERSION)})"
        )
        marts = mart_names(connection, catalog)
        written = []
        for schema, name in marts:
            if schema != "main":
                connection.execute(
                    f"create schema if not exists {TARGET_ALIAS}.{quote_identifier(schema)}"
                )
            source = ".".join(quote_identifier(part) for part in (catalog, schema, name))
            target = f"{TARGET_ALIAS}.{quote_identifier(schema)}.{quote_identifier(name)}"
            connection.execute(f"create table {target} as select * from {source}")
            written.append(name if schema == "main" else f"{schema}.{name}")
        connection.execute(
            f"create table {TARGET_ALIAS}.main._publish_info as "
            "select ?::timestamp as published_at, ? as source_warehouse, ?::varchar[] as tables",
            [datetime.now(UTC).replace(tzinfo=None), str(db), written],
        )
        connection.execute(f"detach {TARGET_ALIAS}")
        connection.execute(f"detach {quote_identifier(catalog)}")
    finally:
        connection.close()
    return written


def point_current(dest: Path, snapshot: str) -> str | None:
    """Atomically point DEST/current.duckdb at `snapshot`; returns the previous target name."""
    current = dest / CURRENT
    previous = os.readlink(current) if current.is_symlink() else None
    temporary = dest / f".{CURRENT}.{os.getpid()}.tmp"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(snapshot, temporary)  # relative: the folder can move
    os.replace(temporary, current)
    return previous


def prune(dest: Path, keep: set[str]) -> list[str]:
    removed = []
    for path in sorted(dest.glob(f"{SNAPSHOT_PREFIX}*{SNAPSHOT_SUFFIX}")):
        if path.name not in keep and not path.is_symlink():
            path.unlink()
            removed.append(path.name)
    for path in dest.glob(f".{SNAPSHOT_PREFIX}*{SNAPSHOT_SUFFIX}.partial"):
        if path.name not in keep:  # left by a publish that was killed
            path.unlink()
            removed.append(path.name)
    return removed


def publish(db: Path, dest: Path) -> tuple[Path, list[str]]:
    dest.mkdir(parents=True, exist_ok=True)
    name = snapshot_name(dest)
    partial = dest / f".{name}.partial"
    try:
        tables = write_snapshot(db, partial)
    except BaseException:
        for leftover in (partial, Path(f"{partial}.wal")):
            leftover.unlink(missing_ok=True)
        raise
    if not tables:
        partial.unlink(missing_ok=True)
        raise LookupError(f"no marts ({', '.join(MART_PREFIXES)}...) in {db}: build it first")
    os.replace(partial, dest / name)
    previous = point_current(dest, name)
    prune(dest, {name, previous or name})
    return dest / name, tables


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = parser_for(__doc__)
    add_db_argument(parser)
    parser.add_argument(
        "--dest",
        default="warehouse/published",
        type=Path,
        help="the snapshot folder (default: warehouse/published)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    db, dest = args.db.resolve(), args.dest.resolve()
    if not db.is_file():
        print(f"publish: no warehouse at {db}: run `make run` (dbt build) first", file=sys.stderr)
        return 2
    try:
        snapshot, tables = publish(db, dest)
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        print(
            f"publish: the warehouse {db} is locked by another process (a dbt build still "
            f"running?); publish after it finishes. DuckDB said: {error}",
            file=sys.stderr,
        )
        return 2
    except LookupError as error:
        print(f"publish: {error}", file=sys.stderr)
        return 1
    print(f"published {len(tables)} marts to {snapshot}; {dest / CURRENT} -> {snapshot.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
