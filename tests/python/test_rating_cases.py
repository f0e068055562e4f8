"""Rating core (rules 4.3-4.8, 7, 8): hand-computed end-to-end cases.

One scenario folder holds every case (each with its own customers, contracts, rate cards,
metrics and products, and its own event types so no event can reach another case's metric);
one `dbt build` at a pinned as_of checks them all. Every expected number below is worked out
by hand from docs/billing-rules.md, with the arithmetic in a comment next to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import scenario as shared
from scenario import Scenario, event, parse_utc

AS_OF = "2026-03-10T00:00:00Z"
AS_OF_NAIVE = datetime(2026, 3, 10)
D = Decimal
N = None  # FLAT rows carry no tier_index


def dt(text: str) -> datetime:
    """'2026-01-31T00:00:00Z' -> naive UTC datetime, as the warehouse returns timestamps."""
    return parse_utc(text).astimezone(UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------------------------
# Scenario builders
# --------------------------------------------------------------------------------------------

S = Scenario()


def account(
    name: str,
    *,
    card: str | None = None,
    start: str = "2026-01-01T00:00:00Z",
    end: str | None = None,
    frequency: str = "MONTHLY",
    day: str = "FIRST_OF_MONTH",
    anchor: str | None = None,
    prioritization: str | None = None,
) -> str:
    """A customer `cust-<name>` with one contract `con-<name>` on rate card `card-<name>`."""
    card = card or f"card-{name}"
    if not any(existing["id"] == card for existing in S.rate_cards):
        S.rate_cards.append(shared.rate_card(card, fiat=None))
    S.customers.append(shared.customer(f"cust-{name}", name=name))
    S.contracts.append(
        shared.contract(
            f"con-{name}",
            f"cust-{name}",
            card,
            start=start,
            end=end,
            frequency=frequency,
            day=day,
            anchor=anchor,
            prioritization=prioritization,
        )
    )
    return f"cust-{name}"


def metric(metric_id: str, event_type: str, aggregation: str, key: str | None = None) -> None:
    S.billable_metrics.append(
        shared.metric(metric_id, event_types=[event_type], aggregation=aggregation, key=key)
    )


def product(
    product_id: str,
    metric_id: str,
    *,
    conversion: tuple[str, int] | None = None,
    rounding: tuple[str, int] | None = None,
    pricing_key: list[str] | None = None,
    presentation_key: list[str] | None = None,
    tags: list[str] | None = None,
) -> None:
    S.products.append(
        shared.product(
            product_id,
            metric_id,
            conversion=conversion,
            rounding=rounding,
            pricing_key=pricing_key,
            presentation_key=presentation_key,
            tags=tags or [],
        )
    )


def rate(
    card: str,
    product_id: str,
    *,
    price: float | None = None,
    tiers: list[dict] | None = None,
    start: str = "2025-01-01T00:00:00Z",
    end: str | None = None,
    pricing_group_values: dict | None = None,
    entitled: bool = True,
) -> None:
    S.rates.append(
        shared.rate(
            card,
            product_id,
            start=start,
            end=end,
            price=price,
            tiers=tiers,
            entitled=entitled,
            group_values=pricing_group_values,
        )
    )


def override(
    override_id: str,
    contract_id: str,
    specifiers: list[dict],
    *,
    multiplier: float | None = None,
    overwrite_price: float | None = None,
    priority: int | None = None,
    start: str = "2025-01-01T00:00:00Z",
    end: str | None = None,
) -> None:
    full_specifiers = [
        {"product_id": None, "product_tags": None, "pricing_group_values": None, **spec}
        for spec in specifiers
    ]
    S.overrides.append(
        {
            "id": override_id,
            "contract_id": contract_id,
            "starting_at": start,
            "ending_before": end,
            "type": "MULTIPLIER" if multiplier is not None else "OVERWRITE",
            "multiplier": multiplier,
            "overwrite_rate": (
                {"rate_type": "FLAT", "price": overwrite_price, "tiers": None}
                if overwrite_price is not None
                else None
            ),
            "priority": priority,
            "override_specifiers": full_specifiers,
        }
    )


EVENTS: list[dict] = []


def ev(
    transaction_id: str,
    customer_id: str,
    event_type: str,
    timestamp: str,
    properties: dict | str | None,
    received_at: str | None = None,
) -> None:
    """One event; received one minute after its timestamp unless told otherwise."""
    received = received_at or parse_utc(timestamp) + timedelta(minutes=1)
    EVENTS.append(event(transaction_id, customer_id, event_type, timestamp, properties, received))


# --------------------------------------------------------------------------------------------
# Case 1: rules section 7 pricing (without the commit: drawdown is a later layer)
# --------------------------------------------------------------------------------------------

c1 = account("c1", card="R1")
metric("M_TOKENS", "c1_tokens", "SUM", "tokens")
product("P_TOKENS", "M_TOKENS", conversion=("DIVIDE", 1_000_000))
rate("R1", "P_TOKENS", tiers=[{"size": 10, "price": 200}, {"price": 100}])
ev("c1-e1", c1, "c1_tokens", "2026-01-05T10:00:00Z", {"tokens": 4_000_000})
ev("c1-e2", c1, "c1_tokens", "2026-01-10T10:00:00Z", {"tokens": 8_000_000})
ev("c1-e3", c1, "c1_tokens", "2026-01-15T10:00:00Z", {"tokens": 3_000_000})

# (product_id, component, tier_index, quantity, unit_price, amount) per transaction
WORKED_EXAMPLE = {
    # Q 0 -> 4 (4,000,000 / 1,000,000): all in tier 1 [0, 10): 4 x 200 = 800
    "c1-e1": [("P_TOKENS", "USAGE", 1, D(4), D(200), D(800))],
    # Q 4 -> 12: tier 1 clamp(12)-clamp(4) = 10-4 = 6 x 200 = 1200; tier 2 12-10 = 2 x 100 = 200
    "c1-e2": [
        ("P_TOKENS", "USAGE", 1, D(6), D(200), D(1200)),
        ("P_TOKENS", "USAGE", 2, D(2), D(100), D(200)),
    ],
    # Q 12 -> 15: tier 2 only: 3 x 100 = 300
    "c1-e3": [("P_TOKENS", "USAGE", 2, D(3), D(100), D(300))],
}

# --------------------------------------------------------------------------------------------
# Case 2: billing period schedules (one COUNT metric, FLAT price 1, one card for all)
# --------------------------------------------------------------------------------------------

metric("M_SCHED", "c2_sched", "COUNT")
product("P_SCHED", "M_SCHED")
rate("card-sched", "P_SCHED", price=1)

SCHEDULE_CONTRACTS = {
    # CUSTOM_DATE on the 31st: boundaries Aug 31 + k months, each counted from the anchor,
    # clamped to the month's last day: ..., Dec 31, Jan 31, Feb 28, Mar 31 (not Mar 28).
    "s31": dict(
        start="2025-12-31T00:00:00Z",
        day="CUSTOM_DATE",
        anchor="2025-08-31T00:00:00Z",
    ),
    # CUSTOM_DATE on the 15th, contract starting mid-period at noon: first period runs from the
    # contract start to the first boundary after it (Jan 15), then 15th to 15th.
    "s15": dict(
        start="2026-01-06T12:00:00Z",
        day="CUSTOM_DATE",
        anchor="2025-06-15T00:00:00Z",
    ),
    # QUARTERLY FIRST_OF_MONTH = calendar quarters: Nov 20 -> Jan 1 -> Apr 1.
    "sq": dict(start="2025-11-20T00:00:00Z", frequency="QUARTERLY"),
    # ANNUAL FIRST_OF_MONTH = calendar years; the last period ends at the contract's end.
    "sa": dict(start="2025-06-15T00:00:00Z", end="2026-09-01T00:00:00Z", frequency="ANNUAL"),
    # CONTRACT_START monthly from a mid-day start: boundaries at 00:00 of the 20th.
    "scs": dict(start="2026-01-20T15:30:00Z", day="CONTRACT_START"),
    # WEEKLY FIRST_OF_MONTH: 7-day periods from the contract start (a Wednesday).
    "sw": dict(start="2026-02-04T00:00:00Z", frequency="WEEKLY"),
    # WEEKLY CUSTOM_DATE: 7-day periods from the anchor (Fri Jan 2): Jan 30, Feb 6, Feb 13, ...
    "sw2": dict(
        start="2026-02-04T00:00:00Z",
        frequency="WEEKLY",
        day="CUSTOM_DATE",
        anchor="2026-01-02T00:00:00Z",
    ),
}
for _name, _kwargs in SCHEDULE_CONTRACTS.items():
    account(_name, card="card-sched", **_kwargs)

# periods that have started by as_of (2026-03-10), as (start, end)
EXPECTED_PERIODS = {
    "s31": [
        ("2025-12-31", "2026-01-31"),
        ("2026-01-31", "2026-02-28"),
        ("2026-02-28", "2026-03-31"),
    ],
    "s15": [
        ("2026-01-06T12:00:00", "2026-01-15"),
        ("2026-01-15", "2026-02-15"),
        ("2026-02-15", "2026-03-15"),
    ],
    "sq": [("2025-11-20", "2026-01-01"), ("2026-01-01", "2026-04-01")],
    "sa": [("2025-06-15", "2026-01-01"), ("2026-01-01", "2026-09-01")],
    "scs": [("2026-01-20T15:30:00", "2026-02-20"), ("2026-02-20", "2026-03-20")],
    "sw": [
        ("2026-02-04", "2026-02-11"),
        ("2026-02-11", "2026-02-18"),
        ("2026-02-18", "2026-02-25"),
        ("2026-02-25", "2026-03-04"),
        ("2026-03-04", "2026-03-11"),
    ],
    "sw2": [
        ("2026-02-04", "2026-02-06"),
        ("2026-02-06", "2026-02-13"),
        ("2026-02-13", "2026-02-20"),
        ("2026-02-20", "2026-02-27"),
        ("2026-02-27", "2026-03-06"),
        ("2026-03-06", "2026-03-13"),
    ],
}

# (case id, contract, event timestamp, expected (period start, period end), expected status)
BOUNDARY_EVENTS = [
    ("s31-before", "s31", "2026-02-27T23:59:59Z", ("2026-01-31", "2026-02-28"), "FINALIZED"),
    ("s31-on-feb-28", "s31", "2026-02-28T00:00:00Z", ("2026-02-28", "2026-03-31"), "DRAFT"),
    (
        "s15-before",
        "s15",
        "2026-01-14T23:59:59Z",
        ("2026-01-06T12:00:00", "2026-01-15"),
        "FINALIZED",
    ),
    ("s15-on-15th", "s15", "2026-01-15T00:00:00Z", ("2026-01-15", "2026-02-15"), "FINALIZED"),
    ("sq-before", "sq", "2025-12-31T23:59:59Z", ("2025-11-20", "2026-01-01"), "FINALIZED"),
    ("sq-on-quarter", "sq", "2026-01-01T00:00:00Z", ("2026-01-01", "2026-04-01"), "DRAFT"),
    ("sa-on-year", "sa", "2026-01-01T00:00:00Z", ("2026-01-01", "2026-09-01"), "DRAFT"),
    (
        "scs-before",
        "scs",
        "2026-02-19T23:59:59Z",
        ("2026-01-20T15:30:00", "2026-02-20"),
        "FINALIZED",
    ),
    ("scs-on-20th", "scs", "2026-02-20T00:00:00Z", ("2026-02-20", "2026-03-20"), "DRAFT"),
    ("sw-on-week", "sw", "2026-02-11T00:00:00Z", ("2026-02-11", "2026-02-18"), "FINALIZED"),
    ("sw2-on-week", "sw2", "2026-02-06T00:00:00Z", ("2026-02-06", "2026-02-13"), "FINALIZED"),
]
for _case_id, _name, _timestamp, _period, _status in BOUNDARY_EVENTS:
    ev(_case_id, f"cust-{_name}", "c2_sched", _timestamp, {})

# --------------------------------------------------------------------------------------------
# Case 3: aggregation types (all FLAT, one contract, one event type per metric)
# --------------------------------------------------------------------------------------------

c3 = account("c3")
metric("M3_MAX", "c3_max", "MAX", "v")
metric("M3_UNIQUE", "c3_unique", "UNIQUE", "user")
metric("M3_LATEST", "c3_latest", "LATEST", "seats")
metric("M3_COUNT", "c3_count", "COUNT")
product("P3_MAX", "M3_MAX")
product("P3_UNIQUE", "M3_UNIQUE")
product("P3_LATEST", "M3_LATEST")
product("P3_COUNT", "M3_COUNT")
rate("card-c3", "P3_MAX", price=10)
rate("card-c3", "P3_UNIQUE", price=7)
rate("card-c3", "P3_LATEST", price=100)
rate("card-c3", "P3_COUNT", price=3)

AGGREGATION_EVENTS = [
    # MAX of v: running max 5, 5, 8 -> quantities 5-0=5, 5-5=0, 8-5=3; x 10
    ("c3-max-1", "c3_max", {"v": 5}, ("P3_MAX", "USAGE", N, D(5), D(10), D(50))),
    ("c3-max-2", "c3_max", {"v": 3}, ("P3_MAX", "USAGE", N, D(0), D(10), D(0))),
    ("c3-max-3", "c3_max", {"v": 8}, ("P3_MAX", "USAGE", N, D(3), D(10), D(30))),
    # UNIQUE of user: distinct counts 1, 2, 2, 3, 3 -> quantities 1, 1, 0, 1, 0; x 7
    # (JSON number 5 and string "5" compare equal as text, rules 8)
    ("c3-uniq-1", "c3_unique", {"user": "u1"}, ("P3_UNIQUE", "USAGE", N, D(1), D(7), D(7))),
    ("c3-uniq-2", "c3_unique", {"user": "u2"}, ("P3_UNIQUE", "USAGE", N, D(1), D(7), D(7))),
    ("c3-uniq-3", "c3_unique", {"user": "u1"}, ("P3_UNIQUE", "USAGE", N, D(0), D(7), D(0))),
    ("c3-uniq-4", "c3_unique", {"user": 5}, ("P3_UNIQUE", "USAGE", N, D(1), D(7), D(7))),
    ("c3-uniq-5", "c3_unique", {"user": "5"}, ("P3_UNIQUE", "USAGE", N, D(0), D(7), D(0))),
    # LATEST of seats: 10, 15, 12 -> quantities 10-0=10, 15-10=5, 12-15=-3; x 100
    ("c3-latest-1", "c3_latest", {"seats": 10}, ("P3_LATEST", "USAGE", N, D(10), D(100), D(1000))),
    ("c3-latest-2", "c3_latest", {"seats": 15}, ("P3_LATEST", "USAGE", N, D(5), D(100), D(500))),
    ("c3-latest-3", "c3_latest", {"seats": 12}, ("P3_LATEST", "USAGE", N, D(-3), D(100), D(-300))),
    # COUNT: 1 per event; x 3
    ("c3-count-1", "c3_count", {}, ("P3_COUNT", "USAGE", N, D(1), D(3), D(3))),
    ("c3-count-2", "c3_count", {"x": 1}, ("P3_COUNT", "USAGE", N, D(1), D(3), D(3))),
]
for _index, (_tx, _type, _props, _row) in enumerate(AGGREGATION_EVENTS):
    ev(_tx, c3, _type, f"2026-01-{_index + 2:02d}T08:00:00Z", _props)

# --------------------------------------------------------------------------------------------
# Case 4: conversion exactness (SUM, DIVIDE by 3, FLAT 3)
# --------------------------------------------------------------------------------------------

c4 = account("c4")
metric("M4", "c4_sum", "SUM", "n")
product("P4", "M4", conversion=("DIVIDE", 3))
rate("card-c4", "P4", price=3)
for _index in range(3):
    ev(f"c4-e{_index + 1}", c4, "c4_sum", f"2026-01-0{_index + 2}T00:00:00Z", {"n": 1})

# Converted running aggregate R(A/3): R(1/3)=0.333333333333, R(2/3)=0.666666666667, R(3/3)=1.
# Quantities are the differences: 0.333333333333, 0.333333333334, 0.333333333333 (sum 1).
# Amounts: q x 3 = 0.999999999999, 1.000000000002, 0.999999999999 (sum 3).
CONVERSION = {
    "c4-e1": [("P4", "USAGE", N, D("0.333333333333"), D(3), D("0.999999999999"))],
    "c4-e2": [("P4", "USAGE", N, D("0.333333333334"), D(3), D("1.000000000002"))],
    "c4-e3": [("P4", "USAGE", N, D("0.333333333333"), D(3), D("0.999999999999"))],
}

# --------------------------------------------------------------------------------------------
# Case 5: rounding of the period aggregate
# --------------------------------------------------------------------------------------------

c5 = account("c5")
for _method, _short in (("ROUND_UP", "up"), ("ROUND_DOWN", "down"), ("ROUND_HALF_UP", "half")):
    metric(f"M5_{_short}", f"c5_{_short}", "SUM", "n")
    product(f"P5_{_short}", f"M5_{_short}", rounding=(_method, 0))
    rate("card-c5", f"P5_{_short}", price=10)
metric("M5_tier", "c5_tier", "SUM", "n")
product("P5_tier", "M5_tier", rounding=("ROUND_UP", 0))
rate("card-c5", "P5_tier", tiers=[{"size": 9.5, "price": 4}, {"price": 2}])

ev("c5-up-1", c5, "c5_up", "2026-01-05T00:00:00Z", {"n": 1.2})
ev("c5-up-2", c5, "c5_up", "2026-01-06T00:00:00Z", {"n": 2.5})
ev("c5-down-1", c5, "c5_down", "2026-01-05T00:00:00Z", {"n": 1.2})
ev("c5-down-2", c5, "c5_down", "2026-01-06T00:00:00Z", {"n": 2.5})
ev("c5-half-1", c5, "c5_half", "2026-01-05T00:00:00Z", {"n": 1.2})
ev("c5-half-2", c5, "c5_half", "2026-01-06T00:00:00Z", {"n": 1.3})
ev("c5-grid-1", c5, "c5_half", "2026-02-05T00:00:00Z", {"n": 0.7})
ev("c5-grid-2", c5, "c5_half", "2026-02-06T00:00:00Z", {"n": 1.3})
ev("c5-tier-1", c5, "c5_tier", "2026-01-05T00:00:00Z", {"n": 6})
ev("c5-tier-2", c5, "c5_tier", "2026-01-06T00:00:00Z", {"n": 3.2})

ROUNDING = {
    "c5-up-1": [("P5_up", "USAGE", N, D("1.2"), D(10), D(12))],
    # total 1.2 + 2.5 = 3.7, ROUND_UP(0 dp) = 4 -> adjustment +0.3 x 10 = 3 on the last event
    "c5-up-2": [
        ("P5_up", "USAGE", N, D("2.5"), D(10), D(25)),
        ("P5_up", "ROUNDING_ADJUSTMENT", N, D("0.3"), D(10), D(3)),
    ],
    "c5-down-1": [("P5_down", "USAGE", N, D("1.2"), D(10), D(12))],
    # total 3.7, ROUND_DOWN = 3 -> adjustment -0.7 x 10 = -7
    "c5-down-2": [
        ("P5_down", "USAGE", N, D("2.5"), D(10), D(25)),
        ("P5_down", "ROUNDING_ADJUSTMENT", N, D("-0.7"), D(10), D(-7)),
    ],
    "c5-half-1": [("P5_half", "USAGE", N, D("1.2"), D(10), D(12))],
    # total 1.2 + 1.3 = 2.5, ROUND_HALF_UP = 3 (half away from zero) -> +0.5 x 10 = 5
    "c5-half-2": [
        ("P5_half", "USAGE", N, D("1.3"), D(10), D(13)),
        ("P5_half", "ROUNDING_ADJUSTMENT", N, D("0.5"), D(10), D(5)),
    ],
    # February total 0.7 + 1.3 = 2.0 is on the grid: no adjustment row
    "c5-grid-1": [("P5_half", "USAGE", N, D("0.7"), D(10), D(7))],
    "c5-grid-2": [("P5_half", "USAGE", N, D("1.3"), D(10), D(13))],
    # tiers [.., 9.5) @ 4, [9.5, ..) @ 2; Q 0 -> 6: tier 1, 6 x 4 = 24
    "c5-tier-1": [("P5_tier", "USAGE", 1, D(6), D(4), D(24))],
    # Q 6 -> 9.2: tier 1, 3.2 x 4 = 12.8. Total 9.2, ROUND_UP = 10: adjustment 9.2 -> 10 through
    # the tiers: tier 1 9.5 - 9.2 = 0.3 x 4 = 1.2; tier 2 10 - 9.5 = 0.5 x 2 = 1.0
    "c5-tier-2": [
        ("P5_tier", "USAGE", 1, D("3.2"), D(4), D("12.8")),
        ("P5_tier", "ROUNDING_ADJUSTMENT", 1, D("0.3"), D(4), D("1.2")),
        ("P5_tier", "ROUNDING_ADJUSTMENT", 2, D("0.5"), D(2), D(1)),
    ],
}

# --------------------------------------------------------------------------------------------
# Case 6: tier boundaries (tiers [.., 10) @ 3, [10, 20) @ 2, [20, ..) @ 1)
# --------------------------------------------------------------------------------------------

c6 = account("c6")
metric("M6", "c6_sum", "SUM", "n")
product("P6", "M6")
rate("card-c6", "P6", tiers=[{"size": 10, "price": 3}, {"size": 10, "price": 2}, {"price": 1}])
ev("c6-jan-1", c6, "c6_sum", "2026-01-05T00:00:00Z", {"n": 5})
ev("c6-jan-2", c6, "c6_sum", "2026-01-06T00:00:00Z", {"n": 20})
ev("c6-feb-1", c6, "c6_sum", "2026-02-05T00:00:00Z", {"n": 4})
ev("c6-feb-2", c6, "c6_sum", "2026-02-06T00:00:00Z", {"n": 6})
ev("c6-feb-3", c6, "c6_sum", "2026-02-07T00:00:00Z", {"n": 0})
ev("c6-feb-4", c6, "c6_sum", "2026-02-08T00:00:00Z", {"n": 1})

TIER_BOUNDARIES = {
    # Q 0 -> 5: tier 1, 5 x 3 = 15
    "c6-jan-1": [("P6", "USAGE", 1, D(5), D(3), D(15))],
    # Q 5 -> 25 crosses 10 and 20: tier 1 10-5 = 5 x 3 = 15; tier 2 20-10 = 10 x 2 = 20;
    # tier 3 25-20 = 5 x 1 = 5
    "c6-jan-2": [
        ("P6", "USAGE", 1, D(5), D(3), D(15)),
        ("P6", "USAGE", 2, D(10), D(2), D(20)),
        ("P6", "USAGE", 3, D(5), D(1), D(5)),
    ],
    # February resets: Q 0 -> 4: tier 1, 4 x 3 = 12
    "c6-feb-1": [("P6", "USAGE", 1, D(4), D(3), D(12))],
    # Q 4 -> 10 ends exactly on the boundary: tier 1 6 x 3 = 18; tier 2 part 10-10 = 0, no row
    "c6-feb-2": [("P6", "USAGE", 1, D(6), D(3), D(18))],
    # quantity 0 with Q = 10 on the boundary: one row in the upper tier (2), amount 0
    "c6-feb-3": [("P6", "USAGE", 2, D(0), D(2), D(0))],
    # Q 10 -> 11: tier 2, 1 x 2 = 2
    "c6-feb-4": [("P6", "USAGE", 2, D(1), D(2), D(2))],
}

# --------------------------------------------------------------------------------------------
# Case 7: overrides (one account per sub-case, COUNT metric shared, FLAT list prices)
# --------------------------------------------------------------------------------------------

metric("M7", "c7_count", "COUNT")
product("P7_tagged", "M7", tags=["ai"])
product("P7_grouped", "M7", pricing_key=["model", "region"], presentation_key=["team"])
for _name in ("c7a", "c7b", "c7c", "c7lo", "c7ex", "c7pg", "c7mid"):
    account(_name, prioritization="EXPLICIT" if _name == "c7ex" else None)

# a: MULTIPLIER 0.9 by product tag
rate("card-c7a", "P7_tagged", price=12.5)
override("o7a", "con-c7a", [{"product_tags": ["ai"]}], multiplier=0.9)
# b: OVERWRITE by product_id beats a multiplier
rate("card-c7b", "P7_tagged", price=10)
override("o7b-mult", "con-c7b", [{"product_tags": ["ai"]}], multiplier=0.5)
override("o7b-over", "con-c7b", [{"product_id": "P7_tagged"}], overwrite_price=7)
# c: two (three) OVERWRITEs, priority ascending with null last
rate("card-c7c", "P7_tagged", price=10)
override("o7c-p2", "con-c7c", [{"product_id": "P7_tagged"}], overwrite_price=6, priority=2)
override("o7c-p1", "con-c7c", [{"product_id": "P7_tagged"}], overwrite_price=8, priority=1)
override("o7c-none", "con-c7c", [{"product_id": "P7_tagged"}], overwrite_price=1)
# d: the same two multipliers under LOWEST_MULTIPLIER (default) and EXPLICIT
for _name in ("c7lo", "c7ex"):
    rate(f"card-{_name}", "P7_tagged", price=10)
    override(
        f"o-{_name}-low", f"con-{_name}", [{"product_tags": ["ai"]}], multiplier=0.6, priority=2
    )
    override(
        f"o-{_name}-top", f"con-{_name}", [{"product_tags": ["ai"]}], multiplier=0.9, priority=1
    )
# e: a specifier naming a subset of the pricing key matches model "a" only
rate("card-c7pg", "P7_grouped", price=10)
override(
    "o7pg",
    "con-c7pg",
    [{"product_id": "P7_grouped", "pricing_group_values": {"model": "a"}}],
    multiplier=0.5,
)
# f: a multiplier starting mid-period
rate("card-c7mid", "P7_tagged", price=10)
override(
    "o7mid",
    "con-c7mid",
    [{"product_id": "P7_tagged"}],
    multiplier=0.5,
    start="2026-01-15T00:00:00Z",
)

ev("c7a-1", "cust-c7a", "c7_count", "2026-01-05T00:00:00Z", {})
ev("c7b-1", "cust-c7b", "c7_count", "2026-01-05T00:00:00Z", {})
ev("c7c-1", "cust-c7c", "c7_count", "2026-01-05T00:00:00Z", {})
ev("c7lo-1", "cust-c7lo", "c7_count", "2026-01-05T00:00:00Z", {})
ev("c7ex-1", "cust-c7ex", "c7_count", "2026-01-05T00:00:00Z", {})
ev("c7pg-a", "cust-c7pg", "c7_count", "2026-01-05T00:00:00Z", {"model": "a", "team": "x"})
ev("c7pg-b", "cust-c7pg", "c7_count", "2026-01-06T00:00:00Z", {"model": "b", "region": "eu"})
ev("c7mid-before", "cust-c7mid", "c7_count", "2026-01-10T00:00:00Z", {})
ev("c7mid-after", "cust-c7mid", "c7_count", "2026-01-20T00:00:00Z", {})

OVERRIDES = {
    # 12.5 x 0.9 = 11.25; quantity 1 -> 11.25
    "c7a-1": [("P7_tagged", "USAGE", N, D(1), D("11.25"), D("11.25"))],
    # OVERWRITE (7) wins over MULTIPLIER (10 x 0.5 = 5)
    "c7b-1": [("P7_tagged", "USAGE", N, D(1), D(7), D(7))],
    # priorities 1 (price 8) < 2 (price 6) < null (price 1): 8
    "c7c-1": [("P7_tagged", "USAGE", N, D(1), D(8), D(8))],
    # LOWEST_MULTIPLIER: min(0.6, 0.9) = 0.6 -> 10 x 0.6 = 6
    "c7lo-1": [("P7_tagged", "USAGE", N, D(1), D(6), D(6))],
    # EXPLICIT: priority 1 -> 0.9 -> 10 x 0.9 = 9
    "c7ex-1": [("P7_tagged", "USAGE", N, D(1), D(9), D(9))],
    # model a matches the specifier: 10 x 0.5 = 5; model b keeps the list price 10
    "c7pg-a": [("P7_grouped", "USAGE", N, D(1), D(5), D(5))],
    "c7pg-b": [("P7_grouped", "USAGE", N, D(1), D(10), D(10))],
    # before Jan 15: list price 10; after: 10 x 0.5 = 5
    "c7mid-before": [("P7_tagged", "USAGE", N, D(1), D(10), D(10))],
    "c7mid-after": [("P7_tagged", "USAGE", N, D(1), D(5), D(5))],
}

# --------------------------------------------------------------------------------------------
# Case 8: rates
# --------------------------------------------------------------------------------------------

c8t = account("c8t")
metric("M8_sum", "c8_sum", "SUM", "n")
product("P8_tiered", "M8_sum")
rate(
    "card-c8t",
    "P8_tiered",
    tiers=[{"size": 10, "price": 5}, {"price": 3}],
    start="2025-01-01T00:00:00Z",
    end="2026-01-15T00:00:00Z",
)
rate(
    "card-c8t",
    "P8_tiered",
    tiers=[{"size": 10, "price": 4}, {"price": 2}],
    start="2026-01-15T00:00:00Z",
)
ev("c8t-1", c8t, "c8_sum", "2026-01-10T00:00:00Z", {"n": 6})
ev("c8t-2", c8t, "c8_sum", "2026-01-20T00:00:00Z", {"n": 6})

c8g = account("c8g")
metric("M8_count", "c8_count", "COUNT")
product("P8_grouped", "M8_count", pricing_key=["model"])
rate("card-c8g", "P8_grouped", price=10)
rate("card-c8g", "P8_grouped", price=4, pricing_group_values={"model": "a"})
rate("card-c8g", "P8_grouped", price=6, pricing_group_values={"model": "b"}, entitled=False)
ev("c8g-a", c8g, "c8_count", "2026-01-05T00:00:00Z", {"model": "a"})
ev("c8g-c", c8g, "c8_count", "2026-01-06T00:00:00Z", {"model": "c"})
ev("c8g-b", c8g, "c8_count", "2026-01-07T00:00:00Z", {"model": "b"})

RATES = {
    # old rate: Q 0 -> 6, tier 1 @ 5: 6 x 5 = 30
    "c8t-1": [("P8_tiered", "USAGE", 1, D(6), D(5), D(30))],
    # new rate, Q continues 6 -> 12: tier 1 10-6 = 4 x 4 = 16; tier 2 12-10 = 2 x 2 = 4
    "c8t-2": [
        ("P8_tiered", "USAGE", 1, D(4), D(4), D(16)),
        ("P8_tiered", "USAGE", 2, D(2), D(2), D(4)),
    ],
    # {model: a} names one key, beats the fallback (none): 4
    "c8g-a": [("P8_grouped", "USAGE", N, D(1), D(4), D(4))],
    # no specific rate for model c: the fallback, 10
    "c8g-c": [("P8_grouped", "USAGE", N, D(1), D(10), D(10))],
    # {model: b} is most specific and not entitled: not rated
    "c8g-b": [],
}

# --------------------------------------------------------------------------------------------
# Case 9: outcomes
# --------------------------------------------------------------------------------------------

c9 = account("c9")
c9n = account("c9n", end="2026-01-20T00:00:00Z")
metric("M9_sum", "c9_sum", "SUM", "n")
product("P9_sum", "M9_sum")
metric("M9_multi_sum", "c9_multi", "SUM", "n")
metric("M9_multi_count", "c9_multi", "COUNT")
product("P9_multi_sum", "M9_multi_sum")
product("P9_multi_count", "M9_multi_count")
for _card in ("card-c9", "card-c9n"):
    rate(_card, "P9_sum", price=2)
rate("card-c9", "P9_multi_sum", price=5)
rate("card-c9", "P9_multi_count", price=3)

ev("c9-not-billable", c9, "c9_nothing", "2026-01-05T00:00:00Z", {"n": 1})
ev("c9-no-contract", c9n, "c9_sum", "2026-01-25T00:00:00Z", {"n": 1})
ev("c9-missing-key", c9, "c9_sum", "2026-01-05T01:00:00Z", {"m": 1})
ev("c9-abc", c9, "c9_sum", "2026-01-05T02:00:00Z", {"n": "abc"})
ev("c9-exp-string", c9, "c9_sum", "2026-01-05T03:00:00Z", {"n": "1e5"})
ev("c9-decimal-string", c9, "c9_sum", "2026-01-05T04:00:00Z", {"n": "12.5"})
# January's period ends Feb 1 and finalizes at Feb 1 + 24 h = Feb 2 00:00 (as_of is March 10)
ev("c9-in-time", c9, "c9_sum", "2026-01-31T12:00:00Z", {"n": 1}, "2026-02-01T23:59:59Z")
ev("c9-finalized", c9, "c9_sum", "2026-01-31T13:00:00Z", {"n": 1}, "2026-02-02T00:00:00Z")
# MAX: the late (PERIOD_FINALIZED) event does not count in the running max of the unit
metric("M9_max", "c9_max", "MAX", "v")
product("P9_max", "M9_max")
rate("card-c9", "P9_max", price=1)
ev("c9-max-1", c9, "c9_max", "2026-01-31T12:00:00Z", {"v": 2}, "2026-02-01T20:00:00Z")
ev("c9-max-late", c9, "c9_max", "2026-01-31T13:00:00Z", {"v": 10}, "2026-02-02T00:00:00Z")
ev("c9-max-3", c9, "c9_max", "2026-01-31T14:00:00Z", {"v": 5}, "2026-02-01T21:00:00Z")
# matches both c9_multi metrics: the SUM fails (no n), the COUNT rates it
ev("c9-two-metrics", c9, "c9_multi", "2026-01-06T00:00:00Z", {})

# transaction_id -> (outcome, error_code)
OUTCOMES = {
    "c9-not-billable": ("NOT_BILLABLE", None),
    "c9-no-contract": ("ERRORED", "NO_ACTIVE_CONTRACT"),
    "c9-missing-key": ("ERRORED", "INVALID_AGGREGATION_VALUE"),
    "c9-abc": ("ERRORED", "INVALID_AGGREGATION_VALUE"),
    "c9-exp-string": ("ERRORED", "INVALID_AGGREGATION_VALUE"),
    "c9-decimal-string": ("RATED", None),
    "c9-in-time": ("RATED", None),
    "c9-finalized": ("ERRORED", "PERIOD_FINALIZED"),
    "c9-two-metrics": ("RATED", None),
    "c9-max-late": ("ERRORED", "PERIOD_FINALIZED"),
    "c8g-b": ("ERRORED", "NO_RATE"),
    "c8g-a": ("RATED", None),
    "c3-max-2": ("RATED", None),
    "c6-feb-3": ("RATED", None),
}

OUTCOME_ROWS = {
    # a plain-decimal string is numeric; the three invalid events before it are not on the
    # unit, so A 0 -> 12.5: 12.5 x 2 = 25
    "c9-decimal-string": [("P9_sum", "USAGE", N, D("12.5"), D(2), D(25))],
    # A 12.5 -> 13.5: 1 x 2 = 2
    "c9-in-time": [("P9_sum", "USAGE", N, D(1), D(2), D(2))],
    "c9-finalized": [],
    # only the COUNT product: 1 x 3 = 3
    "c9-two-metrics": [("P9_multi_count", "USAGE", N, D(1), D(3), D(3))],
    "c9-missing-key": [],
    # running max over the unit's rated events only: 2, then 5 (v=10 arrived after Feb 2 00:00)
    # -> quantities 2 - 0 = 2 and 5 - 2 = 3 (not 0, as if 10 had counted); x 1
    "c9-max-1": [("P9_max", "USAGE", N, D(2), D(1), D(2))],
    "c9-max-late": [],
    "c9-max-3": [("P9_max", "USAGE", N, D(3), D(1), D(3))],
}

S.add_events(EVENTS)


# --------------------------------------------------------------------------------------------
# Build and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(build_green):
    # the one test build that also runs the unit tests (dbt_runner.build_invocation)
    return build_green("rating_cases", S, AS_OF, unit_tests=True)


def rated_rows(run, transaction_id: str) -> list[tuple]:
    return run.query(
        """
        select product_id, component, tier_index, quantity, unit_price, amount
        from int_rated_events_priced
        where transaction_id = ?
        order by product_id, component = 'ROUNDING_ADJUSTMENT', tier_index
        """,
        [transaction_id],
    )


def assert_rows(run, expected: dict[str, list[tuple]], transaction_id: str) -> None:
    assert rated_rows(run, transaction_id) == expected[transaction_id]


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("transaction_id", list(WORKED_EXAMPLE))
def test_case1_worked_example(run, transaction_id):
    assert_rows(run, WORKED_EXAMPLE, transaction_id)


def test_case1_worked_example_context(run):
    rows = run.query_dicts(
        "select * from int_rated_events_priced where contract_id = 'con-c1'"
        " order by event_timestamp"
    )
    assert {row["billable_metric_id"] for row in rows} == {"M_TOKENS"}
    assert {row["customer_id"] for row in rows} == {"cust-c1"}
    assert {row["credit_type_id"] for row in rows} == {"USD_CENTS"}
    assert {(row["billing_period_start"], row["billing_period_end"]) for row in rows} == {
        (datetime(2026, 1, 1), datetime(2026, 2, 1))
    }
    # January finalizes at Feb 2 00:00 <= as_of
    assert {row["status"] for row in rows} == {"FINALIZED"}
    # 800 + 1200 + 200 + 300 = 2500 = 10 x 200 + 5 x 100
    assert sum(row["amount"] for row in rows) == D(2500)
    assert sum(row["quantity"] for row in rows) == D(15)
    assert rows[0]["event_timestamp"] == datetime(2026, 1, 5, 10)


@pytest.mark.parametrize("name", list(EXPECTED_PERIODS))
def test_case2_billing_periods(run, name):
    rows = run.query(
        """
        select billing_period_start, billing_period_end
        from int_contract_billing_periods
        where contract_id = ? and billing_period_start <= ?
        order by billing_period_start
        """,
        [f"con-{name}", AS_OF_NAIVE],
    )
    assert rows == [
        (dt(start + "Z"), dt(end + "Z")) for start, end in _full(EXPECTED_PERIODS[name])
    ]


def _full(periods: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """'2026-01-31' -> '2026-01-31T00:00:00' (start and end)."""
    return [
        tuple(text if "T" in text else text + "T00:00:00" for text in period) for period in periods
    ]


def test_case2_finalization_of_periods(run):
    rows = run.query(
        """
        select billing_period_end, finalized_at, is_finalized
        from int_contract_billing_periods
        where contract_id = 'con-s31'
        order by billing_period_start
        """
    )
    # end + 24 h; finalized when as_of (Mar 10) >= finalized_at
    assert rows[:3] == [
        (datetime(2026, 1, 31), datetime(2026, 2, 1), True),
        (datetime(2026, 2, 28), datetime(2026, 3, 1), True),
        (datetime(2026, 3, 31), datetime(2026, 4, 1), False),
    ]


@pytest.mark.parametrize(
    ("transaction_id", "name", "timestamp", "period", "status"),
    BOUNDARY_EVENTS,
    ids=[case[0] for case in BOUNDARY_EVENTS],
)
def test_case2_boundary_events_fall_in_the_later_period(
    run, transaction_id, name, timestamp, period, status
):
    rows = run.query(
        """
        select contract_id, billing_period_start, billing_period_end, status, quantity, amount
        from int_rated_events_priced
        where transaction_id = ?
        """,
        [transaction_id],
    )
    (start, end) = _full([period])[0]
    # COUNT at FLAT 1: quantity 1, amount 1
    assert rows == [(f"con-{name}", dt(start + "Z"), dt(end + "Z"), status, D(1), D(1))]


@pytest.mark.parametrize(
    "index", range(len(AGGREGATION_EVENTS)), ids=[case[0] for case in AGGREGATION_EVENTS]
)
def test_case3_aggregation_attribution(run, index):
    transaction_id, _, _, expected = AGGREGATION_EVENTS[index]
    assert rated_rows(run, transaction_id) == [expected]


@pytest.mark.parametrize("transaction_id", list(CONVERSION))
def test_case4_conversion_exactness(run, transaction_id):
    assert_rows(run, CONVERSION, transaction_id)


def test_case4_conversion_total_is_exact(run):
    (total,) = run.query(
        "select sum(quantity), sum(amount) from int_rated_events_priced"
        " where contract_id = 'con-c4'"
    )
    # 0.333333333333 + 0.333333333334 + 0.333333333333 = 1; amounts 3 x 1 = 3
    assert total == (D(1), D(3))


@pytest.mark.parametrize("transaction_id", list(ROUNDING))
def test_case5_rounding_adjustments(run, transaction_id):
    assert_rows(run, ROUNDING, transaction_id)


@pytest.mark.parametrize("transaction_id", list(TIER_BOUNDARIES))
def test_case6_tier_boundaries(run, transaction_id):
    assert_rows(run, TIER_BOUNDARIES, transaction_id)


@pytest.mark.parametrize("transaction_id", list(OVERRIDES))
def test_case7_overrides(run, transaction_id):
    assert_rows(run, OVERRIDES, transaction_id)


def test_case7_group_values_text(run):
    rows = run.query(
        """
        select transaction_id, pricing_group_values, presentation_group_values
        from int_rated_events_priced
        where contract_id = 'con-c7pg'
        order by transaction_id
        """
    )
    # keys in the product's key order; a missing property is null
    assert rows == [
        ("c7pg-a", '{"model":"a","region":null}', '{"team":"x"}'),
        ("c7pg-b", '{"model":"b","region":"eu"}', '{"team":null}'),
    ]


@pytest.mark.parametrize("transaction_id", list(RATES))
def test_case8_rates(run, transaction_id):
    assert_rows(run, RATES, transaction_id)


@pytest.mark.parametrize("transaction_id", list(OUTCOMES))
def test_case9_outcomes(run, transaction_id):
    rows = run.query(
        "select outcome, error_code from int_usage_events_decided where transaction_id = ?",
        [transaction_id],
        workspace=True,
    )
    assert rows == [OUTCOMES[transaction_id]]


@pytest.mark.parametrize("transaction_id", list(OUTCOME_ROWS))
def test_case9_rated_rows(run, transaction_id):
    assert_rows(run, OUTCOME_ROWS, transaction_id)


def test_every_event_has_one_outcome(run):
    rows = run.query("select transaction_id from int_usage_events_decided", workspace=True)
    assert sorted(row[0] for row in rows) == sorted(row["transaction_id"] for row in EVENTS)
