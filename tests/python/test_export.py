"""scripts/export.py: Metronome's export layout, each finalized invoice delivered exactly once.

One warehouse, two dbt builds (test_finalization's scenario): at T1 January is finalized and
February draft; at T2 February is finalized too. Exports run through the command line after each
build; the tests then read the Parquet files back and compare them with the marts, opening the
warehouse read-only. A few edge cases (an invoice finalized later on an already-delivered date,
an export killed between its files and its log, a changed delivered invoice, draft snapshots
written only when the drafts changed, what the command line says when it cannot export) run on
a tiny hand-made warehouse with the marts' key columns, without dbt.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt_runner import dbt_build
from rated_events_tools import export as export_script
from scenario import write_raw
from test_finalization import T1, T2, scenario_at_t1, scenario_at_t2
from test_trace import held_open, in_use_line

PROJECT_DIR = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT_DIR / "scripts" / "export.py"

DATASETS = ("rated_events", "invoices", "invoice_line_items")
FINALIZED_SQL = {
    "rated_events": "select * from fct_rated_events_finalized",
    "invoices": "select * from fct_invoices where status = 'FINALIZED'",
    "invoice_line_items": "select * from fct_invoice_line_items where status = 'FINALIZED'",
}
DRAFT_SQL = {
    "rated_events": "select * from fct_rated_events_draft",
    "invoices": "select * from fct_invoices where status <> 'FINALIZED'",
    "invoice_line_items": "select * from fct_invoice_line_items where status <> 'FINALIZED'",
}
# the UTC date each finalized invoice's rows are expected under, computed from the marts
EXPECTED_DT_SQL = {
    "rated_events": "select distinct invoice_id, cast(finalized_at as date) "
    "from fct_rated_events_finalized",
    "invoices": "select invoice_id, cast(finalized_at as date) from fct_invoices "
    "where status = 'FINALIZED'",
    "invoice_line_items": "select distinct lines.invoice_id, cast(invoices.finalized_at as date) "
    "from fct_invoice_line_items as lines join fct_invoices as invoices using (invoice_id) "
    "where lines.status = 'FINALIZED'",
}
# columns: 0 destination, 1 destination_key, 2 dataset, 3 dt, 4 invoice_id, 5 batch_id,
# 6 row_count, 7 content_hash, 8 file_paths, 9 file_sha256, 10 run_id, 11 delivered_at
LOG_SQL = "select * from export_deliveries order by destination_key, dataset, invoice_id"
DRAFT_LOG_SQL = "select * from export_draft_snapshots order by destination_key, label"
HOSTILE = "x'; drop table fct_invoices; --"


def run_export(db: Path, dest: Path, *extra: str) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--db", str(db), "--dest", str(dest), *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def snapshot_marts(db: Path) -> dict:
    return {
        "finalized": {name: query(db, sql) for name, sql in FINALIZED_SQL.items()},
        "draft": {name: query(db, sql) for name, sql in DRAFT_SQL.items()},
        "expected_dt": {name: dict(query(db, sql)) for name, sql in EXPECTED_DT_SQL.items()},
        "columns": {
            name: [row[:2] for row in query(db, f"describe {sql}")]
            for name, sql in FINALIZED_SQL.items()
        },
        "table_counts": {
            name: query(db, f'select count(*) from "{name}"')[0][0]
            for (name,) in query(
                db,
                "select table_name from duckdb_tables() "
                "where table_name like 'fct_%' or table_name like 'dim_%'",
            )
        },
        "invoice_count": query(db, "select count(*) from fct_invoices")[0][0],
        "log": query(db, LOG_SQL) if has_log(db) else [],
    }


def has_log(db: Path) -> bool:
    return bool(query(db, "select 1 from duckdb_tables() where table_name = 'export_deliveries'"))


def tree(dest: Path) -> dict[str, str]:
    """Every file under dest (relative path -> sha256 of its bytes)."""
    return {
        path.relative_to(dest).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(dest.rglob("*"))
        if path.is_file()
    }


def stamps(dest: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime in ns) of dest and everything under it: a file written again, even with the
    same bytes, or a folder gaining or losing an entry, changes them."""
    return {
        path.relative_to(dest).as_posix(): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in [dest, *sorted(dest.rglob("*"))]
    }


