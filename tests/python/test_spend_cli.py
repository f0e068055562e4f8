"""scripts/spend.py: spend cuts equal direct sums over the rated events marts, for every grain,
property and built-in dimensions (a missing property is its own group), draft / finalized /
all, customer and time filters; hostile text is only ever a name or a value; the chart is a
PNG. Spend is fiat per fiat type: a customer priced in GPU credits (rules 7b's VOLUME ladder at
2.5 cents a credit) and in cents gets one fiat figure, a customer on a EUR_CENTS card its own,
and re-price rows add amounts but no quantity. The command line says in one line when there
is nothing to show (an unknown customer or property key, an empty selection), when there is no
warehouse and when a build holds it."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import duckdb
import pytest
import scenario as shared
from dbt_runner import PROJECT_DIR
from rated_events_tools import spend
from rated_events_tools.cli import open_reader
from scenario import Scenario, event
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


JAN1 = "2026-01-01T00:00:00Z"
# rules 7b: GPU hours 0 -> 5 -> 15 -> 105 in January on a VOLUME ladder in GPU_CREDITS
GPU_HOURS = [
    ("2026-01-20T08:00:00Z", 5),
    ("2026-01-21T08:00:00Z", 10),
    ("2026-01-22T08:00:00Z", 90),
]


def add_credit_types(scenario: Scenario) -> None:
    """Customer sp-gpu (card sp-r2: USD_CENTS, GPU_CREDITS at 2.5 cents): GPU hours priced in
    GPU_CREDITS as in rules 7b and tokens in cents (100 per million) on the same days;
    customer sp-eur (card sp-reur, fiat EUR_CENTS): tokens at 10 euro cents per million."""
    scenario.customers += [shared.customer("sp-gpu"), shared.customer("sp-eur")]
    scenario.billable_metrics.append(
        shared.metric("sp-m-gpu", event_types=["sp-gpu"], key="gpu_seconds")
    )
    scenario.products.append(shared.product("sp-p-gpu", "sp-m-gpu", conversion=("DIVIDE", 3600)))
    scenario.rate_cards += [
        shared.rate_card("sp-r2", conversions=[shared.conversion("GPU_CREDITS", "2.5")]),
        shared.rate_card("sp-reur", fiat="EUR_CENTS"),
    ]
    scenario.rates += [
        shared.rate(
            "sp-r2",
            "sp-p-gpu",
            start=JAN1,
            tiers=[{"size": 10, "price": 40}, {"size": 90, "price": 30}, {"price": 20}],
            rate_type="VOLUME",
            credit_type_id="GPU_CREDITS",
        ),
        shared.rate("sp-r2", "k7-p", start=JAN1, price=100),
        shared.rate("sp-reur", "k7-p", start=JAN1, price=10),
    ]
    scenario.contracts += [
        shared.contract("sp-ct-gpu", "sp-gpu", "sp-r2", start=JAN1),
        shared.contract("sp-ct-eur", "sp-eur", "sp-reur", start=JAN1),
    ]
    rows = []
    for i, (stamp, hours) in enumerate(GPU_HOURS):
        received = stamp.replace(":00Z", ":09Z")
        props = {"gpu_seconds": hours * 3600, "region": "eu"}
        rows.append(event(f"sp-gpu-{i}", "sp-gpu", "sp-gpu", stamp, props, received))
        tokens = {"tokens": 1_000_000, "region": "eu"}
        rows.append(event(f"sp-tok-{i}", "sp-gpu", "k7-llm", stamp, tokens, received))
        rows.append(event(f"sp-eur-{i}", "sp-eur", "k7-llm", stamp, tokens, received))
    scenario.add_events(rows, "events-credit-types.parquet")


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
    add_credit_types(scenario)
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
    cuts += [
        (["customer_id", "product_id", "fiat_credit_type_id", "credit_type_id"], "day", "all", None)
    ]
    cuts += [(["customer_id"], "month", "finalized", None)]
    cuts += [(["customer_id", "credit_type_id"], "month", "finalized", None)]
    cuts += [(["product_id"], "month", "all", None)]
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
    """The cut's rows from the marts: per (period, dimensions, fiat type) the credit type (None
    where several; absent when a dimension), fiat spend and its parts, the amounts in the credit
    type (None where several), quantity of USAGE and ROUNDING_ADJUSTMENT rows, rated rows and
    usage events."""
    import json

    rows = run.query_dicts(
        "select *, 'F' as mart from fct_rated_events_finalized "
        "union all by name select *, 'D' as mart from fct_rated_events_draft"
    )
    groups: dict[tuple, list] = defaultdict(list)
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
        if "fiat_credit_type_id" not in dims:
            key += (row["fiat_credit_type_id"],)
        groups[key].append(row)
    return {key: measures(members, "credit_type_id" in dims) for key, members in groups.items()}


def measures(members: list[dict], credit_type_named: bool) -> tuple:
    def total(column: str, overage: bool | None = None) -> Decimal:
        return sum(
            (
                r[column]
                for r in members
                if overage is None or (r["coverage"] == "OVERAGE") == overage
            ),
            Decimal(0),
        )

    types = {r["credit_type_id"] for r in members}
    single = credit_type_named or len(types) == 1
    head = () if credit_type_named else ((min(types) if len(types) == 1 else None),)
    amounts = (total("amount"), total("amount", True), total("amount", False))
    return (
        *head,
        total("fiat_amount"),
        total("fiat_amount", True),
        total("fiat_amount", False),
        *(amounts if single else (None, None, None)),
        sum(
            (r["quantity"] for r in members if r["component"] in ("USAGE", "ROUNDING_ADJUSTMENT")),
            Decimal(0),
        ),
        len(members),
        len({r["event_id"] for r in members}),
    )


def key_columns(dims: list[str]) -> list[str]:
    """What a cut's rows are keyed by: period, dimensions and the fiat type."""
    return [
        "period_start",
        *dims,
        *(["fiat_credit_type_id"] if "fiat_credit_type_id" not in dims else []),
    ]


