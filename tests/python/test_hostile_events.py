"""Reliability: hostile events beside well-formed ones never break the build or the rating.

Hypothesis draws a batch of valid scenarios (strategies.py) and a hostile plan (a seed plus
arbitrary text and random-byte "atoms"); tests/python/hostile.py turns the plan into hundreds
of adversarial events, every one non-billable by construction (its docstring lists the classes
and why). Each example makes two builds, run side by side:

* build A: the well-formed batch alone;
* build B: the same files (same names, same rows) plus hostile-*.parquet files (cut into
  small row groups, and one file without rows).

and asserts:

* `dbt build` succeeds on both (bad events never fail the build);
* every raw event received by as_of (or without received_at) has exactly one row in
  `fct_event_outcomes`, keyed by (source_file, source_row), and nothing else has one;
* the rated events (`fct_rated_events_draft`, `fct_rated_events_finalized`), invoices and
  line items (`fct_invoices`, `fct_invoice_line_items`) of A and B are identical in every
  column but the run provenance (`run_as_of`, `run_invocation_id`, `run_config_hash`,
  `run_inputs_hash`, which names the raw folder).
  `event_id`, `source_file` and `source_row` depend on the file layout (event_id is the
  file and row), which is why the well-formed events keep their files and rows in B and the
  hostile ones only come in extra files; so they are compared too. The well-formed events'
  own outcomes are compared as well;
* each hostile event's outcome and error code are the ones rules 6 demands (a set of allowed
  ones where the rules leave it open), its valid timestamp parsed to the right instant, its text
  columns kept byte for byte (NUL and 100 KB included), and every ERRORED one received in the
  lookback window is in `fct_errored_events` with the same code.

The run also asserts that the generator reached every hostile class and every kind of hostile
value it is meant to (FEATURES: raw NUL, 100 KB text, JSON 200 deep, ...).

Counts: HOSTILE_EXAMPLES examples (default 2) of HOSTILE_SCENARIOS_PER_BUILD scenarios (16)
and HOSTILE_EVENTS_PER_BUILD hostile events (450) plus copies. A pinned seed (HOSTILE_SEED)
unless HOSTILE_RANDOM=1. A failing example keeps its raw folders (named in the message).
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from dbt_runner import dbt_build
from hostile import (
    VALIDATION_CODES,
    HostileEvent,
    HostileGenerator,
    ScenarioContext,
    scenario_context,
)
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from scenario import EVENT_SCHEMA, Scenario, write_raw
from strategies import AS_OF, AS_OF_TEXT, GeneratedScenario, scenario_batches

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "2"))
PINNED_SEED = (
    None
    if os.environ.get("HOSTILE_RANDOM") == "1"
    else int(os.environ.get("HOSTILE_SEED", "20261127"))
)
SCENARIOS_PER_BUILD = int(os.environ.get("HOSTILE_SCENARIOS_PER_BUILD", "16"))
EVENTS_PER_BUILD = int(os.environ.get("HOSTILE_EVENTS_PER_BUILD", "450"))
SCENARIO_COPIES = 30
HOSTILE_COPY_PERCENT = 10
LOOKBACK = timedelta(days=30)  # errored_events_lookback_days
WINDOW = timedelta(days=34)  # dedupe_window_days
MART_TABLES = (
    "fct_rated_events_draft",
    "fct_rated_events_finalized",
    "fct_invoices",
    "fct_invoice_line_items",
)
RUN_COLUMNS = {"run_as_of", "run_invocation_id", "run_config_hash", "run_inputs_hash"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_REPORTED = 60
CLASSES = (
    "bad_timestamp",
    "bad_properties",
    "missing_ids",
    "null_received_at",
    "too_old",
    "in_future",
    "edge_year",
    "unknown_customer",
    "unknown_type",
    "unicode_blank",
    "late_receipt",
    "late_resend",
    "copy_of_scenario",
    "copy_of_hostile",
)


def _decode(encoding: str):
    return lambda data: data.decode(encoding, "replace")


ATOMS = st.lists(
    st.one_of(
        st.text(min_size=1, max_size=40),
        st.binary(max_size=40).map(_decode("utf-8")),
        st.binary(max_size=40).map(_decode("latin-1")),
    ),
    min_size=5,
    max_size=25,
)


TEXT_COLUMNS = ("transaction_id", "customer_id", "event_type", "timestamp", "properties")
FEATURES = (
    "raw NUL in a text column",
    "100 KB text",
    "JSON nested 200 deep",
    "\\u0000 inside JSON",
    "emoji",
    "right-to-left text",
    "U+FFFD (random bytes decoded)",
    "1e308",
    "-0",
    "1e-30",
    "30-digit integer",
    "empty string column",
    *(f"injection text in {column}" for column in TEXT_COLUMNS),
    "100 fractional digits",
    "offset +14:00",
    "year 0000",
    "leap second",
    "null received_at",
    "copies in another file",
)


def row_features(hostile: HostileEvent) -> set[str]:
    """Which of FEATURES one hostile row exercises (the generator's reach, asserted > 0)."""
    row = hostile.row
    texts = {column: row[column] or "" for column in TEXT_COLUMNS}
    joined = "".join(texts.values())
    properties, timestamp = texts["properties"], texts["timestamp"]
    found = {f"injection text in {c}" for c, t in texts.items() if "drop table" in t.lower()}
    checks = {
        "raw NUL in a text column": "\x00" in joined,
        "100 KB text": any(len(t) >= 100_000 for t in texts.values()),
        "JSON nested 200 deep": "[" * 200 in properties or '{"a":' * 200 in properties,
        "\\u0000 inside JSON": "\\u0000" in properties,
        "emoji": any(ord(c) >= 0x1F000 for c in joined),
        "right-to-left text": any("\u0590" <= c <= "\u06ff" for c in joined),
        "U+FFFD (random bytes decoded)": "\ufffd" in joined,
        "1e308": "1e308" in properties,
        "-0": re.search(r"(?<![0-9.eE])-0(\.0)?(?![0-9.eE])", properties) is not None,
        "1e-30": "1e-30" in properties,
        "30-digit integer": re.search(r"[0-9]{30}", properties) is not None,
        "empty string column": any(row[c] == "" for c in TEXT_COLUMNS),
        "100 fractional digits": re.search(r"\.[0-9]{100}", timestamp) is not None,
        "offset +14:00": timestamp.endswith("+14:00"),
        "year 0000": timestamp.startswith("0000"),
        "leap second": ":59:60" in timestamp,
        "null received_at": row["received_at"] is None,
        "copies in another file": hostile.copy_of is not None
        and hostile.location is not None
        and hostile.copy_of[0] != hostile.location[0],
    }
    return found | {name for name, present in checks.items() if present}


def write_hostile(raw: Path, layout: dict[str, list[HostileEvent]], hostile_seed: int) -> None:
    """The hostile files beside the well-formed ones, cut into small row groups (provenance
    must survive DuckDB reading row groups in parallel), plus one file without rows."""
    for index, (name, events) in enumerate(layout.items()):
        table = pa.Table.from_pylist([h.row for h in events], schema=EVENT_SCHEMA)
        row_group_size = (1, 7, 64, 1000)[(hostile_seed + index) % 4]
        pq.write_table(table, raw / "events" / name, row_group_size=row_group_size)
    empty = pa.Table.from_pylist([], schema=EVENT_SCHEMA)
    pq.write_table(empty, raw / "events" / "hostile-empty.parquet")


def raw_locations(raw: Path) -> set[tuple[str, int]]:
    """(source_file, source_row) of every row in the raw files written, received by as_of
    (or without received_at): the events that must each have one outcome."""
    locations = set()
    for path in sorted((raw / "events").glob("*.parquet")):
        received = pq.read_table(path, columns=["received_at"]).column(0).to_pylist()
        for index, moment in enumerate(received):
            if moment is None or moment <= AS_OF:
                locations.add((f"events/{path.name}", index))
    return locations


def received_by_as_of(row: dict) -> bool:
    return row["received_at"] is None or row["received_at"] <= AS_OF


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"...({len(text)} chars)"


def describe(hostile: HostileEvent) -> str:
    row = hostile.row
    return (
        f"{hostile.kind} at {hostile.location} ({hostile.note}): tx={short(row['transaction_id'])} "
        f"customer={short(row['customer_id'])} type={short(row['event_type'])} "
        f"timestamp={short(row['timestamp'])} properties={short(row['properties'])} "
        f"received_at={row['received_at']}"
    )


def outcome_rows(db_path: Path) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as connection:
        return connection.execute(
            """
            select source_file, source_row, outcome, error_code, epoch_us(event_timestamp),
                transaction_id, customer_ref, event_type
            from fct_event_outcomes
            """
        ).fetchall()


def check_outcome_rows(label: str, rows: list[tuple], expected: set[tuple[str, int]]) -> list[str]:
    """Exactly one fct_event_outcomes row per raw event received by as_of."""
    problems = []
    counts = Counter((file, row) for file, row, *_ in rows)
    repeated = [location for location, count in counts.items() if count > 1]
    if repeated:
        problems.append(
            f"{label}: {len(repeated)} raw events with several outcomes: {repeated[:5]}"
        )
    missing = sorted(expected - set(counts))
    extra = sorted(set(counts) - expected)
    if missing:
        problems.append(f"{label}: {len(missing)} raw events without an outcome: {missing[:5]}")
    if extra:
        problems.append(f"{label}: {len(extra)} outcomes of no raw event by as_of: {extra[:5]}")
    if len(rows) != len(expected):
        problems.append(f"{label}: {len(rows)} outcome rows for {len(expected)} raw events")
    return problems


def mart_differences(db_a: Path, db_b: Path, scenario_files: list[str]) -> tuple[list[str], dict]:
    """Rows of the rated-event and invoice marts (and the well-formed events' outcomes) that
    differ between A and B, every column compared as text but the run provenance."""
    problems: list[str] = []
    sizes: dict[str, int] = {}
    with duckdb.connect() as connection:
        connection.execute(f"attach '{db_a}' as a (read_only)")
        connection.execute(f"attach '{db_b}' as b (read_only)")
        files = ", ".join(f"'events/{name}'" for name in scenario_files)
        for table, where in [(t, "") for t in MART_TABLES] + [
            ("fct_event_outcomes", f"where source_file in ({files})")
        ]:
            columns = [
                name
                for (name,) in connection.execute(
                    "select column_name from duckdb_columns() where database_name = 'a' "
                    "and table_name = ? order by column_index",
                    [table],
                ).fetchall()
                if name not in RUN_COLUMNS
            ]
            select = ", ".join(f'cast("{name}" as varchar) as "{name}"' for name in columns)
            sizes[table] = connection.execute(f"select count(*) from a.main.{table}").fetchone()[0]
            for left, right in (("a", "b"), ("b", "a")):
                query = (
                    f"select {select} from {left}.main.{table} {where} except all "
                    f"select {select} from {right}.main.{table} {where}"
                )
                rows = connection.execute(query).fetchall()
                if rows:
                    problems.append(
                        f"{table}: {len(rows)} rows only in build {left.upper()}, e.g. "
                        + "; ".join(
                            short(dict(zip(columns, r, strict=True)), 600) for r in rows[:3]
                        )
                    )
    return problems, sizes


def errored_rows(db_path: Path) -> dict[tuple[str, int], str]:
    with duckdb.connect(str(db_path), read_only=True) as connection:
        rows = connection.execute(
            "select source_file, source_row, error_code from fct_errored_events"
        ).fetchall()
    return {(file, row): code for file, row, code in rows}


def accepted_receipts(context: ScenarioContext, rows_a: list[tuple]) -> dict[str, datetime]:
    """transaction_id -> the latest received_at of its copies accepted at ingest (build A)."""
    codes = {(r[0], r[1]): r[3] for r in rows_a}
    latest: dict[str, datetime] = {}
    for location, row in context.rows:
        if location in codes and codes[location] not in VALIDATION_CODES and row["received_at"]:
            tx = row["transaction_id"]
            latest[tx] = max(latest.get(tx, row["received_at"]), row["received_at"])
    return latest


def check_hostile(
    layout: dict[str, list[HostileEvent]],
    rows: list[tuple],
    errored: dict,
    accepted: dict[str, datetime],
    seen: Counter,
) -> list[str]:
    """Each hostile event's outcome, parsed timestamp and text columns in build B."""
    by_location = {(r[0], r[1]): r for r in rows}
    problems: list[str] = []
    for hostile_events in layout.values():
        for hostile in hostile_events:
            actual = by_location.get(hostile.location)
            seen[hostile.kind] += 1
            if not received_by_as_of(hostile.row):
                continue  # checked with the outcome rows: it has none
            if actual is None:
                continue  # reported by check_outcome_rows
            outcome = (actual[2], actual[3])
            seen[f"{hostile.kind} -> {outcome[0]} {outcome[1] or ''}".strip()] += 1
            if hostile.resend_of is not None:
                previous = accepted.get(hostile.resend_of)
                within = previous is not None and hostile.row["received_at"] <= previous + WINDOW
                allowed = frozenset({("DUPLICATE", None)}) if within else hostile.expected
            elif hostile.expected is not None:
                allowed = hostile.expected
            else:
                original = by_location.get(hostile.copy_of)
                if original is None:
                    problems.append(f"copy of {hostile.copy_of} without an original outcome")
                    continue
                original_outcome = (original[2], original[3])
                allowed = frozenset(
                    {original_outcome}
                    if original_outcome[1] in VALIDATION_CODES
                    else {("DUPLICATE", None)}
                )
            if outcome not in allowed:
                problems.append(
                    f"outcome {outcome}, expected one of {sorted(allowed, key=str)}: "
                    + describe(hostile)
                )
            if hostile.expected_timestamp is not None and actual[4] != micros(
                hostile.expected_timestamp
            ):
                problems.append(
                    f"event_timestamp {actual[4]} us, expected "
                    f"{hostile.expected_timestamp.isoformat()}: " + describe(hostile)
                )
            for index, name in ((5, "transaction_id"), (6, "customer_id"), (7, "event_type")):
                if actual[index] != hostile.row[name]:
                    problems.append(f"{name} read as {short(actual[index])}: " + describe(hostile))
            received = hostile.row["received_at"]
            in_lookback = received is not None and AS_OF - LOOKBACK < received <= AS_OF
            if (
                outcome[0] == "ERRORED"
                and in_lookback
                and errored.get(hostile.location) != outcome[1]
            ):
                problems.append(
                    f"fct_errored_events has {errored.get(hostile.location)} for {outcome[1]}: "
                    + describe(hostile)
                )
    return problems


def test_hostile_events_change_nothing(tmp_path_factory):
    totals: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None if PINNED_SEED is not None else settings.default.database,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(
        batch=scenario_batches(SCENARIOS_PER_BUILD),
        hostile_seed=st.integers(0, 2**63 - 1),
        atoms=ATOMS,
    )
    def check(batch: list[GeneratedScenario], hostile_seed: int, atoms: list[str]) -> None:
        folder = tmp_path_factory.mktemp("hostile")
        merged = Scenario()
        for generated in batch:
            merged.merge(generated.scenario)
        context = scenario_context(merged)
        generator = HostileGenerator(hostile_seed, atoms, context, AS_OF)
        layout = generator.generate(EVENTS_PER_BUILD, SCENARIO_COPIES, HOSTILE_COPY_PERCENT)
        write_raw(folder / "a" / "raw", merged)
        write_raw(folder / "b" / "raw", merged)
        write_hostile(folder / "b" / "raw", layout, hostile_seed)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=2) as pool:
            future_a = pool.submit(dbt_build, folder / "a" / "raw", folder / "a", AS_OF_TEXT)
            future_b = pool.submit(dbt_build, folder / "b" / "raw", folder / "b", AS_OF_TEXT)
            run_a, run_b = future_a.result(), future_b.result()
        build_seconds = time.monotonic() - started
        where = (
            f"raw folders {folder / 'a' / 'raw'} and {folder / 'b' / 'raw'} (as_of {AS_OF_TEXT})"
        )
        assert run_a.returncode == 0, f"build A failed ({where}):\n{run_a.output[-4000:]}"
        assert run_b.returncode == 0, (
            f"build B (with hostile events) failed ({where}):\n{run_b.output[-4000:]}"
        )

        expected_a = raw_locations(folder / "a" / "raw")
        expected_b = raw_locations(folder / "b" / "raw")
        written = {h.location for events in layout.values() for h in events}
        assert expected_a <= expected_b and expected_b - expected_a <= written
        rows_a, rows_b = outcome_rows(run_a.db_path), outcome_rows(run_b.db_path)
        problems = check_outcome_rows("A", rows_a, expected_a)
        problems += check_outcome_rows("B", rows_b, expected_b)
        mart_problems, sizes = mart_differences(
            run_a.db_path, run_b.db_path, list(merged.event_files)
        )
        problems += mart_problems
        seen: Counter[str] = Counter()
        problems += check_hostile(
            layout,
            rows_b,
            errored_rows(run_b.db_path),
            accepted_receipts(context, rows_a),
            seen,
        )

        hostile_count = sum(len(events) for events in layout.values())
        print(
            f"\nexample {totals['examples'] + 1}: {len(batch)} scenarios, "
            f"{len(context.rows)} well-formed-batch events, {hostile_count} hostile events, "
            f"A/B builds {build_seconds:.1f}s; A has {sizes}"
        )
        if problems:
            message = f"{len(problems)} problems ({where}):\n" + "\n".join(problems[:MAX_REPORTED])
            if len(problems) > MAX_REPORTED:
                message += f"\n... {len(problems) - MAX_REPORTED} more"
            print(message)
            raise AssertionError(message)
        assert sizes["fct_rated_events_draft"] + sizes["fct_rated_events_finalized"] > 0
        assert sizes["fct_invoice_line_items"] > 0
        totals.update(seen)
        for events in layout.values():
            for hostile in events:
                totals.update(row_features(hostile))
        totals["examples"] += 1

    if PINNED_SEED is not None:
        check = seed(PINNED_SEED)(check)
    check()

    print("\nhostile classes and outcomes seen:")
    for name, count in sorted(totals.items()):
        print(f"  {name}: {count}")
    missing = [name for name in (*CLASSES, *FEATURES) if totals[name] == 0]
    assert not missing, f"the hostile generator never produced: {missing}"
