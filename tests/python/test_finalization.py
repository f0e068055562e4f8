"""Finalized history is immutable (rules 5) and builds are idempotent.

A January period finalizes at Feb 1 + 24 h. Built at T1 (Feb 10), January's rows are written to
fct_rated_events_finalized. Then late January events arrive and a new rate starts in March;
rebuilt at T2 (Mar 10) incrementally, with --full-refresh, and from scratch, January's rows
stay byte-identical and the late events are PERIOD_FINALIZED.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import scenario as shared
from dbt_runner import dbt_build
from scenario import Scenario, event, write_raw

T1 = "2026-02-10T00:00:00Z"
T2 = "2026-03-10T00:00:00Z"
FINALIZED_SQL = "select * from fct_rated_events_finalized order by rated_event_id"


def scenario_at_t1() -> Scenario:
    jan1 = "2026-01-01T00:00:00Z"
    scenario = Scenario(
        customers=[shared.customer("c1", name="C1")],
        billable_metrics=[
            shared.metric("m1", event_types=["call"], aggregation="COUNT", name="calls")
        ],
        products=[shared.product("p1", "m1", name="calls")],
        rate_cards=[shared.rate_card("rc1", name="card")],
        rates=[
            shared.rate("rc1", "p1", start=jan1, tiers=[{"size": 2, "price": 10}, {"price": 5}])
        ],
        contracts=[shared.contract("k1", "c1", "rc1", start=jan1)],
        credits=[
            shared.credit(
                "cr1",
                "k1",
                "p1",
                [shared.schedule_item("cr1-s", 15, jan1, "2026-04-01T00:00:00Z")],
                name="credit",
            )
        ],
    )
    scenario.add_events(
        [
            event(
                f"jan-{i}",
                "c1",
                "call",
                f"2026-01-{10 + i:02d}T00:00:00Z",
                {},
                f"2026-01-{10 + i:02d}T00:00:09Z",
            )
            for i in range(4)
        ]
        + [event("feb-0", "c1", "call", "2026-02-05T00:00:00Z", {}, "2026-02-05T00:00:09Z")],
        "events-t1.parquet",
    )
    return scenario


def scenario_at_t2() -> Scenario:
    scenario = copy.deepcopy(scenario_at_t1())
    # late January events, received after January finalized (Feb 2 00:00)
    scenario.add_events(
        [
            event("jan-late", "c1", "call", "2026-01-20T00:00:00Z", {}, "2026-02-15T00:00:00Z"),
            event("feb-1", "c1", "call", "2026-02-20T00:00:00Z", {}, "2026-02-20T00:00:09Z"),
        ],
        "events-t2.parquet",
    )
    # a price change from March: January and February keep their prices
    scenario.rates[0]["ending_before"] = "2026-03-01T00:00:00Z"
    scenario.rates.append(
        dict(
            scenario.rates[0],
            starting_at="2026-03-01T00:00:00Z",
            ending_before=None,
            tiers=[{"size": 2, "price": 20}, {"price": 7}],
        )
    )
    return scenario


def build(work: Path, raw: Path, as_of: str, *flags: str):
    run = dbt_build(raw, work, as_of, flags=flags)
    assert run.returncode == 0, run.output[-3000:]
    return run


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = tmp_path_factory.mktemp("finalization")
    raw_t1, raw_t2 = root / "raw-t1", root / "raw-t2"
    write_raw(raw_t1, scenario_at_t1())
    write_raw(raw_t2, scenario_at_t2())
    work = root / "incremental"
    at_t1 = build(work, raw_t1, T1).query(FINALIZED_SQL)
    at_t2 = build(work, raw_t2, T2)
    return {"root": root, "raw_t2": raw_t2, "work": work, "at_t1": at_t1, "run_t2": at_t2}


def january(rows: list[tuple], run) -> list[tuple]:
    names = [c[0] for c in run.query("describe fct_rated_events_finalized")]
    start = names.index("billing_period_start")
    return [row for row in rows if str(row[start]).startswith("2026-01-01")]


def test_t1_finalized_january_only(history):
    run = history["run_t2"]
    rows = january(history["at_t1"], run)
    # four calls: tier 1 holds 2 (10 each), tier 2 the rest (5 each) -> 20 + 10 = 30
    assert len(rows) >= 4 and len(rows) == len(history["at_t1"])


def test_incremental_rebuild_keeps_finalized_rows_byte_identical(history):
    after = history["run_t2"].query(FINALIZED_SQL)
    assert set(history["at_t1"]) <= set(after)
    assert january(after, history["run_t2"]) == history["at_t1"]


def test_late_events_are_period_finalized(history):
    outcome = history["run_t2"].query(
        "select outcome, error_code from fct_event_outcomes where transaction_id = 'jan-late'"
    )
    assert outcome == [("ERRORED", "PERIOD_FINALIZED")]


def test_full_refresh_keeps_finalized_history(history):
    run = build(history["work"], history["raw_t2"], T2, "--full-refresh")
    assert january(run.query(FINALIZED_SQL), run) == history["at_t1"]


def test_rebuild_from_scratch_reproduces_finalized_rows(history):
    # the same rows; only the provenance differs (another run finalized them)
    run = build(history["root"] / "scratch", history["raw_t2"], T2)
    sql = (
        "select * exclude (run_as_of, run_invocation_id, run_config_hash) "
        "from fct_rated_events_finalized order by rated_event_id"
    )
    assert run.query(sql) == history["run_t2"].query(sql)


MARTS = (
    "fct_rated_events_draft",
    "fct_rated_events_finalized",
    "fct_invoices",
    "fct_invoice_line_items",
    "fct_event_outcomes",
    "fct_errored_events",
    "fct_balance_ledger",
)


def test_building_twice_changes_nothing(history):
    work = history["root"] / "twice"
    first = build(work, history["raw_t2"], T2)
    before = {name: sorted(first.query(f"select * from {name}"), key=repr) for name in MARTS}
    second = build(work, history["raw_t2"], T2)
    after = {name: sorted(second.query(f"select * from {name}"), key=repr) for name in MARTS}
    assert after == before


# --- configuration changed after a period finalized (rules 5: "as recorded") ---------------------

JANUARY_LINES_SQL = (
    "select line_type, product_id, balance_id, quantity, amount, status "
    "from fct_invoice_line_items where billing_period_start = '2026-01-01' order by all"
)
JANUARY_INVOICE_SQL = (
    "select invoice_id, status, finalized_at, total from fct_invoices "
    "where invoice_type = 'USAGE' and billing_period_start = '2026-01-01'"
)


def scenario_with_changed_config(credit_amount: int) -> Scenario:
    # January (finalized at T1) was rated at 10/5 with a credit of 15, all of it consumed;
    # now the price is 12/6 and the credit holds `credit_amount`
    scenario = copy.deepcopy(scenario_at_t1())
    scenario.rates[0]["tiers"] = [{"size": 2, "price": 12}, {"price": 6}]
    scenario.credits[0]["access_schedule"]["schedule_items"][0]["amount"] = credit_amount
    scenario.add_events(
        [event("feb-1", "c1", "call", "2026-02-20T00:00:00Z", {}, "2026-02-20T00:00:09Z")],
        "events-t2.parquet",
    )
    return scenario


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    root = tmp_path_factory.mktemp("changed-config")
    raw_t1, raw_t2 = root / "raw-t1", root / "raw-t2"
    write_raw(raw_t1, scenario_at_t1())
    write_raw(raw_t2, scenario_with_changed_config(40))
    work = root / "work"
    first = build(work, raw_t1, T1)
    shutil.copy(work / "warehouse.duckdb", root / "t1-warehouse.duckdb")
    before = {
        "rows": first.query(FINALIZED_SQL),
        "lines": first.query(JANUARY_LINES_SQL),
        "invoice": first.query(JANUARY_INVOICE_SQL),
    }
    return {
        "before": before,
        "after": build(work, raw_t2, T2),
        "t1_warehouse": root / "t1-warehouse.duckdb",
    }


def test_finalized_rows_invoice_and_lines_stay_as_recorded(changed):
    after = changed["after"]
    assert january(after.query(FINALIZED_SQL), after) == changed["before"]["rows"]
    assert after.query(JANUARY_LINES_SQL) == changed["before"]["lines"]
    assert after.query(JANUARY_INVOICE_SQL) == changed["before"]["invoice"]
    # the recorded January invoice: 2 x 10 + 2 x 5 = 30, less the credit's 15
    assert [row[3] for row in changed["before"]["invoice"]] == [15]


def test_open_periods_draw_down_from_recorded_consumption(changed):
    # recorded: January consumed 15 of the credit, so 40 - 15 = 25 is left for February (had
    # January been rated again at 12/6 it would have consumed 36, leaving 4); February's two
    # calls cost 2 x 12 = 24, all covered (February finalizes in this run, at T2)
    rows = changed["after"].query(
        "select coverage, sum(amount) from fct_rated_events_finalized "
        "where billing_period_start = '2026-02-01' group by coverage"
    )
    assert rows == [("CREDIT", 24)]
    ledger = changed["after"].query(
        "select entry_type, amount, running_balance from fct_balance_ledger "
        "where balance_segment_id = 'cr1-s' order by entry_sequence"
    )
    assert ledger == [("SEGMENT_START", 40, 40), ("DRAWDOWN", -15, 25), ("DRAWDOWN", -24, 1)]


def test_segment_below_its_recorded_consumption_is_bad_configuration(changed, tmp_path):
    # the credit lowered to 10 after January recorded 15 of it: the build stops, naming it
    raw = tmp_path / "raw"
    write_raw(raw, scenario_with_changed_config(10))
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(changed["t1_warehouse"], work / "warehouse.duckdb")
    run = dbt_build(raw, work, T2)
    assert run.returncode != 0
    assert "balance segment cr1-s of cr1: amount 10" in run.output
    assert "below the 15" in run.output


def test_published_marts_carry_their_descriptions(history):
    # the publish writes the YAML descriptions as comments (a BI tool's column help); an
    # appended history mart, a replaced table and a published view alike
    run = history["run_t2"]
    tables = dict(
        run.query(
            "select table_name, comment from duckdb_tables() where database_name = 'warehouse' "
            "and table_name in ('fct_invoices', 'fct_rated_events_finalized', 'dim_customers')"
        )
    )
    assert tables["fct_invoices"].startswith("One row per invoice")
    assert all(tables.values()) and len(tables) == 3
    views = run.query(
        "select comment from duckdb_views() where database_name = 'warehouse' "
        "and view_name = 'rpt_spend_by_customer_product_day'"
    )
    assert views and views[0][0].startswith("Grain: one row per")
    described = run.query(
        "select count(*), count(comment) from duckdb_columns() where database_name = 'warehouse' "
        "and table_name in ('fct_invoices', 'rpt_spend_by_customer_product_day')"
    )
    assert described[0][0] > 10 and described[0][0] == described[0][1]
