"""scripts/trace.py and the trace_transaction macro: e2 of rules 7 from raw record to invoice
(expected rows written by hand), a duplicate, and an errored event; what the command line says
for an unknown id, a missing warehouse and one a running build holds."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from dbt_runner import DBT, PROJECT_DIR
from rated_events_tools import summary
from rated_events_tools import trace as trace_script
from rated_events_tools.cli import open_reader
from scenario import event
from test_balances import AS_OF, spec_section_7, tokens


@pytest.fixture(scope="module")
def warehouse(build_green):
    scenario = spec_section_7()
    duplicate = tokens("k7", "e1", 5, 4_000_000)
    duplicate["received_at"] = duplicate["received_at"].replace(hour=1)
    stranger = event(
        "k7-stranger",
        "nobody",
        "k7-llm",
        "2026-01-08T00:00:00Z",
        {"tokens": 5},
        "2026-01-08T00:00:05Z",
    )
    scenario.add_events([duplicate, stranger], "events-later.parquet")
    return build_green("trace", scenario, AS_OF)


def query(run, sql: str, params: list) -> list[tuple]:
    with duckdb.connect(str(run.db_path), read_only=True) as connection:
        return connection.execute(sql, params).fetchall()


def traced(run, transaction_id: str) -> tuple[list[tuple], str]:
    """The macro's rows as the command line runs them, and what it prints."""
    with open_reader(run.db_path) as connection:
        rows = trace_script.trace_rows(connection, transaction_id)
    return rows, trace_script.render_trace(transaction_id, rows)


def details(rows: list[tuple], section: str) -> list[str]:
    """The details of one section, without the invoice id they end with, sorted."""
    return sorted(row[3].split(" on invoice ")[0] for row in rows if row[1] == section)


def test_trace_of_spec_section_7_e2(warehouse):
    rows, printed = traced(warehouse, "k7-e2")
    # product, component, tier, quantity x unit price = amount in its credit type (fiat
    # amount: the same in cents), coverage, segment (rules 7)
    assert details(rows, "rated event") == [
        "FINALIZED k7-p USAGE tier 1: 2.5 x 200 = 500 USD_CENTS (fiat 500 USD_CENTS), OVERAGE",
        "FINALIZED k7-p USAGE tier 1: 3.5 x 200 = 700 USD_CENTS (fiat 700 USD_CENTS), "
        "PREPAID_COMMIT (K1-jan)",
        "FINALIZED k7-p USAGE tier 2: 2 x 100 = 200 USD_CENTS (fiat 200 USD_CENTS), OVERAGE",
    ]
    # the USAGE line of January (e1 + e2 + e3: 15 units, 800 + 1,400 + 300) and K1's COMMIT
    # application line (-1,500), all on the one invoice the rated events name
    assert details(rows, "invoice line item") == [
        "COMMIT k7-p balance K1 amount -1500 USD_CENTS (fiat -1500 USD_CENTS)",
        "USAGE k7-p quantity 15 amount 2500 USD_CENTS (fiat 2500 USD_CENTS)",
    ]
    [invoice] = [row for row in rows if row[1] == "invoice"]
    on_invoices = {row[3].split(" on invoice ")[1] for row in rows if row[1] == "rated event"}
    assert on_invoices == {invoice[2]}
    assert invoice[3] == (
        "FINALIZED finalized_at 2026-02-02T00:00:00Z, period 2026-01-01T00:00:00Z to "
        "2026-02-01T00:00:00Z, total 1000 USD_CENTS"
    )
    assert "outcomes (1)" in printed and "RATED" in printed
    assert "rated events (3)" in printed and "invoice line items (2)" in printed


@pytest.fixture(scope="module")
def gpu_warehouse(build_green):
    """Rules 7b: VOLUME rates in GPU_CREDITS (2.5 cents each), a GPU_CREDITS credit."""
    from test_volume_and_credit_types import AS_OF as GPU_AS_OF
    from test_volume_and_credit_types import SCENARIO as GPU_SCENARIO

    return build_green("trace_7b", GPU_SCENARIO, GPU_AS_OF)


