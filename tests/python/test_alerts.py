"""Spend alerts (docs block `alert_triggers`) on hand-computed cases: a crossing inside an
event, exactly on the threshold, never reached, a negative event moving back below, LOW_BALANCE
across two segments, property filters, fiat spend of GPU credits and cents with a VOLUME
re-price row, a credit in GPU credits; a late event in an open period moves the trigger, a
finalized trigger never changes (customer_spend.py holds the scenario and the running values);
and bad alert configuration fails naming the line."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from customer_spend import (
    FIRST_AS_OF,
    TRIGGERS_SQL,
    catalog,
    crossing,
    customer_spend_scenario,
    gpu_credits,
    low_balance,
)
from dbt_runner import dbt_build
from scenario import write_raw

# Both files read the session's customer_spend build: one worker runs them (conftest.py).
TEST_GROUP = "customer_spend"

D = Decimal
JANUARY, FEBRUARY = "2026-01-01", "2026-02-01"

# (alert, contract, period, balance segment, transaction, value before, value after, status)
EXPECTED = {
    ("a_cross", "k_cross_a", JANUARY, None, "x2", D(60), D(130), "FINALIZED"),
    ("a_cross", "k_cross_b", JANUARY, None, "x2", D(60), D(130), "FINALIZED"),
    ("a_exact", "k_cross_a", JANUARY, None, "x2", D(60), D(130), "FINALIZED"),
    ("a_neg_95", "k_neg", JANUARY, None, "n2", D(50), D(100), "FINALIZED"),
    ("a_neg_80", "k_neg", JANUARY, None, "n2", D(50), D(100), "FINALIZED"),
    ("a_neg_usage", "k_neg", JANUARY, None, "n2", D(50), D(100), "FINALIZED"),
    ("a_low", "k_low", JANUARY, "cr_low_jan", "l2", D(50), D(20), "FINALIZED"),
    ("a_low", "k_low", FEBRUARY, "cr_low_feb", "l5", D(60), D(10), "DRAFT"),
    ("a_low_commit", "k_low", JANUARY, "pc_low_jan", "l3", D(1000), D(980), "FINALIZED"),
    ("a_low_spend", "k_low", JANUARY, None, "l3", D(80), D(120), "FINALIZED"),
    ("a_acme", "k_filter", JANUARY, None, "f3", D(40), D(90), "FINALIZED"),
    ("a_not_acme", "k_filter", JANUARY, None, "f4", D(100), D(110), "FINALIZED"),
    ("a_no_key", "k_filter", JANUARY, None, "f4", D(0), D(10), "FINALIZED"),
    ("a_acme_units", "k_filter", JANUARY, None, "f5", D(90), D(120), "FINALIZED"),
    ("a_late", "k_late", JANUARY, None, "j2", D(60), D(120), "FINALIZED"),
    ("a_late", "k_late", FEBRUARY, None, "g1", D(60), D(120), "DRAFT"),
}
# customer_spend.gpu_credits, built on its own: fiat spend of GPU credits and cents
EXPECTED_GPU = {
    ("a_gpu_spend", "k_gpu", JANUARY, None, "v3", D(600), D(1350), "FINALIZED"),
    ("a_gpu_reprice", "k_gpu", JANUARY, None, "v5", D(1275), D(1375), "FINALIZED"),
    ("a_gpu_hours", "k_gpu", JANUARY, None, "v3", D(5), D(15), "FINALIZED"),
    ("a_gpu_low", "k_gpu", JANUARY, "cr_gpu_jan", "v2", D(300), D(100), "FINALIZED"),
}
# the first build, before late_feb arrived: February's trigger was g2
FIRST_LATE_FEBRUARY = ("a_late", "k_late", FEBRUARY, None, "g2", D(60), D(120), "DRAFT")
STATEMENT_ALERTS = ("a_stmt_spend", "a_stmt_low", "a_stmt_acme", "a_stmt_gpu")


def key(row: dict) -> tuple:
    return (
        row["alert_id"],
        row["contract_id"],
        row["billing_period_start"].date().isoformat(),
        row["balance_segment_id"],
        row["transaction_id"],
        row["value_before"],
        row["value_after"],
        row["status"],
    )


@pytest.fixture(scope="module")
def triggers(customer_spend) -> list[dict]:
    return customer_spend.run.query_dicts(TRIGGERS_SQL)


def test_hand_computed_triggers(triggers):
    """Every case's triggers, exactly; `a_never` and `a_neg_never` (one unit above what the
    period reaches) fire nothing, nor do `a_low` on the commit or `a_low_spend` in February."""
    hand_computed = {key(row) for row in triggers if row["alert_id"] not in STATEMENT_ALERTS}
    assert hand_computed == EXPECTED


def test_one_trigger_per_alert_and_period_or_segment(triggers):
    scopes = [
        (
            row["alert_id"],
            row["invoice_id"] if row["balance_segment_id"] is None else row["balance_segment_id"],
        )
        for row in triggers
    ]
    assert len(scopes) == len(set(scopes))


def test_every_trigger_is_the_first_reach(triggers, customer_spend):
    """Over all alerts (the statement customer's too): the value before the rated event had not
    reached the threshold and the value after it has, and the rated event is in the marts."""
    for row in triggers:
        if row["alert_type"] == "LOW_BALANCE":
            assert row["value_before"] > row["threshold"] >= row["value_after"], row
            assert row["credit_type_id"] == "USD_CENTS"
        else:
            assert row["value_before"] < row["threshold"] <= row["value_after"], row
        if row["alert_type"] == "USAGE_THRESHOLD_REACHED":
            assert row["credit_type_id"] is None
    found = customer_spend.run.query(
        """
        select count(distinct triggers.unsplit_rated_event_id)
        from (select distinct unsplit_rated_event_id from (
            select unsplit_rated_event_id from fct_rated_events_draft
            union all
            select unsplit_rated_event_id from fct_rated_events_finalized
        )) as rated
        inner join fct_alert_triggers as triggers using (unsplit_rated_event_id)
        """
    )[0][0]
    assert found == len({row["unsplit_rated_event_id"] for row in triggers})
    assert {row["alert_id"] for row in triggers} >= set(STATEMENT_ALERTS)


def test_spend_counts_a_split_rated_event_whole(triggers, customer_spend):
    """l3 is covered 20 by the credit and 20 by the commit: two mart rows, one rated event."""
    (row,) = [row for row in triggers if row["alert_id"] == "a_low_spend"]
    parts = customer_spend.run.query(
        "select coverage, amount from fct_rated_events_finalized "
        "where unsplit_rated_event_id = ? order by coverage",
        [row["unsplit_rated_event_id"]],
    )
    assert parts == [("CREDIT", D(20)), ("PREPAID_COMMIT", D(20))]


def test_a_late_event_moves_an_open_trigger_and_never_a_finalized_one(customer_spend, triggers):
    first = {key(row) for row in customer_spend.first_triggers}
    second = {key(row) for row in triggers}
    assert FIRST_LATE_FEBRUARY in first
    assert ("a_late", "k_late", FEBRUARY, None, "g1", D(60), D(120), "DRAFT") in second
    # late_jan was received after January finalized: not rated, January's trigger unchanged
    outcome = customer_spend.run.query(
        "select outcome, error_code from fct_event_outcomes where transaction_id = 'late_jan'"
    )
    assert outcome == [("ERRORED", "PERIOD_FINALIZED")]
    finalized_first = [r for r in customer_spend.first_triggers if r["status"] == "FINALIZED"]
    finalized_second = [r for r in triggers if r["status"] == "FINALIZED"]
    assert finalized_first and finalized_second == finalized_first  # every column, every row


# ------------------------------------------------------------------------ credit types
@pytest.fixture(scope="module")
def gpu_run(build_green):
    scenario, alerts = customer_spend_scenario((gpu_credits,))
    return build_green("alerts_gpu", scenario, FIRST_AS_OF, extra_files={"alerts.jsonl": alerts})


def test_gpu_credit_triggers(gpu_run):
    """Spend adds fiat amounts (GPU credits at 2.5 cents, re-price rows too); 16 GPU hours are
    never reached (`a_gpu_units`: re-price rows add no units); the GPU credit's remaining
    amount is in GPU credits."""
    triggers = gpu_run.query_dicts(TRIGGERS_SQL)
    assert {key(row) for row in triggers} == EXPECTED_GPU
    types = {row["alert_id"]: row["credit_type_id"] for row in triggers}
    assert types == {
        "a_gpu_spend": "USD_CENTS",
        "a_gpu_reprice": "USD_CENTS",
        "a_gpu_hours": None,
        "a_gpu_low": "GPU_CREDITS",
    }


def test_spend_adds_fiat_amounts_of_custom_units_and_cents(gpu_run):
    """a_gpu_spend's running value is the fiat amounts of every rated event of the contract in
    the rated events' order, GPU credits converted by the rate card (2.5 cents a credit)."""
    (row,) = [r for r in gpu_run.query_dicts(TRIGGERS_SQL) if r["alert_id"] == "a_gpu_spend"]
    rated = gpu_run.query(
        """
        select transaction_id, component, credit_type_id, sum(amount), sum(fiat_amount)
        from fct_rated_events_finalized
        where contract_id = 'k_gpu'
        group by transaction_id, component, credit_type_id
        order by min(event_timestamp), transaction_id,
            case component when 'USAGE' then 1 else 2 end
        """
    )
    running = D(0)
    reached = None
    for transaction_id, component, credit_type_id, amount, fiat_amount in rated:
        factor = D("2.5") if credit_type_id == "GPU_CREDITS" else D(1)
        assert fiat_amount == amount * factor
        before, running = running, running + amount * factor
        if reached is None and running >= row["threshold"]:
            reached = (transaction_id, component, before, running)
    assert reached == (row["transaction_id"], "USAGE", row["value_before"], row["value_after"])
    assert {r[1] for r in rated} == {"USAGE", "USAGE_REPRICE"}


# ------------------------------------------------------------------------ bad configuration
BAD_ALERTS = [
    ({"id": None}, "alerts line 1 (no id): missing id"),
    ({"id": "dup"}, "alerts line 2 (dup): duplicate id dup"),
    ({"id": "dup"}, "alerts line 3 (dup): duplicate id dup"),
    ({"id": "bad_type", "alert_type": "SPEND"}, "alerts line 4 (bad_type): alert_type must be"),
    ({"id": "negative", "threshold": -5}, "(negative): threshold must be a non-negative decimal"),
    (
        {"id": "text", "threshold": "lots"},
        "(text): threshold must be a non-negative decimal, got lots",
    ),
    ({"id": "who", "customer_id": "c_nobody"}, "(who): customer_id c_nobody not found"),
    (
        {"id": "theirs", "contract_id": "k_low"},
        "(theirs): contract k_low belongs to customer c_low",
    ),
    (
        {"id": "no_product", "alert_type": "USAGE_THRESHOLD_REACHED"},
        "(no_product): USAGE_THRESHOLD_REACHED needs a product_id",
    ),
    (
        {"id": "spend_product", "product_id": "p_units"},
        "(spend_product): product_id is for USAGE_THRESHOLD_REACHED only",
    ),
    (
        {"id": "unknown_product", "alert_type": "USAGE_THRESHOLD_REACHED", "product_id": "p_no"},
        "(unknown_product): product_id p_no not found",
    ),
    (
        {"id": "spend_balance", "balance_id": "cr_low"},
        "(spend_balance): balance_id is for LOW_BALANCE only",
    ),
    (
        {"id": "other_balance", "alert_type": "LOW_BALANCE", "balance_id": "cr_low"},
        "(other_balance): balance_id cr_low is no commit or credit of customer c_cross",
    ),
    (
        {
            "id": "low_filtered",
            "customer_id": "c_low",
            "alert_type": "LOW_BALANCE",
            "property_filters": [{"name": "end_customer", "in_values": ["acme"]}],
        },
        "(low_filtered): property_filters are for spend and usage alerts only",
    ),
    (
        {"id": "nameless", "property_filters": [{"in_values": ["acme"]}]},
        "alerts nameless property filter 1: name is required",
    ),
    (
        {"id": "maybe", "property_filters": [{"name": "end_customer", "exists": "maybe"}]},
        "alerts maybe property filter 1: exists must be true, false or null",
    ),
]


def test_bad_alerts_fail_the_build_naming_each_line(tmp_path):
    """All the broken alerts in one file, staging and the configuration tests only: the build
    fails with one message that names every bad line."""
    scenario = catalog()
    for case in (crossing, low_balance):
        scenario.merge(case()[0])
    raw = write_raw(tmp_path / "raw", scenario)
    base = {"customer_id": "c_cross", "alert_type": "SPEND_THRESHOLD_REACHED", "threshold": 1}
    lines = [json.dumps({**base, **fields}) for fields, _ in BAD_ALERTS]
    (raw / "alerts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = dbt_build(raw, tmp_path, FIRST_AS_OF, select="path:models/staging")
    assert run.returncode != 0
    assert "bad configuration" in run.output
    missing = [message for _, message in BAD_ALERTS if message not in run.output]
    assert missing == [], run.output[-4000:]
