"""Generate a realistic raw input folder (rules section 3) for the rated events warehouse.

The story: an AI and cloud platform bills its customers for LLM tokens, GPU hours, API requests,
storage and active seats. Customers sit on a "standard" or an "enterprise" rate card, under
contracts with monthly, quarterly, weekly and nth-of-month billing; some have prepaid or postpaid
commits, credits and negotiated overrides. A small, known fraction of the events is bad on
purpose (one kind per error code of rules section 6, plus duplicates, late arrivals and events that
arrive after `--as-of`).

Every event's `transaction_id` starts with a tag naming what it was generated to be (`evt-`
normal, `dup-` sent twice, `late-`, `odd-ts-`, `after-as-of-`, `malformed-`, `future-`,
`too-old-`, `no-customer-`, `no-contract-`, `no-rate-`, `bad-value-`, `finalized-`), so the
warehouse's outcomes can be checked against the intent.

Events are built set-based in DuckDB (one thread, explicit ordering), so the same arguments
give byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sqlsafe import quote_literal  # noqa: E402

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

# optional inputs: the warehouse builds without them
OPTIONAL_FILES = ("unit_costs",)

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

ROWS_PER_FILE = 1_000_000
BATCH_ROWS = 100_000
US = 1_000_000  # microseconds per second
HOUR_US = 3600 * US
DAY_US = 24 * HOUR_US

RC_STANDARD = "rc_standard"
RC_ENTERPRISE = "rc_enterprise"

# Malformed event forms: (field, SQL expression). `inst` is the event instant (TIMESTAMP).
MALFORMED_FORMS: tuple[tuple[str, str], ...] = (
    ("transaction_id", "null"),
    ("transaction_id", "''"),
    ("transaction_id", "'   '"),
    ("customer_id", "null"),
    ("customer_id", "''"),
    ("event_type", "null"),
    ("event_type", "'  '"),
    ("timestamp", "null"),
    ("timestamp", "'2026-02-30T00:00:00Z'"),
    ("timestamp", "strftime(inst, '%Y-%m-%dT%H:%M:%S')"),
    ("timestamp", "'yesterday'"),
    ("timestamp", "'2026-13-01T00:00:00Z'"),
    ("timestamp", "'0000-01-01T00:00:00Z'"),
    ("timestamp", "strftime(inst, '%Y-%m-%dT23:59:60Z')"),
    ("timestamp", "' ' || strftime(inst, '%Y-%m-%dT%H:%M:%SZ')"),
    ("timestamp", "strftime(inst, '%Y-%m-%dT%H:%M:%S+24:00')"),
    ("properties", "'[1]'"),
    ("properties", "'null'"),
    ("properties", "'{bad'"),
    ("properties", "'NaN'"),
    ("properties", "'\"a string\"'"),
    ("properties", "'42'"),
    ("properties", '\'{"model": "atlas-small", "tokens": NaN}\''),
    ("properties", "''"),
)

# Odd but valid timestamp forms of the same instant `inst` (seconds precision unless noted).
ODD_TS_FORMS: tuple[str, ...] = (
    "strftime(inst + interval 2 hour, '%Y-%m-%d %H:%M:%S') || '+02:00'",
    "strftime(inst, '%Y-%m-%dt%H:%M:%Sz')",
    "strftime(inst, '%Y-%m-%dT%H:%M:%S.%f') || '789Z'",
    "strftime(inst - interval 8 hour, '%Y-%m-%dT%H:%M:%S') || '-08:00'",
    "strftime(inst + interval 330 minute, '%Y-%m-%dT%H:%M:%S') || '+05:30'",
    "strftime(inst, '%Y-%m-%dT%H:%M:%S') || '+00:00'",
    "strftime(inst, '%Y-%m-%dT%H:%M:%SZ')",
)

# Event kinds: (kind, transaction id tag, fraction of --events, minimum count).
KINDS: tuple[tuple[str, str, float, int], ...] = (
    ("late", "late", 0.010, 3),
    ("odd_ts", "odd-ts", 0.005, len(ODD_TS_FORMS)),
    ("after_as_of", "after-as-of", 0.005, 3),
    ("malformed", "malformed", 0.004, len(MALFORMED_FORMS)),
    ("future", "future", 0.001, 2),
    ("too_old", "too-old", 0.001, 2),
    ("no_customer", "no-customer", 0.0015, 3),
    ("no_contract", "no-contract", 0.001, 2),
    ("no_rate", "no-rate", 0.001, 2),
    ("no_rate_model", "no-rate", 0.0005, 2),
    ("bad_value", "bad-value", 0.001, 5),
    ("finalized", "finalized", 0.001, 2),
    ("dup", "dup", 0.005, 3),
)
TARGET_KINDS = ("no_contract", "no_rate_model", "finalized")

COMPANY_WORDS = (
    (
        "Acme",
        "Northwind",
        "Globex",
        "Initech",
        "Umbrella",
        "Hooli",
        "Stark",
        "Wayne",
        "Tyrell",
        "Cyberdyne",
        "Soylent",
        "Aperture",
        "Vandelay",
        "Oscorp",
        "Wonka",
    ),
    (
        "AI",
        "Robotics",
        "Labs",
        "Analytics",
        "Health",
        "Finance",
        "Media",
        "Logistics",
        "Security",
        "Bio",
    ),
)


# above this many events, generate() builds them in a scratch database file under this limit
IN_MEMORY_EVENTS = 10_000_000
SCRATCH_MEMORY_LIMIT = "4GB"


# ---------------------------------------------------------------------------------------------
# Time helpers
# ---------------------------------------------------------------------------------------------


def parse_ts(text: str) -> datetime:
    """RFC 3339 text ('2026-06-15T00:00:00Z') -> aware UTC datetime."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp needs a zone: {text!r}")
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """Aware datetime -> '2026-01-01T00:00:00Z' (None stays None)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_us(value: datetime) -> int:
    """Aware datetime -> microseconds since the Unix epoch (exact)."""
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def add_months(value: datetime, months: int) -> datetime:
    """Calendar month step; a day the target month lacks falls on its last day."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_first = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    last_day = (next_first - timedelta(days=1)).day
    return value.replace(year=year, month=month, day=min(value.day, last_day))