def test_trace_of_spec_section_7b_g2_shows_credits_and_fiat(gpu_warehouse):
    rows, printed = traced(gpu_warehouse, "g2")
    # 5 -> 15 hours, tier 2: USAGE 10 x 30 credits (750 cents) and the re-price of the 5
    # earlier hours, 5 x -10 (-125 cents), both paid by CR2 (rules 7b)
    assert details(rows, "rated event") == [
        "FINALIZED P_GPU USAGE tier 2: 10 x 30 = 300 GPU_CREDITS (fiat 750 USD_CENTS), "
        "CREDIT (CR2-S1)",
        "FINALIZED P_GPU USAGE_REPRICE tier 2: 5 x -10 = -50 GPU_CREDITS "
        "(fiat -125 USD_CENTS), CREDIT (CR2-S1)",
    ]
    # the GPU_CREDITS USAGE line (V(105) = 2,100 credits, 5,250 cents) and CR2's application
    assert details(rows, "invoice line item") == [
        "CREDIT P_GPU balance CR2 amount -500 GPU_CREDITS (fiat -1250 USD_CENTS)",
        "USAGE P_GPU quantity 105 amount 2100 GPU_CREDITS (fiat 5250 USD_CENTS)",
    ]
    [invoice] = [row for row in rows if row[1] == "invoice"]
    assert invoice[3].endswith(", total 4000 USD_CENTS")  # 5,250 - 1,250 cents
    assert "rated events (2)" in printed and "invoice line items (2)" in printed


def test_trace_of_a_cent_row_shows_no_gpu_line(gpu_warehouse):
    # C3 has a GPU_CREDITS credit beside its cent rate: v1's lines are its cent lines only
    rows, _ = traced(gpu_warehouse, "v1")
    assert details(rows, "invoice line item") == [
        "COMMIT P_VOL balance K3 amount -40 USD_CENTS (fiat -40 USD_CENTS)",
        "USAGE P_VOL quantity 10 amount 40 USD_CENTS (fiat 40 USD_CENTS)",
    ]


def test_trace_of_a_duplicate(warehouse):
    rows, printed = traced(warehouse, "k7-e1")
    raw = [row[2] for row in rows if row[1] == "raw event"]
    outcomes = sorted(row[3] for row in rows if row[1] == "outcome")
    assert len(raw) == 2 and outcomes[0].startswith("DUPLICATE of ")
    assert outcomes[1].startswith("RATED")
    # the copy names the event it collapsed into, and that event's file and row (a raw copy)
    original = next(row[2] for row in rows if row[1] == "outcome" and row[3].startswith("RATED"))
    named = re.fullmatch(rf"DUPLICATE of {re.escape(original)} \((.+) row (\d+)\)", outcomes[0])
    assert named and f"{named[1]}:{named[2]}" in raw
    assert "raw events (2)" in printed and "rated events (1)" in printed


def test_trace_of_an_errored_event(warehouse):
    _rows, printed = traced(warehouse, "k7-stranger")
    assert "CUSTOMER_NOT_FOUND" in printed and "nobody" in printed
    assert "rated events (0)" in printed and "invoices (0)" in printed
    # received two months before as_of, outside the errored events' 30-day lookback: the
    # reason is kept with the outcome all the same
    assert "customer_id 'nobody' matches no customer id or ingest alias" in printed
    reported = query(
        warehouse,
        "select count(*) from fct_errored_events where transaction_id = ?",
        ["k7-stranger"],
    )
    assert reported == [(0,)]


def test_unknown_and_hostile_ids_trace_nothing(warehouse):
    for text in ("no-such-id", "'; drop table fct_invoices; --", "k7-e2' or '1'='1", "{{ x }}"):
        rows, printed = traced(warehouse, text)
        assert rows == [] and "raw events (0)" in printed and "rated events (0)" in printed
    assert query(warehouse, "select count(*) > 0 from fct_invoices", []) == [(True,)]


