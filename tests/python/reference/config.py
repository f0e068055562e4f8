"""Billing configuration of rules section 3, read from the raw folder's *.jsonl files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .values import canonical_text, loads_strict, parse_config_time, to_decimal

DEFAULT_CREDIT_TYPE = "USD_CENTS"


class ConfigError(ValueError):
    """Bad configuration (rules 3): `dbt build` fails on it, so the reference refuses to rate.

    The message names the offending row."""


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
    """Rules 3 rate_cards.jsonl; `conversions` maps a custom credit type to fiat per credit."""

    id: str
    fiat_credit_type_id: str
    conversions: tuple[tuple[str, Decimal], ...] = ()

    def fiat_per_credit(self, credit_type_id: str) -> Decimal | None:
        """Rules 4.8: 1 for the card's fiat type, the conversion of a custom type, else None."""
        if credit_type_id == self.fiat_credit_type_id:
            return Decimal(1)
        return next((f for t, f in self.conversions if t == credit_type_id), None)


@dataclass(frozen=True)
class TierSpec:
    """One item of a `tiers` list: `size` is None for the last tier."""

    size: Decimal | None
    price: Decimal


@dataclass(frozen=True)
class RateSpec:
    """A price definition (list rate or overwrite_rate): FLAT price, or TIERED/VOLUME tiers."""

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
    credit_type_id: str  # resolved: the balance's own, else its contract's card's fiat type
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

    def card(self, card_id: str | None) -> RateCard:
        """A rate card by id; an unknown one is USD_CENTS without conversions."""
        return self.rate_cards.get(card_id) or RateCard(card_id or "", DEFAULT_CREDIT_TYPE)

    def card_of(self, contract_id: str) -> RateCard:
        """The rate card of a contract."""
        return contract_card(self.contracts, self.rate_cards, contract_id)


def contract_card(
    contracts: tuple[Contract, ...], rate_cards: dict[str, RateCard], contract_id: str
) -> RateCard:
    """The rate card of a contract; an unknown card (or contract) is USD_CENTS without
    conversions."""
    card_id = next((c.rate_card_id for c in contracts if c.id == contract_id), None)
    return rate_cards.get(card_id) or RateCard(card_id or "", DEFAULT_CREDIT_TYPE)


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


def _rate_card(row: dict[str, Any]) -> RateCard:
    conversions = tuple(
        (c.get("custom_credit_type_id"), to_decimal(c.get("fiat_per_custom_credit")))
        for c in (row.get("credit_type_conversions") or [])
    )
    fiat = row.get("fiat_credit_type_id") or DEFAULT_CREDIT_TYPE
    return RateCard(row["id"], fiat, conversions)


def _segments(row: dict[str, Any], kind: str, card: RateCard) -> list[Segment]:
    """Access-schedule segments of one commit (kind = its type) or credit (kind CREDIT);
    `card` is the rate card of its contract (a null credit_type_id means its fiat type)."""
    ids, tags = row.get("applicable_product_ids"), row.get("applicable_product_tags")
    items = (row.get("access_schedule") or {}).get("schedule_items") or []
    return [
        Segment(
            balance_id=row["id"],
            segment_id=item["id"],
            contract_id=row["contract_id"],
            kind=kind,
            product_id=row.get("product_id"),
            credit_type_id=row.get("credit_type_id") or card.fiat_credit_type_id,
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
    """Read every configuration file of the raw folder (rules 3); raises ConfigError on the bad
    configuration `validate_config` checks."""

    def rows(name: str) -> list[dict[str, Any]]:
        return read_jsonl(raw_path / f"{name}.jsonl")

    rate_cards = {r["id"]: _rate_card(r) for r in rows("rate_cards")}
    contracts = tuple(_contract(r) for r in rows("contracts"))
    segments: list[Segment] = []
    for name in ("commits", "credits"):
        for row in rows(name):
            kind = (row.get("type") or "PREPAID") if name == "commits" else "CREDIT"
            card = contract_card(contracts, rate_cards, row["contract_id"])
            segments.extend(_segments(row, kind, card))
    config = Config(
        customers_by_key=_customers(rows("customers")),
        metrics=tuple(_metric(r) for r in rows("billable_metrics")),
        products={r["id"]: _product(r) for r in rows("products")},
        rate_cards=rate_cards,
        rates=tuple(_rate(i, r) for i, r in enumerate(rows("rates"))),
        contracts=contracts,
        overrides=tuple(_override(r) for r in rows("overrides")),
        segments=tuple(segments),
    )
    validate_config(config)
    return config


def _check_spec(spec: RateSpec, where: str) -> None:
    """Rules 3: TIERED and VOLUME rates need tiers."""
    if spec.rate_type in ("TIERED", "VOLUME") and not spec.tiers:
        raise ConfigError(f"{where}: a {spec.rate_type} rate without tiers")


def validate_config(config: Config) -> None:
    """Rules 3 bad configuration of pricing and credit types: a TIERED or VOLUME rate (list or
    overwrite) without tiers; a conversion that is not positive or a custom type converted twice;
    a rate, commit or credit in a custom credit type its rate card does not convert. Raises
    ConfigError naming the first offending row."""
    for card in config.rate_cards.values():
        seen: set[str] = set()
        for credit_type, factor in card.conversions:
            where = f"rate_cards.jsonl id {card.id!r}: conversion of {credit_type!r}"
            if factor is None or factor <= 0:
                raise ConfigError(f"{where}: fiat_per_custom_credit {factor} is not positive")
            if credit_type in seen:
                raise ConfigError(f"{where}: the custom type is converted twice")
            seen.add(credit_type)
    for rate in config.rates:
        where = (
            f"rates.jsonl row {rate.index + 1} (rate_card_id {rate.rate_card_id!r}, "
            f"product_id {rate.product_id!r}, starting_at {rate.starting_at.isoformat()})"
        )
        _check_spec(rate.spec, where)
        card = config.card(rate.rate_card_id)
        if rate.credit_type_id is not None and card.fiat_per_credit(rate.credit_type_id) is None:
            raise ConfigError(
                f"{where}: credit type {rate.credit_type_id!r} has no conversion on rate card "
                f"{card.id!r}"
            )
    for override in config.overrides:
        if override.type == "OVERWRITE" and override.overwrite_rate is not None:
            _check_spec(override.overwrite_rate, f"overrides.jsonl id {override.id!r}")
    for segment in config.segments:
        card = config.card_of(segment.contract_id)
        if card.fiat_per_credit(segment.credit_type_id) is None:
            source = "credits" if segment.kind == "CREDIT" else "commits"
            raise ConfigError(
                f"{source}.jsonl id {segment.balance_id!r}: credit type "
                f"{segment.credit_type_id!r} has no conversion on rate card {card.id!r} of "
                f"contract {segment.contract_id!r}"
            )
