"""Reading, validating and deduplicating raw events (rules 3, 4.1, 4.2, 6, 8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from .values import canonical_text, is_missing, parse_properties, parse_rfc3339


@dataclass(frozen=True)
class RawEvent:
    """One row of an events/*.parquet file, as stored."""

    source_file: str  # relative to the raw folder, e.g. "events/events-0000.parquet"
    source_row: int
    transaction_id: str | None
    customer_id: str | None
    event_type: str | None
    timestamp: str | None
    properties: str | None
    received_at: datetime | None


@dataclass(frozen=True)
class AcceptedEvent:
    """An event that passed rules 4.1 validation, with its parsed timestamp and properties."""

    raw: RawEvent
    timestamp: datetime
    properties: dict[str, Any]
    values: dict[str, str]  # property -> canonical comparison text (rules 8)

    @property
    def ordering_key(self) -> tuple[datetime, str, datetime]:
        """Rules 4: (timestamp, transaction_id, received_at)."""
        return (self.timestamp, self.raw.transaction_id, self.raw.received_at)


def read_events(raw_path: Path) -> list[RawEvent]:
    """Every row of every events/*.parquet file, files sorted by name (rules 3)."""
    rows: list[RawEvent] = []
    for path in sorted((raw_path / "events").glob("*.parquet"), key=lambda p: p.name):
        relative = path.relative_to(raw_path).as_posix()
        for i, row in enumerate(pq.read_table(path).to_pylist()):
            received = row.get("received_at")
            if received is not None:
                received = received.astimezone(UTC)
            rows.append(
                RawEvent(
                    source_file=relative,
                    source_row=i,
                    transaction_id=row.get("transaction_id"),
                    customer_id=row.get("customer_id"),
                    event_type=row.get("event_type"),
                    timestamp=row.get("timestamp"),
                    properties=row.get("properties"),
                    received_at=received,
                )
            )
    return rows


def validate(raw: RawEvent, max_backdate_days: int, max_future_hours: int) -> AcceptedEvent | str:
    """Rules 4.1 / 6: the accepted event, or the rejection code (MALFORMED_EVENT,
    TIMESTAMP_IN_FUTURE, TIMESTAMP_TOO_OLD), in the table's order."""
    if any(is_missing(v) for v in (raw.transaction_id, raw.customer_id, raw.event_type)):
        return "MALFORMED_EVENT"
    timestamp = parse_rfc3339(raw.timestamp)
    properties = parse_properties(raw.properties)
    if timestamp is None or properties is None:
        return "MALFORMED_EVENT"
    if timestamp - raw.received_at > timedelta(hours=max_future_hours):
        return "TIMESTAMP_IN_FUTURE"
    if raw.received_at - timestamp > timedelta(days=max_backdate_days):
        return "TIMESTAMP_TOO_OLD"
    values = {key: canonical_text(value) for key, value in properties.items()}
    return AcceptedEvent(raw=raw, timestamp=timestamp, properties=properties, values=values)


def _nulls_last(text: str | None) -> tuple[bool, str]:
    return (text is None, text or "")


def dedupe_order_key(event: AcceptedEvent) -> tuple:
    """Rules 4.2 order within a transaction_id: received_at, timestamp, properties text,
    customer_id, event_type (nulls last), then the source position."""
    raw = event.raw
    return (
        raw.received_at,
        event.timestamp,
        _nulls_last(raw.properties),
        _nulls_last(raw.customer_id),
        _nulls_last(raw.event_type),
        raw.source_file,
        raw.source_row,
    )


def duplicates(accepted: list[AcceptedEvent], window_days: int) -> set[tuple[str, int]]:
    """Rules 4.2: (source_file, source_row) of every event received at most `window_days` after
    the previous accepted event of its transaction_id (a chain, exact seconds)."""
    by_transaction: dict[str, list[AcceptedEvent]] = {}
    for event in accepted:
        by_transaction.setdefault(event.raw.transaction_id, []).append(event)
    window = timedelta(days=window_days)
    found: set[tuple[str, int]] = set()
    for events in by_transaction.values():
        events.sort(key=dedupe_order_key)
        for previous, current in pairwise(events):
            if current.raw.received_at - previous.raw.received_at <= window:
                found.add((current.raw.source_file, current.raw.source_row))
    return found
