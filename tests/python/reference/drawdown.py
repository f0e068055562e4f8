"""Commit and credit drawdown of rules 4.9 (plain segment-by-segment, event-by-event)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal

from .config import Config, Segment
from .model import RatedRow
from .pricing import active_at, clamp, to_fiat
from .values import div_r12

_KIND_RANK = {"CREDIT": 0, "PREPAID": 1, "POSTPAID": 2}
COVERAGE = {"CREDIT": "CREDIT", "PREPAID": "PREPAID_COMMIT", "POSTPAID": "POSTPAID_COMMIT"}


@dataclass
class _Entry:
    """A rated row being drawn down: what is still uncovered and the covered parts so far."""

    row: RatedRow
    uncovered: Decimal
    parts: list[tuple[Segment, Decimal]] = field(default_factory=list)


def applicable_products(segment: Segment, config: Config) -> frozenset[str] | None:
    """Rules 4.9: ids of the products a balance applies to (tags expanded); None = every
    product (both lists null)."""
    ids, tags = segment.applicable_product_ids, segment.applicable_product_tags
    if ids is None and tags is None:
        return None
    return frozenset(
        p.id
        for p in config.products.values()
        if (ids is not None and p.id in ids) or (tags is not None and p.tags & tags)
    )


def can_pay(segment: Segment, config: Config, product_id: str) -> bool:
    """Rules 4.9: the product's id is listed or it carries a listed tag (null+null = all)."""
    ids, tags = segment.applicable_product_ids, segment.applicable_product_tags
    if ids is None and tags is None:
        return True
    if ids is not None and product_id in ids:
        return True
    product = config.products.get(product_id)
    return bool(tags is not None and product is not None and product.tags & tags)


def rank_key(segment: Segment, config: Config) -> tuple:
    """Rules 4.9 global rank: priority (null last); credit < prepaid < postpaid; fewer applicable
    products ("every product" last); earlier ending_before; earlier starting_at; segment id."""
    products = applicable_products(segment, config)
    return (
        segment.priority is None,
        segment.priority if segment.priority is not None else 0,
        _KIND_RANK[segment.kind],
        products is None,
        len(products) if products is not None else 0,
        segment.ending_before is None,
        segment.ending_before or segment.starting_at,
        segment.starting_at,
        segment.segment_id,
        segment.balance_id,
    )


def can_cover(segment: Segment, config: Config, row: RatedRow) -> bool:
    """Rules 4.9: the segment can pay for the row: same contract and credit type, the row's
    timestamp inside the segment's window, its product applicable."""
    return (
        row.contract_id == segment.contract_id
        and row.credit_type_id == segment.credit_type_id
        and active_at(segment.starting_at, segment.ending_before, row.event_timestamp)
        and can_pay(segment, config, row.product_id)
    )


def split_row(
    row: RatedRow, parts: list[tuple[Segment | None, Decimal]], fiat_per_credit: Decimal
) -> list[RatedRow]:
    """Rules 4.9: parts in rank order, overage last; quantity_k = R(q*S_k/a) - R(q*S_(k-1)/a);
    each part's fiat_amount = R(amount_k x fiat_per_custom_credit) (rules 8)."""
    if len(parts) == 1 and parts[0][0] is None:
        return [row]
    result = []
    cumulative, previous_quantity = Decimal(0), Decimal(0)
    for segment, amount in parts:
        cumulative += amount
        quantity_to = div_r12(row.quantity * cumulative, row.amount)
        result.append(
            dataclasses.replace(
                row,
                quantity=quantity_to - previous_quantity,
                amount=amount,
                fiat_amount=to_fiat(amount, fiat_per_credit),
                coverage="OVERAGE" if segment is None else COVERAGE[segment.kind],
                balance_id=None if segment is None else segment.balance_id,
                balance_segment_id=None if segment is None else segment.segment_id,
            )
        )
        previous_quantity = quantity_to
    return result


def apply_drawdown(rows: list[RatedRow], config: Config) -> list[RatedRow]:
    """Rules 4.9: each contract's segments, in global rank order (across credit types), cover
    the still-uncovered amounts of the rows they can pay for (rows of their own credit type
    only), in row order: part = clamp(C', 0, S) - clamp(C, 0, S).
    `rows` must be in rules 4 row order; returns the rows split into covered parts and overage."""
    entries = [_Entry(row=row, uncovered=row.amount) for row in rows]
    contracts = {row.contract_id for row in rows}
    for contract_id in sorted(contracts):
        segments = sorted(
            (s for s in config.segments if s.contract_id == contract_id),
            key=lambda s: rank_key(s, config),
        )
        for segment in segments:
            running = Decimal(0)
            for entry in entries:
                if entry.row.amount == 0 or not can_cover(segment, config, entry.row):
                    continue
                after = running + entry.uncovered
                part = clamp(after, Decimal(0), segment.amount) - clamp(
                    running, Decimal(0), segment.amount
                )
                running = after
                if part != 0:
                    entry.parts.append((segment, part))
                    entry.uncovered -= part
    result = []
    for entry in entries:
        parts: list[tuple[Segment | None, Decimal]] = list(entry.parts)
        if entry.uncovered != 0 or not parts:
            parts.append((None, entry.uncovered))
        factor = config.card_of(entry.row.contract_id).fiat_per_credit(entry.row.credit_type_id)
        result.extend(split_row(entry.row, parts, factor or Decimal(1)))
    return result