def actual(run, dims, grain, **filters):
    with open_reader(run.db_path) as connection:
        headers, rows = spend.spend(connection, dims, grain, **filters)
    keys = key_columns(dims)
    head = [] if "credit_type_id" in dims else ["credit_type_id"]
    assert headers == [*keys, *head, *spend.MEASURES]
    return {tuple(row[: len(keys)]): tuple(row[len(keys) :]) for row in rows}


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
    # the sums add up (credit type and the amounts in it are not sums: checked in the cuts)
    sums = slice(1, 4), slice(7, 10)
    every = actual(warehouse, ["region"], "month")
    parts = defaultdict(lambda: [0] * 6)
    for status in ("draft", "finalized"):
        for key, values in actual(warehouse, ["region"], "month", status=status).items():
            summed = [v for part in sums for v in values[part]]
            parts[key] = [a + b for a, b in zip(parts[key], summed, strict=True)]
    assert {key: tuple(v) for key, v in parts.items()} == {
        key: tuple(v for part in sums for v in values[part]) for key, values in every.items()
    }
    assert any(key[1] is None for key in every)  # events without region: a group of their own


def test_command_line_and_the_dbt_built_rollup_return_the_same_rows(warehouse):
    # rpt_spend_by_customer_product_day is spend_rollup('day', [customer_id, product_id,
    # fiat_credit_type_id, credit_type_id]) built by dbt; the command line compiles the same call
    dims = ["customer_id", "product_id", "fiat_credit_type_id", "credit_type_id"]
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
        cut = actual(warehouse, [text], "day")
        # the fiat amount (after the credit type) of every group
        assert all(values[1] is not None for values in cut.values())
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
    assert lines[0].split() == [
        "period_start",
        "region",
        "model",
        *spend.CREDIT_TYPE_COLUMNS,
        *spend.MEASURES,
    ]
    # Jan 5: k7-e1 at 00:00 (no region, no model: 4 units x 200 = 800), then at 10:00 the eu
    # event (1 unit, still in tier 1 at 200) and the us one; all in cents
    body = [line.split() for line in lines[2:]]
    cents = ["USD_CENTS", "USD_CENTS"]
    assert body[0][:6] == ["2026-01-05T00:00:00Z", "-", "-", *cents, "800"]
    assert body[1][:6] == ["2026-01-05T10:00:00Z", "eu", "m1", *cents, "200"]
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


