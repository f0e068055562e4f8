"""Scenarios for the tests: configuration objects, events, and the raw folder they become.

The tests describe scenarios as dicts shaped like Metronome's API objects (rules section 3).
The builders below (`customer`, `metric`, `product`, `rate_card`, `conversion`, `rate`,
`contract`, `schedule_item`, `commit`, `credit`) are the one place such a dict is spelled, with
every field of the input contract and the project's usual defaults; a test names only what
matters to it.
`write_raw` is the only place that knows the on-disk layout, so every test and the reference
rater read the same files that `dbt build` reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from rated_events_tools.generate.files import CONFIG_FILES

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


# ------------------------------------------------------------------ configuration objects
def customer(customer_id: str, *, name: str | None = None, ingest_aliases=()) -> dict:
    return {"id": customer_id, "name": name or customer_id, "ingest_aliases": list(ingest_aliases)}


def metric(
    metric_id: str,
    *,
    event_types: list[str] | None = None,
    aggregation: str = "SUM",
    key: str | None = None,
    filters=(),
    group_keys=(),
    name: str | None = None,
) -> dict:
    """A billable metric; `event_types` None means no event type filter."""
    return {
        "id": metric_id,
        "name": name or metric_id,
        "event_type_filter": None if event_types is None else {"in_values": list(event_types)},
        "property_filters": list(filters),
        "aggregation_type": aggregation,
        "aggregation_key": key,
        "group_keys": list(group_keys),
    }


def product(
    product_id: str,
    metric_id: str | None,
    *,
    conversion: tuple[str, object] | None = None,
    rounding: tuple[str, int] | None = None,
    pricing_key: list[str] | None = None,
    presentation_key: list[str] | None = None,
    tags=(),
    kind: str = "USAGE",
    name: str | None = None,
) -> dict:
    """A product; `conversion` is (operation, factor), e.g. ("DIVIDE", 1000000), and `rounding`
    (method, decimal places), e.g. ("ROUND_UP", 0)."""
    return {
        "id": product_id,
        "name": name or product_id,
        "type": kind,
        "billable_metric_id": metric_id,
        "quantity_conversion": (
            None
            if conversion is None
            else {"conversion_factor": conversion[1], "operation": conversion[0]}
        ),
        "quantity_rounding": (
            None
            if rounding is None
            else {"decimal_places": rounding[1], "rounding_method": rounding[0]}
        ),
        "pricing_group_key": pricing_key,
        "presentation_group_key": presentation_key,
        "tags": list(tags),
    }


def rate_card(
    card_id: str, *, name: str | None = None, fiat: str = "USD_CENTS", conversions=()
) -> dict:
    """A rate card; `conversions` are `conversion(...)` items (custom credit type -> fiat)."""
    return {
        "id": card_id,
        "name": name or card_id,
        "fiat_credit_type_id": fiat,
        "credit_type_conversions": list(conversions),
    }


def conversion(custom_credit_type_id: str, fiat_per_custom_credit: object) -> dict:
    """One `credit_type_conversions` item of a rate card: what one custom credit is worth in the
    card's fiat type."""
    return {
        "custom_credit_type_id": custom_credit_type_id,
        "fiat_per_custom_credit": fiat_per_custom_credit,
    }


def rate(
    card_id: str,
    product_id: str,
    *,
    start: str,
    end: str | None = None,
    price: object = None,
    tiers: list[dict] | None = None,
    entitled: bool = True,
    group_values: dict | None = None,
    credit_type_id: str | None = None,
    rate_type: str | None = None,
) -> dict:
    """A list rate: `rate_type` FLAT, TIERED or VOLUME; by default TIERED when `tiers` are
    given, FLAT otherwise. `credit_type_id` None = the card's fiat type."""
    return {
        "rate_card_id": card_id,
        "product_id": product_id,
        "starting_at": start,
        "ending_before": end,
        "entitled": entitled,
        "rate_type": rate_type or ("TIERED" if tiers else "FLAT"),
        "price": price,
        "tiers": tiers,
        "pricing_group_values": group_values,
        "credit_type_id": credit_type_id,
    }


def contract(
    contract_id: str,
    customer_id: str,
    card_id: str,
    *,
    start: str,
    end: str | None = None,
    frequency: str = "MONTHLY",
    day: str = "FIRST_OF_MONTH",
    anchor: str | None = None,
    prioritization: str | None = None,
) -> dict:
    return {
        "id": contract_id,
        "customer_id": customer_id,
        "rate_card_id": card_id,
        "starting_at": start,
        "ending_before": end,
        "usage_statement_schedule": {
            "frequency": frequency,
            "day": day,
            "billing_anchor_date": anchor,
        },
        "multiplier_override_prioritization": prioritization,
    }


def schedule_item(item_id: str, amount: object, start: str, end: str | None) -> dict:
    """One access-schedule segment (or invoice-schedule item) of a commit or credit."""
    return {"id": item_id, "amount": amount, "starting_at": start, "ending_before": end}


def credit(
    credit_id: str,
    contract_id: str,
    product_id: str,
    segments: list[dict],
    *,
    product_ids: list[str] | None = None,
    product_tags: list[str] | None = None,
    priority: object = None,
    name: str | None = None,
    credit_type_id: str | None = None,
) -> dict:
    """A credit; `credit_type_id` None = the fiat type of its contract's rate card."""
    return {
        "id": credit_id,
        "contract_id": contract_id,
        "name": name or credit_id,
        "product_id": product_id,
        "credit_type_id": credit_type_id,
        "access_schedule": {"schedule_items": segments},
        "applicable_product_ids": product_ids,
        "applicable_product_tags": product_tags,
        "priority": priority,
    }


def commit(
    commit_id: str,
    contract_id: str,
    product_id: str,
    segments: list[dict],
    *,
    kind: str = "PREPAID",
    invoice_schedule: dict | None = None,
    **balance,
) -> dict:
    """A PREPAID or POSTPAID commit: a credit's fields plus `type` and `invoice_schedule`."""
    row = credit(commit_id, contract_id, product_id, segments, **balance)
    return {**row, "type": kind, "invoice_schedule": invoice_schedule}


# -------------------------------------------------------------------------------- events
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
