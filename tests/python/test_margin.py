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
"""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
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
