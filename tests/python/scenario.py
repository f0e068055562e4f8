"""Write a raw input folder (rules section 3) from plain Python objects.

The tests describe scenarios as dicts shaped like Metronome's API objects; this module is the
only place that knows the on-disk layout, so every test and the reference rater read the same
files that `dbt build` reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

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


@dataclass
class Scenario:
    """A raw folder's content. `event_files` maps a file name under events/ to its rows."""

    customers: list[dict] = field(default_factory=list)
    billable_metrics: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    rate_cards: list[dict] = field(default_factory=list)
    rates: list[dict] = field(default_factory=list)
    contracts: list[dict] = field(default_factory=list)
    overrides: list[dict] = field(default_factory=list)
    commits: list[dict] = field(default_factory=list)
    credits: list[dict] = field(default_factory=list)
    event_files: dict[str, list[dict]] = field(default_factory=dict)

    def add_events(self, rows: list[dict], file_name: str = "events-0000.parquet") -> None:
        self.event_files.setdefault(file_name, []).extend(rows)

    def merge(self, other: Scenario) -> None:
        """Append another scenario's objects (callers keep ids disjoint)."""
        for name in CONFIG_FILES:
            getattr(self, name).extend(getattr(other, name))
        for file_name, rows in other.event_files.items():
            self.add_events(rows, file_name)


def parse_utc(text: str) -> datetime:
    """'2026-01-01T00:00:00Z' -> aware UTC datetime (test helper for received_at values)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def event(
    transaction_id: str | None,
    customer_id: str | None,
    event_type: str | None,
    timestamp: str | None,
    properties: dict | str | None,
    received_at: str | datetime,
) -> dict:
    """One raw event row; a dict `properties` is serialised to JSON text, a str is kept as is."""
    if isinstance(properties, dict):
        properties = json.dumps(properties)
    if isinstance(received_at, str):
        received_at = parse_utc(received_at)
    return {
        "transaction_id": transaction_id,
        "customer_id": customer_id,
        "event_type": event_type,
        "timestamp": timestamp,
        "properties": properties,
        "received_at": received_at,
    }


def write_raw(folder: Path, scenario: Scenario) -> Path:
    """Write `scenario` as a raw folder: events/*.parquet plus one JSONL file per config object."""
    folder = Path(folder)
    (folder / "events").mkdir(parents=True, exist_ok=True)
    for name in CONFIG_FILES:
        rows = getattr(scenario, name)
        text = "".join(json.dumps(row) + "\n" for row in rows)
        (folder / f"{name}.jsonl").write_text(text, encoding="utf-8")
    files = scenario.event_files or {"events-0000.parquet": []}
    for file_name, rows in files.items():
        table = pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)
        pq.write_table(table, folder / "events" / file_name)
    return folder
