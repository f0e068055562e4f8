"""The project's own generic data tests (tests/generic/): each is compiled by dbt once and run
against small tables made here, so a rule that passes a bad table, or fails a good one, is
caught without a build."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from dbt_runner import dbt_command

# one dbt compile renders every generic test against a relation named `probe`
CALLS = {
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
def dbt_target(tmp_path_factory) -> Path:
    """The folder of one dbt compile that renders every call in CALLS: its output in
    compiled.json, the project's manifest in target/."""
    work_dir = tmp_path_factory.mktemp("generic_tests")
    inline = f" {SEPARATOR} ".join("{{ " + call + " }}" for call in CALLS.values())
    completed = dbt_command(
        ["compile", "--quiet", "--output", "json", "--inline", inline], work_dir
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    (work_dir / "compiled.json").write_text(completed.stdout)
    return work_dir


@pytest.fixture(scope="module")
def compiled(dbt_target: Path) -> dict[str, str]:
    sql = json.loads((dbt_target / "compiled.json").read_text())["compiled"].split(SEPARATOR)
    return dict(zip(CALLS, sql, strict=True))


@pytest.fixture(scope="module")
def manifest(dbt_target: Path) -> dict:
    return json.loads((dbt_target / "target" / "manifest.json").read_text())


def failures(sql: str, rows: list[tuple]) -> list[tuple]:
    """The test's result rows (dbt fails a test that returns any) on a `probe` of `rows`; a
    relationship's `parent` holds ids 1, 2 and 3."""
    with duckdb.connect() as connection:
        connection.execute("create table probe (a integer, b varchar, c decimal(38, 12))")
        connection.execute("create table parent as select * from range(1, 4) as ids(id)")
        if rows:
            connection.executemany("insert into probe values (?, ?, ?)", rows)
        return sorted(connection.execute(sql).fetchall(), key=repr)


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


# How the project uses row_invariants (models/**/_*__models.yml), held over dbt's manifest.

# models past staging that check no key (or row count), and why; staging is left to tests/config
# (configuration keys, naming the line) and to the marts (recorded rows were checked before
# they were published)
UNCHECKED = {
    **{
        f"int_{mart}_this_run": f"this run's rows of fct_{mart}, which shows them with the"
        " published rows and is tested before anything is published"
        for mart in (
            "rated_events_finalized",
            "invoices",
            "invoice_line_items",
            "event_outcomes",
            "errored_events",
        )
    },
    "int_rated_events_with_history": "a view of int_rated_events and int_recorded_rated_events,"
    " each tested",
    "rpt_spend_by_dimension_day": "any query parses the properties of every rated event in"
    " history; test_rollups.py checks its key (docs/decisions.md)",
    "rpt_margin_by_dimension": "a view over all history per margin dimension; test_margin.py"
    " checks it on hand-computed cases",
    # pipelined steps (docs block `pipelined_steps`): a test of a view would compute the chain
    # again, so the key is checked on the one model that reads it, which carries it
    **{
        view: f"a view read only by {reader}, which checks the same key"
        for view, reader in (
            ("int_usage_events_ingested", "int_usage_events_decided (via fct_event_outcomes)"),
            ("int_usage_events_decided", "int_event_outcomes_this_run (via fct_event_outcomes)"),
            ("int_usage_events_metric_candidates", "int_usage_events_metric_matched"),
            ("int_rating_targets_enumerated", "int_rating_targets_rate_chosen"),
            ("int_quantity_movements_tiered", "int_rated_events_priced"),
        )
    },
}


def generic_tests_by_model(manifest: dict) -> dict[str, list[dict]]:
    tests: dict[str, list[dict]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("test_metadata"):
            model = manifest["nodes"][node["attached_node"]]["name"]
            tests.setdefault(model, []).append(node)
    return tests


def models(manifest: dict) -> dict[str, dict]:
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def test_a_model_has_one_generic_test_row_invariants_named_for_it(manifest):
    shapes = {
        model: [(t["test_metadata"]["name"], t["name"]) for t in tests]
        for model, tests in generic_tests_by_model(manifest).items()
    }
    wrong = {
        model: shape
        for model, shape in shapes.items()
        if shape != [("row_invariants", f"row_invariants_{model}")]
    }
    assert wrong == {}


def test_models_past_staging_check_a_key_unless_waived(manifest):
    tests = generic_tests_by_model(manifest)
    past_staging = {
        name
        for name, node in models(manifest).items()
        if not node["original_file_path"].startswith("models/staging/")
    }
    keyed = {
        model
        for model, (test, *_) in tests.items()
        if {"unique", "row_count"} & set(test["test_metadata"]["kwargs"])
    }
    assert sorted(past_staging - keyed - set(UNCHECKED)) == []
    # a waiver that no longer applies goes too
    assert sorted(set(UNCHECKED) - (past_staging - keyed)) == []


def test_row_invariants_name_only_declared_columns(manifest):
    nodes = models(manifest)
    undeclared = []
    for model, (test, *_) in generic_tests_by_model(manifest).items():
        kwargs = test["test_metadata"]["kwargs"]
        named = [
            *(c for e in kwargs.get("unique", []) for c in columns_of(e)),
            *(c for e in kwargs.get("not_null", []) for c in columns_of(e)),
            *kwargs.get("accepted_values", {}),
            *(r["column"] for r in kwargs.get("relationships", [])),
        ]
        undeclared += [(model, c) for c in named if c not in nodes[model]["columns"]]
        for r in kwargs.get("relationships", []):
            parent = r["to"].removeprefix("ref('").removesuffix("')")
            if r["field"] not in nodes[parent]["columns"]:
                undeclared.append((parent, r["field"]))
    assert undeclared == []


def columns_of(entry: str | list | dict) -> list[str]:
    """The columns of a `unique` or `not_null` entry: a column, a list or {columns, where}."""
    if isinstance(entry, str):
        return [entry]
    return entry["columns"] if isinstance(entry, dict) else entry
