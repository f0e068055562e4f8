"""Margin (finance) on a hand-computed case: the optional unit_costs.jsonl, the most specific
applicable cost, cost windows, credits as free revenue, and events without the dimension.

Product mg-p at 100 per unit (tokens / 10^6). Unit costs: cluster a 30 per unit until Feb 1,
then 40; any event 50; cluster a with gpu x 1 (never applies: no event has gpu). A credit of
100 covers the first event's first 100.

Jan 3, cluster a, 2 units: amount 200, credit 100 -> revenue 100, cost 2 x 30 = 60, margin 40.
Jan 4, cluster b, 1.5 units: revenue 150, cost 1.5 x 50 = 75, margin 75.
Jan 5, no cluster, 1 unit: revenue 100, cost 50, margin 50.
Jan 6, properties repeating `cluster` (b, then a): the last occurrence counts (a), 1 unit:
revenue 100, cost 30, margin 70.
Feb 2, cluster a, 1 unit: revenue 100, cost 40, margin 60.

A second contract (its own build) prices a VOLUME product in a custom pricing unit
(GPU_CREDITS): revenue, cost and margin are in fiat cents, and a re-price row costs nothing.
"""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
import scenario as shared
from scenario import event
from test_balances import base, schedule

AS_OF = "2026-03-10T00:00:00Z"


def unit_cost(values: dict, per_unit: str, start: str, end: str | None) -> dict:
    return {
        "product_id": "mg-p",
        "dimension_values": values,
        "cost_per_unit": per_unit,
        "starting_at": start,
        "ending_before": end,
    }


