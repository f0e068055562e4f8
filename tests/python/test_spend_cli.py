"""scripts/spend.py: spend cuts equal direct sums over the rated events marts, for every grain,
property and built-in dimensions (a missing property is its own group), draft / finalized /
all, customer and time filters; hostile text is only ever a name or a value; the chart is a
PNG. The command line says in one line when there is nothing to show (an unknown customer or
property key, an empty selection), when there is no warehouse and when a build holds it."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import duckdb
import pytest
from dbt_runner import PROJECT_DIR
from rated_events_tools import spend
from rated_events_tools.cli import open_reader
from scenario import event
from test_balances import AS_OF, spec_section_7
from test_trace import held_open, in_use_line

PROPERTIES = [
    ("2026-01-05T10:15:00Z", {"tokens": 1_000_000, "region": "eu", "model": "m1", "size": 5}),
    ("2026-01-05T10:45:00Z", {"tokens": 2_000_000, "region": "us", "model": "m1", "size": 5.0}),
    ("2026-01-11T23:59:00Z", {"tokens": 500_000, "region": "eu"}),  # no model
    ("2026-01-12T00:00:00Z", {"tokens": 3_000_000, "model": "m2", "odd.key": "x"}),
    ("2026-02-10T08:00:00Z", {"tokens": 1_500_000, "region": "us", "model": "m2"}),
    ("2026-03-03T12:00:00Z", {"tokens": 2_500_000, "region": "eu", "model": "m1"}),
    ("2026-03-04T12:00:30Z", {"tokens": 4_000_000, "region": "us", "model": "m1"}),
]


@pytest.fixture(scope="module")
def warehouse(build_green):
    scenario = spec_section_7()
    scenario.add_events(
        [
            event(f"sp-{i}", "k7-cus", "k7-llm", stamp, props, stamp.replace(":00Z", ":09Z"))
            for i, (stamp, props) in enumerate(PROPERTIES)
        ],
        "events-props.parquet",
    )
    return build_green("spend", scenario, AS_OF)


DIMENSIONS = [[], ["region"], ["region", "model"], ["product_id", "coverage"], ["odd.key"]]
HOSTILE = ("'; drop table fct_invoices; --", 'x" or 1=1 --', "$y", "/a~b")
FILTER_WINDOW = (datetime(2026, 1, 5, 10, 30), datetime(2026, 3, 4))


@pytest.fixture(scope="module", autouse=True)
def compiled_together():
    """The cuts this file's tests ask for, compiled by dbt in one call before they run: each
    is then found already compiled (dbt_macros keeps compiled SQL per statement), instead of
    one `dbt compile` of several seconds per cut. What is compiled is what the tests ask for."""
    cuts = [(dims, grain, "all", None) for dims in DIMENSIONS for grain in spend.GRAINS]
    cuts += [(["model"], "day", status, "k7-cus") for status in ("draft", "finalized")]
    cuts += [(["region"], "month", status, None) for status in ("all", "draft", "finalized")]
    cuts += [(["customer_id", "product_id", "credit_type_id"], "day", "all", None)]
    cuts += [(["size"], "month", "all", None)]
    cuts += [([text], "day", "all", None) for text in HOSTILE]
    cuts += [([], "day", "all", text) for text in HOSTILE]
    window = {"k7-cus": FILTER_WINDOW}
    spend.compile_inline(
        [
            spend.cut_call(dims, grain, status, customer, *window.get(customer, (None, None)))
            for dims, grain, status, customer in cuts
        ]
    )


def truncate(moment: datetime, grain: str) -> datetime:
    if grain == "minute":
        return moment.replace(second=0, microsecond=0)
    if grain == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "day":
        return day
    if grain == "week":  # ISO weeks start on Monday
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def expected(run, dims, grain, status="all", customer=None, start=None, end=None):
    import json

    rows = run.query_dicts(
        "select *, 'F' as mart from fct_rated_events_finalized "
        "union all by name select *, 'D' as mart from fct_rated_events_draft"
    )
    sums: dict[tuple, list] = defaultdict(lambda: [Decimal(0)] * 4 + [0, set()])
    for row in rows:
        if status == "draft" and row["mart"] != "D" or status == "finalized" and row["mart"] != "F":
            continue
        if customer is not None and row["customer_id"] != customer:
            continue
        if start is not None and row["event_timestamp"] < start:
            continue
        if end is not None and row["event_timestamp"] >= end:
            continue
        props = json.loads(row["properties"])
        key = (truncate(row["event_timestamp"], grain),) + tuple(
            row[d] if d in row else (None if props.get(d) is None else str(props[d])) for d in dims
        )
        total = sums[key]
        total[0] += row["amount"]
        total[1] += row["amount"] if row["coverage"] == "OVERAGE" else 0
        total[2] += row["amount"] if row["coverage"] != "OVERAGE" else 0
        total[3] += row["quantity"]
        total[4] += 1
        total[5].add(row["event_id"])
    return {key: (*v[:5], len(v[5])) for key, v in sums.items()}


def actual(run, dims, grain, **filters):
    with open_reader(run.db_path) as connection:
        headers, rows = spend.spend(connection, dims, grain, **filters)
    assert headers == ["period_start", *dims, *spend.MEASURES]
    return {tuple(row[: 1 + len(dims)]): tuple(row[1 + len(dims) :]) for row in rows}


@pytest.mark.parametrize("grain", spend.GRAINS)
@pytest.mark.parametrize("dims", DIMENSIONS)
def test_cut_equals_direct_sum(warehouse, grain, dims):
    assert actual(warehouse, dims, grain) == expected(warehouse, dims, grain)


@pytest.mark.parametrize("status", ["draft", "finalized"])
def test_status_and_filters(warehouse, status):
    start, end = FILTER_WINDOW
    got = actual(
        warehouse, ["model"], "day", status=status, customer="k7-cus", start=start, end=end
    )
    assert got == expected(warehouse, ["model"], "day", status, "k7-cus", start, end)
    assert got


def test_draft_plus_finalized_is_all(warehouse):
    every = actual(warehouse, ["region"], "month")
    parts = defaultdict(lambda: [0] * 6)
    for status in ("draft", "finalized"):
        for key, values in actual(warehouse, ["region"], "month", status=status).items():
            parts[key] = [a + b for a, b in zip(parts[key], values, strict=True)]
    assert {key: tuple(v) for key, v in parts.items()} == every
    assert any(key[1] is None for key in every)  # events without region: a group of their own


def test_command_line_and_the_dbt_built_rollup_return_the_same_rows(warehouse):
    # rpt_spend_by_customer_product_day is spend_rollup('day', [customer_id, product_id,
    # credit_type_id]) built by dbt; the command line compiles the same call
    dims = ["customer_id", "product_id", "credit_type_id"]
    with open_reader(warehouse.db_path) as connection:
        headers, rows = spend.spend(connection, dims, "day")
    built = warehouse.query("select * from rpt_spend_by_customer_product_day order by all")
    assert rows and sorted(rows) == built
    assert headers == [
        column[0]
        for column in duckdb.connect(str(warehouse.db_path), read_only=True)
        .execute("select * from rpt_spend_by_customer_product_day limit 0")
        .description
    ]


def test_numbers_group_in_canonical_form(warehouse):
    # rules 8: `5` and `5.0` are one value, read as `5` (the command line once split them)
    headers, rows = spend_of(warehouse, ["size"], "month")
    events = defaultdict(int)
    for row in rows:
        events[row[1]] += row[headers.index("usage_event_count")]
    assert events["5"] == 2 and "5.0" not in events


def spend_of(run, dims, grain, **filters):
    with open_reader(run.db_path) as connection:
        return spend.spend(connection, dims, grain, **filters)


def test_hostile_text_is_a_name_or_a_value(warehouse):
    for text in HOSTILE:
        assert all(values[0] is not None for values in actual(warehouse, [text], "day").values())
        assert actual(warehouse, [], "day", customer=text) == {}
    assert warehouse.query("select count(*) from fct_invoices")[0][0] > 0


def run_spend(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/spend.py", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_prints_a_table_and_draws_a_png(warehouse, tmp_path):
    result = run_spend(
        "--db",
        str(warehouse.db_path),
        "--by",
        "region,model",
        "--grain",
        "hour",
        "--status",
        "finalized",
        "--from",
        "2026-01-05",
        "--to",
        "2026-01-06",
        "--chart",
        str(tmp_path / "spend.png"),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["period_start", "region", "model", *spend.MEASURES]
    # Jan 5: k7-e1 at 00:00 (no region, no model: 4 units x 200 = 800), then at 10:00 the eu
    # event (1 unit, still in tier 1 at 200) and the us one
    body = [line.split() for line in lines[2:]]
    assert body[0][:4] == ["2026-01-05T00:00:00Z", "-", "-", "800"]
    assert body[1][:4] == ["2026-01-05T10:00:00Z", "eu", "m1", "200"]
    assert (tmp_path / "spend.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customer", "nobody"], "no rated events for customer 'nobody'"),
        (["--by", "region,colour"], "no event has the property key 'colour'"),
        (
            ["--by", "region", "--from", "2030-01-01"],
            "no rated events in the selected period/status",
        ),
        (
            ["--customer", "k7-cus", "--status", "finalized", "--from", "2026-06-01"],
            "no rated events in the selected period/status",
        ),
    ],
)
def test_cli_says_when_there_is_nothing_to_show(warehouse, tmp_path, args, message):
    chart = tmp_path / "spend.png"
    result = run_spend("--db", str(warehouse.db_path), "--chart", str(chart), *args)
    assert result.returncode == 1
    assert result.stdout == "" and result.stderr == message + "\n"
    assert not chart.exists()


def test_cli_says_in_one_line_when_the_macro_refuses_an_argument(warehouse):
    # `amount` as a dimension would name two columns alike: spend_rollup refuses it
    result = run_spend("--db", str(warehouse.db_path), "--by", "amount")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("dbt could not compile the macro: ")
    assert 'two output columns would be named "amount"' in result.stderr
    assert result.stderr.count("\n") == 1


def test_cli_on_a_warehouse_in_use_names_the_holder(warehouse, tmp_path):
    with held_open(warehouse.db_path, tmp_path) as pid:
        result = run_spend("--db", str(warehouse.db_path), "--by", "region")
    assert result.returncode == 2
    assert result.stdout == "" and result.stderr == in_use_line(warehouse.db_path, pid)


def test_cli_without_a_warehouse(tmp_path):
    missing = tmp_path / "none.duckdb"
    result = run_spend("--db", str(missing))
    assert result.returncode == 2
    assert result.stderr == f"no warehouse at {missing}: run `make run` first\n"
    assert not missing.exists()
