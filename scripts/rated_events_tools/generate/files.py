"""Writing the raw folder: the configuration files (JSONL) and the events files (Parquet)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from .customers import Config


CONFIG_FILES = (
    "customers",
    "billable_metrics",
    "products",
    "rate_cards",
    "rates",
    "contracts",
    "overrides",
    "commits",
    "credits",
)

# optional inputs: the warehouse builds without them
OPTIONAL_FILES = ("unit_costs", "alerts")

EVENT_SCHEMA = pa.schema(
    [
        ("transaction_id", pa.string()),
        ("customer_id", pa.string()),
        ("event_type", pa.string()),
        ("timestamp", pa.string()),
        ("properties", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
    ]
)

ROWS_PER_FILE = 1_000_000
BATCH_ROWS = 100_000


def write_config(out: Path, cfg: Config) -> None:
    for name in (*CONFIG_FILES, *OPTIONAL_FILES):
        text = "".join(json.dumps(row) + "\n" for row in cfg.objects.get(name, []))
        (out / f"{name}.jsonl").write_text(text, encoding="utf-8")


def file_sizes(total: int) -> list[int]:
    """Rows per events file: ~1M each, at least 2 files when there are 2+ events."""
    files = max(2, math.ceil(total / ROWS_PER_FILE)) if total >= 2 else 1
    base, extra = divmod(total, files)
    return [base + (1 if k < extra else 0) for k in range(files)]


def write_events(
    con: duckdb.DuckDBPyConnection, out: Path, total: int, progress: Callable[[int], None]
) -> int:
    """Stream table `events`, ordered by arrival, into events/events-NNNNN.parquet files."""
    folder = out / "events"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    sizes = file_sizes(total)
    query = (
        "select transaction_id, customer_id, event_type, timestamp, properties, "
        "received_at from events order by received_at, i"
    )
    reader = con.sql(query).to_arrow_reader(BATCH_ROWS)
    pending: list[pa.RecordBatch] = []
    written = 0
    for number, size in enumerate(sizes):
        with pq.ParquetWriter(folder / f"events-{number:05d}.parquet", EVENT_SCHEMA) as writer:
            remaining = size
            while remaining > 0:
                batch = pending.pop() if pending else reader.read_next_batch()
                take = min(remaining, batch.num_rows)
                writer.write_table(pa.Table.from_batches([batch.slice(0, take)]).cast(EVENT_SCHEMA))
                if take < batch.num_rows:
                    pending.append(batch.slice(take))
                remaining -= take
                written += take
                progress(written)
            if size == 0:
                writer.write_table(EVENT_SCHEMA.empty_table())
    return len(sizes)
