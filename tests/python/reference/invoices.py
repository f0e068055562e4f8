"""Usage invoice line items of rules 4.10 and 5 (USAGE lines computed from period aggregates)
and the invoices' fiat totals."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from .config import Config
from .model import Invoice, InvoiceLine, RatedRow, UnitRun
from .periods import is_finalized, period_for
from .pricing import EffectiveRate, tier_parts, to_fiat, volume_cost
from .values import r12

_APPLICATION_LINE = {"CREDIT": "CREDIT", "PREPAID_COMMIT": "COMMIT"}


def price_span(rate: EffectiveRate, q_from: Decimal, q_to: Decimal) -> Decimal:
    """Amount of moving the period total from q_from to q_to under one rate (rules 4.8, 8):
    FLAT and TIERED through the tiers, each tier part R-rounded; VOLUME V(q_to) - V(q_from)."""
    if rate.rate_type == "VOLUME":
        return volume_cost(rate, q_to) - volume_cost(rate, q_from)
    return sum(
        (r12(part * tier.price) for tier, part in tier_parts(rate, q_from, q_to)), Decimal(0)
    )


def usage_lines(run: UnitRun) -> list[InvoiceLine]:
    """Rules 5: USAGE lines of one (contract, period, product, pricing group values), one per
    credit type rated in the period, computed from the period aggregates: each stretch of
    constant effective rate is priced from the period-to-date quantity where it starts to where
    it ends and counts its quantity in its rate's credit type; the rounding delta is priced and
    counted with the last stretch (the credit type of the period's last rated event)."""
    spans: list[tuple[EffectiveRate, Decimal, Decimal]] = []
    stretch_start = Decimal(0)
    for i, attempt in enumerate(run.attempts):
        is_last = i + 1 == len(run.attempts)
        if is_last or run.attempts[i + 1].rate != attempt.rate:
            spans.append((attempt.rate, stretch_start, run.totals[i]))
            stretch_start = run.totals[i]
    last = run.attempts[-1]
    spans.append((last.rate, run.total, run.rounded_total))
    # credit type -> (quantity, amount, a rate of it for the conversion), first seen first
    by_type: dict[str, tuple[Decimal, Decimal, EffectiveRate]] = {}
    for rate, q_from, q_to in spans:
        quantity, amount, _ = by_type.get(rate.credit_type_id, (Decimal(0), Decimal(0), rate))
        by_type[rate.credit_type_id] = (
            quantity + q_to - q_from,
            amount + price_span(rate, q_from, q_to),
            rate,
        )
    return [
        InvoiceLine(
            contract_id=last.contract.id,
            billing_period_start=last.period.start,
            billing_period_end=last.period.end,
            line_type="USAGE",
            product_id=last.product.id,
            pricing_group_values=last.group_values,
            balance_id=None,
            quantity=quantity,
            amount=amount,
            status=last.status,
            credit_type_id=credit_type,
            fiat_amount=to_fiat(amount, rate.fiat_per_credit),
            fiat_credit_type_id=rate.fiat_credit_type_id,
        )
        for credit_type, (quantity, amount, rate) in by_type.items()
    ]


def application_lines(rows: list[RatedRow], config: Config) -> list[InvoiceLine]:
    """Rules 5: one CREDIT or COMMIT line per (invoice, balance), minus the amounts covered, in
    the balance's credit type (postpaid coverage has no line)."""
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
            row.credit_type_id,  # a segment covers rows of its own credit type only
        )
        totals[key] = totals.get(key, Decimal(0)) - row.amount
    return [
        balance_line(config, contract, (start, end), line_type, balance, amount, status, credit)
        for (contract, start, end, line_type, balance, status, credit), amount in totals.items()
    ]


def balance_line(
    config: Config,
    contract_id: str,
    period: tuple[datetime, datetime],
    line_type: str,
    balance_id: str | None,
    amount: Decimal,
    status: str,
    credit_type_id: str,
    product_id: str | None = None,
) -> InvoiceLine:
    """A CREDIT, COMMIT or POSTPAID_TRUEUP line in the balance's credit type, with its fiat
    amount through the contract's rate card (rules 5)."""
    card = config.card_of(contract_id)
    factor = card.fiat_per_credit(credit_type_id) or Decimal(1)
    return InvoiceLine(
        contract_id=contract_id,
        billing_period_start=period[0],
        billing_period_end=period[1],
        line_type=line_type,
        product_id=product_id,
        pricing_group_values=(),
        balance_id=balance_id,
        quantity=None,
        amount=amount,
        status=status,
        credit_type_id=credit_type_id,
        fiat_amount=to_fiat(amount, factor),
        fiat_credit_type_id=card.fiat_credit_type_id,
    )


def trueup_lines(
    rows: list[RatedRow], config: Config, as_of: datetime, grace_hours: int
) -> list[InvoiceLine]:
    """Rules 4.10: an unspent postpaid remainder (in the commit's credit type), due at t = the
    earlier of the segment's and the contract's ending_before, billed on the period with
    start < t <= end once as_of >= t."""
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
            balance_line(
                config,
                contract.id,
                (period.start, period.end),
                "POSTPAID_TRUEUP",
                segment.balance_id,
                remainder,
                status,
                segment.credit_type_id,
                product_id=segment.product_id,
            )
        )
    return lines


def invoice_lines(
    runs: list[UnitRun], rows: list[RatedRow], config: Config, as_of: datetime, grace_hours: int
) -> list[InvoiceLine]:
    """All usage-invoice line items, ordered by invoice then line type."""
    lines = [line for run in runs for line in usage_lines(run)]
    lines += application_lines(rows, config)
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
            line.credit_type_id,
        ),
    )


def invoices_of(lines: list[InvoiceLine]) -> list[Invoice]:
    """Rules 5: the usage invoices holding line items; total = the sum of the lines'
    fiat_amount, in the rate card's fiat type."""
    invoices: dict[tuple, Invoice] = {}
    for line in lines:
        key = (line.contract_id, line.billing_period_start, line.billing_period_end)
        found = invoices.get(key)
        total = line.fiat_amount + (found.total if found else Decimal(0))
        invoices[key] = Invoice(*key, line.fiat_credit_type_id, total, line.status)
    return list(invoices.values())