def read_parquet(files: list[Path]) -> tuple[list[tuple], list[tuple]]:
    """(rows, [(column, type)]) of Parquet files read together, without hive columns."""
    with duckdb.connect() as connection:
        sql = "select * from read_parquet(?, hive_partitioning = false)"
        rows = connection.execute(sql, [[str(f) for f in files]]).fetchall()
        columns = [
            row[:2]
            for row in connection.execute(f"describe {sql}", [[str(f) for f in files]]).fetchall()
        ]
    return rows, columns


def dataset_files(
    dest: Path, dataset: str, snapshot: dict[str, str] | None = None
) -> dict[str, list[Path]]:
    """dt -> the Parquet files in DIR/<dataset>/dt=<dt>/ (now, or in a tree() snapshot)."""
    found: dict[str, list[Path]] = {}
    for path in sorted((dest / dataset).glob("dt=*/*.parquet")):
        if snapshot is None or path.relative_to(dest).as_posix() in snapshot:
            found.setdefault(path.parent.name.removeprefix("dt="), []).append(path)
    return found


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    raw_t1, raw_t2 = root / "raw-t1", root / "raw-t2"
    write_raw(raw_t1, scenario_at_t1())
    write_raw(raw_t2, scenario_at_t2())
    work = root / "work"
    run = dbt_build(raw_t1, work, T1)
    assert run.returncode == 0, run.output[-3000:]
    db = run.db_path
    dest = root / "exports"
    state = {"db": db, "dest": dest, "t1": snapshot_marts(db)}

    state["first"] = run_export(db, dest, "--draft-label", "t1")
    state["tree_first"], state["log_first"] = tree(dest), query(db, LOG_SQL)
    state["stamps_first"], state["drafts_first"] = stamps(dest), query(db, DRAFT_LOG_SQL)
    state["second"] = run_export(db, dest, "--draft-label", "t1")
    state["tree_second"], state["log_second"] = tree(dest), query(db, LOG_SQL)
    state["stamps_second"], state["drafts_second"] = stamps(dest), query(db, DRAFT_LOG_SQL)

    hostile = root / HOSTILE / "exp ort folder"
    state["hostile_dest"] = hostile
    state["hostile"] = run_export(db, hostile)
    state["after_hostile"] = snapshot_marts(db)

    run = dbt_build(raw_t2, work, T2)
    assert run.returncode == 0, run.output[-3000:]
    state["t2"] = snapshot_marts(db)
    state["third"] = run_export(db, dest, "--draft-label", "t2")
    state["tree_third"], state["log_third"] = tree(dest), query(db, LOG_SQL)
    return state


def test_scenario_has_finalized_and_draft_periods(exports):
    t1, t2 = exports["t1"], exports["t2"]
    assert t1["finalized"]["rated_events"] and t1["draft"]["rated_events"]
    assert len(t1["expected_dt"]["invoices"]) == 1
    assert len(t2["expected_dt"]["invoices"]) == 2


def test_export_writes_the_expected_dt_partitions(exports):
    dest, t1 = exports["dest"], exports["t1"]
    for dataset in DATASETS:
        expected = {str(dt) for dt in t1["expected_dt"][dataset].values()}
        assert expected, dataset
        assert set(dataset_files(dest, dataset, exports["tree_first"])) == expected, dataset
    assert not (dest / "_tmp").exists()
    assert "rated_events" in exports["first"].stdout


@pytest.mark.parametrize("dataset", DATASETS)
def test_parquet_equals_the_mart_row_for_row(exports, dataset):
    for when, tree_key in (("t1", "tree_first"), ("t2", "tree_third")):
        marts = exports[when]
        files = [
            exports["dest"] / path
            for path in exports[tree_key]
            if path.startswith(f"{dataset}/dt=")
        ]
        rows, columns = read_parquet(files)
        assert columns == marts["columns"][dataset]
        assert Counter(rows) == Counter(marts["finalized"][dataset])
        assert len(rows) == len(set(rows))
        # each row sits in the folder of its invoice's finalized_at date
        invoice_index = [name for name, _ in columns].index("invoice_id")
        by_dt = dataset_files(exports["dest"], dataset, exports[tree_key])
        assert {str(dt) for dt in marts["expected_dt"][dataset].values()} == set(by_dt)
        for dt, dt_files in by_dt.items():
            for row in read_parquet(dt_files)[0]:
                assert str(marts["expected_dt"][dataset][row[invoice_index]]) == dt


def test_rated_events_dt_is_the_rows_own_finalized_date(exports):
    for dt, files in dataset_files(exports["dest"], "rated_events").items():
        rows, columns = read_parquet(files)
        finalized_at = [name for name, _ in columns].index("finalized_at")
        assert {row[finalized_at].date().isoformat() for row in rows} == {dt}


