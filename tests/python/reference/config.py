"""Billing configuration of rules section 3, read from the raw folder's *.jsonl files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .values import canonical_text, loads_strict, parse_config_time, to_decimal

DEFAULT_CREDIT_TYPE = "USD_CENTS"


@dataclass(frozen=True)
class PropertyFilter:
    """Rules 3 billable_metrics.property_filters item; values held as canonical text (rules 8)."""

    name: str
    exists: bool | None
    in_values: frozenset[str] | None
    not_in_values: frozenset[str] | None


@dataclass(frozen=True)
class Metric:
    """Rules 3 billable_metrics.jsonl."""

    id: str
    event_types: frozenset[str] | None  # None = every event type
    excluded_event_types: frozenset[str] | None
    property_filters: tuple[PropertyFilter, ...]
    aggregation_type: str
    aggregation_key: str | None


@dataclass(frozen=True)
class Product:
    """Rules 3 products.jsonl."""

    id: str
    type: str
    billable_metric_id: str | None
    conversion_factor: Decimal | None
    conversion_operation: str | None
    rounding_places: int | None
    rounding_method: str | None
    pricing_group_key: tuple[str, ...]
    presentation_group_key: tuple[str, ...]
    tags: frozenset[str]


@dataclass(frozen=True)
class RateCard:
    """Rules 3 rate_cards.jsonl."""

    id: str
    fiat_credit_type_id: str


@dataclass(frozen=True)
class TierSpec:
    """One item of a `tiers` list: `size` is None for the last tier."""

    size: Decimal | None
    price: Decimal


@dataclass(frozen=True)
class RateSpec:
    """A price definition (list rate or overwrite_rate): FLAT price or TIERED tiers."""

    rate_type: str
    price: Decimal | None
    tiers: tuple[TierSpec, ...]


@dataclass(frozen=True)
class Rate:
    """Rules 3 rates.jsonl."""

    index: int  # line number in rates.jsonl (a stable identity)
    rate_card_id: str
    product_id: str
    starting_at: datetime
    ending_before: datetime | None
    entitled: bool
    spec: RateSpec
    pricing_group_values: tuple[tuple[str, str], ...] | None  # canonical text
    credit_type_id: str | None


@dataclass(frozen=True)
class Contract:
    """Rules 3 contracts.jsonl."""

    id: str
    customer_id: str
    rate_card_id: str
    starting_at: datetime
    ending_before: datetime | None
    frequency: str
    day: str
    billing_anchor_date: datetime | None
    multiplier_prioritization: str


@dataclass(frozen=True)
class Specifier:
    """Rules 3 overrides.override_specifiers item; None fields are not given."""

    product_id: str | None
    product_tags: frozenset[str] | None
    pricing_group_values: tuple[tuple[str, str], ...] | None


@dataclass(frozen=True)
class Override:
    """Rules 3 overrides.jsonl."""

    id: str
    contract_id: str
    starting_at: datetime
    ending_before: datetime | None
    type: str
    multiplier: Decimal | None
    overwrite_rate: RateSpec | None
    priority: Decimal | None
    specifiers: tuple[Specifier, ...]


@dataclass(frozen=True)
class Segment:
    """One access-schedule item of a commit or credit (rules 3, 4.9)."""

    balance_id: str
    segment_id: str
    contract_id: str
    kind: str  # CREDIT | PREPAID | POSTPAID
    product_id: str | None  # the product the commit is invoiced as
    amount: Decimal
    starting_at: datetime
    ending_before: datetime | None
    applicable_product_ids: frozenset[str] | None
    applicable_product_tags: frozenset[str] | None
    priority: Decimal | None


@dataclass(frozen=True)
class Config:
    """Every configuration object of the raw folder."""

    customers_by_key: dict[str, str]  # id or ingest alias -> customer id
    metrics: tuple[Metric, ...]
    products: dict[str, Product]
    rate_cards: dict[str, RateCard]
    rates: tuple[Rate, ...]
    contracts: tuple[Contract, ...]
    overrides: tuple[Override, ...]
    segments: tuple[Segment, ...]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Objects of one JSONL file (a missing file is empty; blank lines are skipped)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [loads_strict(line) for line in lines if line.strip()]


def _text_set(values: list[Any] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(canonical_text(v) for v in values)


def _group_values(values: dict[str, Any] | None) -> tuple[tuple[str, str], ...] | None:
    """A pricing_group_values object as canonical (key, text) pairs; a null value names no key."""
    if values is None:
        return None
    return tuple((k, canonical_text(v)) for k, v in values.items() if v is not None)


def _rate_spec(obj: dict[str, Any]) -> RateSpec:
    tiers = tuple(
        TierSpec(size=to_decimal(t.get("size")), price=to_decimal(t.get("price")))
        for t in (obj.get("tiers") or [])
    )
    rate_type = obj.get("rate_type") or ("TIERED" if tiers else "FLAT")
    return RateSpec(rate_type=rate_type, price=to_decimal(obj.get("price")), tiers=tiers)


def _customers(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Rules 4.2 / 8 Customers: an id beats an alias of another customer."""
    by_key: dict[str, str] = {}
    for row in rows:
        for alias in row.get("ingest_aliases") or []:
            by_key.setdefault(alias, row["id"])
    for row in rows:
        by_key[row["id"]] = row["id"]
    return by_key


