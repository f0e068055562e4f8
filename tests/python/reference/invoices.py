"""Usage invoice line items of rules 4.10 and 5, computed from period aggregates."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from .config import Config
from .model import InvoiceLine, RatedRow, UnitRun
from .periods import is_finalized, period_for
from .pricing import EffectiveRate, tier_parts
from .values import r12

_APPLICATION_LINE = {"CREDIT": "CREDIT", "PREPAID_COMMIT": "COMMIT"}


def price_through_tiers(rate: EffectiveRate, q_from: Decimal, q_to: Decimal) -> Decimal:
    """Amount of the quantity from q_from to q_to, each tier part R-rounded (rules 4.8, 8)."""
    return sum(
        (r12(part * tier.price) for tier, part in tier_parts(rate, q_from, q_to)), Decimal(0)
    )


def usage_line(run: UnitRun) -> InvoiceLine:
    """Rules 5: one USAGE line per (contract, period, product, pricing group values): the rounded
    period quantity, priced per stretch of constant effective rate from the period-to-date
    quantity where it starts to where it ends; the rounding delta in the last stretch."""
    amount = Decimal(0)
    stretch_start = Decimal(0)
    for i, attempt in enumerate(run.attempts):
        is_last = i + 1 == len(run.attempts)
        if is_last or run.attempts[i + 1].rate != attempt.rate:
            amount += price_through_tiers(attempt.rate, stretch_start, run.totals[i])
            stretch_start = run.totals[i]
    last = run.attempts[-1]
    amount += price_through_tiers(last.rate, run.total, run.rounded_total)
    return InvoiceLine(
        contract_id=last.contract.id,
        billing_period_start=last.period.start,
        billing_period_end=last.period.end,
        line_type="USAGE",
        product_id=last.product.id,
        pricing_group_values=last.group_values,
        balance_id=None,
        quantity=run.rounded_total,
        amount=amount,
        status=last.status,
    )


def application_lines(rows: list[RatedRow]) -> list[InvoiceLine]:
    """Rules 5: one CREDIT or COMMIT line per (invoice, balance), minus the amounts covered
    (postpaid coverage has no line)."""
    totals: dict[tuple, Decimal] = {}
    for row in rows:
        line_type = _APPLICATION_LINE.get(row.coverage)
        if line_type is None:
            continue
        key = (
            row.contract_id,
            row.billing_period_start,
            row.billing_period_end,
            line_type,
            row.balance_id,
            row.status,
        )
        totals[key] = totals.get(key, Decimal(0)) - row.amount
    return [
        InvoiceLine(contract, start, end, line_type, None, (), balance, None, amount, status)
        for (contract, start, end, line_type, balance, status), amount in totals.items()
    ]


def trueup_lines(
    rows: list[RatedRow], config: Config, as_of: datetime, grace_hours: int
) -> list[InvoiceLine]:
    """Rules 4.10: an unspent postpaid remainder, due at t = the earlier of the segment's and the
    contract's ending_before, billed on the period with start < t <= end once as_of >= t."""
    contracts = {c.id: c for c in config.contracts}
    lines = []
    for segment in config.segments:
        contract = contracts.get(segment.contract_id)
        if segment.kind != "POSTPAID" or contract is None:
            continue
        ends = [e for e in (segment.ending_before, contract.ending_before) if e is not None]
        if not ends:
            continue
        due = min(ends)
        if as_of < due or due <= contract.starting_at:
            continue
        covered = sum(
            (
                r.amount
                for r in rows
                if r.balance_id == segment.balance_id and r.balance_segment_id == segment.segment_id
            ),
            Decimal(0),
        )
        remainder = segment.amount - covered
        if remainder <= 0:
            continue
        period = period_for(contract, due - timedelta(microseconds=1))
        status = "FINALIZED" if is_finalized(period, as_of, grace_hours) else "DRAFT"
        lines.append(
            InvoiceLine(
                contract.id,
                period.start,
                period.end,
                "POSTPAID_TRUEUP",
                segment.product_id,
                (),
                segment.balance_id,
                None,
                remainder,
                status,
            )
        )
    return lines


def invoice_lines(
    runs: list[UnitRun], rows: list[RatedRow], config: Config, as_of: datetime, grace_hours: int
) -> list[InvoiceLine]:
    """All usage-invoice line items, ordered by invoice then line type."""
    lines = [usage_line(run) for run in runs]
    lines += application_lines(rows)
    lines += trueup_lines(rows, config, as_of, grace_hours)
    return sorted(
        lines,
        key=lambda line: (
            line.contract_id,
            line.billing_period_start,
            line.line_type,
            line.product_id or "",
            line.balance_id or "",
            repr(line.pricing_group_values),
        ),
    )