def month_floor(value: datetime) -> datetime:
    return value.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def day_floor(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Timeline:
    """The history the data covers: events fall in [hist_start, as_of)."""

    as_of: datetime
    hist_start: datetime
    h0: datetime  # first of the month holding hist_start: most contracts start here
    h_mid: datetime  # month boundary near the middle: list prices change here

    @classmethod
    def build(cls, as_of: datetime, months: int) -> Timeline:
        hist_start = add_months(as_of, -months)
        h0 = month_floor(hist_start)
        h_mid = month_floor(hist_start + (as_of - hist_start) / 2)
        if h_mid <= h0:
            h_mid = add_months(h0, 1)
        return cls(as_of, hist_start, h0, h_mid)

    def at(self, fraction: float) -> datetime:
        """The day boundary at `fraction` of the history."""
        return day_floor(self.hist_start + (self.as_of - self.hist_start) * fraction)


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------


def billable_metrics() -> list[dict]:
    def metric(
        mid: str,
        name: str,
        types: list[str],
        agg: str,
        key: str | None,
        filters: list[dict],
        groups: list[list[str]],
    ) -> dict:
        return {
            "id": mid,
            "name": name,
            "event_type_filter": {"in_values": types},
            "property_filters": filters,
            "aggregation_type": agg,
            "aggregation_key": key,
            "group_keys": groups,
        }

    def prop_filter(
        name: str,
        exists: bool | None = None,
        in_values: list[str] | None = None,
        not_in_values: list[str] | None = None,
    ) -> dict:
        return {
            "name": name,
            "exists": exists,
            "in_values": in_values,
            "not_in_values": not_in_values,
        }

    return [
        metric(
            "m_llm_tokens",
            "LLM tokens",
            ["llm_inference"],
            "SUM",
            "tokens",
            [],
            [["model", "region"], ["workspace"]],
        ),
        metric(
            "m_gpu_seconds",
            "GPU seconds",
            ["gpu_job"],
            "SUM",
            "gpu_seconds",
            [],
            [["cluster", "gpu_type"], ["workspace"]],
        ),
        metric(
            "m_api_requests",
            "API requests",
            ["api_request"],
            "COUNT",
            None,
            [prop_filter("status", in_values=["ok", "client_error"])],
            [["endpoint"], ["workspace"]],
        ),
        metric(
            "m_storage_gb",
            "Peak storage (GB)",
            ["storage_snapshot"],
            "MAX",
            "gb",
            [],
            [["region"], ["bucket"]],
        ),
        metric(
            "m_active_seats",
            "Active seats",
            ["seat_activity"],
            "UNIQUE",
            "user_id",
            [
                prop_filter("user_id", exists=True),
                prop_filter("role", not_in_values=["service_account"]),
            ],
            [["workspace"]],
        ),
    ]


def products() -> list[dict]:
    def usage(
        pid: str,
        name: str,
        metric: str,
        conversion: dict | None,
        rounding: dict | None,
        pricing: list[str] | None,
        presentation: list[str] | None,
        tags: list[str],
    ) -> dict:
        return {
            "id": pid,
            "name": name,
            "type": "USAGE",
            "billable_metric_id": metric,
            "quantity_conversion": conversion,
            "quantity_rounding": rounding,
            "pricing_group_key": pricing,
            "presentation_group_key": presentation,
            "tags": tags,
        }

    def fixed(pid: str, name: str) -> dict:
        return {
            "id": pid,
            "name": name,
            "type": "FIXED",
            "billable_metric_id": None,
            "quantity_conversion": None,
            "quantity_rounding": None,
            "pricing_group_key": None,
            "presentation_group_key": None,
            "tags": [],
        }

    return [
        usage(
            "prod_llm_tokens",
            "LLM tokens (per million)",
            "m_llm_tokens",
            {"conversion_factor": 1000000, "operation": "DIVIDE"},
            None,
            ["model", "region"],
            ["workspace"],
            ["ai", "inference"],
        ),
        usage(
            "prod_gpu_hours",
            "GPU hours",
            "m_gpu_seconds",
            {"conversion_factor": "3600", "operation": "DIVIDE"},
            {"decimal_places": 2, "rounding_method": "ROUND_UP"},
            ["cluster", "gpu_type"],
            ["workspace"],
            ["ai", "compute"],
        ),
        usage(
            "prod_api_requests",
            "API requests",
            "m_api_requests",
            None,
            None,
            None,
            ["endpoint"],
            ["platform"],
        ),
        usage(
            "prod_storage",
            "Storage (peak GB)",
            "m_storage_gb",
            None,
            None,
            ["region"],
            ["bucket"],
            ["platform", "storage"],
        ),
        usage(
            "prod_active_seats",
            "Active seats",
            "m_active_seats",
            None,
            None,
            None,
            ["workspace"],
            ["seats"],
        ),
        fixed("prod_prepaid_commit", "Prepaid commitment"),
        fixed("prod_postpaid_commit", "Postpaid commitment"),
        fixed("prod_credit", "Promotional credit"),
        fixed("prod_support", "Premium support"),
    ]


def rate_cards() -> list[dict]:
    return [
        {
            "id": RC_STANDARD,
            "name": "Standard (pay as you go)",
            "fiat_credit_type_id": "USD_CENTS",
            "credit_type_conversions": [],
        },
        {
            "id": RC_ENTERPRISE,
            "name": "Enterprise",
            "fiat_credit_type_id": "USD_CENTS",
            "credit_type_conversions": [],
        },
    ]


def rate(
    card: str,
    product: str,
    start: datetime,
    end: datetime | None,
    *,
    price: object = None,
    tiers: list[dict] | None = None,
    groups: dict | None = None,
    entitled: bool = True,
) -> dict:
    """One rate row: FLAT when `price` is given, TIERED when `tiers` is."""
    return {
        "rate_card_id": card,
        "product_id": product,
        "starting_at": iso(start),
        "ending_before": iso(end),
        "entitled": entitled,
        "rate_type": "TIERED" if tiers is not None else "FLAT",
        "price": price,
        "tiers": tiers,
        "pricing_group_values": groups,
        "credit_type_id": None,
    }


def rates(tl: Timeline) -> list[dict]:
    """List prices in USD cents. Prices change at h_mid (old ending_before = new starting_at)."""
    since, mid = add_months(tl.h0, -12), tl.h_mid
    large_tiers = [
        {"size": "10", "price": "1500"},
        {"size": 100, "price": "1200"},
        {"price": "1000"},
    ]
    return [
        # Standard: a generic fallback for every model, a tiered price for atlas-large, a
        # data-residency premium (2 keys) and a model the standard card is not entitled to.
        rate(RC_STANDARD, "prod_llm_tokens", since, mid, price="250"),
        rate(RC_STANDARD, "prod_llm_tokens", mid, None, price=200),
        rate(
            RC_STANDARD,
            "prod_llm_tokens",
            since,
            None,
            tiers=large_tiers,
            groups={"model": "atlas-large"},
        ),
        rate(
            RC_STANDARD,
            "prod_llm_tokens",
            since,
            None,
            price="1800",
            groups={"model": "atlas-large", "region": "eu-west-1"},
        ),
        rate(
            RC_STANDARD,
            "prod_llm_tokens",
            since,
            None,
            price="3000",
            groups={"model": "orion-vision"},
            entitled=False,
        ),
        rate(RC_STANDARD, "prod_gpu_hours", since, None, price="450", groups={"gpu_type": "H100"}),
        rate(RC_STANDARD, "prod_gpu_hours", since, None, price="300", groups={"gpu_type": "A100"}),
        rate(RC_STANDARD, "prod_gpu_hours", since, None, price="80", groups={"gpu_type": "L4"}),
        rate(
            RC_STANDARD,
            "prod_gpu_hours",
            since,
            None,
            price="400",
            groups={"cluster": "c-bom-01", "gpu_type": "H100"},
        ),
        rate(RC_STANDARD, "prod_api_requests", since, mid, price="0.05"),
        rate(RC_STANDARD, "prod_api_requests", mid, None, price="0.04"),
        rate(RC_STANDARD, "prod_storage", since, None, price=2.5),
        rate(RC_STANDARD, "prod_active_seats", since, None, price="2000"),
        # Enterprise: model-specific prices only (no fallback: an unknown model has no rate).
        rate(
            RC_ENTERPRISE,
            "prod_llm_tokens",
            since,
            None,
            tiers=[{"size": 50, "price": 1300}, {"price": "1100"}],
            groups={"model": "atlas-large"},
        ),
        rate(
            RC_ENTERPRISE,
            "prod_llm_tokens",
            since,
            None,
            price="150",
            groups={"model": "atlas-small"},
        ),
        rate(
            RC_ENTERPRISE, "prod_llm_tokens", since, mid, price="10", groups={"model": "nova-embed"}
        ),
        rate(
            RC_ENTERPRISE, "prod_llm_tokens", mid, None, price="8", groups={"model": "nova-embed"}
        ),
        rate(
            RC_ENTERPRISE,
            "prod_gpu_hours",
            since,
            None,
            tiers=[
                {"size": "100", "price": "350"},
                {"size": "1000", "price": "300"},
                {"price": "260"},
            ],
        ),
        rate(
            RC_ENTERPRISE,
            "prod_api_requests",
            since,
            None,
            tiers=[{"size": "100000", "price": "0.03"}, {"price": "0.01"}],
        ),
        rate(RC_ENTERPRISE, "prod_storage", since, None, price="2.0"),
        rate(RC_ENTERPRISE, "prod_active_seats", since, None, price=1500),
    ]


@dataclass
class CustomerPlan:
    """What the event generator needs to know about one customer."""

    index: int
    customer_id: str
    slug: str
    aliases: list[str]
    archetype: int
    weight: int
    users: int
    workspaces: int
    window: tuple[datetime, datetime]  # normal events fall in [start, end)


@dataclass
class Config:
    """All configuration objects, plus the per-customer plan and targeted event windows."""

    objects: dict[str, list[dict]] = field(default_factory=dict)
    plans: list[CustomerPlan] = field(default_factory=list)
    # (kind, customer_id, instant lo, instant hi, received lo or None, received hi or None)
    targets: list[tuple[str, str, int, int, int | None, int | None]] = field(default_factory=list)

    def add(self, name: str, row: dict) -> None:
        self.objects.setdefault(name, []).append(row)


def contract(
    cid: str,
    customer: str,
    card: str,
    start: datetime,
    end: datetime | None,
    frequency: str = "MONTHLY",
    day: str = "FIRST_OF_MONTH",
    anchor: datetime | None = None,
    prioritization: str = "LOWEST_MULTIPLIER",
) -> dict:
    return {
        "id": cid,
        "customer_id": customer,
        "rate_card_id": card,
        "starting_at": iso(start),
        "ending_before": iso(end),
        "usage_statement_schedule": {
            "frequency": frequency,
            "day": day,
            "billing_anchor_date": iso(anchor),
        },
        "multiplier_override_prioritization": prioritization,
    }


def override(
    oid: str,
    contract_id: str,
    start: datetime,
    end: datetime | None,
    *,
    multiplier: object = None,
    overwrite_rate: dict | None = None,
    priority: int | None = None,
    product_id: str | None = None,
    product_tags: list[str] | None = None,
    groups: dict | None = None,
) -> dict:
    return {
        "id": oid,
        "contract_id": contract_id,
        "starting_at": iso(start),
        "ending_before": iso(end),
        "type": "OVERWRITE" if overwrite_rate is not None else "MULTIPLIER",
        "multiplier": multiplier,
        "overwrite_rate": overwrite_rate,
        "priority": priority,
        "override_specifiers": [
            {"product_id": product_id, "product_tags": product_tags, "pricing_group_values": groups}
        ],
    }


def segments(balance_id: str, start: datetime, count: int, months: int, amount: int) -> list[dict]:
    """`count` consecutive access segments of `months` months each."""
    return [
        {
            "id": f"{balance_id}_seg{k + 1:02d}",
            "amount": amount,
            "starting_at": iso(add_months(start, k * months)),
            "ending_before": iso(add_months(start, (k + 1) * months)),
        }
        for k in range(count)
    ]


def balance(
    bid: str,
    contract_id: str,
    name: str,
    product: str,
    items: list[dict],
    *,
    kind: str | None = None,
    invoices: list[dict] | None = None,
    product_ids: list[str] | None = None,
    product_tags: list[str] | None = None,
    priority: int | None = None,
) -> dict:
    """A commit (`kind` PREPAID or POSTPAID) or, with kind None, a credit."""
    row: dict = {"id": bid, "contract_id": contract_id}
    if kind is not None:
        row["type"] = kind
    row.update({"name": name, "product_id": product, "access_schedule": {"schedule_items": items}})
    if kind is not None:
        row["invoice_schedule"] = None if invoices is None else {"schedule_items": invoices}
    row.update(
        {
            "applicable_product_ids": product_ids,
            "applicable_product_tags": product_tags,
            "priority": priority,
        }
    )
    return row


def first_31st(start: datetime) -> datetime:
    """The first 31st of a month on or after `start`'s month."""
    month = month_floor(start)
    while (add_months(month, 1) - month).days != 31:
        month = add_months(month, 1)
    return month.replace(day=31)


def customer_names(count: int) -> list[tuple[str, str]]:
    """(name, slug) pairs, unique."""
    firsts, seconds = COMPANY_WORDS
    names = []
    for i in range(count):
        first = firsts[i % len(firsts)]
        second = seconds[(i // len(firsts) + i) % len(seconds)]
        suffix = "" if i < len(firsts) * len(seconds) else f" {i // (len(firsts) * len(seconds))}"
        name = f"{first} {second}{suffix}"
        names.append((name, name.lower().replace(" ", "-")))
    return names


@dataclass(frozen=True)
class Owner:
    """One customer being configured: ids and the scale of its balances."""

    cfg: Config
    tl: Timeline
    index: int
    unit: int  # a typical month of spend, in cents

    @property
    def num(self) -> str:
        return f"{self.index + 1:04d}"

    @property
    def customer_id(self) -> str:
        return f"cus_{self.num}"

    def contract_id(self, suffix: str = "a") -> str:
        return f"con_{self.num}_{suffix}"

    def target(
        self,
        kind: str,
        lo: datetime,
        hi: datetime,
        received: tuple[datetime, datetime] | None = None,
    ) -> None:
        rlo, rhi = (None, None) if received is None else (to_us(received[0]), to_us(received[1]))
        self.cfg.targets.append((kind, self.customer_id, to_us(lo), to_us(hi), rlo, rhi))


Window = tuple[datetime, datetime]


def monthly_with_credits(o: Owner) -> Window:
    """Monthly calendar billing, two credits and LOWEST_MULTIPLIER overrides."""
    tl, con = o.tl, o.contract_id()
    o.cfg.add("contracts", contract(con, o.customer_id, RC_STANDARD, tl.h0, None))
    o.cfg.add(
        "overrides",
        override(
            f"ov_{o.num}_ai",
            con,
            add_months(tl.h0, 1),
            None,
            multiplier=0.9,
            priority=1,
            product_tags=["ai"],
        ),
    )
    o.cfg.add(
        "overrides",
        override(
            f"ov_{o.num}_h100",
            con,
            tl.h0,
            tl.h_mid,
            multiplier="0.8",
            priority=2,
            product_id="prod_gpu_hours",
            groups={"gpu_type": "H100"},
        ),
    )
    onboarding, promo = f"cr_{o.num}_onboarding", f"cr_{o.num}_promo"
    o.cfg.add(
        "credits",
        balance(
            onboarding,
            con,
            "Onboarding credit",
            "prod_credit",
            segments(onboarding, tl.h0, 1, 2, o.unit),
        ),
    )
    o.cfg.add(
        "credits",
        balance(
            promo,
            con,
            "Inference promotion",
            "prod_credit",
            segments(promo, tl.h_mid, 1, 1, o.unit // 4),
            product_tags=["inference"],
            priority=0,
        ),
    )
    # Late in a closed month, received after that month finalized (end + 24h grace).
    for month in range(24):
        start = add_months(tl.h0, month)
        end = add_months(start, 1)
        if end + timedelta(days=8) <= tl.as_of:
            o.target(
                "finalized",
                start + timedelta(days=19),
                end - timedelta(hours=1),
                (end + timedelta(hours=25), end + timedelta(days=7)),
            )
    return tl.hist_start, tl.as_of


def quarterly_enterprise(o: Owner) -> Window:
    """Quarterly (every other one annual) enterprise contract with two prepaid commits."""
    tl, con = o.tl, o.contract_id()
    frequency = "ANNUAL" if (o.index // 8) % 2 else "QUARTERLY"
    o.cfg.add("contracts", contract(con, o.customer_id, RC_ENTERPRISE, tl.h0, None, frequency))
    ai, infra = f"pc_{o.num}_ai", f"pc_{o.num}_infra"
    o.cfg.add(
        "commits",
        balance(
            ai,
            con,
            "AI prepaid commitment",
            "prod_prepaid_commit",
            segments(ai, tl.h0, 12, 1, o.unit),
            kind="PREPAID",
            invoices=[
                {"amount": 3 * o.unit, "timestamp": iso(add_months(tl.h0, 3 * q))} for q in range(4)
            ],
            product_tags=["ai"],
            priority=1,
        ),
    )
    o.cfg.add(
        "commits",
        balance(
            infra,
            con,
            "Infrastructure prepay",
            "prod_prepaid_commit",
            segments(infra, tl.h0, 1, 3, o.unit),
            kind="PREPAID",
            invoices=[{"amount": o.unit, "timestamp": iso(tl.h0)}],
            product_ids=["prod_gpu_hours"],
            product_tags=["storage"],
            priority=2,
        ),
    )
    o.target("no_rate_model", tl.hist_start, tl.as_of)
    return tl.hist_start, tl.as_of


def anchored_15th(o: Owner) -> Window:
    """Nth-of-month billing on the 15th, starting a quarter into the history."""
    tl, con = o.tl, o.contract_id()
    start = tl.at(0.25)
    if start.day == 15:
        start += timedelta(days=1)
    o.cfg.add(
        "contracts",
        contract(
            con,
            o.customer_id,
            RC_STANDARD,
            start,
            None,
            day="CUSTOM_DATE",
            anchor=tl.h0.replace(day=15),
        ),
    )
    credit = f"cr_{o.num}_platform"
    o.cfg.add(
        "credits",
        balance(
            credit,
            con,
            "Platform credit",
            "prod_credit",
            segments(credit, start, 6, 1, o.unit // 10),
            product_ids=["prod_active_seats", "prod_api_requests"],
            product_tags=["storage"],
            priority=1,
        ),
    )
    o.target("no_contract", start - timedelta(days=20), start)
    return max(start, tl.hist_start), tl.as_of


def anchored_31st(o: Owner) -> Window:
    """Billing anchored on the 31st, a promotional OVERWRITE and a postpaid commit."""
    tl, con = o.tl, o.contract_id()
    o.cfg.add(
        "contracts",
        contract(
            con,
            o.customer_id,
            RC_ENTERPRISE,
            tl.h0,
            None,
            day="CUSTOM_DATE",
            anchor=first_31st(tl.h0),
        ),
    )
    o.cfg.add(
        "overrides",
        override(
            f"ov_{o.num}_promo",
            con,
            add_months(tl.h0, 1),
            add_months(tl.h0, 3),
            overwrite_rate={
                "rate_type": "TIERED",
                "price": None,
                "tiers": [{"size": "50", "price": "1100"}, {"price": "900"}],
            },
            product_id="prod_llm_tokens",
            groups={"model": "atlas-large"},
        ),
    )
    postpaid = f"pc_{o.num}_postpaid"
    o.cfg.add(
        "commits",
        balance(
            postpaid,
            con,
            "Quarterly minimum spend",
            "prod_postpaid_commit",
            segments(postpaid, tl.h0, 4, 3, 4 * o.unit),
            kind="POSTPAID",
        ),
    )
    o.target("no_rate_model", tl.hist_start, tl.as_of)
    return tl.hist_start, tl.as_of


def weekly(o: Owner) -> Window:
    """Weekly statements from a mid-week contract start."""
    start = o.tl.h0 + timedelta(days=3 + (o.index // 8) % 7)
    o.cfg.add(
        "contracts",
        contract(
            o.contract_id(), o.customer_id, RC_STANDARD, start, None, "WEEKLY", "CONTRACT_START"
        ),
    )
    return max(start, o.tl.hist_start), o.tl.as_of


def overlapping(o: Owner) -> Window:
    """Two overlapping contracts: an enterprise pilot beside the standard contract."""
    tl = o.tl
    o.cfg.add("contracts", contract(o.contract_id("a"), o.customer_id, RC_STANDARD, tl.h0, None))
    o.cfg.add(
        "contracts",
        contract(
            o.contract_id("b"),
            o.customer_id,
            RC_ENTERPRISE,
            tl.at(0.4),
            tl.at(0.75),
            day="CONTRACT_START",
        ),
    )
    return tl.hist_start, tl.as_of


def churned(o: Owner) -> Window:
    """The contract ends mid-history (mid-period); an annual prepay expires unspent."""
    tl, con = o.tl, o.contract_id()
    end = tl.at(0.55)
    o.cfg.add("contracts", contract(con, o.customer_id, RC_STANDARD, tl.h0, end))
    annual = f"pc_{o.num}_annual"
    o.cfg.add(
        "commits",
        balance(
            annual,
            con,
            "Annual prepay",
            "prod_prepaid_commit",
            segments(annual, tl.h0, 1, 12, 6 * o.unit),
            kind="PREPAID",
            invoices=[{"amount": 6 * o.unit, "timestamp": iso(tl.h0)}],
            product_tags=["ai"],
            priority=1,
        ),
    )
    o.target("no_contract", end, tl.as_of)
    return tl.hist_start, end


def renewal(o: Owner) -> Window:
    """Standard until h_mid, then enterprise with EXPLICIT override prioritization."""
    tl, old, new = o.tl, o.contract_id("a"), o.contract_id("b")
    o.cfg.add("contracts", contract(old, o.customer_id, RC_STANDARD, tl.h0, tl.h_mid))
    o.cfg.add(
        "contracts",
        contract(new, o.customer_id, RC_ENTERPRISE, tl.h_mid, None, prioritization="EXPLICIT"),
    )
    o.cfg.add(
        "overrides",
        override(
            f"ov_{o.num}_api",
            new,
            tl.h_mid,
            None,
            priority=1,
            overwrite_rate={"rate_type": "FLAT", "price": "0.02", "tiers": None},
            product_id="prod_api_requests",
        ),
    )
    o.cfg.add(
        "overrides",
        override(
            f"ov_{o.num}_platform_1",
            new,
            tl.h_mid,
            None,
            multiplier="0.95",
            priority=1,
            product_tags=["platform"],
        ),
    )
    o.cfg.add(
        "overrides",
        override(
            f"ov_{o.num}_platform_2",
            new,
            tl.h_mid,
            None,
            multiplier=0.85,
            priority=2,
            product_tags=["platform"],
        ),
    )
    credit, commit = f"cr_{o.num}_renewal", f"pc_{o.num}_renewal"
    o.cfg.add(
        "credits",
        balance(
            credit,
            new,
            "Renewal credit",
            "prod_credit",
            segments(credit, tl.h_mid, 1, 2, o.unit // 2),
            priority=5,
        ),
    )
    o.cfg.add(
        "commits",
        balance(
            commit,
            new,
            "LLM prepay",
            "prod_prepaid_commit",
            segments(commit, tl.h_mid, 6, 1, o.unit // 2),
            kind="PREPAID",
            invoices=[{"amount": 3 * o.unit, "timestamp": iso(tl.h_mid)}],
            product_ids=["prod_llm_tokens"],
            priority=5,
        ),
    )
    return tl.hist_start, tl.as_of


# Customer i gets ARCHETYPES[i % 8]; each writes its contracts and balances and returns the
# window its normal events fall in.
ARCHETYPES: tuple[Callable[[Owner], Window], ...] = (
    monthly_with_credits,
    quarterly_enterprise,
    anchored_15th,
    anchored_31st,
    weekly,
    overlapping,
    churned,
    renewal,
)


def add_customer(
    cfg: Config,
    tl: Timeline,
    rng: random.Random,
    index: int,
    seed: int,
    name: str,
    slug: str,
    unit: int,
) -> None:
    """One customer with its aliases, contracts, overrides, commits and credits."""
    owner = Owner(cfg, tl, index, unit)
    aliases = [slug, f"org_{(index * 2654435761 + seed) % 2**32:08x}"][: rng.choice((0, 1, 1, 2))]
    cfg.add("customers", {"id": owner.customer_id, "name": name, "ingest_aliases": aliases})
    archetype = index % len(ARCHETYPES)
    window = ARCHETYPES[archetype](owner)
    weight = 0 if window[1] <= window[0] else rng.choice((1, 2, 3, 5, 8, 13, 21))
    cfg.plans.append(
        CustomerPlan(
            index,
            owner.customer_id,
            slug,
            aliases,
            archetype,
            weight,
            users=rng.randint(3, 150),
            workspaces=rng.randint(1, 4),
            window=window,
        )
    )


def unit_costs(tl: Timeline) -> list[dict]:
    """What a unit costs the platform (optional input unit_costs.jsonl, for margin reports):
    GPU hours by GPU type and cluster (power prices differ), LLM tokens by model, storage flat;
    GPU costs rise at mid-history."""

    def cost(product: str, values: dict, per_unit: str, start: datetime, end) -> dict:
        return {
            "product_id": product,
            "dimension_values": values,
            "cost_per_unit": per_unit,
            "starting_at": iso(start),
            "ending_before": iso(end),
        }

    rows = []
    gpu = {"H100": 180, "A100": 110, "L4": 25}
    clusters = {"c-iad-01": "1.00", "c-fra-02": "1.15", "c-bom-01": "0.85"}
    for gpu_type, base in gpu.items():
        for cluster, factor in clusters.items():
            before = Decimal(base) * Decimal(factor)
            after = before * Decimal("1.1")
            values = {"cluster": cluster, "gpu_type": gpu_type}
            rows.append(cost("prod_gpu_hours", values, str(before), tl.h0, tl.h_mid))
            rows.append(cost("prod_gpu_hours", values, str(after), tl.h_mid, None))
    for model, per_million in (
        ("atlas-small", "0.4"),
        ("atlas-large", "3.1"),
        ("nova-embed", "0.05"),
    ):
        rows.append(cost("prod_llm_tokens", {"model": model}, per_million, tl.h0, None))
    rows.append(cost("prod_llm_tokens", {}, "1.5", tl.h0, None))  # any other model
    rows.append(cost("prod_storage", {}, "0.8", tl.h0, None))
    return rows


def build_config(tl: Timeline, customers: int, events: int, seed: int) -> Config:
    """Every configuration object, deterministic for (timeline, sizes, seed)."""
    rng = random.Random(seed)
    cfg = Config(objects={name: [] for name in CONFIG_FILES})
    cfg.objects["billable_metrics"] = billable_metrics()
    cfg.objects["products"] = products()
    cfg.objects["rate_cards"] = rate_cards()
    cfg.objects["rates"] = rates(tl)
    cfg.objects["unit_costs"] = unit_costs(tl)
    months = max(1.0, (tl.as_of - tl.hist_start).days / 30.4)
    # Balance amounts scale with volume so some balances run out and some expire unspent.
    unit = max(100, int(round(events / max(customers, 1) / months * 40, -2)))
    for index, (name, slug) in enumerate(customer_names(customers)):
        add_customer(cfg, tl, rng, index, seed, name, slug, unit)
    return cfg


def write_config(out: Path, cfg: Config) -> None:
    for name in (*CONFIG_FILES, *OPTIONAL_FILES):
        text = "".join(json.dumps(row) + "\n" for row in cfg.objects.get(name, []))
        (out / f"{name}.jsonl").write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------


def plan_counts(events: int, cfg: Config) -> dict[str, int]:
    """Rows per kind; 'normal' takes the rest. Small runs still get every kind."""
    counts: dict[str, int] = {}
    target_kinds = {t[0] for t in cfg.targets}
    for kind, _tag, fraction, minimum in KINDS:
        if kind in TARGET_KINDS and kind not in target_kinds:
            counts[kind] = 0
            continue
        counts[kind] = max(minimum, round(events * fraction))
    while sum(counts.values()) > events // 2 and any(counts.values()):
        counts = {k: v // 2 for k, v in counts.items()}
    counts = {"normal": events - sum(counts.values()), **counts}
    return counts


def load_tables(con: duckdb.DuckDBPyConnection, cfg: Config, counts: dict[str, int]) -> None:
    """Customer slots, targets and kind ranges as small DuckDB tables."""
    con.execute(
        "create table customers (cidx int, customer_id varchar, slug varchar, "
        "alias1 varchar, alias2 varchar, n_alias int, users int, workspaces int, "
        "ws_us bigint, wlen_us bigint, slot_lo bigint, slot_hi bigint)"
    )
    rows, slot = [], 0
    for p in cfg.plans:
        aliases = p.aliases + [None, None]
        lo, hi = to_us(p.window[0]), to_us(p.window[1])
        rows.append(
            (
                p.index,
                p.customer_id,
                p.slug,
                aliases[0],
                aliases[1],
                len(p.aliases),
                p.users,
                p.workspaces,
                lo,
                max(hi - lo, 0),
                slot,
                slot + p.weight,
            )
        )
        slot += p.weight
    if rows:
        con.executemany("insert into customers values (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.execute(
        f"create table slots as select s, c.* from range({max(slot, 1)}) r(s) "
        "join customers c on r.s >= c.slot_lo and r.s < c.slot_hi"
    )
    con.execute(
        "create table targets (kind varchar, k int, customer_id varchar, lo bigint, "
        "hi bigint, rlo bigint, rhi bigint)"
    )
    by_kind: dict[str, int] = {}
    for kind, cus, lo, hi, rlo, rhi in cfg.targets:
        con.execute(
            "insert into targets values (?,?,?,?,?,?,?)",
            (kind, by_kind.get(kind, 0), cus, lo, hi, rlo, rhi),
        )
        by_kind[kind] = by_kind.get(kind, 0) + 1
    con.execute(
        "create table kinds (kind varchar, tag varchar, lo bigint, hi bigint, n_targets int)"
    )
    tags = {"normal": "evt", **{kind: tag for kind, tag, _f, _m in KINDS}}
    start = 0
    for kind, count in counts.items():
        con.execute(
            "insert into kinds values (?,?,?,?,?)",
            (kind, tags[kind], start, start + count, by_kind.get(kind, 0)),
        )
        start += count
    con.execute(f"create table slot_count as select {max(slot, 1)} as n")


def base_sql(seed: int) -> str:
    """Every row gets a customer, a window and random draws; kinds override some fields."""
    draws = ", ".join(f"(hash(r.i, {seed}, {n}) >> 1)::bigint as h{n}" for n in range(1, 9))
    return f"""
create view base as
with rows as (
    select r.i, k.kind, k.tag, k.lo as kind_lo, k.n_targets, {draws}
    from range((select coalesce(max(hi), 0) from kinds where kind <> 'dup')) r(i)
    join kinds k on r.i >= k.lo and r.i < k.hi
),
picked as (
    select rows.*, coalesce(t.customer_id, s.customer_id) as picked_id,
        t.lo as t_lo, t.hi as t_hi, t.rlo, t.rhi
    from rows
    join slots s on s.s = rows.h1 % (select n from slot_count)
    left join targets t
        on t.kind = rows.kind and t.k = (rows.i - rows.kind_lo) % nullif(rows.n_targets, 0)
)
select picked.*, c.cidx, c.customer_id as cust, c.slug, c.alias1, c.alias2, c.n_alias,
    c.users, c.workspaces,
    coalesce(picked.t_lo, c.ws_us) as lo_us, coalesce(picked.t_hi - picked.t_lo, c.wlen_us)
        as len_us,
    (h2 % 1000003) / 1000003.0 as u_time,
    (h3 % 1000003) / 1000003.0 as u_type,
    (h4 % 1000003) / 1000003.0 as u_lag,
    (h5 % 1000003) / 1000003.0 as u_val
from picked
join customers c on c.customer_id = picked.picked_id
"""


def instants_sql(as_of_us: int) -> str:
    """`inst_us` (the event time its timestamp names) and `recv_us` (when it reached us)."""
    lag = "(20000 + floor(pow(u_lag, 4) * 240000000))::bigint"
    late_lag = f"({HOUR_US} + floor(u_lag * {21 * HOUR_US}))::bigint"
    n_odd = len(ODD_TS_FORMS)
    return f"""
create view timed as
with t as (
    select *,
        case when kind = 'normal' then
            -- usage grows over the history: density rises towards as_of
            lo_us + floor(sqrt(u_time) * len_us)::bigint
        else lo_us + floor(u_time * len_us)::bigint end // 1000 * 1000 as ms_us
    from base
),
o as (
    select *,
        case
            when kind = 'odd_ts' and (i - kind_lo) % {n_odd} = 2 then ms_us + h6 % 1000
            when kind = 'odd_ts' then ms_us // 1000000 * 1000000
            else ms_us
        end as occurred_us
    from t
),
r as (
    select *,
        case
            when rlo is not null then rlo + floor(u_lag * (rhi - rlo))::bigint
            when kind = 'late' then least(occurred_us + {late_lag}, {as_of_us})
            when kind = 'after_as_of' then {as_of_us} + 1000000
                + floor(u_time * {3 * DAY_US})::bigint
            else least(occurred_us + {lag}, {as_of_us})
        end as recv_us
    from o
)
select *,
    case
        when kind = 'future' then recv_us + {25 * HOUR_US} + floor(u_val * {10 * DAY_US})::bigint
        when kind = 'too_old' then recv_us - {35 * DAY_US} - floor(u_val * {40 * DAY_US})::bigint
        when kind = 'after_as_of' then recv_us - {lag}
        else occurred_us
    end as inst_us
from r
"""


BAD_TOKENS = (
    '\', "tokens": "abc"\'',
    "', \"tokens\": null'",
    '\', "tokens": "1e5"\'',
    '\', "tokens": "12,000"\'',
    "''",
)


def properties_sql() -> str:
    """Event type, property values and the JSON text, per type."""
    model = (
        "case when kind = 'no_rate' then 'orion-vision' "
        "when kind = 'no_rate_model' then 'atlas-xl-preview' "
        "when h6 % 10 < 5 then 'atlas-small' when h6 % 10 < 8 then 'atlas-large' "
        "else 'nova-embed' end"
    )
    region = (
        "case when h7 % 10 < 6 then 'us-east-1' when h7 % 10 < 9 then 'eu-west-1' "
        "else 'ap-south-1' end"
    )
    bad_tokens = " ".join(f"when {n} then {form}" for n, form in enumerate(BAD_TOKENS))
    return f"""
create view props as
with v as (
    select *,
        case
            when kind not in ('normal', 'late', 'odd_ts', 'after_as_of') then 'llm_inference'
            when u_type < 0.55 then 'llm_inference'
            when u_type < 0.75 then 'api_request'
            when u_type < 0.85 then 'gpu_job'
            when u_type < 0.90 then 'storage_snapshot'
            when u_type < 0.985 then 'seat_activity'
            else 'heartbeat'
        end as etype,
        {model} as model,
        {region} as region,
        list_extract(['c-iad-01', 'c-fra-02', 'c-bom-01'], 1 + (h6 % 3)::int) as cluster,
        slug || '-' || list_extract(['prod', 'staging', 'research', 'batch'],
            1 + (h8 % workspaces)::int) as workspace,
        printf('u-%03d-%04d', cidx, h8 // 7 % users) as user_id,
        -- the platform's customers' own customers (customer-of-customer spend)
        slug || '-client-' || (h5 // 13 % 8) as end_customer,
        floor(exp(ln(20) + u_val * ln(20000)))::bigint as tokens,
        60 + floor(pow(u_val, 2) * 287400) / 10 as gpu_seconds
    from timed
)
select *,
    case etype
        when 'llm_inference' then
            '{{"model": "' || model || '", "region": "' || region || '", "workspace": "'
            || workspace || '", "user_id": "' || user_id || '", "end_customer": "'
            || end_customer || '"'
            || case
                when kind = 'bad_value' then case (i - kind_lo) % {len(BAD_TOKENS)}
                    {bad_tokens} end
                when h7 % 100 < 3 then ', "tokens": "' || tokens || '"'
                else ', "tokens": ' || tokens end
            || '}}'
        when 'gpu_job' then
            '{{"cluster": "' || cluster || '", "gpu_type": "'
            || list_extract(['H100', 'A100', 'L4'], 1 + (h7 % 3)::int)
            || '", "region": "'
            || case cluster when 'c-iad-01' then 'us-east-1' when 'c-fra-02' then 'eu-west-1'
                   else 'ap-south-1' end
            || '", "workspace": "' || workspace || '", "job_id": "job-' || (h5 % 100000000)
            || '", "gpu_seconds": '
            || case when h8 % 10 < 3 then printf('%.1f', gpu_seconds)
                    else floor(gpu_seconds)::bigint::varchar end
            || '}}'
        when 'api_request' then
            '{{"endpoint": "'
            || list_extract(['/v1/chat/completions', '/v1/embeddings', '/v1/files',
                             '/v1/models'], 1 + (h6 % 4)::int)
            || '", "status": "'
            || case when h7 % 100 < 90 then 'ok' when h7 % 100 < 95 then 'client_error'
                    else 'server_error' end
            || '", "region": "' || region || '", "workspace": "' || workspace
            || '", "user_id": "' || user_id || '", "end_customer": "' || end_customer
            || '", "latency_ms": ' || (5 + h5 % 2000) || '}}'
        when 'storage_snapshot' then
            '{{"bucket": "' || slug || '-'
            || list_extract(['models', 'datasets', 'logs'], 1 + (h6 % 3)::int)
            || '", "region": "' || region || '", "workspace": "' || workspace
            || '", "gb": '
            || printf('%.2f', (10 + cidx * 37 % 900) * (1 + u_time) * (0.8 + 0.2 * u_val))
            || '}}'
        when 'seat_activity' then
            '{{"user_id": "' || user_id || '", "role": "'
            || case when h6 % 100 < 80 then 'member' when h6 % 100 < 90 then 'admin'
                    else 'service_account' end
            || '", "workspace": "' || workspace || '", "region": "' || region || '"}}'
        else case when h6 % 2 = 0 then null else '{{"agent_version": "1.4.2"}}' end
    end as props_json
from v
"""


def column_exprs(seed: int) -> list[str]:
    """Output column expressions over table `props` (+ `inst`), malformed forms applied."""
    salt = seed % 2**40 * 7919 % 2**40
    odd = " ".join(f"when {n} then {form}" for n, form in enumerate(ODD_TS_FORMS))
    columns = {
        "transaction_id": f"tag || '-' || printf('%010x', (i * 2654435761 + {salt}) "
        "% 1099511627776)",
        "customer_id": "case when kind = 'no_customer' then list_extract(['cus_deleted_' || "
        "printf('%04d', i % 97), 'ghost-labs', 'northwind-sandbox'], "
        "1 + (i % 3)::int) when n_alias > 0 and h8 % 10 < 3 then "
        "case when n_alias = 2 and h8 % 2 = 0 then alias2 else alias1 end "
        "else cust end",
        "event_type": "etype",
        "timestamp": f"case when kind = 'odd_ts' then case (i - kind_lo) % "
        f"{len(ODD_TS_FORMS)} {odd} end "
        "else strftime(inst, '%Y-%m-%dT%H:%M:%S.%gZ') end",
        "properties": "props_json",
    }
    by_column: dict[str, list[str]] = {}
    for n, (column, expr) in enumerate(MALFORMED_FORMS):
        by_column.setdefault(column, []).append(f"when {n} then {expr}")
    selects = []
    for column, expr in columns.items():
        if column in by_column:
            whens = " ".join(by_column[column])
            expr = (
                f"case when kind = 'malformed' then case (i - kind_lo) % "
                f"{len(MALFORMED_FORMS)} {whens} else {expr} end else {expr} end"
            )
        selects.append(f"{expr} as {column}")
    return selects


def events_sql(seed: int, counts: dict[str, int]) -> str:
    """Table `events`: the rows plus exact resends of every `stride`-th normal event."""
    n_dup = counts["dup"]
    stride = max(1, counts["normal"] // max(n_dup, 1))
    dup_lo = sum(v for k, v in counts.items() if k != "dup")
    return f"""
create table events as
with single as (
    select i, {", ".join(column_exprs(seed))}, recv_us,
        kind = 'normal' and i % {stride} = 0 and i // {stride} < {n_dup} as is_dup_source
    from (select *, make_timestamp(inst_us) as inst from props)
),
tagged as (
    select i, case when is_dup_source then 'dup' || substr(transaction_id, 4)
        else transaction_id end as transaction_id,
        customer_id, event_type, timestamp, properties, recv_us, is_dup_source
    from single
),
copies as (
    -- resent: half within the hour (retries), most within 3 days, some weeks later
    select {dup_lo} + i // {stride} as i, transaction_id, customer_id, event_type, timestamp,
        properties,
        recv_us + case
            when g9 % 10 < 5 then 1000000 + g10 % {HOUR_US}
            when g9 % 10 < 9 then g10 % {3 * DAY_US}
            else {3 * DAY_US} + g10 % {27 * DAY_US} end as recv_us
    from (select *, (hash(i, {seed}, 9) >> 1)::bigint as g9,
              (hash(i, {seed}, 10) >> 1)::bigint as g10
          from tagged where is_dup_source)
)
select i, transaction_id, customer_id, event_type, timestamp, properties,
    make_timestamp(recv_us)::timestamptz as received_at
from (select i, transaction_id, customer_id, event_type, timestamp, properties, recv_us
      from tagged union all select * from copies)
"""


def build_events(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    counts: dict[str, int],
    tl: Timeline,
    seed: int,
    step: Callable[[str], None],
) -> None:
    """Create table `events` in `con` (views for the steps, one table at the end)."""
    step("planning customers and kinds")
    load_tables(con, cfg, counts)
    step(f"building {sum(counts.values()):,} events")
    for sql in (
        base_sql(seed),
        instants_sql(to_us(tl.as_of)),
        properties_sql(),
        events_sql(seed, counts),
    ):
        con.execute(sql)


def file_sizes(total: int) -> list[int]:
    """Rows per events file: ~1M each, at least 2 files when there are 2+ events."""
    files = max(2, math.ceil(total / ROWS_PER_FILE)) if total >= 2 else 1
    base, extra = divmod(total, files)
    return [base + (1 if k < extra else 0) for k in range(files)]


def write_events(
    con: duckdb.DuckDBPyConnection, out: Path, total: int, progress: Callable[[int], None]
) -> int:
    """Stream table `events`, ordered by arrival, into events/events-NNNNN.parquet files."""
    folder = out / "events"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    sizes = file_sizes(total)
    query = (
        "select transaction_id, customer_id, event_type, timestamp, properties, "
        "received_at from events order by received_at, i"
    )
    reader = con.execute(query).to_arrow_reader(BATCH_ROWS)
    pending: list[pa.RecordBatch] = []
    written = 0
    for number, size in enumerate(sizes):
        with pq.ParquetWriter(folder / f"events-{number:05d}.parquet", EVENT_SCHEMA) as writer:
            remaining = size
            while remaining > 0:
                batch = pending.pop() if pending else reader.read_next_batch()
                take = min(remaining, batch.num_rows)
                writer.write_table(pa.Table.from_batches([batch.slice(0, take)]).cast(EVENT_SCHEMA))
                if take < batch.num_rows:
                    pending.append(batch.slice(take))
                remaining -= take
                written += take
                progress(written)
            if size == 0:
                writer.write_table(EVENT_SCHEMA.empty_table())
    return len(sizes)


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


class Progress:
    """Plain-text progress on stderr: one line per build step, then a bar while writing."""

    def __init__(self, total: int, width: int = 30) -> None:
        self.total, self.width = max(total, 1), width
        self.tty = sys.stderr.isatty()
        self.last = -1

    def step(self, label: str) -> None:
        sys.stderr.write(f"{label}...\n")
        sys.stderr.flush()

    def show(self, done: int) -> None:
        percent = 100 * done // self.total
        if percent == self.last or not (self.tty or percent // 25 > self.last // 25):
            return
        self.last = percent
        filled = self.width * done // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        sys.stderr.write(f"[{bar}] {percent:3d}% {done:,} rows" + ("\r" if self.tty else "\n"))
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def count_arg(text: str) -> int:
    """A non-negative whole number; '1e6' and '1_000_000' are accepted."""
    try:
        value = float(text.replace("_", ""))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if value < 0 or value != int(value):
        raise argparse.ArgumentTypeError(f"need a non-negative whole number: {text!r}")
    return int(value)


def timestamp_arg(text: str) -> datetime:
    try:
        return parse_ts(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 timestamp with zone: {text!r}") from exc


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Write sample raw input for the rated events warehouse (rules section 3 in "
            "docs/billing-rules.md): events/events-NNNNN.parquet plus one JSONL file per "
            "configuration object. "
            "Events spread over the --months months before --as-of; a small known fraction is "
            "bad on purpose (every error code of rules section 6, duplicates, late arrivals, "
            "events received after --as-of). transaction_id prefixes name each event's intended "
            "outcome (evt-, dup-, late-, odd-ts-, after-as-of-, malformed-, future-, too-old-, "
            "no-customer-, no-contract-, no-rate-, bad-value-, finalized-). The same arguments "
            "always give byte-identical files."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--events",
        type=count_arg,
        default=100_000,
        help="total event rows to write (1e6 style accepted)",
    )
    parser.add_argument(
        "--customers",
        type=count_arg,
        default=50,
        help="number of customers (8+ gives every contract shape and bad kind)",
    )
    parser.add_argument(
        "--months", type=count_arg, default=6, help="history length in months before --as-of"
    )
    parser.add_argument("--seed", type=count_arg, default=42, help="random seed")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("data/raw"),
        help="output folder (its events/*.parquet are replaced)",
    )
    parser.add_argument(
        "--as-of",
        type=timestamp_arg,
        default="2026-06-15T00:00:00Z",
        help="the warehouse's as_of (RFC 3339): events spread before it, a few arrive after it",
    )
    parser.add_argument(
        "--add-day",
        action="store_true",
        help=(
            "instead of writing a folder, add one more day of events to the one in --out: "
            "copies of the events received in the day up to --as-of, one day later, in "
            "events/day-YYYYMMDD.parquet (the next day's file for a daily incremental run "
            "at --as-of + 1 day; configuration is left as it is)"
        ),
    )
    args = parser.parse_args(argv)
    if args.months < 1:
        parser.error("--months must be at least 1")
    if args.customers < 1:
        parser.error("--customers must be at least 1")
    return args


def generate(
    out: Path,
    events: int,
    customers: int,
    months: int,
    seed: int,
    as_of: datetime,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write the whole raw folder; returns the rows per event kind."""
    tl = Timeline.build(as_of, months)
    cfg = build_config(tl, customers, events, seed)
    counts = plan_counts(events, cfg)
    out.mkdir(parents=True, exist_ok=True)
    write_config(out, cfg)
    bar = progress or Progress(events)
    # up to 10M events the tables live in memory; beyond, in a scratch database beside the
    # output with a memory limit, so DuckDB spills to disk (50M events in memory outgrow 20 GB)
    scratch = out.parent / f".{out.name}-generating.duckdb" if events > IN_MEMORY_EVENTS else None
    if scratch is not None:
        remove_database(scratch)
    con = duckdb.connect(str(scratch) if scratch is not None else ":memory:")
    try:
        con.execute(f"set threads = {min(4, os.cpu_count() or 1)}")
        con.execute("set TimeZone = 'UTC'")
        con.execute("set preserve_insertion_order = true")
        if scratch is not None:
            con.execute(f"set memory_limit = '{SCRATCH_MEMORY_LIMIT}'")
        build_events(con, cfg, counts, tl, seed, bar.step)
        bar.step(f"writing {events:,} events")
        write_events(con, out, events, bar.show)
    finally:
        con.close()
        bar.close()
        if scratch is not None:
            remove_database(scratch)
    return counts


def remove_database(path: Path) -> None:
    """A DuckDB database file with its write-ahead log and spill folder."""
    for leftover in (path, Path(f"{path}.wal"), Path(f"{path}.tmp")):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink(missing_ok=True)


def add_day(out: Path, as_of: datetime) -> tuple[Path, int]:
    """One more day of events for a daily incremental run at as_of + 1 day: the events received
    in (as_of - 1 day, as_of], each one day later, with transaction ids prefixed by the new day
    (so they are new events, and copies of one event stay duplicates of each other). Timestamps
    that parse are rewritten in canonical UTC form; malformed ones are kept as they are."""
    day = as_of + timedelta(days=1)
    target = out / "events" / f"day-{day:%Y%m%d}.parquet"
    if target.exists():
        target.unlink()
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set preserve_insertion_order = true")
        con.execute(
            """
            copy (
                select
                    'd' || strftime(?::timestamptz, '%Y%m%d') || '-' || transaction_id
                        as transaction_id,
                    customer_id,
                    event_type,
                    coalesce(
                        strftime(
                            try_cast(timestamp as timestamptz) + interval 1 day,
                            '%Y-%m-%dT%H:%M:%S.%fZ'
                        ),
                        timestamp
                    ) as timestamp,
                    properties,
                    received_at + interval 1 day as received_at
                from read_parquet(?, filename = true, file_row_number = true)
                where received_at > ?::timestamptz - interval 1 day
                    and received_at <= ?::timestamptz
                order by filename, file_row_number
            ) to {{target}} (format parquet)
            """.replace("{{target}}", quote_literal(str(target))),
            [day, str(out / "events" / "*.parquet"), as_of, as_of],
        )
        rows = con.execute("select count(*) from read_parquet(?)", [str(target)]).fetchone()[0]
    finally:
        con.close()
    return target, rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    if args.add_day:
        target, rows = add_day(args.out, args.as_of)
        print(f"wrote {rows} events of the day after {iso(args.as_of)} to {target}")
        return 0
    counts = generate(args.out, args.events, args.customers, args.months, args.seed, args.as_of)
    bad = {k: v for k, v in counts.items() if k not in ("normal", "late", "odd_ts")}
    detail = ", ".join(f"{k} {v}" for k, v in bad.items())
    print(
        f"wrote {args.events} events ({len(file_sizes(args.events))} files) and config for "
        f"{args.customers} customers to {args.out} in {time.perf_counter() - started:.1f}s; "
        f"normal {counts['normal']}, late {counts['late']}, odd timestamps "
        f"{counts['odd_ts']}; {detail}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
