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
    "row_invariants": (
        "test_row_invariants(model='probe', unique=['a', ['b', 'c']],"
        " not_null=['b', {'columns': ['c'], 'where': 'a > 1'}],"
        " accepted_values={'b': ['x', 'y', \"it's\"], 'c': [0, 1, 2]},"
        " relationships=[{'column': 'a', 'to': 'parent', 'field': 'id'}])"
    ),
    "row_invariants_conditional": (
        "test_row_invariants(model='probe', unique=[{'columns': ['b'], 'where': 'a > 0'}],"
        " relationships=[{'column': 'a', 'to': 'parent', 'field': 'id', 'where': 'c > 0'}],"
        " row_count=2)"
    ),
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
    """The test's result rows (dbt fails a test that returns any) on a `probe` of `rows`; a
    relationship's `parent` holds ids 1, 2 and 3."""
    with duckdb.connect() as connection:
        connection.execute("create table probe (a integer, b varchar, c decimal(38, 12))")
        connection.execute("create table parent as select * from range(1, 4) as ids(id)")
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


# row_invariants returns (rule_name, column_names, row_condition, failing_rows, example_value)


def test_row_invariants_passes_good_and_empty_tables(compiled):
    rows = [(1, "x", 0), (2, "y", 1), (None, "it's", 2)]
    assert failures(compiled["row_invariants"], rows) == []
    assert failures(compiled["row_invariants"], []) == []


def test_row_invariants_names_each_null_column_and_honours_where(compiled):
    # the last row's null c passes: `a > 1` does not hold where a is null
    rows = [(1, None, 0), (2, "x", None), (3, "y", 1), (None, "y", None)]
    assert failures(compiled["row_invariants"], rows) == [
        ("not_null", "b", None, 1, None),
        ("not_null", "c", "a > 1", 1, None),
    ]


def test_row_invariants_unique_ignores_null_keys_a_combination_groups_them(compiled):
    # as dbt's unique, null a twice is no duplicate; as unique_combination, (x, null) twice is
    rows = [(None, "x", None), (None, "x", None), (1, "y", 0), (1, "y", 1)]
    assert failures(compiled["row_invariants"], rows) == [
        ("unique", "a", None, 1, None),
        ("unique", "b, c", None, 1, None),
    ]
    assert failures(compiled["row_invariants"], [(None, "x", 0), (None, "y", 0)]) == []


def test_row_invariants_counts_values_not_accepted_with_an_example(compiled):
    # nulls pass; strings are quoted (it's), numbers are not
    rows = [(1, "z", 0), (2, "w", 1), (3, "x", 7), (None, "it's", None)]
    assert failures(compiled["row_invariants"], rows) == [
        ("accepted_values", "b", None, 2, "w"),
        ("accepted_values", "c", None, 1, "7.000000000000"),
    ]


def test_row_invariants_counts_dangling_references_nulls_pass(compiled):
    rows = [(9, "x", 0), (8, "y", 0), (None, "x", 1), (1, "y", 1)]
    assert failures(compiled["row_invariants"], rows) == [("relationships", "a", None, 2, "8")]


def test_row_invariants_where_limits_a_key_and_a_reference_row_count_is_exact(compiled):
    # b repeats where a > 0 only for y; only the row with c > 0 must reference a parent
    rows = [(1, "x", 0), (-1, "x", 0), (9, "y", 0), (8, "y", 1)]
    assert failures(compiled["row_invariants_conditional"], rows) == [
        ("relationships", "a", "c > 0", 1, "8"),
        ("row_count", None, None, 4, None),
        ("unique", "b", "a > 0", 1, None),
    ]
    assert failures(compiled["row_invariants_conditional"], [(1, "x", 0), (-1, "x", 0)]) == []
    empty = failures(compiled["row_invariants_conditional"], [])
    assert empty == [("row_count", None, None, 0, None)]
