"""Reference rater: rates a raw folder from docs/billing-rules.md alone (sections 4-6 and 8).

Plain Python and `decimal.Decimal` only; written independently of the dbt models so that
differential tests can compare the two. Entry point: `rate_folder`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path

from .config import Config, ConfigError, Metric, Product, load_config
from .drawdown import apply_drawdown
from .events import AcceptedEvent, RawEvent, duplicates, read_events, validate
from .invoices import invoice_lines, invoices_of
from .model import (
    Attempt,
    GroupValues,
    Invoice,
    InvoiceLine,
    OutcomeRow,
    RatedRow,
    RatingResult,
    UnitRun,
)
from .periods import finalized_at, is_finalized, period_for
from .pricing import (
    Tier,
    active_at,
    effective_rate,
    select_override,
    select_rate,
    tier_holding,
    tier_parts,
    to_fiat,
    volume_tier,
)
from .values import canonical_text, div_r12, numeric_value, r12

__all__ = [
    "ConfigError",
    "Invoice",
    "InvoiceLine",
    "OutcomeRow",
    "RatedRow",
    "RatingResult",
    "rate_folder",
]

# Rules 6: an event with several problems gets the first code in this order.
ERROR_ORDER = (
    "MALFORMED_EVENT",
    "TIMESTAMP_IN_FUTURE",
    "TIMESTAMP_TOO_OLD",
    "CUSTOMER_NOT_FOUND",
    "NO_ACTIVE_CONTRACT",
    "NO_RATE",
    "INVALID_AGGREGATION_VALUE",
    "PERIOD_FINALIZED",
)
_ROUNDING_MODES = {
    "ROUND_UP": ROUND_CEILING,
    "ROUND_DOWN": ROUND_FLOOR,
    "ROUND_HALF_UP": ROUND_HALF_UP,
}


def group_values(event: AcceptedEvent, keys: tuple[str, ...]) -> GroupValues:
    """Rules 4.4: the event's canonical values of `keys` (a missing property is None)."""
    return tuple((key, event.values.get(key)) for key in keys)


def metric_matches(metric: Metric, event: AcceptedEvent) -> bool:
    """Rules 4.3 / 8 Property filters: event type filter and all property filters pass."""
    event_type = event.raw.event_type
    if metric.event_types is not None and event_type not in metric.event_types:
        return False
    if metric.excluded_event_types is not None and event_type in metric.excluded_event_types:
        return False
    for prop_filter in metric.property_filters:
        value = event.values.get(prop_filter.name)
        if prop_filter.exists is not None and prop_filter.exists != (value is not None):
            return False
        if prop_filter.in_values is not None and value not in prop_filter.in_values:
            return False
        if prop_filter.not_in_values is not None and value in prop_filter.not_in_values:
            return False
    return True


def aggregation_value(metric: Metric, event: AcceptedEvent) -> tuple[bool, Decimal | str | None]:
    """Rules 6 / 8: (valid, value). COUNT needs nothing; UNIQUE needs the key present (its
    canonical text); SUM, MAX and LATEST need a numeric value."""
    if metric.aggregation_type == "COUNT":
        return True, None
    raw = event.properties.get(metric.aggregation_key) if metric.aggregation_key else None
    if raw is None:
        return False, None
    if metric.aggregation_type == "UNIQUE":
        return True, canonical_text(raw)
    number = numeric_value(raw)
    return number is not None, number


