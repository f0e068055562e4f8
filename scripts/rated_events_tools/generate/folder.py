"""A whole raw folder (`generate`), and one more day of events for a daily run (`add_day`)."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from ..sqlsafe import quote_literal
from .customers import build_config
from .events import build_events, plan_counts
from .files import write_config, write_events
from .progress import Progress
from .timeline import Timeline

# above this many events, generate() builds them in a scratch database file under this limit
IN_MEMORY_EVENTS = 10_000_000
SCRATCH_MEMORY_LIMIT = "4GB"


def generate(
    out: Path,
    events: int,
    customers: int,
    months: int,
    seed: int,
    as_of: datetime,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write the whole raw folder; returns the rows per event kind."""
    tl = Timeline.build(as_of, months)
    cfg = build_config(tl, customers, events, seed)
    counts = plan_counts(events, cfg)
    out.mkdir(parents=True, exist_ok=True)
    write_config(out, cfg)
    bar = progress or Progress(events)
    # up to 10M events the tables live in memory; beyond, in a scratch database beside the
    # output with a memory limit, so DuckDB spills to disk (50M events in memory outgrow 20 GB)
    scratch = out.parent / f".{out.name}-generating.duckdb" if events > IN_MEMORY_EVENTS else None
    if scratch is not None:
        remove_database(scratch)
    con = duckdb.connect(str(scratch) if scratch is not None else ":memory:")
    try:
        con.execute(f"set threads = {min(4, os.cpu_count() or 1)}")
        con.execute("set TimeZone = 'UTC'")
        con.execute("set preserve_insertion_order = true")
        if scratch is not None:
            con.execute(f"set memory_limit = '{SCRATCH_MEMORY_LIMIT}'")
        build_events(con, cfg, counts, tl, seed, bar.step)
        bar.step(f"writing {events:,} events")
        write_events(con, out, events, bar.show)
    finally:
        con.close()
        bar.close()
        if scratch is not None:
            remove_database(scratch)
    return counts


def remove_database(path: Path) -> None:
    """A DuckDB database file with its write-ahead log and spill folder."""
    for leftover in (path, Path(f"{path}.wal"), Path(f"{path}.tmp")):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink(missing_ok=True)


def add_day(out: Path, as_of: datetime) -> tuple[Path, int]:
    """One more day of events for a daily incremental run at as_of + 1 day: the events received
    in (as_of - 1 day, as_of], each one day later, with transaction ids prefixed by the new day
    (so they are new events, and copies of one event stay duplicates of each other). Timestamps
    that parse are rewritten in canonical UTC form; malformed ones are kept as they are."""
    day = as_of + timedelta(days=1)
    target = out / "events" / f"day-{day:%Y%m%d}.parquet"
    if target.exists():
        target.unlink()
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set preserve_insertion_order = true")
        con.execute(
            """
            copy (
                select
                    'd' || strftime(?::timestamptz, '%Y%m%d') || '-' || transaction_id
                        as transaction_id,
                    customer_id,
                    event_type,
                    coalesce(
                        strftime(
                            try_cast(timestamp as timestamptz) + interval 1 day,
                            '%Y-%m-%dT%H:%M:%S.%fZ'
                        ),
                        timestamp
                    ) as timestamp,
                    properties,
                    received_at + interval 1 day as received_at
                from read_parquet(?, filename = true, file_row_number = true)
                where received_at > ?::timestamptz - interval 1 day
                    and received_at <= ?::timestamptz
                order by filename, file_row_number
            ) to {{target}} (format parquet)
            """.replace("{{target}}", quote_literal(str(target))),
            [day, str(out / "events" / "*.parquet"), as_of, as_of],
        )
        rows = con.execute("select count(*) from read_parquet(?)", [str(target)]).fetchone()[0]
    finally:
        con.close()
    return target, rows
