"""Spark parity (`make test-spark`): the whole `dbt build` on the `spark` target gives the same
marts as on DuckDB, row for row, decimals exactly, on a first build and on the next day's
incremental build (daily refresh: earlier outcomes kept, May finalized by the second run).

One generated raw folder (scripts/generate_data.py: every contract shape, every error code
of rules section 6, duplicates, late and future events, configuration with numbers and decimal
strings, VOLUME rates, a GPU cloud contract whose GPU hours move from cents to GPU credits
mid-period and draw down GPU-credit and cent balances) is built on each engine, with two more
sets of raw rows added to it (disjoint ids, no extra build): the hand-computed VOLUME and
credit-type cases of test_volume_and_credit_types.py (rules 7b, ROUNDING_REPRICE) and the pinned
batch of generated pricing-v4 scenarios of test_pricing_v4_scenarios.py (VOLUME overwrites,
custom types at several conversions, balances in custom and fiat types). Every mart is compared;
then one more day of events arrives and both warehouses build again at as_of + 1 day, and every
mart is compared again. Spark's tables are plain Parquet files, read here with DuckDB, so the
comparison needs no Spark session.

Skipped unless RATED_EVENTS_SPARK=1 (plain `make test` does not install Spark).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_runner import (
    PROJECT_DIR,
    DbtRun,
    build_invocation,
    dbt_build,
    workspace_path,
)
from scenario import CONFIG_FILES, EVENT_SCHEMA, Scenario
from strategies import regenerate
from test_pricing_v4_scenarios import SEED_BASE, SEEDS
from test_volume_and_credit_types import SCENARIO as VOLUME_AND_CREDIT_TYPE_CASES

pytestmark = pytest.mark.skipif(
    os.environ.get("RATED_EVENTS_SPARK") != "1",
    reason="Spark parity runs under `make test-spark` (RATED_EVENTS_SPARK=1)",
)

# day 1 is before May's finalization (May 31 + 24 h grace), the next day after it
AS_OF, NEXT_AS_OF = "2026-06-01T12:00:00Z", "2026-06-02T12:00:00Z"

# (table, columns left out): the invocation id names the run, which differs by construction;
# the inputs hash covers the configuration text as each engine reads it
MARTS = (
    ("fct_rated_events_draft", ()),
    ("fct_rated_events_finalized", ("run_invocation_id", "run_config_hash")),
    ("fct_invoices", ("run_invocation_id", "run_config_hash")),
    ("fct_invoice_line_items", ("run_invocation_id", "run_config_hash")),
    ("fct_balance_ledger", ()),
    ("fct_event_outcomes", ("run_inputs_hash",)),
    ("fct_errored_events", ()),
    ("dim_customers", ()),
    ("dim_contracts", ()),
    ("dim_products", ()),
    ("dim_billable_metrics", ()),
    ("dim_balances", ()),
    ("fct_revenue_recognized_daily", ()),
    ("fct_deferred_revenue", ()),
    ("rpt_margin_by_dimension", ()),
    ("int_rated_events_costed", ("unit_costs_hash",)),
    ("fct_alert_triggers", ()),
)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark_parity")
    raw = root / "raw"
    subprocess.run(
        [
            sys.executable,
            str(PROJECT_DIR / "scripts" / "generate_data.py"),
            "--events",
            os.environ.get("RATED_EVENTS_SPARK_EVENTS", "3000"),
            "--customers",
            "10",
            "--months",
            "3",
            "--out",
            str(raw),
            "--as-of",
            AS_OF,
        ],
        check=True,
        capture_output=True,
    )
    add_scenario(raw, VOLUME_AND_CREDIT_TYPE_CASES, "volume-cases")
    add_scenario(raw, pricing_v4_batch(), "pricing-v4")
    return {"root": root, "raw": raw, **_build_both(root, raw, AS_OF)}


def pricing_v4_batch() -> Scenario:
    """The pinned pricing-v4 batch that reaches every new feature (prefixes s000, s001, ...)."""
    batch = Scenario()
    for i in SEEDS:
        batch.merge(regenerate(f"s{i:03d}", SEED_BASE + i, pricing_v4=True).scenario)
    return batch


def add_scenario(raw: Path, scenario: Scenario, name: str) -> None:
    """Append a scenario's configuration lines to the raw folder's files and its events as files
    of their own (its ids are disjoint from the generated ones)."""
    for config in CONFIG_FILES:
        rows = getattr(scenario, config)
        with (raw / f"{config}.jsonl").open("a", encoding="utf-8") as file:
            file.writelines(json.dumps(row) + "\n" for row in rows)
    for file_name, rows in scenario.event_files.items():
        table = pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)
        pq.write_table(table, raw / "events" / f"{name}-{file_name}")


def _build_both(root: Path, raw: Path, as_of: str) -> dict:
    """Build (or build again, on the same warehouses) on DuckDB and on Spark at as_of."""
    duck = dbt_build(raw, root / "duckdb", as_of)
    assert duck.returncode == 0, duck.output[-5000:]

    spark_dir = root / "spark"
    command, env, _ = build_invocation(raw, spark_dir, as_of)
    env = {**env, "RATED_EVENTS_TARGET": "spark", "RATED_EVENTS_SPARK_DIR": str(spark_dir)}
    completed = subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False
    )
    output = completed.stdout + completed.stderr
    (root / f"spark_build_{as_of[:10]}.log").write_text(output)
    assert completed.returncode == 0, output[-8000:]
    return {"db_path": duck.db_path, "tables_dir": spark_dir / "tables" / "rated_events.db"}


@pytest.fixture(scope="module")
def next_day_builds(builds):
    """The next day: one more file of events, both warehouses built again at as_of + 1 day."""
    subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "generate_data.py"), "--add-day"]
        + ["--out", str(builds["raw"]), "--as-of", AS_OF],
        check=True,
        capture_output=True,
    )
    return _build_both(builds["root"], builds["raw"], NEXT_AS_OF)


def _differences(db_path: Path, tables_dir: Path, table: str, left_out: tuple[str, ...]):
    if table.startswith("int_"):
        # intermediate tables stay in the build workspace; only marts are published
        db_path = workspace_path(db_path)
        tables_dir = tables_dir.parent / "rated_events_build.db"
    with duckdb.connect(str(db_path), read_only=True) as connection:
        columns = connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
        kept = [(name, kind) for name, kind in columns if name not in left_out]

        def typed(name: str, kind: str) -> str:
            # JSON and nested values compare as their JSON text; everything else in DuckDB's type
            if kind == "JSON" or kind.endswith("[]") or kind.startswith(("MAP", "STRUCT")):
                return f'cast("{name}" as varchar) as "{name}"'
            return f'cast("{name}" as {kind}) as "{name}"'

        duck_select = ", ".join(typed(name, kind) for name, kind in kept)
        files = str(tables_dir / table / "*.parquet").replace("'", "''")
        connection.execute(
            f"create temp view spark_rows as select {duck_select} from read_parquet('{files}')"
        )
        connection.execute(f"create temp view duck_rows as select {duck_select} from {table}")
        only_duck = connection.execute(
            "select * from duck_rows except all select * from spark_rows limit 5"
        ).fetchall()
        only_spark = connection.execute(
            "select * from spark_rows except all select * from duck_rows limit 5"
        ).fetchall()
        count = connection.execute("select count(*) from duck_rows").fetchone()[0]
    return count, only_duck, only_spark


def _assert_equal(built: dict, table: str, left_out: tuple[str, ...]) -> None:
    count, only_duck, only_spark = _differences(
        built["db_path"], built["tables_dir"], table, left_out
    )
    assert not only_duck and not only_spark, (
        f"{table} ({count} rows on DuckDB): only on DuckDB {only_duck}; only on Spark {only_spark}"
    )


def _outcomes(built: dict) -> dict[str, int]:
    with duckdb.connect(str(built["db_path"]), read_only=True) as connection:
        return dict(
            connection.execute(
                "select outcome, count(*) from fct_event_outcomes group by outcome"
            ).fetchall()
        )


# the first build's tests come first: the next-day fixture builds on the same warehouses
@pytest.mark.parametrize(("table", "left_out"), MARTS, ids=[name for name, _ in MARTS])
def test_mart_equals_duckdb(builds, table, left_out):
    _assert_equal(builds, table, left_out)


def test_scenario_is_not_trivial(builds):
    outcomes = _outcomes(builds)
    assert outcomes.get("RATED", 0) > 100 and outcomes.get("ERRORED", 0) > 0, outcomes


# what the compared marts must hold for the parity to cover VOLUME tiers and credit types
COVERAGE_SQL = {
    "USAGE_REPRICE rows": "select count(*) from rated where component = 'USAGE_REPRICE'",
    "ROUNDING_REPRICE rows": "select count(*) from rated where component = 'ROUNDING_REPRICE'",
    "rows in a custom credit type": (
        "select count(*) from rated where credit_type_id <> fiat_credit_type_id"
    ),
    "rows covered by a custom-type balance": (
        "select count(*) from rated where credit_type_id <> fiat_credit_type_id "
        "and balance_id is not null"
    ),
    "contracts drawing down fiat and custom balances": (
        "select count(*) from (select contract_id from fct_balance_ledger "
        "where entry_type = 'DRAWDOWN' group by contract_id "
        "having count(distinct credit_type_id) = 2)"
    ),
    "a product's USAGE lines of one invoice in 2 credit types": (
        "select count(*) from (select invoice_id, product_id from fct_invoice_line_items "
        "where line_type = 'USAGE' group by invoice_id, product_id "
        "having count(distinct credit_type_id) = 2)"
    ),
    "generated GPU-credit VOLUME re-prices": (
        "select count(*) from rated where contract_id like 'con_%' "
        "and component = 'USAGE_REPRICE' and credit_type_id = 'GPU_CREDITS'"
    ),
}


def test_scenario_covers_volume_tiers_and_credit_types(builds):
    with duckdb.connect(str(builds["db_path"]), read_only=True) as connection:
        connection.execute(
            "create temp view rated as select * from fct_rated_events_finalized "
            "union all by name select * from fct_rated_events_draft"
        )
        counts = {
            feature: connection.execute(sql).fetchone()[0] for feature, sql in COVERAGE_SQL.items()
        }
    assert all(counts.values()), counts


@pytest.mark.parametrize(("table", "left_out"), MARTS, ids=[name for name, _ in MARTS])
def test_next_day_mart_equals_duckdb(next_day_builds, table, left_out):
    _assert_equal(next_day_builds, table, left_out)


def test_next_day_run_kept_earlier_outcomes_and_finalized_may(next_day_builds):
    """The second run was a daily refresh (not a rebuild) and finalized invoices."""
    with DbtRun(0, "", next_day_builds["db_path"]).connect() as connection:
        runs = connection.execute(
            "select count(distinct run_as_of) from fct_event_outcomes"
        ).fetchone()[0]
        # an intermediate table: in the build workspace, behind the published marts
        kept = connection.execute(
            "select keeps_earlier_outcomes from int_run_settlement"
        ).fetchone()[0]
        finalized = connection.execute(
            "select count(*) from fct_invoices where status = 'FINALIZED'"
        ).fetchone()[0]
    assert kept and runs == 2 and finalized > 0, (kept, runs, finalized)
