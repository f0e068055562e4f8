"""Ingestion (rules 4.1-4.2, 6, 8): validation, deduplication and customer resolution.

One scenario holds every case; one `dbt build` checks them all against hand-written
expectations in the table below.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dbt_runner import dbt_build
from scenario import Scenario, event, write_raw

AS_OF = "2026-03-01T00:00:00Z"
T0 = datetime(2026, 1, 10, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def at(days: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(days=days, seconds=seconds)


# (case name, transaction_id, customer_id, event_type, timestamp, properties, received_at,
#  expected ingestion outcome, expected error code, expected resolved customer)
CASES: list[tuple] = [
    (
        "plain",
        "ok-1",
        "cust-a",
        "llm",
        iso(at()),
        {"tokens": 5},
        at(seconds=3),
        "ACCEPTED",
        None,
        "cust-a",
    ),
    ("alias", "ok-2", "alias-a", "llm", iso(at()), {}, at(seconds=3), "ACCEPTED", None, "cust-a"),
    (
        "id wins over another's alias",
        "ok-3",
        "cust-b",
        "llm",
        iso(at()),
        {},
        at(seconds=3),
        "ACCEPTED",
        None,
        "cust-b",
    ),
    (
        "unknown customer",
        "nf-1",
        "nobody",
        "llm",
        iso(at()),
        {},
        at(seconds=3),
        "ERRORED",
        "CUSTOMER_NOT_FOUND",
        None,
    ),
    ("chain first", "dup-1", "cust-a", "llm", iso(at()), {}, at(0), "ACCEPTED", None, "cust-a"),
    ("chain +20d", "dup-1", "cust-a", "llm", iso(at(20)), {}, at(20), "DUPLICATE", None, None),
    (
        "chain +40d stays duplicate",
        "dup-1",
        "cust-a",
        "llm",
        iso(at(40)),
        {},
        at(40),
        "DUPLICATE",
        None,
        None,
    ),
    ("gap first", "dup-2", "cust-a", "llm", iso(at()), {}, at(0), "ACCEPTED", None, "cust-a"),
    (
        "gap +40d is kept",
        "dup-2",
        "cust-a",
        "llm",
        iso(at(40)),
        {},
        at(40),
        "ACCEPTED",
        None,
        "cust-a",
    ),
    (
        "window edge first",
        "dup-3",
        "cust-a",
        "llm",
        iso(at()),
        {},
        at(0),
        "ACCEPTED",
        None,
        "cust-a",
    ),
    (
        "exactly 34 days is a duplicate",
        "dup-3",
        "cust-a",
        "llm",
        iso(at(34)),
        {},
        at(34),
        "DUPLICATE",
        None,
        None,
    ),
    ("window+1s first", "dup-4", "cust-a", "llm", iso(at()), {}, at(0), "ACCEPTED", None, "cust-a"),
    (
        "34 days and 1 s is kept",
        "dup-4",
        "cust-a",
        "llm",
        iso(at(34, 1)),
        {},
        at(34, 1),
        "ACCEPTED",
        None,
        "cust-a",
    ),
    (
        "rejected copy",
        "dup-5",
        "cust-a",
        "llm",
        iso(at()),
        "{bad",
        at(0),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "resend of a rejected copy is kept",
        "dup-5",
        "cust-a",
        "llm",
        iso(at()),
        {},
        at(1),
        "ACCEPTED",
        None,
        "cust-a",
    ),
    (
        "duplicate of an unknown customer",
        "dup-6",
        "nobody",
        "llm",
        iso(at()),
        {},
        at(0),
        "ERRORED",
        "CUSTOMER_NOT_FOUND",
        None,
    ),
    (
        "its copy is a duplicate, not errored",
        "dup-6",
        "nobody",
        "llm",
        iso(at()),
        {},
        at(1),
        "DUPLICATE",
        None,
        None,
    ),
    (
        "null transaction id",
        None,
        "cust-a",
        "llm",
        iso(at()),
        {},
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    ("empty customer", "m-2", "", "llm", iso(at()), {}, at(), "ERRORED", "MALFORMED_EVENT", None),
    (
        "blank event type",
        "m-3",
        "cust-a",
        "  ",
        iso(at()),
        {},
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "impossible date",
        "m-4",
        "cust-a",
        "llm",
        "2026-02-30T00:00:00Z",
        {},
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "no zone",
        "m-5",
        "cust-a",
        "llm",
        "2026-01-10T00:00:00",
        {},
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "leap second",
        "m-6",
        "cust-a",
        "llm",
        "2026-01-10T23:59:60Z",
        {},
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "year 0000",
        "m-7",
        "cust-a",
        "llm",
        "0000-01-10T00:00:00Z",
        {},
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "leading space",
        "m-8",
        "cust-a",
        "llm",
        " 2026-01-10T00:00:00Z",
        {},
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "offset hour 24",
        "m-9",
        "cust-a",
        "llm",
        "2026-01-10T00:00:00+24:00",
        {},
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "not a timestamp",
        "m-10",
        "cust-a",
        "llm",
        "yesterday",
        {},
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    ("null timestamp", "m-11", "cust-a", "llm", None, {}, at(), "ERRORED", "MALFORMED_EVENT", None),
    (
        "properties array",
        "j-1",
        "cust-a",
        "llm",
        iso(at()),
        "[1]",
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "properties null text",
        "j-2",
        "cust-a",
        "llm",
        iso(at()),
        "null",
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "properties string",
        "j-3",
        "cust-a",
        "llm",
        iso(at()),
        '"s"',
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "properties number",
        "j-4",
        "cust-a",
        "llm",
        iso(at()),
        "5",
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "properties NaN",
        "j-5",
        "cust-a",
        "llm",
        iso(at()),
        '{"a": NaN}',
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "properties Infinity",
        "j-6",
        "cust-a",
        "llm",
        iso(at()),
        '{"a": -Infinity}',
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "properties trailing comma",
        "j-7",
        "cust-a",
        "llm",
        iso(at()),
        '{"a": [1,]}',
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "properties empty text",
        "j-8",
        "cust-a",
        "llm",
        iso(at()),
        "",
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "null properties is an empty object",
        "j-9",
        "cust-a",
        "llm",
        iso(at()),
        None,
        at(),
        "ACCEPTED",
        None,
        "cust-a",
    ),
    (
        "lookalikes inside strings are fine",
        "j-10",
        "cust-a",
        "llm",
        iso(at()),
        '{"s": "NaN, Infinity,]", "n": 1e3, "t": true, "x": null}',
        at(),
        "ACCEPTED",
        None,
        "cust-a",
    ),
    (
        "24 h ahead is accepted",
        "f-1",
        "cust-a",
        "llm",
        iso(at(1)),
        {},
        at(),
        "ACCEPTED",
        None,
        "cust-a",
    ),
    (
        "24 h 1 s ahead",
        "f-2",
        "cust-a",
        "llm",
        iso(at(1, 1)),
        {},
        at(),
        "ERRORED",
        "TIMESTAMP_IN_FUTURE",
        None,
    ),
    (
        "34 days back is accepted",
        "o-1",
        "cust-a",
        "llm",
        iso(at(-34)),
        {},
        at(),
        "ACCEPTED",
        None,
        "cust-a",
    ),
    (
        "34 days 1 s back",
        "o-2",
        "cust-a",
        "llm",
        iso(at(-34, -1)),
        {},
        at(),
        "ERRORED",
        "TIMESTAMP_TOO_OLD",
        None,
    ),
    (
        "malformed beats too old",
        "o-3",
        "",
        "llm",
        iso(at(-40)),
        {},
        at(),
        "ERRORED",
        "MALFORMED_EVENT",
        None,
    ),
    (
        "too old beats unknown customer",
        "o-4",
        "nobody",
        "llm",
        iso(at(-40)),
        {},
        at(),
        "ERRORED",
        "TIMESTAMP_TOO_OLD",
        None,
    ),
]

# Parsed instants of the valid odd-but-legal timestamp forms (rules 8).
ODD_TIMESTAMPS = [
    ("space and offset", "2026-01-10 10:00:00+02:00", datetime(2026, 1, 10, 8, 0)),
    ("lower-case t and z", "2026-01-10t10:00:00z", datetime(2026, 1, 10, 10, 0)),
    (
        "nanoseconds truncated",
        "2026-01-10T10:00:00.1234567891Z",
        datetime(2026, 1, 10, 10, 0, 0, 123456),
    ),
    ("negative offset", "2026-01-09T23:30:00-01:45", datetime(2026, 1, 10, 1, 15)),
]


@pytest.fixture(scope="module")
def ingestion_build(tmp_path_factory):
    scenario = Scenario(
        customers=[
            {"id": "cust-a", "name": "A", "ingest_aliases": ["alias-a"]},
            {"id": "cust-b", "name": "B", "ingest_aliases": []},
            {"id": "cust-c", "name": "C", "ingest_aliases": ["cust-b"]},
        ]
    )
    rows = [event(*case[1:7]) for case in CASES]
    rows += [
        event(f"odd-{index}", "cust-a", "llm", text, {}, at(seconds=5))
        for index, (_, text, _) in enumerate(ODD_TIMESTAMPS)
    ]
    # received after as_of: does not exist yet
    rows.append(
        event("late-1", "cust-a", "llm", "2026-03-01T00:00:00Z", {}, "2026-03-01T00:00:01Z")
    )
    # spread across two files to prove provenance and cross-file deduplication
    scenario.add_events(rows[: len(rows) // 2], "events-a.parquet")
    scenario.add_events(rows[len(rows) // 2 :], "events-b.parquet")
    folder = tmp_path_factory.mktemp("ingestion")
    write_raw(folder / "raw", scenario)
    run = dbt_build(folder / "raw", folder, AS_OF)
    assert run.returncode == 0, run.output[-3000:]
    half = len(rows) // 2
    locations = [
        ("events/events-a.parquet", i) if i < half else ("events/events-b.parquet", i - half)
        for i in range(len(rows))
    ]
    return run, locations


def outcome_rows(run) -> dict[tuple[str, int], dict]:
    # a view (docs block `pipelined_steps`): its query resolves in the build workspace
    rows = run.query_dicts("select * from int_usage_events_ingested", workspace=True)
    return {(row["source_file"], row["source_row"]): row for row in rows}


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case[0] for case in CASES])
def test_ingestion_case(ingestion_build, index):
    run, locations = ingestion_build
    row = outcome_rows(run)[locations[index]]
    _, transaction_id, *_, outcome, error_code, customer_id = CASES[index]
    assert row["transaction_id"] == transaction_id
    assert (row["ingestion_outcome"], row["error_code"], row["customer_id"]) == (
        outcome,
        error_code,
        customer_id,
    )


def test_every_received_event_has_exactly_one_outcome(ingestion_build):
    run, locations = ingestion_build
    rows = run.query(
        "select source_file, source_row from int_usage_events_ingested", workspace=True
    )
    assert sorted(rows) == sorted(locations[:-1])  # all but the one received after as_of


def test_duplicates_point_at_the_kept_copy(ingestion_build):
    run, _ = ingestion_build
    rows = run.query(
        """
        select duplicate.transaction_id, kept.received_at
        from int_usage_events_ingested as duplicate
        inner join int_usage_events_ingested as kept
            on duplicate.duplicate_of_event_id = kept.event_id
        where duplicate.ingestion_outcome = 'DUPLICATE'
        order by duplicate.transaction_id, duplicate.received_at
        """,
        workspace=True,
    )
    kept_dup_1 = at(0).replace(tzinfo=None)
    assert rows == [
        ("dup-1", kept_dup_1),
        ("dup-1", kept_dup_1),
        ("dup-3", kept_dup_1),
        ("dup-6", kept_dup_1),
    ]


@pytest.mark.parametrize("index", range(len(ODD_TIMESTAMPS)), ids=[t[0] for t in ODD_TIMESTAMPS])
def test_valid_timestamp_forms_parse_to_utc(ingestion_build, index):
    run, _ = ingestion_build
    parsed = run.query(
        "select event_timestamp, ingestion_outcome from int_usage_events_ingested "
        "where transaction_id = ?",
        [f"odd-{index}"],
        workspace=True,
    )
    assert parsed == [(ODD_TIMESTAMPS[index][2], "ACCEPTED")]
