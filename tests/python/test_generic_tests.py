"""The project's own generic data tests (tests/generic/): each is compiled by dbt once and run
against small tables made here, so a rule that passes a bad table, or fails a good one, is
caught without a build."""

from __future__ import annotations

import json

import duckdb
import pytest
from dbt_runner import dbt_command

# one dbt compile renders every generic test against a relation named `probe`
CALLS = {
    "not_null_columns": "test_not_null_columns(model='probe', columns=['a', 'b', 'c'])",
    "unique_combination": "test_unique_combination(model='probe', columns=['a', 'b'])",
    "row_count_is": "test_row_count_is(model='probe', expected=2)",
}
SEPARATOR = "/* next test */"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, str]:
    inline = f" {SEPARATOR} ".join("{{ " + call + " }}" for call in CALLS.values())
    completed = dbt_command(
        ["compile", "--quiet", "--output", "json", "--inline", inline],
        tmp_path_factory.mktemp("generic_tests"),
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    sql = json.loads(completed.stdout)["compiled"].split(SEPARATOR)
    return dict(zip(CALLS, sql, strict=True))


def failures(sql: str, rows: list[tuple]) -> list[tuple]:
    """The test's result rows (dbt fails a test that returns any) on a `probe` of `rows`."""
    with duckdb.connect() as connection:
        connection.execute("create table probe (a integer, b varchar, c decimal(38, 12))")
        if rows:
            connection.executemany("insert into probe values (?, ?, ?)", rows)
        return sorted(connection.execute(sql).fetchall(), key=repr)


def test_not_null_columns_passes_full_and_empty_tables(compiled):
    assert failures(compiled["not_null_columns"], [(1, "x", 0), (2, "", -1)]) == []
    assert failures(compiled["not_null_columns"], []) == []


def test_not_null_columns_names_each_column_with_its_null_count(compiled):
    rows = [(None, "x", 1), (None, None, 2), (3, "y", 3)]
    assert failures(compiled["not_null_columns"], rows) == [("a", 2), ("b", 1)]


def test_unique_combination_returns_each_repeated_key_nulls_included(compiled):
    rows = [(1, "x", 0), (1, "x", 1), (1, "y", 0), (None, None, 0), (None, None, 1)]
    assert failures(compiled["unique_combination"], rows) == [(1, "x", 2), (None, None, 2)]
    assert failures(compiled["unique_combination"], [(1, "x", 0), (2, "x", 0)]) == []


def test_row_count_is_fails_on_any_other_count(compiled):
    assert failures(compiled["row_count_is"], [(1, "x", 0), (2, "x", 0)]) == []
    assert failures(compiled["row_count_is"], [(1, "x", 0)]) == [(1,)]
    assert failures(compiled["row_count_is"], []) == [(0,)]
