"""Concurrent access to the warehouse while `dbt build` runs (write, audit, publish).

dbt builds into its workspace (`.build/` beside the warehouse) and holds only that file for
writing; the warehouse readers open is attached read-only until the publish at the end. So a
second `dbt build` fails on the workspace's lock, naming the file and the PID holding it, while
a reader (a dashboard) opens the warehouse during a build and reads the last publication. A
reader that holds the warehouse open while the build ends makes the *publish* fail, naming the
reader's PID; nothing is written. Always-on readers use the snapshot `scripts/publish.py`
writes: opening `current.duckdb` never blocks a publish, and a reader that kept an old snapshot
open keeps reading it even after the file was swapped out and deleted.

One warehouse is built at T1 and snapshotted; a build while a reader holds the warehouse open
is held back. Then the warehouse is rebuilt at T2 and, while that build runs, the second writer,
the direct reader, a snapshot and the snapshot reader are tried. The T2 build must equal a T2
build of a copy of the T1 warehouse that nobody disturbed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import duckdb
import pytest
from dbt_runner import PROJECT_DIR, dbt_build, workspace_path
from scenario import write_raw
from test_crash_safety import Build, mart_rows
from test_finalization import T1, T2, scenario_at_t1, scenario_at_t2

PUBLISH = PROJECT_DIR / "scripts" / "publish.py"
OUTCOMES_SQL = "select transaction_id, outcome from fct_event_outcomes order by all"
LOCK_ERROR = "Could not set lock on file"


def publish(db, dest) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(PUBLISH), "--db", str(db), "--dest", str(dest)],
        capture_output=True,
        text=True,
        check=False,
    )


def read(path, sql: str = OUTCOMES_SQL) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def attempt_during_a_build(raw, work, db, published) -> tuple[Build, dict]:
    """Rebuild the warehouse at T2 and, while that build runs, try the snapshot reader, the
    direct reader, a publish and a second writer; the build must then complete."""
    build = Build(raw, work / "t2", T2, db_path=db)
    try:
        # the first model has started: the build holds its workspace from here to its end.
        # It is paused while the others try, so a fast build cannot end before they do.
        assert build.wait_for(" START sql "), build.output[-3000:]
        build.pause()
        try:
            during = {"snapshot": read(published / "current.duckdb")}
            try:
                during["direct_reader"] = read(db)
            except duckdb.IOException as error:
                during["direct_reader"] = str(error)
            during["publish"] = publish(db, published)
            during["second_writer"] = dbt_build(raw, work / "second", T2, db_name=str(db))
            during["first_still_running"] = build.process.poll() is None
        finally:
            build.resume()
    finally:
        returncode = build.finish()
    assert returncode == 0, build.output[-3000:]
    return build, during


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    root = tmp_path_factory.mktemp("concurrency")
    raw_t1, raw_t2 = root / "raw-t1", root / "raw-t2"
    write_raw(raw_t1, scenario_at_t1())
    write_raw(raw_t2, scenario_at_t2())
    work, published = root / "work", root / "published"
    first = dbt_build(raw_t1, work, T1)
    assert first.returncode == 0, first.output[-3000:]
    db = first.db_path
    (root / "reference").mkdir()
    shutil.copy(db, root / "reference" / "t1-warehouse.duckdb")
    t1_outcomes = first.query(OUTCOMES_SQL)
    first_publish = publish(db, published)
    assert first_publish.returncode == 0, first_publish.stderr
    first_snapshot = (published / "current.duckdb").resolve()
    old_reader = duckdb.connect(str(published / "current.duckdb"), read_only=True)

    # a dashboard connected to the warehouse itself (not to the snapshot) holds back the next
    # build's publish
    with duckdb.connect(str(db), read_only=True):
        blocked = dbt_build(raw_t2, work / "blocked", T2, db_name=str(db))

    t1_outcomes_after_blocked = read(db)

    build, during = attempt_during_a_build(raw_t2, work / "during", db, published)

    for line in during["second_writer"].output.splitlines():
        if LOCK_ERROR in line:
            print("second writer:", line.strip())  # shown with pytest -s
    print("direct reader:", during["direct_reader"])
    # dashboards: publish again, twice (the second deletes the first snapshot, older than the
    # previous one, while old_reader still has it open)
    after = [publish(db, published) for _ in range(2)]

    reference = dbt_build(raw_t2, root / "reference", T2, db_name="t1-warehouse.duckdb")
    assert reference.returncode == 0, reference.output[-3000:]
    yield {
        "db": db,
        "build_pid": build.process.pid,
        "published": published,
        "first_snapshot": first_snapshot,
        "old_reader": old_reader,
        "t1_outcomes": t1_outcomes,
        "blocked": blocked,
        "outcomes_after_blocked": t1_outcomes_after_blocked,
        "during": during,
        "after": after,
        "marts": mart_rows(db),
        "reference_marts": mart_rows(reference.db_path),
    }
    old_reader.close()


def test_second_writer_fails_naming_the_file_and_the_pid(session):
    second = session["during"]["second_writer"]
    assert session["during"]["first_still_running"]
    assert second.returncode != 0
    assert LOCK_ERROR in second.output
    assert str(workspace_path(session["db"])) in second.output
    assert f"(PID {session['build_pid']})" in second.output


def test_reader_on_the_warehouse_holds_back_the_publish_naming_its_pid(session):
    blocked = session["blocked"]
    assert blocked.returncode != 0
    assert LOCK_ERROR in blocked.output and str(session["db"]) in blocked.output
    assert f"(PID {os.getpid()})" in blocked.output  # this test process holds the reader
    assert "dbt run-operation publish_build" in blocked.output  # how to publish it later
    assert session["outcomes_after_blocked"] == session["t1_outcomes"]  # nothing written


def test_first_build_completes_as_if_undisturbed(session):
    assert session["marts"] == session["reference_marts"]


def test_direct_reader_reads_the_last_publication_during_a_build(session):
    # the build attached the warehouse read-only: readers are not locked out
    assert session["during"]["direct_reader"] == session["t1_outcomes"]


def test_snapshot_during_a_build_copies_the_last_publication(session):
    during = session["during"]["publish"]
    assert during.returncode == 0, during.stderr


def test_published_snapshot_is_readable_during_a_build(session):
    # the previous build's rows, not blocked by the running build
    assert session["during"]["snapshot"] == session["t1_outcomes"]


def test_publish_after_the_build_swaps_in_the_new_rows(session):
    published = session["published"]
    for done in session["after"]:
        assert done.returncode == 0, done.stderr
    new_rows = read(published / "current.duckdb")
    assert new_rows == read(session["db"]) != session["t1_outcomes"]
    assert ("jan-late", "ERRORED") in new_rows
    snapshots = sorted(path.name for path in published.glob("published-*.duckdb"))
    assert len(snapshots) == 2 and session["first_snapshot"].name not in snapshots
    assert (published / "current.duckdb").resolve().name == snapshots[-1]
    # every published mart is there, views materialized as tables
    tables = read(published / "current.duckdb", "select table_name from duckdb_tables()")
    names = {row[0] for row in tables}
    assert {"fct_rated_events_finalized", "fct_invoices", "dim_customers"} <= names
    assert any(name.startswith("rpt_") for name in names)


def test_reader_holding_the_old_snapshot_is_unaffected(session):
    # its file was swapped out and deleted; the open handle still reads the old rows
    assert not session["first_snapshot"].exists()
    assert session["old_reader"].execute(OUTCOMES_SQL).fetchall() == session["t1_outcomes"]
