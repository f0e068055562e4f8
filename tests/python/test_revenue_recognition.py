"""Revenue recognition (finance) on a hand-computed contract: nth-of-month billing (15th to
15th), a credit, and a prepaid commit that expires partly unspent.

Contract from Jan 15, periods on the 15th; product price 100 per unit. Credit cr of 50 (priority
1) and prepaid commit pc of 1,000 (priority 2), both Jan 15 - Mar 15; pc is billed 1,000 on a
SCHEDULED invoice on Jan 15. Usage: Jan 20 3 units (300: credit 50, prepaid 250), Feb 3 4 units
(400, prepaid), Feb 20 2 units (200, prepaid), Mar 20 2.5 units (250, overage: both expired).
Prepaid breakage at Mar 15: 1,000 - 850 = 150.

Calendar months: January 250 (the credit's 50 is free), February 600, March 150 + 250 = 400 —
while the billing periods hold 700 (Jan 15 - Feb 15), 200 and 250.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal as D

import pytest
from test_balances import base, commit, schedule, tokens

AS_OF = "2026-04-20T00:00:00Z"


def scenario():
    s = base("rr", price=100)
    s.contracts[0]["starting_at"] = "2026-01-15T00:00:00Z"
    s.contracts[0]["usage_statement_schedule"] = {
        "frequency": "MONTHLY",
        "day": "CUSTOM_DATE",
        "billing_anchor_date": "2026-01-15T00:00:00Z",
    }
    s.rates[0]["starting_at"] = "2026-01-01T00:00:00Z"
    window = ("2026-01-15T00:00:00Z", "2026-03-15T00:00:00Z")
    prepaid = commit("rr", "pc", "PREPAID", [schedule("pc-s", 1000, *window)], priority=2)
    prepaid["invoice_schedule"] = {
        "schedule_items": [{"amount": 1000, "timestamp": "2026-01-15T00:00:00Z"}]
    }
    s.commits.append(prepaid)
    s.credits.append(
        {
            "id": "cr",
            "contract_id": "rr-ct",
            "name": "credit",
            "product_id": "rr-p",
            "access_schedule": {"schedule_items": [schedule("cr-s", 50, *window)]},
            "applicable_product_ids": None,
            "applicable_product_tags": None,
            "priority": 1,
        }
    )
    s.add_events(
        [
            tokens("rr", "jan20", 20, 3_000_000, month=1),
            tokens("rr", "feb3", 3, 4_000_000, month=2),
            tokens("rr", "feb20", 20, 2_000_000, month=2),
            tokens("rr", "mar20", 20, 2_500_000, month=3),
        ]
    )
    return s


@pytest.fixture(scope="module")
def run(build_green):
    return build_green("revenue", scenario(), AS_OF)


def test_calendar_month_revenue_across_nth_of_month_periods(run):
    by_month = defaultdict(D)
    for day, amount in run.query(
        "select recognized_on, recognized_revenue from fct_revenue_recognized_daily"
    ):
        by_month[day.strftime("%Y-%m")] += amount
    assert dict(by_month) == {"2026-01": D(250), "2026-02": D(600), "2026-03": D(400)}
    periods = run.query(
        "select billing_period_start::date::varchar, total from fct_invoices "
        "where invoice_type = 'USAGE' and total <> 0 order by 1"
    )
    # the invoices bill 700 - 50 credit - 650 commit, 200 - 200, and 250 (the commit's purchase
    # is billed on its own SCHEDULED invoice)
    assert [(start, total) for start, total in periods] == [("2026-03-15", D(250))]


def test_each_kind_on_its_day(run):
    rows = run.query(
        """
        select recognized_on::varchar, overage_revenue, prepaid_commit_consumption_revenue,
            prepaid_breakage_revenue, postpaid_trueup_revenue, credit_covered_usage
        from fct_revenue_recognized_daily order by recognized_on
        """
    )
    assert rows == [
        ("2026-01-20", 0, D(250), 0, 0, D(50)),
        ("2026-02-03", 0, D(400), 0, 0, 0),
        ("2026-02-20", 0, D(200), 0, 0, 0),
        ("2026-03-15", 0, 0, D(150), 0, 0),
        ("2026-03-20", D(250), 0, 0, 0, 0),
    ]


def test_deferred_revenue_of_the_prepaid_commit(run):
    rows = run.query(
        "select commit_id, billed_amount, consumption_recognized, breakage_recognized, "
        "deferred_revenue from fct_deferred_revenue"
    )
    assert rows == [("pc", D(1000), D(850), D(150), D(0))]
