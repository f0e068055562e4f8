"""What every command shares: which warehouse and raw folder to read, the argument types, one
table printer, and failing with one line (not a traceback).

    from .cli import add_db_argument, fail, open_warehouse, parser_for, table

    parser = parser_for(__doc__)  # --help shows the module's description
    add_db_argument(parser)  # --db, else $RATED_EVENTS_DB, else warehouse/rated_events.duckdb
    add_raw_argument(parser)  # --raw, else $RATED_EVENTS_RAW_PATH, else data/raw
    with open_warehouse(args.db) as connection:  # read-only unless read_only=False
        ...

`open_warehouse` (and `open_reader`, for SQL compiled by dbt) prints one line on stderr and
exits with code 2 when the file is missing (it is never created), when another process holds it
(DuckDB locks the file against every other process while `dbt build` or an export writes it,
even against readers), or when DuckDB cannot open it at all.

Printed values (`render`): null as `-`, decimals in plain notation without trailing zeros (`0`,
`2.5`, never `0E-12`), timestamps in RFC 3339 UTC (`2026-06-01T00:00:00Z`).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import NoReturn

import duckdb

from .sqlsafe import quote_identifier, quote_literal

DEFAULT_DB = Path("warehouse/rated_events.duckdb")
DEFAULT_RAW = Path("data/raw")
DEFAULT_AS_OF = "2026-06-15T00:00:00Z"
# The storage format of every file readers open (the published warehouse, publish snapshots):
# the oldest one the README's `duckdb` command line (duckdb-cli, whose newest release on PyPI is
# 1.5.6) reads. The Python package that builds is newer (2.0), and by default writes files only
# 2.0 opens. The build workspace no reader opens keeps the newest format.
READER_STORAGE_VERSION = "v1.5.0"
# DuckDB: Could not set lock on file "<path>": Conflicting lock is held in <program> (PID <n>)...
LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


# --- which warehouse, which raw folder, which as_of ----------------------------------------


def default_db() -> Path:
    """$RATED_EVENTS_DB if set, else warehouse/rated_events.duckdb (relative to the cwd)."""
    return Path(os.environ.get("RATED_EVENTS_DB") or DEFAULT_DB)


def default_raw() -> Path:
    """$RATED_EVENTS_RAW_PATH if set, else data/raw (relative to the cwd)."""
    return Path(os.environ.get("RATED_EVENTS_RAW_PATH") or DEFAULT_RAW)


def default_as_of() -> str:
    """$RATED_EVENTS_AS_OF if set, else the sample data's as_of, 2026-06-15T00:00:00Z."""
    return os.environ.get("RATED_EVENTS_AS_OF") or DEFAULT_AS_OF


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=default_db(),
        help="the DuckDB warehouse file "
        "(default: $RATED_EVENTS_DB, else warehouse/rated_events.duckdb)",
    )


def add_raw_argument(parser: argparse.ArgumentParser, *aliases: str, help: str) -> None:
    """--raw (and `aliases`, e.g. --out): the raw input folder."""
    parser.add_argument(
        "--raw",
        *aliases,
        dest="raw",
        type=Path,
        default=default_raw(),
        help=f"{help} (default: $RATED_EVENTS_RAW_PATH, else data/raw)",
    )


def add_as_of_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """--as-of (alias --as_of), an RFC 3339 timestamp with a zone, as an aware UTC datetime."""
    parser.add_argument(
        "--as-of",
        "--as_of",
        dest="as_of",
        type=timestamp_arg,
        default=default_as_of(),
        help=f"{help} (RFC 3339; default: $RATED_EVENTS_AS_OF, else {DEFAULT_AS_OF})",
    )


def parser_for(doc: str | None, **kwargs) -> argparse.ArgumentParser:
    """A parser whose --help shows the command's docstring: its first paragraph as the
    description, the rest after the options."""
    text = (doc or "").strip()
    description, _, epilog = text.partition("\n\n")
    return argparse.ArgumentParser(
        description=textwrap.fill(" ".join(description.split()), 78),
        epilog=epilog or None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **kwargs,
    )


# --- argument types ------------------------------------------------------------------------


def count_arg(text: str) -> int:
    """A non-negative whole number; '1e6' and '1_000_000' are accepted."""
    try:
        value = float(text.replace("_", ""))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if value < 0 or value != int(value):
        raise argparse.ArgumentTypeError(f"need a non-negative whole number: {text!r}")
    return int(value)


