"""A new user's mistakes never change what readers see (write, audit, publish).

A warehouse is built and published once (the finalization scenario at T1: January finalized,
February a draft). Then each ordinary mistake is made against that same warehouse: a typo in
the raw path given to `make run`, a missing configuration file, a raw path that does not
exist, an as_of behind finalized history, bad configuration, a wrong file shape, a failed
invariant, a partial build, a build killed halfway, a reader holding the warehouse while a
build publishes, and a publish killed at several of its steps. After each one the message is
the one a user should see, and a checksum of every `fct_`, `dim_` and `rpt_` relation and of
the `publications` log is unchanged. Finally the held-back build is published and the
warehouse equals a clean build of the same raw folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dbt_runner import PROJECT_DIR, build_invocation, dbt_build, other_command, workspace_path
from scenario import write_raw
from test_crash_safety import Build, mart_rows
from test_finalization import MARTS, T1, T2, scenario_at_t1, scenario_at_t2

T0 = "2026-01-20T00:00:00Z"  # before January's finalization (2026-02-02T00:00:00Z)
PUBLISH_STEPS = ("begin", "fct_event_outcomes", "publications")


def reader_checksum(db_path: Path) -> dict[str, str]:
    """One digest per relation a reader queries by name, plus the publications log."""
    digests = {}
    with duckdb.connect(str(db_path), read_only=True) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'main' "
                "and (table_name similar to '(fct|dim|rpt)_.*' or table_name = 'publications') "
                "order by 1"
            ).fetchall()
        ]
        for name in names:
            rows = connection.execute(f'select * from "{name}"').fetchall()
            digests[name] = hashlib.md5(repr(sorted(map(repr, rows))).encode()).hexdigest()
    return digests


def dbt_command(work: Path, raw: Path, as_of: str, *args: str, env_extra=None):
    """`dbt <args>` on the warehouse in `work` (the same one every case uses)."""
    command, env, _ = build_invocation(raw, work, as_of)
    command = other_command(command, *args)
    return subprocess.run(
        command,
        cwd=work,
        env={**env, **(env_extra or {})},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("mistakes")
    raw = write_raw(root / "raw", scenario_at_t1())
    run = dbt_build(raw, root / "work", T1)
    assert run.returncode == 0, run.output[-3000:]
    published = reader_checksum(run.db_path)
    assert {"fct_rated_events_finalized", "fct_invoices", "dim_customers"} <= set(published)
    return {"root": root, "raw": raw, "work": root / "work", "db": run.db_path, "sum": published}


def assert_unchanged(warehouse: dict) -> None:
    assert reader_checksum(warehouse["db"]) == warehouse["sum"]


def raw_copy(warehouse: dict, name: str) -> Path:
    folder = warehouse["root"] / name
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(warehouse["raw"], folder)
    return folder


def test_make_run_with_a_mistyped_raw_path_invents_nothing(warehouse):
    typo = warehouse["root"] / "raww"
    completed = subprocess.run(
        ["make", "--no-print-directory", "run", f"RATED_EVENTS_RAW_PATH={typo}", f"AS_OF={T1}"],
        cwd=PROJECT_DIR,
        env={**os.environ, "RATED_EVENTS_DB": str(warehouse["db"])},
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0
    assert f"the raw folder '{typo}' is missing or empty" in output
    assert not typo.exists()  # no sample data generated into a path the user named
    assert "Traceback" not in output
    assert_unchanged(warehouse)


def test_a_missing_configuration_file_stops_the_build(warehouse):
    raw = raw_copy(warehouse, "no-credits")
    (raw / "credits.jsonl").unlink()
    run = dbt_build(raw, warehouse["work"], T1)
    assert run.returncode != 0
    assert f"the raw folder '{raw}' lacks credits.jsonl" in run.output
    assert_unchanged(warehouse)


def test_a_raw_path_that_does_not_exist_gives_one_message(warehouse):
    nope = warehouse["root"] / "nope"
    run = dbt_build(
        warehouse["raw"], warehouse["work"], T1, extra_vars={"raw_data_path": str(nope)}
    )
    assert run.returncode != 0
    assert run.output.count(f"the raw folder '{nope}' is missing or empty") == 1
    assert "no longer configured" not in run.output
    assert "START sql" not in run.output  # stopped before any model
    assert_unchanged(warehouse)  # the dimensions are still there


def test_as_of_behind_finalized_history_says_how_to_run(warehouse):
    run = dbt_build(warehouse["raw"], warehouse["work"], T0)
    assert run.returncode != 0
    message = (
        "as_of 2026-01-20T00:00:00Z is before the finalization of 1 published finalized invoice(s)"
    )
    assert run.output.count(message) == 1
    assert "make run AS_OF=2026-02-02T00:00:00Z" in run.output
    assert "START sql" not in run.output
    assert_unchanged(warehouse)  # errored events not rewritten for the old as_of


def test_a_malformed_as_of_stops_the_build_naming_it(warehouse):
    run = dbt_build(warehouse["raw"], warehouse["work"], "2026-02-02")
    assert run.returncode != 0
    assert "as_of is not an RFC 3339 timestamp with a zone: '2026-02-02'" in run.output
    assert "START sql" not in run.output
    assert_unchanged(warehouse)


def edit_first_line(path: Path, change) -> None:
    """Apply `change` to the object on the first line of a JSONL configuration file."""
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    change(rows[0])
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_bad_configuration_publishes_nothing(warehouse):
    raw = raw_copy(warehouse, "bad-config")
    # a rate with both price and tiers
    edit_first_line(raw / "rates.jsonl", lambda rate: rate.update(price=3))
    run = dbt_build(raw, warehouse["work"], T1)
    assert run.returncode != 0
    assert "bad configuration: rates line 1" in run.output
    assert "Not published" in run.output
    assert_unchanged(warehouse)


def test_a_wrong_file_shape_publishes_nothing(warehouse):
    raw = raw_copy(warehouse, "bad-shape")
    events = raw / "events" / "events-t1.parquet"
    duckdb.sql(
        f"copy (select * exclude (event_type) from read_parquet('{events}')) to '{events}.tmp' "
        "(format parquet)"
    )
    Path(f"{events}.tmp").replace(events)
    run = dbt_build(raw, warehouse["work"], T1)
    assert run.returncode != 0
    assert "column event_type is missing" in run.output
    assert_unchanged(warehouse)


def test_a_failed_invariant_publishes_nothing(warehouse):
    # January (finalized) consumed all 15 of the credit segment; lowering it to 10 breaks the
    # invariant that a segment covers what finalized rows already consumed
    raw = raw_copy(warehouse, "lowered-credit")
    edit_first_line(
        raw / "credits.jsonl",
        lambda credit: credit["access_schedule"]["schedule_items"][0].update(amount=10),
    )
    run = dbt_build(raw, warehouse["work"], T1)
    assert run.returncode != 0
    assert "balance segment cr1-s of cr1" in run.output
    assert "Not published" in run.output
    assert_unchanged(warehouse)


def test_a_partial_build_is_never_published(warehouse):
    # whatever the selected nodes say (the workspace's other tables may come from another
    # run, here the failed ones above), a partial build never publishes
    # leaving out only the unit tests is a whole build (they never read this run's data);
    # leaving out the data tests too is not
    run = dbt_build(
        warehouse["raw"],
        warehouse["work"],
        T2,
        select="fct_invoices",
        flags=("--exclude-resource-type", "test"),
    )
    assert (
        "Not published: a partial build (--select, --exclude-resource-types) is never published"
        in run.output
    )
    assert_unchanged(warehouse)


def test_a_killed_build_publishes_nothing(warehouse):
    build = Build(warehouse["raw"], warehouse["work"], T2)
    seen = build.wait_for("START sql view model main.int_rated_events_finalized_this_run")
    build.kill()
    assert seen, build.output[-3000:]
    assert_unchanged(warehouse)


@pytest.fixture(scope="module")
def held_back(warehouse):
    """The next run (T2, late events and a March price) built while a reader holds the
    warehouse open: the build itself runs beside the reader, its publish is refused."""
    raw2 = write_raw(warehouse["root"] / "raw-t2", scenario_at_t2())
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('open', flush=True); time.sleep(600)",
            str(warehouse["db"]),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "open"
        run = dbt_build(raw2, warehouse["work"], T2)
    finally:
        reader.kill()
        reader.wait()
    return {"raw": raw2, "run": run, "reader_pid": reader.pid}


def test_a_reader_makes_the_publish_wait_and_names_itself(warehouse, held_back):
    run = held_back["run"]
    assert run.returncode != 0
    assert f"(PID {held_back['reader_pid']})" in run.output
    assert "dbt run-operation publish_build" in run.output
    assert_unchanged(warehouse)


@pytest.mark.parametrize("step", PUBLISH_STEPS)
def test_a_publish_killed_at_any_step_changes_nothing(warehouse, held_back, step):
    command, env, _ = build_invocation(held_back["raw"], warehouse["work"], T2)
    command = other_command(command, "run-operation", "publish_build")
    env["RATED_EVENTS_PUBLISH_PAUSE_AFTER"] = step
    process = subprocess.Popen(
        command,
        cwd=warehouse["work"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = []
    deadline = time.monotonic() + 300
    try:
        for line in process.stdout:
            lines.append(line)
            if f"publish paused after {step}" in line or time.monotonic() > deadline:
                break
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert any(f"publish paused after {step}" in line for line in lines), "".join(lines)[-3000:]
    assert_unchanged(warehouse)


def test_the_held_back_build_publishes_and_equals_a_clean_build(warehouse, held_back):
    # after every kill above (they run first: pytest keeps the file's order)
    completed = dbt_command(
        warehouse["work"], held_back["raw"], T2, "run-operation", "publish_build"
    )
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-3000:]
    assert reader_checksum(warehouse["db"]) != warehouse["sum"]
    clean = dbt_build(held_back["raw"], warehouse["root"] / "clean", T2)
    assert clean.returncode == 0, clean.output[-3000:]
    published, reference = mart_rows(warehouse["db"]), mart_rows(clean.db_path)
    for name in MARTS:
        assert published[name] == reference[name], name
    # publishing again finds nothing left to publish
    again = dbt_command(warehouse["work"], held_back["raw"], T2, "run-operation", "publish_build")
    assert again.returncode == 0
    assert "is already published" in again.stdout
    assert workspace_path(warehouse["db"]).exists()
