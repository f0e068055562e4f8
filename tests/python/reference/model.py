"""Data shapes of the reference rater: its outputs (rules 5) and its working records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .config import Contract, Metric, Product
from .events import AcceptedEvent
from .periods import Period
from .pricing import EffectiveRate

GroupValues = tuple[tuple[str, "str | None"], ...]


@dataclass(frozen=True)
class OutcomeRow:
    """Rules 5 fct_event_outcomes: one per raw event with received_at <= as_of."""

    source_file: str
    source_row: int
    transaction_id: str | None
    outcome: str  # RATED | NOT_BILLABLE | DUPLICATE | ERRORED
    error_code: str | None  # only for ERRORED


@dataclass(frozen=True)
class RatedRow:
    """Rules 5 fct_rated_events_*: one priced, atomic revenue unit."""

    transaction_id: str
    received_at: datetime
    event_timestamp: datetime
    customer_id: str
    contract_id: str
    billable_metric_id: str
    product_id: str
    component: str  # USAGE | USAGE_REPRICE | ROUNDING_ADJUSTMENT | ROUNDING_REPRICE
    tier_index: int | None  # from 1 for TIERED and VOLUME, None for FLAT
    quantity: Decimal  # a REPRICE row: the earlier units it re-prices (already counted)
    unit_price: Decimal
    amount: Decimal  # in credit_type_id
    credit_type_id: str  # the rate's credit type (the card's fiat type when it names none)
    fiat_amount: Decimal  # R(amount x fiat_per_custom_credit); = amount for a fiat row
    fiat_credit_type_id: str  # the rate card's fiat type
    billing_period_start: datetime
    billing_period_end: datetime
    pricing_group_values: GroupValues
    presentation_group_values: GroupValues
    status: str  # DRAFT | FINALIZED
    coverage: str = "OVERAGE"
    balance_id: str | None = None
    balance_segment_id: str | None = None


@dataclass(frozen=True)
class InvoiceLine:
    """Rules 5 fct_invoice_line_items (USAGE invoices): USAGE, CREDIT, COMMIT, POSTPAID_TRUEUP."""

    contract_id: str
    billing_period_start: datetime
    billing_period_end: datetime
    line_type: str
    product_id: str | None
    pricing_group_values: GroupValues
    balance_id: str | None
    quantity: Decimal | None  # USAGE: the quantity rated in credit_type_id
    amount: Decimal  # in credit_type_id
    status: str
    credit_type_id: str
    fiat_amount: Decimal  # R(amount x fiat_per_custom_credit), in the card's fiat type
    fiat_credit_type_id: str  # the rate card's fiat type


@dataclass(frozen=True)
class Invoice:
    """Rules 5 fct_invoices (USAGE invoices holding line items): total = sum of fiat_amount."""

    contract_id: str
    billing_period_start: datetime
    billing_period_end: datetime
    credit_type_id: str  # the rate card's fiat type
    total: Decimal
    status: str


@dataclass
class RatingResult:
    """Everything the reference computes for one raw folder and as_of."""

    outcomes: list[OutcomeRow]
    rated: list[RatedRow]
    invoice_lines: list[InvoiceLine] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)


@dataclass(frozen=True)
class Attempt:
    """An event rated on one unit (contract, product, pricing group values, period)."""

    event: AcceptedEvent
    customer_id: str
    contract: Contract
    product: Product
    metric: Metric
    period: Period
    status: str
    rate: EffectiveRate
    value: Decimal | str | None  # the aggregation value (None for COUNT)
    group_values: GroupValues

    @property
    def unit(self) -> tuple[str, str, GroupValues, datetime]:
        """Rules 4.6 unit: (contract, product, pricing group values, billing period)."""
        return (self.contract.id, self.product.id, self.group_values, self.period.start)


@dataclass(frozen=True)
class UnitRun:
    """A unit's events in ordering-key order with their converted running totals (rules 4.6-4.7)."""

    attempts: tuple[Attempt, ...]
    totals: tuple[Decimal, ...]  # converted running aggregate after each attempt
    total: Decimal  # converted period(-to-date) total
    rounded_total: Decimal