@pytest.fixture(scope="module")
def run(build_green):
    s = base("mg", price=100)
    s.credits.append(
        {
            "id": "mg-credit",
            "contract_id": "mg-ct",
            "name": "credit",
            "product_id": "mg-p",
            "access_schedule": {
                "schedule_items": [
                    schedule("mg-credit-s", 100, "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z")
                ]
            },
            "applicable_product_ids": None,
            "applicable_product_tags": None,
            "priority": None,
        }
    )
    rows = [
        ("a1", "2026-01-03", {"tokens": 2_000_000, "cluster": "a"}),
        ("b1", "2026-01-04", {"tokens": 1_500_000, "cluster": "b"}),
        ("n1", "2026-01-05", {"tokens": 1_000_000}),
        ("a2", "2026-02-02", {"tokens": 1_000_000, "cluster": "a"}),
        ("d1", "2026-01-06", '{"tokens": 1000000, "cluster": "b", "cluster": "a"}'),
    ]
    s.add_events(
        [
            event(f"mg-{tx}", "mg-cus", "mg-llm", f"{day}T00:00:00Z", props, f"{day}T00:00:05Z")
            for tx, day, props in rows
        ]
    )
    costs = [
        unit_cost({"cluster": "a"}, "30", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
        unit_cost({"cluster": "a"}, "40", "2026-02-01T00:00:00Z", None),
        unit_cost({}, "50", "2026-01-01T00:00:00Z", None),
        unit_cost({"cluster": "a", "gpu": "x"}, "1", "2026-01-01T00:00:00Z", None),
    ]
    unit_costs = "".join(json.dumps(cost) + "\n" for cost in costs)
    return build_green("margin", s, AS_OF, extra_files={"unit_costs.jsonl": unit_costs})


def test_margin_by_cluster(run):
    rows = run.query(
        """
        select calendar_month::varchar, dimension_value, revenue, cost, margin, margin_percent,
            uncosted_revenue
        from rpt_margin_by_dimension
        where dimension_key = 'cluster'
        order by 1, 2 nulls last
        """
    )
    assert rows == [
        ("2026-01-01", "a", D(200), D(90), D(110), D(55), D(0)),
        ("2026-01-01", "b", D(150), D(75), D(75), D(50), D(0)),
        ("2026-01-01", None, D(100), D(50), D(50), D(50), D(0)),
        ("2026-02-01", "a", D(100), D(40), D(60), D(60), D(0)),
    ]


def test_each_event_gets_the_most_specific_cost(run):
    rows = run.query(
        """
        select rated.transaction_id, costs.cost_per_unit, costs.cost
        from int_rated_events_costed as costs
        inner join int_rated_events as rated on costs.rated_event_id = rated.rated_event_id
        order by 1, 3
        """,
        workspace=True,
    )
    # mg-a1 splits into its credit-covered and overage parts (1 unit each at 30)
    assert rows == [
        ("mg-a1", D(30), D(30)),
        ("mg-a1", D(30), D(30)),
        ("mg-a2", D(40), D(40)),
        ("mg-b1", D(50), D(75)),
        ("mg-d1", D(30), D(30)),
        ("mg-n1", D(50), D(50)),
    ]


# ---------------------------------------------------------------- custom pricing units
# Card mg2-card: USD_CENTS, GPU_CREDITS at 2.5 cents. mg2-gpu: VOLUME in GPU_CREDITS, hours up
# to 10 at 4 credits, above at 2; mg2-api: 100 cents per unit. A credit of 8 GPU_CREDITS.
# Unit costs are money (cents): 3 per GPU hour, 30 per API unit. January, cluster a:
#   h1 6 h: USAGE 6 x 4 = 24 credits; the credit covers 8 (2 h), 16 overage (4 h, 40 cents)
#   h2 6 h: total 12, tier 2: USAGE 6 x 2 = 12 (30 cents), USAGE_REPRICE 6 x (2 - 4) = -12
#       (-30 cents): the 6 earlier hours re-priced, not used again, so they cost nothing more
#   x1 2 units: 200 cents
# mg2-gpu: revenue 40 + 30 - 30 = 40 cents, cost (2 + 4 + 6) h x 3 = 36, margin 4 (10 %).
# mg2-api: revenue 200, cost 60, margin 140 (70 %).
JAN1 = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def gpu_run(build_green):
    s = shared.Scenario()
    s.customers.append(shared.customer("mg2-cus"))
    s.billable_metrics.append(
        shared.metric("mg2-hours", event_types=["gpu"], aggregation="SUM", key="hours")
    )
    s.billable_metrics.append(
        shared.metric("mg2-units", event_types=["api"], aggregation="SUM", key="units")
    )
    s.products.append(shared.product("mg2-gpu", "mg2-hours"))
    s.products.append(shared.product("mg2-api", "mg2-units"))
    s.rate_cards.append(
        shared.rate_card("mg2-card", conversions=[shared.conversion("GPU_CREDITS", "2.5")])
    )
    s.rates.append(
        shared.rate(
            "mg2-card",
            "mg2-gpu",
            start=JAN1,
            tiers=[{"size": 10, "price": 4}, {"price": 2}],
            rate_type="VOLUME",
            credit_type_id="GPU_CREDITS",
        )
    )
    s.rates.append(shared.rate("mg2-card", "mg2-api", start=JAN1, price=100))
    s.contracts.append(shared.contract("mg2", "mg2-cus", "mg2-card", start=JAN1))
    s.credits.append(
        shared.credit(
            "mg2-credit",
            "mg2",
            "mg2-gpu",
            [shared.schedule_item("mg2-credit-s", 8, JAN1, "2026-02-01T00:00:00Z")],
            credit_type_id="GPU_CREDITS",
        )
    )
    usage = [
        ("mg2-h1", "gpu", "2026-01-03", {"hours": 6, "cluster": "a"}),
        ("mg2-h2", "gpu", "2026-01-04", {"hours": 6, "cluster": "a"}),
        ("mg2-x1", "api", "2026-01-05", {"units": 2, "cluster": "a"}),
    ]
    s.add_events(
        [
            event(tx, "mg2-cus", kind, f"{day}T00:00:00Z", props, f"{day}T00:00:05Z")
            for tx, kind, day, props in usage
        ]
    )
    costs = [
        {**unit_cost({}, "3", JAN1, None), "product_id": "mg2-gpu"},
        {**unit_cost({}, "30", JAN1, None), "product_id": "mg2-api"},
    ]
    unit_costs = "".join(json.dumps(cost) + "\n" for cost in costs)
    return build_green("margin_gpu", s, AS_OF, extra_files={"unit_costs.jsonl": unit_costs})


def test_margin_of_a_custom_pricing_unit_is_in_fiat(gpu_run):
    rows = gpu_run.query(
        """
        select product_id, credit_type_id, revenue, cost, margin, margin_percent,
            uncosted_revenue
        from rpt_margin_by_dimension
        where dimension_key = 'cluster' and dimension_value = 'a'
        order by product_id
        """
    )
    assert rows == [
        ("mg2-api", "USD_CENTS", D(200), D(60), D(140), D(70), D(0)),
        ("mg2-gpu", "USD_CENTS", D(40), D(36), D(4), D(10), D(0)),
    ]


def test_margin_revenue_is_the_billed_fiat(gpu_run):
    # revenue (credits are free) is what the invoice bills for usage: its USAGE lines' fiat
    # amounts less the credit's application line
    ((revenue,),) = gpu_run.query(
        "select sum(revenue) from rpt_margin_by_dimension where dimension_key = 'cluster'"
    )
    ((billed,),) = gpu_run.query(
        "select sum(total) from fct_invoices where contract_id = 'mg2' and invoice_type = 'USAGE'"
    )
    assert revenue == billed == D(240)


def test_fiat_margin_rows_name_their_fiat_type(run):
    assert run.query("select distinct credit_type_id from rpt_margin_by_dimension") == [
        ("USD_CENTS",)
    ]


# ---------------------------------------------------------------- precedence edge cases
# int_rated_events_costed chooses a unit cost once per distinct (product, values of its cost
# keys) and stretch of time between window boundaries; these cases pin the rule at its edges.
# Product mg3-p at 100 per unit, every event 1 unit. Unit costs (line: keys, cost, window):
#   1: gpu 1, 7, Jan 1 - Feb 1     2: gpu 1, 8, Feb 1 -      3: gpu 1 + zone z, 9, Jan 10 - Jan 20
#   4: none, 5, Jan 15 -           5: gpu 1, 6, Jan 1 - (same keys as 1 and 2, later line)
#   6: key "a/b~c" (a JSON Pointer's special characters) x, 11, Jan 1 -
def mg3_cost(values: dict, per_unit: str, start: str, end: str | None) -> dict:
    return {**unit_cost(values, per_unit, start, end), "product_id": "mg3-p"}


MG3_EVENTS = [
    # transaction, timestamp, properties, expected cost (None: no unit cost applies)
    ("e1", "2026-01-05T00:00:00Z", '{"tokens": 1000000, "gpu": 1.0}', D(7)),  # 1.0 reads "1"
    ("e2", "2026-01-12T00:00:00Z", {"tokens": 1_000_000, "gpu": "1", "zone": "z"}, D(9)),
    ("e3", "2026-01-20T00:00:00Z", {"tokens": 1_000_000, "gpu": 1, "zone": "z"}, D(7)),  # 3 ended
    ("e4", "2026-02-01T00:00:00Z", {"tokens": 1_000_000, "gpu": 1}, D(8)),  # on the boundary
    ("e5", "2026-01-08T00:00:00Z", {"tokens": 1_000_000, "gpu": None}, None),  # null never equals
    ("e6", "2026-01-16T00:00:00Z", {"tokens": 1_000_000, "gpu": None}, D(5)),
    ("e7", "2026-01-16T00:00:00Z", '{"tokens": 1000000, "gpu": 2, "gpu": 1}', D(7)),  # last wins
    ("e8", "2026-01-16T00:00:00Z", '{"tokens": 1000000, "gpu": 1, "gpu": 2}', D(5)),
    ("e9", "2026-01-03T00:00:00Z", {"tokens": 1_000_000}, None),  # before line 4 starts
    ("e10", "2026-01-04T00:00:00Z", {"tokens": 1_000_000, "a/b~c": "x"}, D(11)),
]


@pytest.fixture(scope="module")
def edge_run(build_green):
    s = base("mg3", price=100)
    s.add_events(
        [
            event(f"mg3-{tx}", "mg3-cus", "mg3-llm", at, props, at.replace(":00Z", ":05Z"))
            for tx, at, props, _ in MG3_EVENTS
        ]
    )
    costs = [
        mg3_cost({"gpu": 1}, "7", JAN1, "2026-02-01T00:00:00Z"),
        mg3_cost({"gpu": 1}, "8", "2026-02-01T00:00:00Z", None),
        mg3_cost({"gpu": 1, "zone": "z"}, "9", "2026-01-10T00:00:00Z", "2026-01-20T00:00:00Z"),
        mg3_cost({}, "5", "2026-01-15T00:00:00Z", None),
        mg3_cost({"gpu": 1}, "6", JAN1, None),
        mg3_cost({"a/b~c": "x"}, "11", JAN1, None),
    ]
    unit_costs = "".join(json.dumps(cost) + "\n" for cost in costs)
    return build_green(
        "margin_edges",
        s,
        AS_OF,
        extra_files={"unit_costs.jsonl": unit_costs},
        extra_vars={"margin_dimensions": ["gpu"]},
    )


def test_unit_cost_precedence_at_the_edges(edge_run):
    rows = edge_run.query(
        """
        select rated.transaction_id, costs.cost
        from int_rated_events as rated
        left join int_rated_events_costed as costs on rated.rated_event_id = costs.rated_event_id
        """,
        workspace=True,
    )
    assert sorted(rows) == sorted((f"mg3-{tx}", cost) for tx, _, _, cost in MG3_EVENTS)


def test_margin_sums_values_with_one_text_together(edge_run):
    # 1.0, 1, "1" and a repeated key's last 1 are one value, "1"; JSON null and a missing key
    # are both null
    rows = edge_run.query(
        """
        select calendar_month::varchar, dimension_value, revenue, cost, uncosted_revenue
        from rpt_margin_by_dimension
        order by 1, 2 nulls last
        """
    )
    assert rows == [
        ("2026-01-01", "1", D(400), D(30), D(0)),
        ("2026-01-01", "2", D(100), D(5), D(0)),
        ("2026-01-01", None, D(400), D(16), D(200)),
        ("2026-02-01", "1", D(100), D(8), D(0)),
    ]