def find_attempts(
    event: AcceptedEvent,
    customer_id: str,
    metrics: list[Metric],
    config: Config,
    as_of: datetime,
    grace_hours: int,
) -> tuple[list[Attempt], set[str]]:
    """Rules 4.4: the (contract, product) targets the event is rated on, and the reasons the
    other targets failed (NO_ACTIVE_CONTRACT, NO_RATE, INVALID_AGGREGATION_VALUE,
    PERIOD_FINALIZED)."""
    t = event.timestamp
    contracts = [
        c
        for c in config.contracts
        if c.customer_id == customer_id and active_at(c.starting_at, c.ending_before, t)
    ]
    if not contracts:
        return [], {"NO_ACTIVE_CONTRACT"}
    attempts: list[Attempt] = []
    reasons: set[str] = set()
    for metric in metrics:
        products = [
            p
            for p in config.products.values()
            if p.type == "USAGE" and p.billable_metric_id == metric.id
        ]
        if not products:
            reasons.add("NO_RATE")
        for contract in contracts:
            for product in products:
                rate = select_rate(config, contract, product, event.values, t)
                if rate is None or not rate.entitled:
                    reasons.add("NO_RATE")
                    continue
                valid, value = aggregation_value(metric, event)
                if not valid:
                    reasons.add("INVALID_AGGREGATION_VALUE")
                    continue
                period = period_for(contract, t)
                finalized = is_finalized(period, as_of, grace_hours)
                if finalized and event.raw.received_at >= finalized_at(period, grace_hours):
                    reasons.add("PERIOD_FINALIZED")
                    continue
                override = select_override(config, contract, product, event.values, t)
                attempts.append(
                    Attempt(
                        event=event,
                        customer_id=customer_id,
                        contract=contract,
                        product=product,
                        metric=metric,
                        period=period,
                        status="FINALIZED" if finalized else "DRAFT",
                        rate=effective_rate(config, contract, rate, override),
                        value=value,
                        group_values=group_values(event, product.pricing_group_key),
                    )
                )
    return attempts, reasons


def running_aggregates(aggregation_type: str, values: list[Decimal | str | None]) -> list[Decimal]:
    """Rules 4.6: A after each event (COUNT, SUM, MAX, LATEST, UNIQUE); A of no events = 0."""
    result: list[Decimal] = []
    total, maximum = Decimal(0), None
    seen: set[str] = set()
    for k, value in enumerate(values, start=1):
        if aggregation_type == "COUNT":
            result.append(Decimal(k))
        elif aggregation_type == "SUM":
            total += value
            result.append(total)
        elif aggregation_type == "MAX":
            maximum = value if maximum is None else max(maximum, value)
            result.append(maximum)
        elif aggregation_type == "LATEST":
            result.append(value)
        elif aggregation_type == "UNIQUE":
            seen.add(value)
            result.append(Decimal(len(seen)))
        else:
            raise ValueError(f"unknown aggregation_type {aggregation_type}")
    return result


def convert(product: Product, aggregate: Decimal) -> Decimal:
    """Rules 4.7: conversion of a running aggregate, R-rounded (DIVIDE exact, rules 8)."""
    factor = product.conversion_factor
    if factor is None:
        return r12(aggregate)
    if product.conversion_operation == "DIVIDE":
        return div_r12(aggregate, factor)
    return r12(aggregate * factor)


def round_total(product: Product, total: Decimal) -> Decimal:
    """Rules 4.7: the period aggregate on the rounding grid (ROUND_UP towards +inf, ROUND_DOWN
    towards -inf, ROUND_HALF_UP halves away from zero); unchanged without rounding."""
    if product.rounding_places is None or product.rounding_method is None:
        return total
    quantum = Decimal(1).scaleb(-product.rounding_places)
    return total.quantize(quantum, rounding=_ROUNDING_MODES[product.rounding_method])


def make_row(
    attempt: Attempt, component: str, tier: Tier, quantity: Decimal, unit_price: Decimal
) -> RatedRow:
    """One rated row: amount = R(quantity x unit price) in the rate's credit type, fiat_amount =
    R(amount x fiat_per_custom_credit) (rules 4.8, 8)."""
    event = attempt.event
    amount = r12(quantity * unit_price)
    return RatedRow(
        transaction_id=event.raw.transaction_id,
        received_at=event.raw.received_at,
        event_timestamp=event.timestamp,
        customer_id=attempt.customer_id,
        contract_id=attempt.contract.id,
        billable_metric_id=attempt.metric.id,
        product_id=attempt.product.id,
        component=component,
        tier_index=tier.index,
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        credit_type_id=attempt.rate.credit_type_id,
        fiat_amount=to_fiat(amount, attempt.rate.fiat_per_credit),
        fiat_credit_type_id=attempt.rate.fiat_credit_type_id,
        billing_period_start=attempt.period.start,
        billing_period_end=attempt.period.end,
        pricing_group_values=attempt.group_values,
        presentation_group_values=group_values(event, attempt.product.presentation_group_key),
        status=attempt.status,
    )


