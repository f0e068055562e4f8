"""Provenance (auditors): every outcome and rated row points at its raw file and row, and every
finalized row and invoice names the run that finalized it (as_of, dbt invocation_id, config
hash); later runs never rewrite those."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from dbt_runner import dbt_build
from scenario import write_raw
from test_finalization import T1, T2, scenario_at_t1, scenario_at_t2


def invocation_id(work: Path) -> str:
    return json.loads((work / "target" / "run_results.json").read_text())["metadata"][
        "invocation_id"
    ]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("provenance")
    raw_t1, raw_t2 = root / "raw-t1", root / "raw-t2"
    write_raw(raw_t1, scenario_at_t1())
    write_raw(raw_t2, scenario_at_t2())
    work = root / "work"
    first = dbt_build(raw_t1, work, T1)
    assert first.returncode == 0, first.output[-3000:]
    first_id = invocation_id(work)
    t1_rows = first.query_dicts("select * from fct_rated_events_finalized")
    t1_invoices = first.query_dicts("select * from fct_invoices")
    second = dbt_build(raw_t2, work, T2)
    assert second.returncode == 0, second.output[-3000:]
    return {
        "raw_t2": raw_t2,
        "first_id": first_id,
        "second_id": invocation_id(work),
        "t1_rows": t1_rows,
        "t1_invoices": t1_invoices,
        "second": second,
    }


def test_outcomes_and_rated_rows_point_at_their_raw_row(runs):
    raw = runs["raw_t2"] / "events"
    expected = {}
    for path in sorted(raw.glob("*.parquet")):
        for row_number, row in enumerate(pq.read_table(path).to_pylist()):
            expected[row["transaction_id"]] = (path.name, row_number)
    outcomes = runs["second"].query(
        "select transaction_id, source_file, source_row from fct_event_outcomes"
    )
    assert len(outcomes) == len(expected)
    for transaction_id, source_file, source_row in outcomes:
        assert (Path(source_file).name, source_row) == expected[transaction_id]
        assert not Path(source_file).is_absolute()
    rated = runs["second"].query(
        "select transaction_id, source_file, source_row from fct_rated_events_finalized "
        "union all select transaction_id, source_file, source_row from fct_rated_events_draft"
    )
    assert rated
    for transaction_id, source_file, source_row in rated:
        assert (Path(source_file).name, source_row) == expected[transaction_id]


def test_finalized_rows_name_the_run_that_finalized_them(runs):
    assert runs["first_id"] != runs["second_id"]
    first = {row["rated_event_id"]: row for row in runs["t1_rows"]}
    assert first
    for row in first.values():
        assert row["run_invocation_id"] == runs["first_id"]
        assert row["run_as_of"].isoformat() == T1.replace("Z", "")
    after = runs["second"].query_dicts("select * from fct_rated_events_finalized")
    for row in after:
        if row["rated_event_id"] in first:
            assert row == first[row["rated_event_id"]]
        else:  # February, finalized by the second run
            assert row["run_invocation_id"] == runs["second_id"]
            assert row["run_as_of"].isoformat() == T2.replace("Z", "")
    assert len(after) > len(first)


def test_invoices_name_their_run_and_config(runs):
    first = {row["invoice_id"]: row for row in runs["t1_invoices"]}
    after = runs["second"].query_dicts("select * from fct_invoices")
    finalized_then = [row for row in first.values() if row["status"] == "FINALIZED"]
    assert finalized_then
    for row in finalized_then:
        current = next(r for r in after if r["invoice_id"] == row["invoice_id"])
        assert current == row and current["run_invocation_id"] == runs["first_id"]
    # drafts are rebuilt every run and name no run (building twice changes nothing)
    drafts = [row for row in after if row["status"] == "DRAFT"]
    assert drafts and all(row["run_invocation_id"] is None for row in drafts)
    # February finalized in the second run, whose configuration changed (a rate from March)
    hashes = {
        row["run_invocation_id"]: row["run_config_hash"]
        for row in after
        if row["status"] == "FINALIZED"
    }
    assert hashes.keys() == {runs["first_id"], runs["second_id"]}
    assert hashes[runs["first_id"]] != hashes[runs["second_id"]]
    assert all(len(value) == 32 for value in hashes.values())


def test_same_configuration_gives_the_same_hash(runs, tmp_path):
    sql = "select distinct run_config_hash from fct_invoices where run_as_of = ?"
    rebuilt = dbt_build(runs["raw_t2"], tmp_path / "again", T2)
    assert rebuilt.returncode == 0, rebuilt.output[-3000:]
    params = [T2.replace("T", " ").replace("Z", "")]
    assert rebuilt.query(sql, params) == runs["second"].query(sql, params) != []


def test_config_hash_covers_the_files_as_received(runs):
    """run_config_hash, computed here from the raw files alone: per configuration file (the
    optional unit costs aside), the MD5 of its non-blank lines (whitespace around each removed)
    joined by newlines; then the MD5 of `name:hash` per file, in name order, joined the same way."""
    from rated_events_tools.generate.files import CONFIG_FILES

    def md5(text: str) -> str:
        return hashlib.md5(text.encode("utf-8")).hexdigest()

    file_hashes = []
    for name in sorted(CONFIG_FILES):
        text = (runs["raw_t2"] / f"{name}.jsonl").read_text(encoding="utf-8")
        lines = [line.strip(" \t\r") for line in text.split("\n")]
        kept = [line for line in lines if line]
        if kept:  # an empty file contributes nothing
            file_hashes.append(f"{name}:{md5(chr(10).join(kept))}")
    expected = md5("\n".join(file_hashes))
    sql = "select distinct run_config_hash from fct_invoices where run_invocation_id = ?"
    assert runs["second"].query(sql, [runs["second_id"]]) == [(expected,)]
