"""rated_events_tools.sqlsafe: quoted text is only ever a name or a string, whatever it holds."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rated_events_tools import sqlsafe

HOSTILE = ["'; drop table t; --", 'a"b', "x' or '1'='1", "\\", "émoji 🚀", "‮rtl", "", " "]
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)


@pytest.fixture(scope="module")
def connection():
    with duckdb.connect() as con:
        con.execute("create table t (v int)")
        yield con


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_literal_round_trips(text):
    with duckdb.connect() as con:
        assert con.execute(f"select {sqlsafe.quote_literal(text)}").fetchone()[0] == text


@settings(max_examples=200, deadline=None)
@given(TEXT.filter(lambda t: t != ""))
def test_identifier_names_a_column(text):
    with duckdb.connect() as con:
        con.execute(f"create table x ({sqlsafe.quote_identifier(text)} int)")
        assert [row[0] for row in con.execute("describe x").fetchall()] == [text]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_never_runs(connection, text):
    assert connection.execute(f"select {sqlsafe.quote_literal(text)}").fetchone()[0] == text
    assert connection.execute("select count(*) from t").fetchone()[0] == 0


def test_nul_is_refused():
    with pytest.raises(ValueError):
        sqlsafe.quote_literal("a\x00b")
    with pytest.raises(ValueError):
        sqlsafe.quote_identifier("a\x00b")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(TEXT, st.integers(), min_size=1, max_size=5))
def test_json_pointer_names_exactly_one_key(document):
    import json

    with duckdb.connect() as con:
        for key, value in document.items():
            path = sqlsafe.json_pointer_for_key(key)
            found = con.execute(
                "select json_extract_string(?::json, ?)", [json.dumps(document), path]
            ).fetchone()[0]
            assert found == str(value)
