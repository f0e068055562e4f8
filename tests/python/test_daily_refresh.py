"""Daily refresh (docs block `daily_refresh`): a run that keeps earlier outcomes decides only new
events and open periods, and still leaves every mart identical, row for row, to a full build of a
fresh warehouse from the same raw files at the same as_of.

The generated history spans May's finalization (May 31 + 24 h grace = June 2 00:00): day 1 runs
before it, day 2 finalizes May, day 3 runs after; each day brings a file of new events (late
arrivals, duplicates across days and every error kind come from the generator)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from dbt_runner import DbtRun, dbt_build

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "generate_data.py"
DAY_1, DAY_2, DAY_3 = "2026-06-01T12:00:00Z", "2026-06-02T12:00:00Z", "2026-06-03T12:00:00Z"

# every mart; the run columns name the run that wrote a row, so they differ by construction
MARTS = (
    "fct_rated_events_draft",
    "fct_rated_events_finalized",
    "fct_invoices",
    "fct_invoice_line_items",
    "fct_balance_ledger",
    "fct_event_outcomes",
    "fct_errored_events",
    "fct_revenue_recognized_daily",
    "fct_deferred_revenue",
    "dim_balances",
    "dim_contracts",
    "int_rated_events_costed",
    # published as a table and as a view: read from the warehouse after the publish
    "rpt_margin_by_dimension",
    "rpt_spend_by_customer_product_day",
    # the sample data's spend alerts (alerts.jsonl): triggers over draft and finalized rows
    "fct_alert_triggers",
)
RUN_COLUMNS = {"run_as_of", "run_invocation_id", "run_config_hash", "run_inputs_hash"}
DECIDED_SQL = "select count(*) from int_usage_events_validated where not is_settled"
BY_RUN_SQL = "select run_as_of, count(*) from fct_event_outcomes group by all"


def generate(raw: Path) -> None:
    subprocess.run(
        [sys.executable, str(SCRIPT), "--events", "20000", "--customers", "12"]
        + ["--out", str(raw), "--as-of", DAY_1],
        check=True,
        capture_output=True,
    )


def add_day(raw: Path, as_of: str) -> None:
    subprocess.run(
        [sys.executable, str(SCRIPT), "--add-day", "--out", str(raw), "--as-of", as_of],
        check=True,
        capture_output=True,
    )


def build(raw: Path, work: Path, as_of: str, **extra_vars) -> DbtRun:
    run = dbt_build(raw, work, as_of, extra_vars=extra_vars or None)
    assert run.returncode == 0, run.output[-3000:]
    return run


def mart_rows(run: DbtRun) -> dict[str, list[tuple]]:
    rows = {}
    for mart in MARTS:
        columns = [c[0] for c in run.query(f"describe {mart}") if c[0] not in RUN_COLUMNS]
        listed = ", ".join(f'"{c}"' for c in columns)
        rows[mart] = run.query(f"select {listed} from {mart} order by all")
    return rows


def settlement(run: DbtRun) -> dict:
    return run.query_dicts("select * from int_run_settlement")[0]


@pytest.fixture(scope="module")
def days(tmp_path_factory):
    """Raw folders as they stood on days 1-3, and the incremental warehouse built day by day."""
    root = tmp_path_factory.mktemp("daily")
    raws = {}
    raw = root / "raw"
    generate(raw)
    raws[DAY_1] = root / "raw-day1"
    shutil.copytree(raw, raws[DAY_1])
    add_day(raw, DAY_1)
    raws[DAY_2] = root / "raw-day2"
    shutil.copytree(raw, raws[DAY_2])
    add_day(raw, DAY_2)
    raws[DAY_3] = raw
    # the daily job: one warehouse, the raw folder grows one file a day (copies of the same
    # path: the inputs hash includes the raw folder)
    live = root / "live"
    incremental = root / "incremental"
    runs, states = {}, {}
    for day in (DAY_1, DAY_2, DAY_3):
        if live.exists():
            shutil.rmtree(live)
        shutil.copytree(raws[day], live)
        runs[day] = build(live, incremental, day)
        # the warehouse moves on with the next day: keep what this run saw
        states[day] = {
            **settlement(runs[day]),
            "decided": runs[day].query(DECIDED_SQL)[0][0],
            "received": runs[day].query("select count(*) from fct_event_outcomes")[0][0],
            "marts": mart_rows(runs[day]),
        }
    return {"root": root, "raws": raws, "live": live, "runs": runs, "states": states}


def test_daily_runs_keep_earlier_outcomes_and_decide_only_what_is_new(days):
    states = days["states"]
    assert states[DAY_1]["keeps_earlier_outcomes"] is False
    assert states[DAY_1]["decided"] == states[DAY_1]["received"]
    for day in (DAY_2, DAY_3):
        state = states[day]
        assert state["keeps_earlier_outcomes"] is True, state
        # a real saving, not a full rebuild under another name
        assert state["decided"] < state["received"] * 0.8, state
    by_run = dict(days["runs"][DAY_3].query(BY_RUN_SQL))
    assert len(by_run) == 3, by_run


@pytest.mark.parametrize("day", [DAY_2, DAY_3])
def test_daily_refresh_equals_a_full_build(days, day, tmp_path):
    """Day 2 finalizes May in a warehouse that had it open; day 3 runs on recorded May."""
    live = tmp_path / "live"
    shutil.copytree(days["raws"][day], live)
    full = build(live, tmp_path / "full", day)
    assert settlement(full)["keeps_earlier_outcomes"] is False
    expected, actual = mart_rows(full), days["states"][day]["marts"]
    for mart in MARTS:
        assert actual[mart] == expected[mart], mart
    assert expected["fct_rated_events_finalized"], "the history must hold finalized rows"
    assert expected["fct_errored_events"], "the history must hold errored events"


def test_changed_inputs_or_as_of_moving_back_decide_everything_again(days, tmp_path):
    work = tmp_path / "warehouse"
    live = tmp_path / "live"
    shutil.copytree(days["raws"][DAY_2], live)
    build(live, work, DAY_2)

    def rename_a_customer() -> None:
        customers = live / "customers.jsonl"
        lines = customers.read_text().splitlines()
        first = json.loads(lines[0])
        first["name"] = first.get("name", "") + " (renamed)"
        customers.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")

    def raise_a_unit_cost() -> None:
        unit_costs = live / "unit_costs.jsonl"
        lines = unit_costs.read_text().splitlines()
        first = json.loads(lines[0])
        first["cost_per_unit"] = str(Decimal(str(first["cost_per_unit"])) * 2)
        unit_costs.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")

    for label, as_of, extra, keeps in (
        ("daily_refresh switched off", DAY_2, {"daily_refresh": False}, False),
        # back, but not behind a finalization: recorded history is never ahead of as_of
        ("as_of moved back", "2026-06-02T06:00:00Z", {}, False),
        ("as_of moved forward again", DAY_2, {}, True),
        ("a configuration file changed", DAY_2, {}, False),
        # margin only: outcomes stand, every cost is computed again
        ("a unit cost changed", DAY_2, {}, True),
        ("a rating setting changed", DAY_2, {"dedupe_window_days": 20}, False),
    ):
        if label == "a configuration file changed":
            rename_a_customer()
        if label == "a unit cost changed":
            raise_a_unit_cost()
        run = build(live, work, as_of, **extra)
        state = settlement(run)
        assert state["keeps_earlier_outcomes"] is keeps, label
        stamps = run.query("select distinct run_inputs_hash from fct_event_outcomes")
        assert stamps == [(state["run_inputs_hash"],)], label
        if not keeps:
            as_ofs = run.query("select distinct run_as_of from fct_event_outcomes")
            assert as_ofs == [(state["run_as_of"],)], label
    # the last run rewrote every outcome under the new setting: as a fresh build would
    full = build(live, tmp_path / "full", DAY_2, dedupe_window_days=20)
    for model in ("fct_event_outcomes", "fct_errored_events", "int_rated_events_costed"):
        assert mart_rows(run)[model] == mart_rows(full)[model], model


def test_as_of_behind_recorded_finalization_fails_naming_the_invoices(days, tmp_path):
    """Day 2 finalized May (finalized_at June 2 00:00): a run at day 1's as_of would see May
    open again beside its recorded finalized rows. It stops before any model, naming May's
    invoices (up to five) and the as_of to run with, and leaves the published marts as they
    were."""
    work = tmp_path / "warehouse"
    shutil.copytree(days["root"] / "incremental", work)
    live = tmp_path / "live"
    shutil.copytree(days["raws"][DAY_3], live)
    before = DbtRun(0, "", work / "warehouse.duckdb")
    finalized_before = before.query("select count(*) from fct_rated_events_finalized")
    may_invoices = [
        invoice_id
        for (invoice_id,) in before.query(
            "select distinct invoice_id from fct_rated_events_finalized"
            " where finalized_at = timestamp '2026-06-02 00:00:00'"
        )
    ]
    assert may_invoices
    run = dbt_build(live, work, DAY_1)
    assert run.returncode != 0
    message = (
        f"as_of 2026-06-01T12:00:00Z is before the finalization of {len(may_invoices)} "
        "published finalized invoice(s)"
    )
    assert run.output.count(message) == 1
    assert "make run AS_OF=2026-06-02T00:00:00Z" in run.output
    named = [invoice_id for invoice_id in may_invoices if invoice_id in run.output]
    assert len(named) == min(5, len(may_invoices))
    after = before.query("select count(*) from fct_rated_events_finalized")
    assert after == finalized_before
    # at or after the latest finalization, the same warehouse builds again
    build(live, work, DAY_3)