def test_reexport_writes_nothing(exports):
    assert exports["tree_second"] == exports["tree_first"]
    assert exports["stamps_second"] == exports["stamps_first"]  # no file written again
    assert exports["log_second"] == exports["log_first"]
    assert exports["drafts_second"] == exports["drafts_first"]
    assert [row[2] for row in exports["drafts_first"]] == ["t1"]
    first_log = exports["log_first"]
    assert {row[2] for row in first_log} == set(DATASETS)
    assert all(row[0] == str(exports["dest"]) for row in first_log)
    out = exports["second"].stdout
    assert "0 invoice(s) delivered" in out and "1 already delivered" in out
    assert "draft snapshot      : unchanged since draft/t1/" in out and "not written" in out


def test_log_describes_the_files(exports):
    with duckdb.connect(str(exports["db"]), read_only=True) as connection:
        cursor = connection.execute(LOG_SQL)
        names = [c[0] for c in cursor.description]
        log = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    assert log and len(log) == len(exports["log_third"])
    for entry in log:
        assert entry["row_count"] > 0 and len(entry["content_hash"]) == 64
        for path, sha in zip(entry["file_paths"], entry["file_sha256"], strict=True):
            assert path.startswith(f"{entry['dataset']}/dt={entry['dt'].isoformat()}/part-")
            file = Path(entry["destination"]) / path
            assert hashlib.sha256(file.read_bytes()).hexdigest() == sha


def test_later_finalized_period_adds_exactly_its_files(exports):
    before, after = exports["tree_first"], exports["tree_third"]
    assert all(after[path] == sha for path, sha in before.items() if not path.startswith("draft"))
    new_files = {path for path in after if path not in before and not path.startswith("draft/")}
    first_keys = {(row[1], row[2], row[4]) for row in exports["log_first"]}
    new_log = [
        row
        for row in exports["log_third"]
        if row[0] == str(exports["dest"]) and (row[1], row[2], row[4]) not in first_keys
    ]
    assert new_files == {path for row in new_log for path in row[8]}
    new_invoices = set(exports["t2"]["expected_dt"]["invoices"]) - set(
        exports["t1"]["expected_dt"]["invoices"]
    )
    assert len(new_invoices) == 1
    assert {row[4] for row in new_log} == new_invoices
    for dataset in DATASETS:
        assert {row[3] for row in new_log if row[2] == dataset} == {
            exports["t2"]["expected_dt"][dataset][invoice] for invoice in new_invoices
        }
    assert "1 already delivered" in exports["third"].stdout


@pytest.mark.parametrize("when", ["t1", "t2"])
def test_draft_snapshot_is_the_draft_marts(exports, when):
    folder = exports["dest"] / "draft" / when
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{d}.parquet" for d in DATASETS)
    for dataset in DATASETS:
        rows, _ = read_parquet([folder / f"{dataset}.parquet"])
        assert Counter(rows) == Counter(exports[when]["draft"][dataset]), dataset
    assert exports["t1"]["draft"]["rated_events"]


def test_hostile_destination_text_is_only_a_path(exports):
    dest, t1 = exports["hostile_dest"], exports["t1"]
    assert dest.is_dir() and HOSTILE in str(dest)
    for dataset in DATASETS:
        files = [p for dt_files in dataset_files(dest, dataset).values() for p in dt_files]
        assert Counter(read_parquet(files)[0]) == Counter(t1["finalized"][dataset])
    # a destination is delivered to independently of the others; its text is kept as given
    after = exports["after_hostile"]
    assert {row[0] for row in after["log"]} == {str(exports["dest"]), str(dest)}
    # the warehouse's tables are intact
    assert after["invoice_count"] == t1["invoice_count"]
    assert after["table_counts"] == t1["table_counts"]
    for dataset in DATASETS:
        assert Counter(after["finalized"][dataset]) == Counter(t1["finalized"][dataset])
    # the default draft label is the run time, UTC
    (label,) = [p.name for p in (dest / "draft").iterdir()]
    assert datetime.strptime(label, "%Y%m%dT%H%M%SZ")


# --- edge cases on a tiny hand-made warehouse (no dbt) -----------------------------------------