# --------------------------------------------------------------------------------------------
# Credit types: fiat spend per fiat type
# --------------------------------------------------------------------------------------------


def printed(*args: str, db) -> list[dict]:
    """The command line's table as dicts of printed text."""
    result = run_spend("--db", str(db), *args)
    assert result.returncode == 0, result.stderr
    headers, _, *body = result.stdout.splitlines()
    return [dict(zip(headers.split(), line.split(), strict=True)) for line in body]


def test_cli_reports_fiat_spend_per_fiat_type(warehouse):
    rows = printed(
        "--by", "customer_id", "--grain", "month", "--status", "finalized", db=warehouse.db_path
    )
    by_customer = {row["customer_id"]: row for row in rows}
    # rules 7b: V(105) = 2,100 GPU credits at 2.5 cents = 5,250 cents; plus 3 x 1M tokens at
    # 100 cents = 300 cents
    gpu = by_customer["sp-gpu"]
    assert gpu["fiat_credit_type_id"] == "USD_CENTS" and gpu["fiat_amount"] == "5550"
    # GPU credits and cents: no amount in credit units, no single credit type
    assert gpu["credit_type_id"] == "-" and gpu["amount"] == "-"
    # quantity: 105 GPU hours and 3 token units; the re-price rows' 5 + 15 hours are not units
    assert gpu["quantity"] == "108"
    # euro cents never add to dollar cents: a row of their own, 3 x 10
    euro = by_customer["sp-eur"]
    assert euro["fiat_credit_type_id"] == "EUR_CENTS" and euro["fiat_amount"] == "30"
    assert euro["credit_type_id"] == "EUR_CENTS" and euro["amount"] == "30"
    # a fiat-only customer reads as before: amount = fiat amount, in cents (rules 7: 2,500 and
    # the January events of this file's properties)
    k7 = by_customer["k7-cus"]
    assert k7["credit_type_id"] == "USD_CENTS" and k7["amount"] == k7["fiat_amount"]


def test_cli_reports_amounts_per_credit_type_when_asked(warehouse):
    rows = printed(
        "--by",
        "customer_id,credit_type_id",
        "--grain",
        "month",
        "--status",
        "finalized",
        db=warehouse.db_path,
    )
    gpu = {row["credit_type_id"]: row for row in rows if row["customer_id"] == "sp-gpu"}
    assert set(gpu) == {"GPU_CREDITS", "USD_CENTS"}
    assert gpu["GPU_CREDITS"]["amount"] == "2100" and gpu["GPU_CREDITS"]["fiat_amount"] == "5250"
    assert gpu["USD_CENTS"]["amount"] == gpu["USD_CENTS"]["fiat_amount"] == "300"
    assert all(row["fiat_credit_type_id"] == "USD_CENTS" for row in gpu.values())


def test_reprice_rows_add_spend_but_no_units(warehouse):
    headers, rows = spend_of(warehouse, ["product_id", "component"], "month")
    gpu = {
        row[headers.index("component")]: row
        for row in rows
        if row[headers.index("product_id")] == "sp-p-gpu"
    }
    # 5 x (30 - 40) and 15 x (20 - 30): -200 credits, -500 cents, and no units
    reprice = gpu["USAGE_REPRICE"]
    assert reprice[headers.index("amount")] == -200
    assert reprice[headers.index("fiat_amount")] == -500
    assert reprice[headers.index("quantity")] == 0
    assert gpu["USAGE"][headers.index("quantity")] == 105
