"""Wrong raw shapes (README, "Wrong shapes"): each either stops `dbt build` with a message naming
the file and the column or line, or builds green with every raw event in exactly one outcome.

Four builds: one green folder holding every tolerated shape at once (extra columns, columns in
another order, other timestamp units, an all-null column, a zero-row file, CRLF line ends,
blank lines and a byte order mark in configuration), and one per kind of failure (events files
with wrong columns, no events file at all, configuration lines that are not JSON objects).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from dbt_runner import DbtRun, dbt_build
from scenario import EVENT_SCHEMA, event, write_raw
from test_config_validation import valid_scenario

AS_OF = "2026-03-01T00:00:00Z"
# each test builds a folder of its own: pytest-xdist spreads them over its workers
INDEPENDENT_TESTS = True


def events(prefix: str, count: int) -> list[dict]:
    """`count` billable events of cust-a, all received before AS_OF."""
    return [
        event(
            f"{prefix}-{index}",
            "cust-a",
            "llm",
            "2026-01-10T00:00:00Z",
            {"tokens": 5 + index, "model": "small"},
            "2026-01-10T00:00:05Z",
        )
        for index in range(count)
    ]


def event_table(prefix: str, count: int) -> pa.Table:
    return pa.Table.from_pylist(events(prefix, count), schema=EVENT_SCHEMA)


def base_folder(folder: Path) -> Path:
    """A valid configuration and one well-formed events file (events/part-a.parquet, 3 rows)."""
    scenario = valid_scenario()
    scenario.add_events(events("a", 3), "part-a.parquet")
    return write_raw(folder, scenario)


def error_message(run: DbtRun) -> str:
    """dbt's output without colour codes, so messages can be matched as the user reads them."""
    return re.sub(r"\x1b\[[0-9;]*m", "", run.output)