def volume_rows(
    attempt: Attempt, q_before: Decimal, q_after: Decimal, components: tuple[str, str]
) -> list[RatedRow]:
    """Rules 4.8 VOLUME: a move Q -> Q' costs V(Q') - V(Q) as (USAGE, quantity Q' - Q at p(Q'))
    and, when its amount is not zero, (REPRICE, quantity Q at p(Q') - p(Q)); both rows in the
    tier holding Q', priced with the terms in force at the attempt."""
    moved, repriced = components
    tier = volume_tier(attempt.rate, q_after)
    rows = [make_row(attempt, moved, tier, q_after - q_before, tier.price)]
    step = tier.price - volume_tier(attempt.rate, q_before).price
    reprice = make_row(attempt, repriced, tier, q_before, step)
    if reprice.amount != 0:
        rows.append(reprice)
    return rows


def usage_rows(attempt: Attempt, q_before: Decimal, q_after: Decimal) -> list[RatedRow]:
    """Rules 4.8: one USAGE row per tier touched from Q to Q' (FLAT, TIERED); a zero quantity
    gets one row in the tier holding the running total. VOLUME: `volume_rows`."""
    if attempt.rate.rate_type == "VOLUME":
        return volume_rows(attempt, q_before, q_after, ("USAGE", "USAGE_REPRICE"))
    parts = tier_parts(attempt.rate, q_before, q_after)
    if not parts:
        tier = tier_holding(attempt.rate, q_after)
        return [make_row(attempt, "USAGE", tier, Decimal(0), tier.price)]
    return [make_row(attempt, "USAGE", tier, part, tier.price) for tier, part in parts]


def rounding_rows(attempt: Attempt, total: Decimal, rounded: Decimal) -> list[RatedRow]:
    """Rules 4.7: the move from the unrounded to the rounded period total, priced at the terms
    of the unit's last event: one ROUNDING_ADJUSTMENT row per tier touched, or under VOLUME a
    ROUNDING_ADJUSTMENT row and maybe a ROUNDING_REPRICE row; none when already on the grid."""
    if rounded == total:
        return []
    if attempt.rate.rate_type == "VOLUME":
        components = ("ROUNDING_ADJUSTMENT", "ROUNDING_REPRICE")
        return volume_rows(attempt, total, rounded, components)
    return [
        make_row(attempt, "ROUNDING_ADJUSTMENT", tier, part, tier.price)
        for tier, part in tier_parts(attempt.rate, total, rounded)
    ]


def run_unit(attempts: list[Attempt]) -> tuple[UnitRun, list[RatedRow]]:
    """Rules 4.6-4.8 for one unit: running quantities, priced rows and the rounding adjustment
    attached to the unit's last event."""
    attempts = sorted(attempts, key=lambda a: a.event.ordering_key)
    product = attempts[0].product
    aggregates = running_aggregates(
        attempts[0].metric.aggregation_type, [a.value for a in attempts]
    )
    totals = [convert(product, a) for a in aggregates]
    rows: list[RatedRow] = []
    previous = Decimal(0)
    for attempt, total in zip(attempts, totals, strict=True):
        rows.extend(usage_rows(attempt, previous, total))
        previous = total
    rounded = round_total(product, previous)
    rows.extend(rounding_rows(attempts[-1], previous, rounded))
    run = UnitRun(tuple(attempts), tuple(totals), previous, rounded)
    return run, rows