def parse_timestamp(text: str, zone_required: bool = True) -> datetime:
    """RFC 3339 text ('2026-06-15T00:00:00Z', '2026-06-15T02:00:00+02:00') -> aware UTC
    datetime. Without `zone_required`, a date or a timestamp without zone is read as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        if zone_required:
            raise ValueError(f"timestamp needs a zone: {text!r}")
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def timestamp_arg(text: str) -> datetime:
    """An RFC 3339 timestamp with a zone, as an aware UTC datetime."""
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 timestamp with zone: {text!r}") from exc


def utc_timestamp_arg(text: str) -> datetime:
    """A date or timestamp, UTC unless it names a zone, as an aware UTC datetime."""
    try:
        return parse_timestamp(text, zone_required=False)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date or timestamp: {text!r}") from exc


def rfc3339(value: datetime) -> str:
    """'2026-06-01T00:00:00Z' (fraction only when there is one); naive values are UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


# --- printing ------------------------------------------------------------------------------


def render(value) -> str:
    """One printed value: `-` for null, plain decimals, RFC 3339 timestamps, else str()."""
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        text = f"{value:f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence],
    title: str | None = None,
    right: Iterable[str] = (),
) -> str:
    """A plain text table: a header, a rule and one line per row, columns padded (those named
    in `right` aligned right). With a title, the first line is `title (number of rows)` and the
    table is indented below it (nothing more when there are no rows). Values are printed with
    `render`, never evaluated."""
    cells = [[render(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    aligned_right = set(right)
    lines = []
    for row in [list(headers), ["-" * w for w in widths], *cells]:
        padded = [
            cell.rjust(width) if header in aligned_right else cell.ljust(width)
            for header, cell, width in zip(headers, row, widths, strict=True)
        ]
        lines.append("  ".join(padded).rstrip())
    if title is None:
        return "\n".join(lines)
    if not cells:
        return f"{title} (0)"
    return "\n".join([f"{title} ({len(cells)})", *("  " + line for line in lines)])


# --- failing, opening the warehouse --------------------------------------------------------


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


def fail_to_open(path: Path, error: duckdb.Error) -> NoReturn:
    held = LOCK_HOLDER.search(str(error))
    if held:
        holder = holder_name(held["program"], int(held["pid"]))
        fail(
            f"{path} is in use by {holder} (PID {held['pid']}): "
            "wait for it to finish, then run this again"
        )
    if not path.is_file():  # removed since it was checked
        fail(f"no warehouse at {path}: run `make run` first")
    fail(f"cannot open the warehouse {path}: {str(error).splitlines()[0]}")


def create_warehouse_file(path: Path | str) -> None:
    """An empty warehouse file at `path`, in the format readers open (READER_STORAGE_VERSION)."""
    duckdb.connect(
        str(path), config={"storage_compatibility_version": READER_STORAGE_VERSION}
    ).close()


def open_warehouse(path: Path | str, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file `path`, or one line on stderr and exit code 2."""
    path = Path(path)
    if not path.is_file():
        fail(f"no warehouse at {path}: run `make run` first")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:
        fail_to_open(path, error)


# dbt compiles against an in-memory DuckDB (dbt_macros), so the SQL it renders names relations
# "memory"."main".<name>: the reader's own in-memory catalog is "memory"
COMPILED_CATALOG = "memory"


def open_reader(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A connection in which SQL compiled by dbt (`dbt_macros.compile_inline`) reads the
    warehouse `path`: an in-memory DuckDB (UTC, as the profile sets it) with the warehouse
    attached read-only under its own name, and a view in "memory"."main" for each of its tables
    and views. One line on stderr and exit code 2 as for open_warehouse."""
    path = Path(path)
    if not path.is_file():
        fail(f"no warehouse at {path}: run `make run` first")
    connection = duckdb.connect(":memory:")
    try:
        connection.execute("set TimeZone = 'UTC'")
        catalog = (
            path.stem if path.stem.lower() not in ("memory", "system", "temp") else "warehouse"
        )
        try:
            connection.execute(
                f"attach {quote_literal(str(path))} as {quote_identifier(catalog)} (read_only)"
            )
        except duckdb.Error as error:
            fail_to_open(path, error)
        names = connection.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = ? and table_schema = 'main' order by table_name",
            [catalog],
        ).fetchall()
        for (name,) in names:
            connection.execute(
                f"create view {COMPILED_CATALOG}.main.{quote_identifier(name)} as select * from "
                f"{quote_identifier(catalog)}.main.{quote_identifier(name)}"
            )
    except BaseException:
        connection.close()
        raise
    return connection