def _metric(row: dict[str, Any]) -> Metric:
    type_filter = row.get("event_type_filter") or {}
    filters = tuple(
        PropertyFilter(
            name=f["name"],
            exists=f.get("exists"),
            in_values=_text_set(f.get("in_values")),
            not_in_values=_text_set(f.get("not_in_values")),
        )
        for f in (row.get("property_filters") or [])
    )
    return Metric(
        id=row["id"],
        event_types=_text_set(type_filter.get("in_values")),
        excluded_event_types=_text_set(type_filter.get("not_in_values")),
        property_filters=filters,
        aggregation_type=row["aggregation_type"],
        aggregation_key=row.get("aggregation_key"),
    )


def _product(row: dict[str, Any]) -> Product:
    conversion = row.get("quantity_conversion") or {}
    rounding = row.get("quantity_rounding") or {}
    places = rounding.get("decimal_places")
    return Product(
        id=row["id"],
        type=row.get("type") or "USAGE",
        billable_metric_id=row.get("billable_metric_id"),
        conversion_factor=to_decimal(conversion.get("conversion_factor")),
        conversion_operation=conversion.get("operation"),
        rounding_places=None if places is None else int(to_decimal(places)),
        rounding_method=rounding.get("rounding_method"),
        pricing_group_key=tuple(row.get("pricing_group_key") or ()),
        presentation_group_key=tuple(row.get("presentation_group_key") or ()),
        tags=frozenset(row.get("tags") or ()),
    )


def _rate(index: int, row: dict[str, Any]) -> Rate:
    entitled = row.get("entitled")
    return Rate(
        index=index,
        rate_card_id=row["rate_card_id"],
        product_id=row["product_id"],
        starting_at=parse_config_time(row["starting_at"]),
        ending_before=parse_config_time(row.get("ending_before")),
        entitled=True if entitled is None else bool(entitled),
        spec=_rate_spec(row),
        pricing_group_values=_group_values(row.get("pricing_group_values")),
        credit_type_id=row.get("credit_type_id"),
    )


def _contract(row: dict[str, Any]) -> Contract:
    schedule = row.get("usage_statement_schedule") or {}
    return Contract(
        id=row["id"],
        customer_id=row["customer_id"],
        rate_card_id=row["rate_card_id"],
        starting_at=parse_config_time(row["starting_at"]),
        ending_before=parse_config_time(row.get("ending_before")),
        frequency=schedule.get("frequency") or "MONTHLY",
        day=schedule.get("day") or "FIRST_OF_MONTH",
        billing_anchor_date=parse_config_time(schedule.get("billing_anchor_date")),
        multiplier_prioritization=row.get("multiplier_override_prioritization")
        or "LOWEST_MULTIPLIER",
    )


def _override(row: dict[str, Any]) -> Override:
    specifiers = tuple(
        Specifier(
            product_id=s.get("product_id"),
            product_tags=None if s.get("product_tags") is None else frozenset(s["product_tags"]),
            pricing_group_values=_group_values(s.get("pricing_group_values")),
        )
        for s in (row.get("override_specifiers") or [])
    )
    overwrite = row.get("overwrite_rate")
    return Override(
        id=row["id"],
        contract_id=row["contract_id"],
        starting_at=parse_config_time(row["starting_at"]),
        ending_before=parse_config_time(row.get("ending_before")),
        type=row["type"],
        multiplier=to_decimal(row.get("multiplier")),
        overwrite_rate=None if overwrite is None else _rate_spec(overwrite),
        priority=to_decimal(row.get("priority")),
        specifiers=specifiers,
    )


def _segments(row: dict[str, Any], kind: str) -> list[Segment]:
    """Access-schedule segments of one commit (kind = its type) or credit (kind CREDIT)."""
    ids, tags = row.get("applicable_product_ids"), row.get("applicable_product_tags")
    items = (row.get("access_schedule") or {}).get("schedule_items") or []
    return [
        Segment(
            balance_id=row["id"],
            segment_id=item["id"],
            contract_id=row["contract_id"],
            kind=kind,
            product_id=row.get("product_id"),
            amount=to_decimal(item["amount"]),
            starting_at=parse_config_time(item["starting_at"]),
            ending_before=parse_config_time(item.get("ending_before")),
            applicable_product_ids=None if ids is None else frozenset(ids),
            applicable_product_tags=None if tags is None else frozenset(tags),
            priority=to_decimal(row.get("priority")),
        )
        for item in items
    ]


def load_config(raw_path: Path) -> Config:
    """Read every configuration file of the raw folder (rules 3)."""

    def rows(name: str) -> list[dict[str, Any]]:
        return read_jsonl(raw_path / f"{name}.jsonl")

    segments: list[Segment] = []
    for row in rows("commits"):
        segments.extend(_segments(row, row.get("type") or "PREPAID"))
    for row in rows("credits"):
        segments.extend(_segments(row, "CREDIT"))
    return Config(
        customers_by_key=_customers(rows("customers")),
        metrics=tuple(_metric(r) for r in rows("billable_metrics")),
        products={r["id"]: _product(r) for r in rows("products")},
        rate_cards={
            r["id"]: RateCard(r["id"], r.get("fiat_credit_type_id") or DEFAULT_CREDIT_TYPE)
            for r in rows("rate_cards")
        },
        rates=tuple(_rate(i, r) for i, r in enumerate(rows("rates"))),
        contracts=tuple(_contract(r) for r in rows("contracts")),
        overrides=tuple(_override(r) for r in rows("overrides")),
        segments=tuple(segments),
    )