# Rules 4: the rated rows of one event are ordered by (product_id, component, tier_index).
COMPONENT_ORDER = ("USAGE", "USAGE_REPRICE", "ROUNDING_ADJUSTMENT", "ROUNDING_REPRICE")


def row_order_key(row: RatedRow) -> tuple:
    """Rules 4: the event's ordering key, then (product_id, component, tier_index)."""
    return (
        row.event_timestamp,
        row.transaction_id,
        row.received_at,
        row.contract_id,
        row.product_id,
        COMPONENT_ORDER.index(row.component),
        -1 if row.tier_index is None else row.tier_index,
    )


def _outcome(raw: RawEvent, outcome: str, code: str | None = None) -> OutcomeRow:
    return OutcomeRow(raw.source_file, raw.source_row, raw.transaction_id, outcome, code)


def first_code(reasons: set[str]) -> str:
    """Rules 6: the first code in the table's order."""
    return next(code for code in ERROR_ORDER if code in reasons)


def rate_folder(
    raw_path: Path,
    as_of: datetime,
    *,
    invoice_grace_period_hours: int = 24,
    dedupe_window_days: int = 34,
    max_backdate_days: int = 34,
    max_future_hours: int = 24,
) -> RatingResult:
    """Rate a raw folder (rules 3) as of `as_of`: outcomes (rules 5, 6), rated rows after
    drawdown (rules 4, 4.9), usage invoice line items (rules 4.10, 5) and the totals of the
    invoices holding them. Bad configuration (rules 3) raises `ConfigError`."""
    raw_path = Path(raw_path)
    # A naive as_of is read as UTC (rules 2: as_of is a UTC moment).
    as_of = as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)
    config = load_config(raw_path)
    # Rules 4.1: received after as_of = does not exist yet (a null received_at never arrived).
    raws = [
        e for e in read_events(raw_path) if e.received_at is not None and e.received_at <= as_of
    ]

    outcomes: dict[tuple[str, int], OutcomeRow] = {}
    accepted: list[AcceptedEvent] = []
    for raw in raws:
        checked = validate(raw, max_backdate_days, max_future_hours)
        if isinstance(checked, str):
            outcomes[(raw.source_file, raw.source_row)] = _outcome(raw, "ERRORED", checked)
        else:
            accepted.append(checked)

    duplicate_ids = duplicates(accepted, dedupe_window_days)
    attempts: list[Attempt] = []
    for event in accepted:
        key = (event.raw.source_file, event.raw.source_row)
        if key in duplicate_ids:
            outcomes[key] = _outcome(event.raw, "DUPLICATE")
            continue
        customer_id = config.customers_by_key.get(event.raw.customer_id)
        if customer_id is None:
            outcomes[key] = _outcome(event.raw, "ERRORED", "CUSTOMER_NOT_FOUND")
            continue
        metrics = [m for m in config.metrics if metric_matches(m, event)]
        if not metrics:
            outcomes[key] = _outcome(event.raw, "NOT_BILLABLE")
            continue
        found, reasons = find_attempts(
            event, customer_id, metrics, config, as_of, invoice_grace_period_hours
        )
        attempts.extend(found)
        if found:
            outcomes[key] = _outcome(event.raw, "RATED")
        else:
            outcomes[key] = _outcome(event.raw, "ERRORED", first_code(reasons))

    units: dict[tuple, list[Attempt]] = {}
    for attempt in attempts:
        units.setdefault(attempt.unit, []).append(attempt)
    runs: list[UnitRun] = []
    rows: list[RatedRow] = []
    for unit_attempts in units.values():
        run, unit_rows = run_unit(unit_attempts)
        runs.append(run)
        rows.extend(unit_rows)
    rows.sort(key=row_order_key)

    drawn = apply_drawdown(rows, config)
    lines = invoice_lines(runs, drawn, config, as_of, invoice_grace_period_hours)
    return RatingResult(
        outcomes=sorted(outcomes.values(), key=lambda o: (o.source_file, o.source_row)),
        rated=drawn,
        invoice_lines=lines,
        invoices=invoices_of(lines),
    )
