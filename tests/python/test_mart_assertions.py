"""The singular data tests that tie the history marts together (tests/marts/) each find what
they exist to find: compiled by dbt once, run against small hand-made marts here, so a test
reshaped for speed that no longer reports a broken row is caught without a build."""

from __future__ import annotations

import duckdb
import pytest
from dbt_runner import dbt_command

TESTS = ["assert_rated_outcomes_have_rated_events", "assert_every_received_event_has_one_outcome"]
AS_OF = "2026-06-15T00:00:00Z"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, str]:
    """Each test's SQL, compiled against an in-memory warehouse (its relations in `memory`)."""
    work_dir = tmp_path_factory.mktemp("mart_assertions")
    completed = dbt_command(
        ["compile", "--quiet", "--select", *TESTS], work_dir, variables={"as_of": AS_OF}
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    folder = work_dir / "target" / "compiled" / "rated_events" / "tests" / "marts"
    return {name: (folder / f"{name}.sql").read_text() for name in TESTS}


def run(sql: str, tables: dict[str, tuple[str, list[tuple]]]) -> list[tuple]:
    """The test's result rows (dbt fails a test that returns any), sorted, on the given tables:
    {name: (column definitions, rows)}."""
    with duckdb.connect() as connection:
        for name, (columns, rows) in tables.items():
            connection.execute(f"create table {name} ({columns})")
            if rows:
                marks = ", ".join("?" for _ in rows[0])
                connection.executemany(f"insert into {name} values ({marks})", rows)
        return sorted(connection.execute(sql).fetchall(), key=repr)


OUTCOME_COLUMNS = (
    "event_id varchar, transaction_id varchar, customer_id varchar, event_timestamp timestamp,"
    " received_at timestamp, rated_target_count integer, outcome varchar"
)


def outcome(event_id: str, status: str = "RATED") -> tuple:
    return (event_id, f"t-{event_id}", "c1", "2026-06-01", "2026-06-01", 1, status)


def rated_outcome_tables(outcomes: list[tuple], draft: list[str], finalized: list[str]) -> dict:
    return {
        "fct_event_outcomes": (OUTCOME_COLUMNS, outcomes),
        "fct_rated_events_draft": ("event_id varchar", [(e,) for e in draft]),
        "fct_rated_events_finalized": ("event_id varchar", [(e,) for e in finalized]),
    }


def test_rated_outcomes_pass_with_rated_events_in_either_mart(compiled):
    sql = compiled["assert_rated_outcomes_have_rated_events"]
    # e1 rated twice in the draft mart (a tiered split), e2 only in the finalized mart, e3 not
    # rated at all and so not expected there
    tables = rated_outcome_tables(
        [outcome("e1"), outcome("e2"), outcome("e3", "ERRORED")], ["e1", "e1"], ["e2"]
    )
    assert run(sql, tables) == []
    assert run(sql, rated_outcome_tables([], [], [])) == []


def test_rated_outcome_without_a_rated_event_is_reported(compiled):
    sql = compiled["assert_rated_outcomes_have_rated_events"]
    tables = rated_outcome_tables(
        [outcome("e1"), outcome("e2"), outcome("e4", "NOT_BILLABLE")], ["e1", "e4"], []
    )
    found = run(sql, tables)
    assert [row[0] for row in found] == ["e2"]
    assert found[0][1:3] == ("t-e2", "c1")


def every_received_tables(raw: list[tuple], outcome_ids: list[str]) -> dict:
    return {
        "stg_usage__events": ("event_id varchar, received_at timestamp", raw),
        "fct_event_outcomes": ("event_id varchar", [(e,) for e in outcome_ids]),
    }


def test_every_received_event_with_one_outcome_passes(compiled):
    sql = compiled["assert_every_received_event_has_one_outcome"]
    # e3 has no received_at (kept as malformed), e9 arrives after as_of and has no outcome yet
    raw = [("e1", "2026-06-01"), ("e2", "2026-06-14"), ("e3", None), ("e9", "2026-06-20")]
    assert run(sql, every_received_tables(raw, ["e1", "e2", "e3"])) == []


def test_each_way_an_outcome_count_can_break_is_named(compiled):
    sql = compiled["assert_every_received_event_has_one_outcome"]
    raw = [
        ("lost", "2026-06-01"),
        ("twice", "2026-06-01"),
        ("copied", "2026-06-01"),
        ("copied", "2026-06-02"),
        ("early", "2026-06-20"),
    ]
    outcomes = ["twice", "twice", "copied", "invented", "early"]
    assert run(sql, every_received_tables(raw, outcomes)) == [
        ("MORE_THAN_ONE_OUTCOME", "twice", 1, 2),
        ("NO_OUTCOME", "lost", 1, 0),
        ("OUTCOME_WITHOUT_RECEIVED_EVENT", "early", 0, 1),
        ("OUTCOME_WITHOUT_RECEIVED_EVENT", "invented", 0, 1),
        ("RECEIVED_MORE_THAN_ONCE", "copied", 2, 1),
    ]
