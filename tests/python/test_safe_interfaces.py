"""Safe interfaces: injection-like text passed through every command-line argument of the
scripts is only ever a value, a name or a path (scripts/sqlsafe.py quotes what DuckDB cannot
bind); the warehouse is intact afterwards. export.py's destination is covered in
test_export.py, property keys used as dimensions in test_spend_cli.py and test_rollups.py."""

from __future__ import annotations

import subprocess
import sys

import pytest
from dbt_runner import PROJECT_DIR
from test_balances import AS_OF, spec_section_7

HOSTILE = "x'; drop table fct_invoices; --"
SCRIPTS = PROJECT_DIR / "scripts"


def script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def warehouse(build_green):
    return build_green("safe", spec_section_7(), AS_OF)


def invoices(run) -> int:
    return run.query("select count(*) from fct_invoices")[0][0]


def test_generator_paths(tmp_path):
    out = tmp_path / HOSTILE / "raw"
    assert (
        script(str(SCRIPTS / "generate_data.py"), "--events", "300", "--out", str(out)).returncode
        == 0
    )
    added = script(str(SCRIPTS / "generate_data.py"), "--out", str(out), "--add-day")
    assert added.returncode == 0, added.stderr
    assert (out / "events" / "day-20260616.parquet").is_file()


def test_spend_arguments(warehouse):
    before = invoices(warehouse)
    db = str(warehouse.db_path)
    # taken as a property key or a customer that no rated event has: said so, exit 1
    for args, message in (
        (["--by", HOSTILE], f"no event has the property key {HOSTILE!r}"),
        (
            ["--by", f"product_id,{HOSTILE},customer_id"],
            f"no event has the property key {HOSTILE!r}",
        ),
        (["--customer", HOSTILE], f"no rated events for customer {HOSTILE!r}"),
        (
            ["--by", 'a" from fct_invoices; --'],
            "no event has the property key 'a\" from fct_invoices; --'",
        ),
    ):
        result = script(str(SCRIPTS / "spend.py"), "--db", db, *args)
        assert (result.returncode, result.stderr) == (1, message + "\n")
    # values the parser refuses never reach SQL
    for args in (["--from", HOSTILE], ["--grain", HOSTILE], ["--status", HOSTILE]):
        assert script(str(SCRIPTS / "spend.py"), "--db", db, *args).returncode == 2
    assert invoices(warehouse) == before


def test_trace_argument(warehouse):
    result = script(str(SCRIPTS / "trace.py"), HOSTILE, "--db", str(warehouse.db_path))
    assert result.returncode == 1
    assert result.stderr == f"no event with transaction_id {HOSTILE!r} in {warehouse.db_path}\n"
    assert invoices(warehouse) > 0


def test_publish_destination(warehouse, tmp_path):
    dest = tmp_path / HOSTILE / "published"
    result = script(
        str(SCRIPTS / "publish.py"), "--db", str(warehouse.db_path), "--dest", str(dest)
    )
    assert result.returncode == 0, result.stderr
    import duckdb

    with duckdb.connect(str(dest / "current.duckdb"), read_only=True) as connection:
        assert connection.execute("select count(*) from fct_invoices").fetchone()[0] == invoices(
            warehouse
        )
