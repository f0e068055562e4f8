"""VOLUME tiers and credit types in the dbt models (rules 3, 4.7-4.10, 5, 7b): hand-computed
end-to-end cases, every rated row and invoice line exactly.

One scenario folder, one `dbt build` at a pinned as_of:

* **7b** (January, finalized): the worked example of rules 7b as written, row for row: VOLUME
  rates in a custom pricing unit (GPU_CREDITS at 2.5 cents), USAGE_REPRICE rows, a credit in
  GPU_CREDITS drawn down USAGE before USAGE_REPRICE, fiat amounts, and the invoice in cents.
* **rounding** (February, draft): a fiat VOLUME rate with a rounded period total that crosses a
  boundary (ROUNDING_ADJUSTMENT + ROUNDING_REPRICE), a zero move on a boundary (the lower tier
  under VOLUME), a prepaid commit in cents that a negative ROUNDING_REPRICE gives back to, and a
  GPU_CREDITS credit on the same contract that pays for none of these cent rows.

Every expected number is worked out by hand from docs/billing-rules.md in the comment next to
it; the reference rater (tests/python/reference/) is asked for the same folder as a cross-check.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import scenario as shared
from reference.rater import rate_folder
from scenario import Scenario, event

AS_OF = "2026-02-15T00:00:00Z"
D = Decimal
JAN1, FEB1, MAR1 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"
GPU_TIERS = [{"size": 10, "price": 40}, {"size": 90, "price": 30}, {"price": 20}]
ROUNDING_TIERS = [{"size": "9.5", "price": 5}, {"price": 4}]


def gpu_conversion() -> list[dict]:
    return [shared.conversion("GPU_CREDITS", "2.5")]


def build_scenario() -> Scenario:
    s = Scenario()
    # --- 7b: contract C2 on R2 (USD_CENTS, GPU_CREDITS at 2.5 cents)
    s.customers.append(shared.customer("CUS2"))
    s.billable_metrics.append(
        shared.metric("M_GPU", event_types=["gpu"], aggregation="SUM", key="gpu_seconds")
    )
    s.products.append(shared.product("P_GPU", "M_GPU", conversion=("DIVIDE", 3600)))
    s.rate_cards.append(shared.rate_card("R2", conversions=gpu_conversion()))
    s.rates.append(
        shared.rate(
            "R2",
            "P_GPU",
            start=JAN1,
            tiers=GPU_TIERS,
            rate_type="VOLUME",
            credit_type_id="GPU_CREDITS",
        )
    )
    s.contracts.append(shared.contract("C2", "CUS2", "R2", start=JAN1))
    s.credits.append(
        shared.credit(
            "CR2",
            "C2",
            "P_GPU",
            [shared.schedule_item("CR2-S1", 500, JAN1, FEB1)],
            credit_type_id="GPU_CREDITS",
        )
    )
    for tx, day, seconds in (("g1", 5, 18_000), ("g2", 6, 36_000), ("g3", 7, 324_000)):
        s.add_events(
            [
                event(
                    tx,
                    "CUS2",
                    "gpu",
                    f"2026-01-0{day}T00:00:00Z",
                    {"gpu_seconds": seconds},
                    f"2026-01-0{day}T00:01:00Z",
                )
            ]
        )
    # --- rounding: contract C3 on R3 (USD_CENTS, GPU_CREDITS at 2.5), a fiat VOLUME rate
    s.customers.append(shared.customer("CUS3"))
    s.billable_metrics.append(
        shared.metric("M_VOL", event_types=["vol"], aggregation="SUM", key="units")
    )
    s.products.append(shared.product("P_VOL", "M_VOL", rounding=("ROUND_UP", 0)))
    s.rate_cards.append(shared.rate_card("R3", conversions=gpu_conversion()))
    s.rates.append(shared.rate("R3", "P_VOL", start=JAN1, tiers=ROUNDING_TIERS, rate_type="VOLUME"))
    s.contracts.append(shared.contract("C3", "CUS3", "R3", start=JAN1))
    s.commits.append(
        shared.commit("K3", "C3", "P_VOL", [shared.schedule_item("K3-S1", 45, FEB1, MAR1)])
    )
    s.credits.append(
        shared.credit(
            "CR3",
            "C3",
            "P_VOL",
            [shared.schedule_item("CR3-S1", 100, FEB1, MAR1)],
            credit_type_id="GPU_CREDITS",
        )
    )
    for tx, day, units in (("v1", 2, "9.5"), ("v2", 3, "0"), ("v3", 4, "-0.3")):
        s.add_events(
            [
                event(
                    tx,
                    "CUS3",
                    "vol",
                    f"2026-02-0{day}T00:00:00Z",
                    {"units": units},
                    f"2026-02-0{day}T00:01:00Z",
                )
            ]
        )
    return s


SCENARIO = build_scenario()

# (component, tier_index, quantity, unit_price, amount, fiat_amount, coverage, balance_id) per
# transaction, in the rules 4 row order (component, then the part's segment rank, overage last)
RATED_ROWS = {
    # Hours 0 -> 5 (18,000 / 3,600), tier 1 of the VOLUME ladder (-inf, 10] at 40, (10, 100] at
    # 30, (100, inf) at 20: USAGE 5 x 40 = 200 credits, fiat 200 x 2.5 = 500 cents. CR2 covers
    # it (C 0 -> 200: clamp(200, 0, 500) = 200; 300 left). No re-price (Q = 0).
    "g1": [("USAGE", 1, D(5), D(40), D(200), D(500), "CREDIT", "CR2")],
    # 5 -> 15, tier 2: USAGE 10 x 30 = 300 (fiat 750), C 200 -> 500 covers 300 (0 left);
    # USAGE_REPRICE 5 x (30 - 40) = -50 (fiat -125), C 500 -> 450: clamp(450) - clamp(500) =
    # -50 covered, giving 50 back (50 left).
    "g2": [
        ("USAGE", 2, D(10), D(30), D(300), D(750), "CREDIT", "CR2"),
        ("USAGE_REPRICE", 2, D(5), D(-10), D(-50), D(-125), "CREDIT", "CR2"),
    ],
    # 15 -> 105, tier 3: USAGE 90 x 20 = 1,800, C 450 -> 2,250 covers 500 - 450 = 50: split
    # q 90 / a 1,800, covered R(90 x 50 / 1,800) = 2.5 (fiat 125), overage 87.5 with 1,750
    # (fiat 4,375); USAGE_REPRICE 15 x (20 - 30) = -150 (fiat -375), C 2,250 -> 2,100:
    # clamp(2,100, 0, 500) - clamp(2,250, 0, 500) = 0: overage.
    "g3": [
        ("USAGE", 3, D("2.5"), D(20), D(50), D(125), "CREDIT", "CR2"),
        ("USAGE", 3, D("87.5"), D(20), D(1750), D(4375), "OVERAGE", None),
        ("USAGE_REPRICE", 3, D(15), D(-10), D(-150), D(-375), "OVERAGE", None),
    ],
    # Fiat ladder (-inf, 9.5] at 5, (9.5, inf) at 4. v1: 0 -> 9.5, ON the boundary: tier 1
    # (VOLUME: a boundary total is in the lower tier): USAGE 9.5 x 5 = 47.5. K3 (45 cents)
    # covers 45 of it (C 0 -> 47.5): covered quantity R(9.5 x 45 / 47.5) = 9, overage 0.5
    # with 2.5. CR3 is in GPU_CREDITS: it never pays for a cent row.
    "v1": [
        ("USAGE", 1, D(9), D(5), D(45), D(45), "PREPAID_COMMIT", "K3"),
        ("USAGE", 1, D("0.5"), D(5), D("2.5"), D("2.5"), "OVERAGE", None),
    ],
    # v2: 9.5 -> 9.5, a zero move: one USAGE row of 0 in the tier holding 9.5, tier 1 (TIERED
    # would say tier 2); amount 0 is overage with no balance; no re-price (same price).
    "v2": [("USAGE", 1, D(0), D(5), D(0), D(0), "OVERAGE", None)],
    # v3: 9.5 -> 9.2 (SUM of -0.3), tier 1: USAGE -0.3 x 5 = -1.5; re-price 9.5 x 0 = 0, no row.
    # C 47.5 -> 46: clamp(46, 0, 45) - clamp(47.5, 0, 45) = 0: overage.
    # The period's last event carries the rounding: ROUND_UP to 0 places takes 9.2 -> 10, which
    # crosses into tier 2: ROUNDING_ADJUSTMENT 0.8 x 4 = 3.2 (C 46 -> 49.2: 0 covered) and
    # ROUNDING_REPRICE 9.2 x (4 - 5) = -9.2 (C 49.2 -> 40: clamp(40) - clamp(49.2) = -5 covered
    # by K3, giving 5 back; the rest -4.2 overage). Split q 9.2 / a -9.2: K3's part
    # R(9.2 x -5 / -9.2) = 5, overage 9.2 - 5 = 4.2.
    # Period: 47.5 + 0 - 1.5 + 3.2 - 9.2 = 40 = V(10) = 10 x 4.
    "v3": [
        ("USAGE", 1, D("-0.3"), D(5), D("-1.5"), D("-1.5"), "OVERAGE", None),
        ("ROUNDING_ADJUSTMENT", 2, D("0.8"), D(4), D("3.2"), D("3.2"), "OVERAGE", None),
        ("ROUNDING_REPRICE", 2, D(5), D(-1), D(-5), D(-5), "PREPAID_COMMIT", "K3"),
        ("ROUNDING_REPRICE", 2, D("4.2"), D(-1), D("-4.2"), D("-4.2"), "OVERAGE", None),
    ],
}

# (contract, line_type, product or balance, credit type, quantity, amount, fiat_amount, status)
INVOICE_LINES = [
    # 7b: CREDIT CR2 -500 credits, fiat -500 x 2.5 = -1,250; USAGE P_GPU in GPU_CREDITS,
    # quantity 105, V(105) = 105 x 20 = 2,100 credits, fiat 5,250.
    ("C2", "CREDIT", "CR2", "GPU_CREDITS", None, D(-500), D(-1250), "FINALIZED"),
    ("C2", "USAGE", "P_GPU", "GPU_CREDITS", D(105), D(2100), D(5250), "FINALIZED"),
    # rounding: COMMIT K3: -(45 - 5) = -40; USAGE P_VOL quantity 10 (rounded), V(10) = 40.
    ("C3", "COMMIT", "K3", "USD_CENTS", None, D(-40), D(-40), "DRAFT"),
    ("C3", "USAGE", "P_VOL", "USD_CENTS", D(10), D(40), D(40), "DRAFT"),
]
# (contract, billing period start, invoice credit type, total): 5,250 - 1,250 = 4,000 cents;
# 40 - 40 = 0.
INVOICES = [
    ("C2", datetime(2026, 1, 1), "USD_CENTS", D(4000)),
    ("C3", datetime(2026, 2, 1), "USD_CENTS", D(0)),
]


@pytest.fixture(scope="module")
def run(build_green):
    return build_green("volume_credit_types", SCENARIO, AS_OF)


RATED_SQL = """
select component, tier_index, quantity, unit_price, amount, fiat_amount, coverage, balance_id,
    credit_type_id, fiat_credit_type_id, status