def run_trace(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(DBT).parent / "python"), "scripts/trace.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@contextmanager
def held_open(db: Path, folder: Path):
    """A process named `dbt` holding the warehouse open read-write, as a running build does;
    yields its PID. (Also used by test_spend_cli and test_export.)"""
    holder = folder / "dbt"
    holder.write_text(
        "import sys, time\nimport duckdb\n"
        "connection = duckdb.connect(sys.argv[1])\nprint('open', flush=True)\ntime.sleep(120)\n"
    )
    process = subprocess.Popen(
        [sys.executable, str(holder), str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline() == "open\n"
        yield process.pid
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


def in_use_line(db: Path, pid: int) -> str:
    return f"{db} is in use by dbt (PID {pid}): wait for it to finish, then run this again\n"


def test_trace_cli(warehouse):
    result = run_trace("k7-e2", "--db", str(warehouse.db_path))
    assert result.returncode == 0, result.stderr
    assert "K1-jan" in result.stdout and "PREPAID_COMMIT" in result.stdout


def test_trace_cli_reads_rated_events_db_without_db(warehouse):
    result = run_trace("k7-e2", env={**os.environ, "RATED_EVENTS_DB": str(warehouse.db_path)})
    assert result.returncode == 0, result.stderr
    assert "K1-jan" in result.stdout


def test_trace_cli_unknown_id_says_so(warehouse):
    result = run_trace("no-such-id", "--db", str(warehouse.db_path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"no event with transaction_id 'no-such-id' in {warehouse.db_path}\n"


def test_trace_cli_on_a_warehouse_in_use_names_the_holder(warehouse, tmp_path):
    with held_open(warehouse.db_path, tmp_path) as pid:
        result = run_trace("k7-e2", "--db", str(warehouse.db_path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == in_use_line(warehouse.db_path, pid)


def test_trace_cli_without_a_warehouse(tmp_path):
    missing = tmp_path / "none.duckdb"
    result = run_trace("k7-e2", "--db", str(missing))
    assert result.returncode == 2
    assert result.stderr == f"no warehouse at {missing}: run `make run` first\n"
    assert not missing.exists()


def dbt_show(warehouse, transaction_id: str, target: str = "dev") -> list[dict]:
    work = warehouse.db_path.parent
    command = [
        str(DBT),
        "show",
        "--target",
        target,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--inline",
        "{{ trace_transaction(" + json.dumps(transaction_id) + ") }}",
        "--limit",
        "100",
        "--output",
        "json",
        "--log-format",
        "json",
        "--vars",
        json.dumps({"as_of": AS_OF, "raw_data_path": str(work / "raw")}),
    ]
    env = {
        **os.environ,
        "RATED_EVENTS_DB": str(warehouse.db_path),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    result = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for line in result.stdout.splitlines():
        data = json.loads(line).get("data", {})
        if "preview" in data:
            return json.loads(data["preview"])
    raise AssertionError(result.stdout[-3000:])


def test_trace_macro_from_dbt_show(warehouse):
    rows = dbt_show(warehouse, "k7-e2")
    sections = [row["section"] for row in rows]
    assert sections == [
        "raw event",
        "outcome",
        "rated event",
        "rated event",
        "rated event",
        "invoice line item",
        "invoice line item",
        "invoice",
    ]
    details = " | ".join(row["detail"] for row in rows)
    assert "PREPAID_COMMIT (K1-jan)" in details and "COMMIT k7-p balance K1" in details
    assert dbt_show(warehouse, "x' or '1'='1") == []


def test_command_line_and_dbt_show_return_the_same_rows(warehouse):
    # the command line compiles trace_transaction and runs it on the published warehouse; dbt
    # show runs the macro on the same file (target published): the same rows, in order
    for transaction_id in ("k7-e2", "k7-e1", "k7-stranger"):
        rows, _ = traced(warehouse, transaction_id)
        shown = dbt_show(warehouse, transaction_id, target="published")
        assert rows and [
            (row["step"], row["section"], row["reference"], row["detail"]) for row in shown
        ] == [tuple(row) for row in rows]


def test_summary_reads_rated_events_db_without_db(warehouse, tmp_path):
    summary = [str(Path(DBT).parent / "python"), "scripts/summary.py"]
    env = {**os.environ, "RATED_EVENTS_DB": str(warehouse.db_path)}
    result = subprocess.run(summary, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"Rated events warehouse: {warehouse.db_path}" in result.stdout
    missing = tmp_path / "none.duckdb"
    result = subprocess.run(
        [*summary, "--db", str(missing)], cwd=PROJECT_DIR, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr == f"no warehouse at {missing}: run `make run` first\n"


def test_source_freshness_is_reported(warehouse):
    # freshness is measured at as_of (2026-03-10), not by the clock: the scenario's latest
    # event was received in January, well over the 72 hours after which it is an error
    work = warehouse.db_path.parent
    env = {
        **os.environ,
        "RATED_EVENTS_DB": str(warehouse.db_path),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    command = [
        str(DBT),
        "source",
        "freshness",
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--vars",
        json.dumps({"as_of": AS_OF, "raw_data_path": str(work / "raw")}),
    ]
    subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, check=False)
    line = summary.freshness_line(work / "target" / "sources.json")
    ((hours,),) = warehouse.query(
        "select (epoch(cast(? as timestamptz)) - epoch(max(received_at))) / 3600"
        " from stg_usage__events",
        [AS_OF],
    )
    assert hours > 72
    assert line == (
        "  raw events freshness     : ERROR: stale, the latest event was received "
        f"{hours:,.1f} h before as_of"
    )