def make_warehouse(db: Path) -> None:
    with duckdb.connect(str(db)) as connection:
        for table in ("fct_rated_events_finalized", "fct_rated_events_draft"):
            connection.execute(
                f"create table {table} (rated_event_id varchar, invoice_id varchar, "
                "amount decimal(38, 12), properties json, status varchar, finalized_at timestamp)"
            )
        connection.execute(
            "create table fct_invoices (invoice_id varchar, status varchar, "
            "finalized_at timestamp, total decimal(38, 12))"
        )
        connection.execute(
            "create table fct_invoice_line_items (invoice_line_item_id varchar, "
            "invoice_id varchar, amount decimal(38, 12), status varchar)"
        )


def finalize(db: Path, invoice_id: str, finalized_at: str, events: int = 2) -> None:
    """What a build does when a period finalizes: its rows appended whole."""
    with duckdb.connect(str(db)) as connection:
        for i in range(events):
            connection.execute(
                "insert into fct_rated_events_finalized values "
                "(?, ?, ?, '{\"k\": \"v\"}', 'FINALIZED', ?)",
                [f"{invoice_id}-e{i}", invoice_id, Decimal("1.5") * (i + 1), finalized_at],
            )
        connection.execute(
            "insert into fct_invoices values (?, 'FINALIZED', ?, ?)",
            [invoice_id, finalized_at, Decimal("1.5") * events],
        )
        connection.execute(
            "insert into fct_invoice_line_items values (?, ?, ?, 'FINALIZED')",
            [f"{invoice_id}-l", invoice_id, Decimal("1.5") * events],
        )


def add_draft(db: Path, rated_event_id: str, amount: str) -> None:
    """A draft rated event, as a build adds one to an open period."""
    with duckdb.connect(str(db)) as connection:
        connection.execute(
            "insert into fct_rated_events_draft values (?, 'inv-open', ?, '{}', 'DRAFT', null)",
            [rated_event_id, Decimal(amount)],
        )


@pytest.fixture
def tiny(tmp_path):
    db = tmp_path / "tiny.duckdb"
    make_warehouse(db)
    finalize(db, "inv-a", "2026-02-02 00:00:00")
    return db, tmp_path / "out"


def test_invoice_finalized_later_on_a_delivered_date_lands_as_a_new_file(tiny):
    db, dest = tiny
    export_script.export(db, str(dest), draft_label="d")
    first = tree(dest)
    finalize(db, "inv-b", "2026-02-02 18:00:00", events=3)
    result = export_script.export(db, str(dest), draft_label="d")
    added = set(tree(dest)) - set(first)
    assert len(added) == 3 and all("/dt=2026-02-02/part-" in path for path in added)
    assert result.datasets["rated_events"].rows == 3
    assert result.datasets["rated_events"].already_delivered == 1
    rows, _ = read_parquet(dataset_files(dest, "rated_events")["2026-02-02"])
    assert sorted(row[0] for row in rows) == [
        "inv-a-e0",
        "inv-a-e1",
        "inv-b-e0",
        "inv-b-e1",
        "inv-b-e2",
    ]


def test_export_killed_between_files_and_log_rewrites_the_same_files(tiny, monkeypatch):
    db, dest = tiny
    real_record = export_script.record_batch

    def killed(connection, destination, dataset, *args, **kwargs):
        if dataset.name == "rated_events":
            raise KeyboardInterrupt("killed after the files were renamed into place")
        return real_record(connection, destination, dataset, *args, **kwargs)

    monkeypatch.setattr(export_script, "record_batch", killed)
    with pytest.raises(KeyboardInterrupt):
        export_script.export(db, str(dest), draft_label="d")
    written = {p for p in tree(dest) if not p.startswith("_tmp/")}
    assert any(p.startswith("rated_events/dt=2026-02-02/") for p in written)
    assert query(db, "select dataset from export_deliveries order by 1") == [
        ("invoice_line_items",),
        ("invoices",),
    ]
    # a newly finalized invoice on the same date must not change the pending batch's file names
    finalize(db, "inv-c", "2026-02-02 06:00:00")
    monkeypatch.setattr(export_script, "record_batch", real_record)
    export_script.export(db, str(dest), draft_label="d")
    after = tree(dest)
    assert written <= set(after) and not any(p.startswith("_tmp") for p in after)
    rows, _ = read_parquet(dataset_files(dest, "rated_events")["2026-02-02"])
    assert Counter(row[0] for row in rows) == Counter(
        ["inv-a-e0", "inv-a-e1", "inv-c-e0", "inv-c-e1"]
    )
    assert query(db, "select count(*) from export_pending") == [(0,)]
    assert query(db, "select count(*) from export_deliveries") == [(6,)]