from (
    select * from fct_rated_events_finalized
    union all by name
    select * from fct_rated_events_draft
)
where transaction_id = ?
order by case component when 'USAGE' then 1 when 'USAGE_REPRICE' then 2
    when 'ROUNDING_ADJUSTMENT' then 3 else 4 end, balance_id nulls last
"""


@pytest.mark.parametrize("transaction_id", list(RATED_ROWS))
def test_rated_rows(run, transaction_id):
    rows = run.query(RATED_SQL, [transaction_id])
    assert [tuple(row[:8]) for row in rows] == RATED_ROWS[transaction_id]
    custom = transaction_id.startswith("g")
    assert {(row[8], row[9]) for row in rows} == {
        ("GPU_CREDITS" if custom else "USD_CENTS", "USD_CENTS")
    }
    assert {row[10] for row in rows} == {"FINALIZED" if custom else "DRAFT"}


def test_rated_totals_of_7b(run):
    # 200 + 300 - 50 + 50 + 1,750 - 150 = 2,100 credits; fiat 5,250 cents; USAGE quantities
    # 5 + 10 + 2.5 + 87.5 = 105 (a REPRICE row's quantity names units already counted).
    ((amount, fiat, quantity),) = run.query(
        "select sum(amount), sum(fiat_amount), sum(quantity) filter (where component = 'USAGE')"
        " from fct_rated_events_finalized where contract_id = 'C2'"
    )
    assert (amount, fiat, quantity) == (D(2100), D(5250), D(105))


def test_invoice_lines(run):
    rows = run.query(
        "select contract_id, line_type, coalesce(balance_id, product_id), credit_type_id,"
        " quantity, amount, fiat_amount, status from fct_invoice_line_items"
        " where invoice_type = 'USAGE' and contract_id in ('C2', 'C3')"
        " order by contract_id, line_type"
    )
    assert [tuple(row) for row in rows] == INVOICE_LINES


def test_invoices(run):
    rows = run.query(
        "select contract_id, billing_period_start, credit_type_id, total from fct_invoices"
        " where invoice_type = 'USAGE' and contract_id in ('C2', 'C3') and line_item_count > 0"
        " order by contract_id"
    )
    assert [tuple(row) for row in rows] == INVOICES


def test_balances_are_in_their_credit_type(run):
    # CR2: 500 GPU_CREDITS, covered 200 + 300 - 50 + 50 = 500 (exhausted); CR3: 100 GPU_CREDITS
    # that paid for nothing (every row of C3 is in cents); K3: 45 cents, covered 45 - 5 = 40.
    rows = run.query(
        "select balance_segment_id, credit_type_id, amount, covered_amount from dim_balances"
        " where contract_id in ('C2', 'C3') order by balance_segment_id"
    )
    assert [tuple(row) for row in rows] == [
        ("CR2-S1", "GPU_CREDITS", D(500), D(500)),
        ("CR3-S1", "GPU_CREDITS", D(100), D(0)),
        ("K3-S1", "USD_CENTS", D(45), D(40)),
    ]
    ledger = run.query(
        "select balance_segment_id, entry_type, credit_type_id, amount, running_balance"
        " from fct_balance_ledger where contract_id in ('C2', 'C3')"
        " order by balance_segment_id, entry_sequence"
    )
    assert [tuple(row) for row in ledger] == [
        ("CR2-S1", "SEGMENT_START", "GPU_CREDITS", D(500), D(500)),
        ("CR2-S1", "DRAWDOWN", "GPU_CREDITS", D(-500), D(0)),
        ("CR3-S1", "SEGMENT_START", "GPU_CREDITS", D(100), D(100)),
        ("K3-S1", "SEGMENT_START", "USD_CENTS", D(45), D(45)),
        ("K3-S1", "DRAWDOWN", "USD_CENTS", D(-40), D(5)),
    ]


def test_outcomes(run):
    rows = run.query(
        "select transaction_id, outcome from fct_event_outcomes order by transaction_id"
    )
    assert rows == [(tx, "RATED") for tx in ("g1", "g2", "g3", "v1", "v2", "v3")]


def test_reference_rater_agrees(tmp_path):
    """The hand-computed rows are also the independent reference rater's."""
    from scenario import write_raw

    result = rate_folder(write_raw(tmp_path / "raw", SCENARIO), datetime(2026, 2, 15, tzinfo=UTC))
    order = ("USAGE", "USAGE_REPRICE", "ROUNDING_ADJUSTMENT", "ROUNDING_REPRICE")
    for transaction_id, expected in RATED_ROWS.items():
        rows = sorted(
            (r for r in result.rated if r.transaction_id == transaction_id),
            key=lambda r: (order.index(r.component), r.balance_id is None),
        )
        got = [
            (
                r.component,
                r.tier_index,
                r.quantity,
                r.unit_price,
                r.amount,
                r.fiat_amount,
                r.coverage,
                r.balance_id,
            )
            for r in rows
        ]
        assert got == expected, transaction_id