def test_tolerated_shapes_build_green_and_keep_every_event(tmp_path: Path) -> None:
    raw = base_folder(tmp_path / "raw")
    rows_per_file = {"events/part-a.parquet": 3}

    # extra columns are ignored: a plain one, a pandas index, and a struct whose fields share
    # names with contract columns but not their types (only top-level columns count)
    extra = event_table("extra", 4)
    extra = extra.append_column("region", pa.array(["eu"] * 4))
    extra = extra.append_column("__index_level_0__", pa.array(range(4), pa.int64()))
    extra = extra.append_column(
        "context", pa.array([{"received_at": "yesterday", "timestamp": 7}] * 4)
    )
    pq.write_table(extra, raw / "events" / "part-extra.parquet")
    rows_per_file["events/part-extra.parquet"] = 4

    # columns in another order, received_at in milliseconds without the UTC flag (read as UTC),
    # and properties null in every row, so written with Parquet's NULL type (an empty object)
    other = event_table("other", 2)
    other = other.set_column(
        other.schema.get_field_index("received_at"),
        "received_at",
        other["received_at"].cast(pa.timestamp("ms")),
    )
    other = other.set_column(
        other.schema.get_field_index("properties"), "properties", pa.nulls(2, pa.null())
    )
    other = other.select(list(reversed(other.column_names)))
    pq.write_table(other, raw / "events" / "part-other.parquet")
    rows_per_file["events/part-other.parquet"] = 2

    # a zero-row file is a legitimate "no events in this file"
    pq.write_table(EVENT_SCHEMA.empty_table(), raw / "events" / "part-empty.parquet")

    # configuration written on Windows: CRLF line ends, a byte order mark, blank lines
    customers = (raw / "customers.jsonl").read_text(encoding="utf-8").splitlines()
    (raw / "customers.jsonl").write_bytes(
        ("\ufeff" + "\r\n".join(customers) + "\r\n").encode("utf-8")
    )
    rates = (raw / "rates.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rates) == 4
    (raw / "rates.jsonl").write_bytes(
        "\r\n".join([rates[0], "", " \t", rates[1], "", rates[2], rates[3], "", ""]).encode("utf-8")
    )

    run = dbt_build(raw, tmp_path / "work", AS_OF)
    assert run.returncode == 0, run.output[-3000:]

    # conservation: every row written is exactly one outcome, file by file
    outcomes = dict(
        run.query("select source_file, count(*) from fct_event_outcomes group by source_file")
    )
    assert outcomes == rows_per_file
    assert run.query("select count(*), count(distinct event_id) from fct_event_outcomes") == [
        (9, 9)
    ]
    # an event id is the row's address in its file, whatever the file's format
    assert sorted(run.query("select event_id from fct_event_outcomes")) == sorted(
        (f"{source_file}:{row}",)
        for source_file, count in rows_per_file.items()
        for row in range(count)
    )
    # the events rate; all-null properties read as an empty object, so a SUM of tokens errors
    assert run.query(
        "select source_file, outcome, error_code, count(*) from fct_event_outcomes"
        " group by all order by all"
    ) == [
        ("events/part-a.parquet", "RATED", None, 3),
        ("events/part-extra.parquet", "RATED", None, 4),
        ("events/part-other.parquet", "ERRORED", "INVALID_AGGREGATION_VALUE", 2),
    ]
    assert run.query(
        "select distinct received_at from stg_usage__events"
        " where source_file = 'events/part-other.parquet'"
    ) == run.query(
        "select distinct received_at from stg_usage__events"
        " where source_file = 'events/part-a.parquet'"
    )

    # configuration lines are numbered as an editor shows them, blank lines included
    assert run.query("select customer_id from stg_billing__customers order by line_number") == [
        ("cust-a",),
        ("cust-b",),
    ]
    assert run.query("select line_number from stg_billing__rates order by line_number") == [
        (1,),
        (4,),
        (6,),
        (7,),
    ]


def test_events_files_with_wrong_columns_fail_naming_file_and_column(tmp_path: Path) -> None:
    raw = base_folder(tmp_path / "raw")
    pq.write_table(event_table("b", 2).drop(["event_type"]), raw / "events" / "part-b.parquet")
    text_received = event_table("c", 2)
    text_received = text_received.set_column(
        text_received.schema.get_field_index("received_at"),
        "received_at",
        pa.array(["2026-01-10 00:00:05+00", "2026-01-10T00:00:06Z"]),
    )
    pq.write_table(text_received, raw / "events" / "part-c.parquet")
    numeric_ids = event_table("d", 1)
    numeric_ids = numeric_ids.set_column(
        numeric_ids.schema.get_field_index("customer_id"), "customer_id", pa.array([42])
    )
    numeric_ids = numeric_ids.append_column("file_row_number", pa.array([0]))
    pq.write_table(numeric_ids, raw / "events" / "part-d.parquet")
    (raw / "events" / "2026-01").mkdir()
    pq.write_table(event_table("e", 1), raw / "events" / "2026-01" / "part-e.parquet")

    run = dbt_build(raw, tmp_path / "work", AS_OF)
    output = error_message(run)
    assert run.returncode == 1, output[-3000:]
    assert "Runtime Error in model stg_usage__events" in output
    message = next(line for line in output.splitlines() if "bad events files:" in line)
    assert message.strip() == (
        f"Invalid Input Error: bad events files: {raw}/events/2026-01/part-e.parquet is in a"
        " subfolder of events/, which is not read; move it into events/;"
        " events/part-b.parquet: column event_type is missing;"
        " events/part-c.parquet: column received_at is VARCHAR, expected a timestamp;"
        " events/part-d.parquet: column customer_id is BIGINT, expected text;"
        " events/part-d.parquet: column file_row_number has a name the reader uses for"
        " provenance; rename or drop it"
    )
    # nothing read the events: no outcome table was built from a partial set of files
    assert run.query(
        "select count(*) from information_schema.tables where table_name = 'fct_event_outcomes'"
    ) == [(0,)]


def test_no_events_file_fails_with_a_clear_message(tmp_path: Path) -> None:
    raw = base_folder(tmp_path / "raw")
    # a Hive-style layout: the only events file sits in a subfolder, beside a marker file
    (raw / "events" / "dt=2026-01-10").mkdir()
    (raw / "events" / "part-a.parquet").rename(raw / "events" / "dt=2026-01-10" / "part-a.parquet")
    (raw / "events" / "_SUCCESS").write_text("")

    run = dbt_build(raw, tmp_path / "work", AS_OF)
    output = error_message(run)
    assert run.returncode != 0, output[-3000:]
    # a precondition: the run stops before any model, with this message alone
    assert "START sql" not in run.output
    assert (
        f"the raw folder '{raw}' has no events files: nothing matches {raw}/events/*.parquet."
        " An events file with zero rows means no events; an empty or missing events folder stops"
        " the build because it is more often a wrong raw_data_path or an unfinished copy. Parquet"
        " files in subfolders of events/ are not read. Nothing was built or published."
    ) in output


def test_configuration_lines_that_are_not_json_objects_fail_naming_the_line(tmp_path: Path) -> None:
    raw = base_folder(tmp_path / "raw")
    customers = (raw / "customers.jsonl").read_text(encoding="utf-8").splitlines()
    lines = [customers[0], "", "not json", "[1, 2]", customers[1], '{"id": "cust-c",}']
    (raw / "customers.jsonl").write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    rates = (raw / "rates.jsonl").read_text(encoding="utf-8")
    (raw / "rates.jsonl").write_text(rates + "null\n", encoding="utf-8")
    null_line = len(rates.splitlines()) + 1

    run = dbt_build(raw, tmp_path / "work", AS_OF)
    output = error_message(run)
    assert run.returncode == 1, output[-3000:]
    assert "Runtime Error in model stg_billing__customers" in output
    assert (
        "Invalid Input Error: bad configuration: customers.jsonl line 3 is not valid JSON:"
        " not json; customers.jsonl line 4 is JSON but not an object: [1, 2];"
        ' customers.jsonl line 6 is not valid JSON: {"id": "cust-c",}\n'
    ) in output
    assert "Runtime Error in model stg_billing__rates" in output
    assert (
        f"Invalid Input Error: bad configuration: rates.jsonl line {null_line} is JSON but not an"
        " object: null\n"
    ) in output