def test_verify_reports_a_delivered_invoice_whose_rows_changed(tiny):
    db, dest = tiny
    assert export_script.export(db, str(dest), check_changes=True).changed_since_delivery == []
    with duckdb.connect(str(db)) as connection:  # an operator voided and re-finalized it
        connection.execute(
            "update fct_rated_events_finalized set amount = 9 where invoice_id = 'inv-a'"
        )
    result = export_script.export(db, str(dest), check_changes=True)
    assert result.changed_since_delivery == [("rated_events", "inv-a")]
    assert sum(item.invoices for item in result.datasets.values()) == 0


def export_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env, check=False
    )


def test_a_missing_warehouse_is_not_created(tmp_path):
    missing = tmp_path / "none.duckdb"
    result = export_cli("--db", str(missing), "--dest", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr == f"no warehouse at {missing}: run `make run` first\n"
    assert not missing.exists() and not (tmp_path / "out").exists()


def test_a_destination_that_is_a_file_is_refused(tiny):
    db, dest = tiny
    dest.write_text("not a folder")
    result = export_cli("--db", str(db), "--dest", str(dest))
    assert result.returncode == 2
    assert result.stderr == f"--dest {dest} is a file; give a folder (it is created if missing)\n"
    assert dest.read_text() == "not a folder" and not has_log(db)


def test_a_warehouse_in_use_is_named_and_left_alone(tiny, tmp_path):
    db, dest = tiny
    with held_open(db, tmp_path) as pid:
        result = export_cli("--db", str(db), "--dest", str(dest))
    assert result.returncode == 2
    assert result.stdout == "" and result.stderr == in_use_line(db, pid)
    assert "Traceback" not in result.stderr
    assert not dest.exists() and not has_log(db)


def test_db_defaults_to_rated_events_db(tiny):
    db, dest = tiny
    result = export_cli("--dest", str(dest), env={**os.environ, "RATED_EVENTS_DB": str(db)})
    assert result.returncode == 0, result.stderr
    assert query(db, "select count(*) from export_deliveries") == [(3,)]


def test_url_destination_writes_in_place_with_the_same_names(tiny):
    # a file:// URL takes the object-store path (no temp folder, no rename); unlike S3 it needs
    # its folders to exist
    db, dest = tiny
    (dest / "draft" / "d").mkdir(parents=True)
    url = dest.as_uri()
    first = export_script.export(db, url, draft_label="d")
    assert sorted(tree(dest)) == sorted(
        [f"draft/d/{name}.parquet" for name in DATASETS]
        + [path for item in first.datasets.values() for path in item.files]
    )
    assert all(len(item.files) == 1 for item in first.datasets.values())
    before = tree(dest)
    second = export_script.export(db, url, draft_label="d")
    assert sum(item.invoices for item in second.datasets.values()) == 0
    assert set(tree(dest)) == set(before)
    rows, _ = read_parquet(dataset_files(dest, "rated_events")["2026-02-02"])
    assert sorted(row[0] for row in rows) == ["inv-a-e0", "inv-a-e1"]
    assert query(db, "select distinct destination from export_deliveries") == [(url,)]


def test_the_same_export_twice_writes_nothing_the_second_time(tiny):
    db, dest = tiny
    add_draft(db, "open-e0", "2")
    run_export(db, dest)
    before, drafts = stamps(dest), query(db, DRAFT_LOG_SQL)
    (label,) = [path.name for path in (dest / "draft").iterdir()]
    second = run_export(db, dest)
    assert stamps(dest) == before
    assert query(db, DRAFT_LOG_SQL) == drafts and len(drafts) == 1
    assert f"unchanged since draft/{label}/ (rated_events 1, invoices 0" in second.stdout
    assert "0 invoice(s) delivered" in second.stdout


def test_a_draft_snapshot_only_when_the_drafts_changed_or_asked_for(tiny):
    db, dest = tiny
    add_draft(db, "open-e0", "2")

    def export(hour: int, **options) -> export_script.ExportResult:
        return export_script.export(db, str(dest), now=datetime(2026, 6, 15, hour), **options)

    first = export(1)
    assert (first.draft_written, first.draft_folder) == (True, "draft/20260615T010000Z")
    before = stamps(dest)
    unchanged = export(2)
    assert (unchanged.draft_written, unchanged.draft_folder) == (False, "draft/20260615T010000Z")
    assert stamps(dest) == before
    add_draft(db, "open-e1", "3")
    changed = export(3)
    assert (changed.draft_written, changed.draft_folder) == (True, "draft/20260615T030000Z")
    assert changed.draft_rows["rated_events"] == 2
    rows, _ = read_parquet([dest / "draft/20260615T030000Z/rated_events.parquet"])
    assert sorted(row[0] for row in rows) == ["open-e0", "open-e1"]
    # a new label is written though the drafts are the same; that label again is not, unless
    # forced
    assert export(4, draft_label="as-of").draft_written
    before = stamps(dest)
    assert not export(5, draft_label="as-of").draft_written
    assert stamps(dest) == before
    assert export(6, draft_label="as-of", force_draft=True).draft_written
    snapshot = "draft/as-of/rated_events.parquet"
    assert stamps(dest)[snapshot] != before[snapshot]
    assert sorted(p.name for p in (dest / "draft").iterdir()) == [
        "20260615T010000Z",
        "20260615T030000Z",
        "as-of",
    ]
    assert query(db, "select label, row_count from export_draft_snapshots order by label") == [
        ("20260615T010000Z", 1),
        ("20260615T030000Z", 2),
        ("as-of", 2),
    ]


# ---------------------------------------------------------------- custom pricing units
@pytest.fixture(scope="module")
def gpu_export(build_green, tmp_path_factory):
    """Rules 7b's warehouse (GPU_CREDITS at 2.5 cents, January finalized), exported."""
    from test_volume_and_credit_types import AS_OF as GPU_AS_OF
    from test_volume_and_credit_types import SCENARIO as GPU_SCENARIO

    run = build_green("export_7b", GPU_SCENARIO, GPU_AS_OF)
    dest = tmp_path_factory.mktemp("export_7b") / "exports"
    run_export(run.db_path, dest, "--draft-label", "7b")
    return run, dest


def exported(dest: Path, dataset: str) -> list[dict]:
    files = [path for found in dataset_files(dest, dataset).values() for path in found]
    rows, columns = read_parquet(files)
    return [dict(zip([name for name, _ in columns], row, strict=True)) for row in rows]


def test_rated_events_carry_both_amounts_and_their_credit_types(gpu_export):
    _run, dest = gpu_export
    rows = exported(dest, "rated_events")
    _, columns = read_parquet([p for f in dataset_files(dest, "rated_events").values() for p in f])
    names = [name for name, _ in columns]
    amount = names.index("amount")
    assert names[amount : amount + 4] == [
        "amount",
        "credit_type_id",
        "fiat_amount",
        "fiat_credit_type_id",
    ]
    assert dict(columns)["fiat_amount"] == "DECIMAL(38,12)"
    # 7b: 2,100 GPU_CREDITS rated in January, worth 5,250 cents; every row converted at 2.5
    assert {(row["credit_type_id"], row["fiat_credit_type_id"]) for row in rows} == {
        ("GPU_CREDITS", "USD_CENTS")
    }
    assert sum(row["amount"] for row in rows) == Decimal(2100)
    assert sum(row["fiat_amount"] for row in rows) == Decimal(5250)
    assert all(row["fiat_amount"] == row["amount"] * Decimal("2.5") for row in rows)


def test_exported_rated_events_roll_up_to_the_finalized_invoice_totals(gpu_export):
    _run, dest = gpu_export
    invoices = {row["invoice_id"]: row for row in exported(dest, "invoices")}
    lines = exported(dest, "invoice_line_items")
    billed: dict[str, Decimal] = {}
    for row in exported(dest, "rated_events"):
        if row["coverage"] not in ("CREDIT", "PREPAID_COMMIT"):
            billed[row["invoice_id"]] = (
                billed.get(row["invoice_id"], Decimal(0)) + row["fiat_amount"]
            )
    usage_invoices = {i for i, row in invoices.items() if row["invoice_type"] == "USAGE"}
    assert billed and set(billed) <= usage_invoices
    for invoice_id, amount in billed.items():
        trueups = sum(
            (
                line["fiat_amount"]
                for line in lines
                if line["invoice_id"] == invoice_id and line["line_type"] == "POSTPAID_TRUEUP"
            ),
            Decimal(0),
        )
        assert abs(amount + trueups - invoices[invoice_id]["total"]) <= Decimal("0.000001")
    # the one finalized usage invoice of 7b: 4,375 - 375 overage cents = 4,000
    assert sorted(billed.values()) == [Decimal(4000)]
    assert {(line["line_type"], line["credit_type_id"], line["fiat_amount"]) for line in lines} == {
        ("USAGE", "GPU_CREDITS", Decimal(5250)),
        ("CREDIT", "GPU_CREDITS", Decimal(-1250)),
    }
