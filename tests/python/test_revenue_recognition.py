"""Revenue recognition (finance) on a hand-computed contract: nth-of-month billing (15th to
15th), a credit, and a prepaid commit that expires partly unspent.

Contract from Jan 15, periods on the 15th; product price 100 per unit. Credit cr of 50 (priority
1) and prepaid commit pc of 1,000 (priority 2), both Jan 15 - Mar 15; pc is billed 1,000 on a
SCHEDULED invoice on Jan 15. Usage: Jan 20 3 units (300: credit 50, prepaid 250), Feb 3 4 units
(400, prepaid), Feb 20 2 units (200, prepaid), Mar 20 2.5 units (250, overage: both expired).
Prepaid breakage at Mar 15: 1,000 - 850 = 150.

Calendar months: January 250 (the credit's 50 is free), February 600, March 150 + 250 = 400 —
while the billing periods hold 700 (Jan 15 - Feb 15), 200 and 250.

A second contract (its own build) prices in a custom pricing unit, GPU_CREDITS, with a credit,
a prepaid and a postpaid commit in that unit: every amount is recognized in fiat cents.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal as D

import pytest
import scenario as shared
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


# ---------------------------------------------------------------- custom pricing units
# Contract rg2 on card rg2-card (USD_CENTS; GPU_CREDITS at 2.5 cents), monthly from Jan 1.
# P_GPU: 10 GPU_CREDITS per hour; P_CENTS: 100 cents per unit. Balances, all in GPU_CREDITS:
# credit CRG 20 (January), prepaid commit PKG 100 (January; its purchase is billed 200 cents on
# Jan 1, below the 250 cents its credits are worth on the card), postpaid commit PPG 40
# (February; true-up due Mar 1). Usage, in order:
#   Jan 5  5 h = 50 credits: CRG covers 20 (fiat 50, free), PKG 30 (fiat 75)
#   Jan 10 3 h = 30 credits: PKG 30 (fiat 75); PKG keeps 40, which expires on Feb 1 (fiat 100)
#   Jan 12 2 units of P_CENTS = 200 cents, overage
#   Feb 3  2 h = 20 credits: PPG 20 (fiat 50); PPG's unspent 20 is trued up on Mar 1 (fiat 50)
#   Mar 4  1 h = 10 credits, overage (fiat 25)
GPU_AS_OF = "2026-03-10T00:00:00Z"
JAN1, FEB1, MAR1 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"


def gpu_scenario() -> shared.Scenario:
    s = shared.Scenario()
    s.customers.append(shared.customer("rg2-cus"))
    s.billable_metrics.append(
        shared.metric("rg2-hours", event_types=["gpu"], aggregation="SUM", key="hours")
    )
    s.billable_metrics.append(
        shared.metric("rg2-units", event_types=["api"], aggregation="SUM", key="units")
    )
    s.products.append(shared.product("P_GPU", "rg2-hours"))
    s.products.append(shared.product("P_CENTS", "rg2-units"))
    s.rate_cards.append(
        shared.rate_card("rg2-card", conversions=[shared.conversion("GPU_CREDITS", "2.5")])
    )
    s.rates.append(
        shared.rate("rg2-card", "P_GPU", start=JAN1, price=10, credit_type_id="GPU_CREDITS")
    )
    s.rates.append(shared.rate("rg2-card", "P_CENTS", start=JAN1, price=100))
    s.contracts.append(shared.contract("rg2", "rg2-cus", "rg2-card", start=JAN1))
    gpu = {"credit_type_id": "GPU_CREDITS"}
    s.credits.append(
        shared.credit("CRG", "rg2", "P_GPU", [shared.schedule_item("CRG-S", 20, JAN1, FEB1)], **gpu)
    )
    purchase = {"schedule_items": [{"amount": 200, "timestamp": JAN1}]}
    s.commits.append(
        shared.commit(
            "PKG",
            "rg2",
            "P_GPU",
            [shared.schedule_item("PKG-S", 100, JAN1, FEB1)],
            invoice_schedule=purchase,
            **gpu,
        )
    )
    s.commits.append(
        shared.commit(
            "PPG",
            "rg2",
            "P_GPU",
            [shared.schedule_item("PPG-S", 40, FEB1, MAR1)],
            kind="POSTPAID",
            **gpu,
        )
    )
    usage = [
        ("rg2-jan5", "gpu", "2026-01-05", {"hours": 5}),
        ("rg2-jan10", "gpu", "2026-01-10", {"hours": 3}),
        ("rg2-jan12", "api", "2026-01-12", {"units": 2}),
        ("rg2-feb3", "gpu", "2026-02-03", {"hours": 2}),
        ("rg2-mar4", "gpu", "2026-03-04", {"hours": 1}),
    ]
    s.add_events(
        [
            shared.event(tx, "rg2-cus", kind, f"{day}T00:00:00Z", props, f"{day}T00:01:00Z")
            for tx, kind, day, props in usage
        ]
    )
    return s


@pytest.fixture(scope="module")
def gpu_run(build_green):
    return build_green("revenue_gpu", gpu_scenario(), GPU_AS_OF)


def test_custom_credit_types_are_recognized_in_fiat(gpu_run):
    rows = gpu_run.query(
        """
        select recognized_on::varchar, product_id, credit_type_id, overage_revenue,
            postpaid_commit_usage_revenue, prepaid_commit_consumption_revenue,
            prepaid_breakage_revenue, postpaid_trueup_revenue, recognized_revenue,
            credit_covered_usage
        from fct_revenue_recognized_daily order by recognized_on, product_id
        """
    )
    assert rows == [
        ("2026-01-05", "P_GPU", "USD_CENTS", 0, 0, D(75), 0, 0, D(75), D(50)),
        ("2026-01-10", "P_GPU", "USD_CENTS", 0, 0, D(75), 0, 0, D(75), 0),
        ("2026-01-12", "P_CENTS", "USD_CENTS", D(200), 0, 0, 0, 0, D(200), 0),
        ("2026-02-01", "P_GPU", "USD_CENTS", 0, 0, 0, D(100), 0, D(100), 0),
        ("2026-02-03", "P_GPU", "USD_CENTS", 0, D(50), 0, 0, 0, D(50), 0),
        ("2026-03-01", "P_GPU", "USD_CENTS", 0, 0, 0, 0, D(50), D(50), 0),
        ("2026-03-04", "P_GPU", "USD_CENTS", D(25), 0, 0, 0, 0, D(25), 0),
    ]


def test_recognized_usage_is_the_rated_fiat_amounts(gpu_run):
    # every rated row's fiat amount is recognized once (credit-covered usage apart), whatever
    # its credit type; the ledger's endings come on top
    ((recognized, ended),) = gpu_run.query(
        "select sum(recognized_revenue + credit_covered_usage),"
        " sum(prepaid_breakage_revenue + postpaid_trueup_revenue)"
        " from fct_revenue_recognized_daily"
    )
    ((rated_fiat, rated_credits),) = gpu_run.query(
        "select sum(fiat_amount), sum(amount) filter (where credit_type_id = 'GPU_CREDITS') from"
        " (select * from fct_rated_events_finalized union all by name"
        " select * from fct_rated_events_draft)"
    )
    assert recognized - ended == rated_fiat == D(475)  # 125 + 75 + 200 + 50 + 25
    assert rated_credits == D(110)  # 50 + 30 + 20 + 10 hours' worth in credits


def test_deferred_revenue_of_a_commit_in_a_custom_credit_type(gpu_run):
    rows = gpu_run.query_dicts("select * from fct_deferred_revenue")
    assert rows == [
        {
            "commit_id": "PKG",
            "commit_name": "PKG",
            "contract_id": "rg2",
            "customer_id": "rg2-cus",
            "product_id": "P_GPU",
            # money in fiat: billed 200 cents; consumption 60 credits worth 150 cents; breakage
            # 40 credits worth 100 cents: 50 cents earned beyond what the purchase billed
            "credit_type_id": "USD_CENTS",
            "billed_amount": D(200),
            "consumption_recognized": D(150),
            "breakage_recognized": D(100),
            "deferred_revenue": D(-50),
            # the commit in its own unit, as the ledger holds it
            "commit_credit_type_id": "GPU_CREDITS",
            "access_amount": D(100),
            "consumed_amount": D(60),
            "expired_amount": D(40),
            "as_of": datetime(2026, 3, 10),
        }
    ]
    ledger = gpu_run.query(
        "select entry_type, credit_type_id, amount from fct_balance_ledger"
        " where balance_id = 'PKG' order by entry_sequence"
    )
    assert ledger == [
        ("SEGMENT_START", "GPU_CREDITS", D(100)),
        ("DRAWDOWN", "GPU_CREDITS", D(-60)),
        ("EXPIRATION", "GPU_CREDITS", D(-40)),
    ]


def test_fiat_commits_show_the_same_amounts_in_both_units(run):
    rows = run.query(
        "select credit_type_id, commit_credit_type_id, access_amount, consumed_amount,"
        " consumption_recognized, expired_amount, breakage_recognized from fct_deferred_revenue"
    )
    assert rows == [("USD_CENTS", "USD_CENTS", D(1000), D(850), D(850), D(150), D(150))]
