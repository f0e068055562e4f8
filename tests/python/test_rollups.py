"""Spend rollups (rules 5): the spend_rollup macro and the rpt_ views against sums computed in
Python from the rated events marts' rows.

One `dbt build` of a small scenario (two customers, a tiered and a flat product, a prepaid
commit and a credit, three monthly periods: January and February finalized at as_of, March
draft; events with ordinary and odd property keys), plus two customers on rate cards of their
own: one whose GPU product is a VOLUME rate in a custom pricing unit (GPU_CREDITS, 2.5 cents
each; re-price rows, a GPU_CREDITS credit) beside API calls in cents, and one whose card's fiat
type is EUR_CENTS. Spend is fiat per fiat type; amounts per credit type only where a group holds
one (or the cut names credit_type_id); quantity counts USAGE and ROUNDING_ADJUSTMENT rows.

Every macro call under test is compiled by one `dbt compile --inline` (the calls separated by
markers) and run read-only with duckdb; one call also goes through `dbt show --inline` as an
analyst would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import duckdb
import pytest
import scenario as shared
from dbt_runner import DBT, PROJECT_DIR, DbtRun
from scenario import Scenario, event, parse_utc

AS_OF = "2026-03-10T00:00:00Z"
MEASURES = (
    "fiat_amount",
    "fiat_overage_amount",
    "fiat_covered_amount",
    "amount",
    "overage_amount",
    "covered_amount",
    "quantity",
    "rated_event_count",
    "usage_event_count",
)
MONEY = "DECIMAL(38,12)"

# property keys a dimension or filter must survive: JSON path syntax, quotes of both kinds, a
# space, SQL injection, JSON pointer syntax, a leading '$', and the empty key
DOT_KEY = "a.b"
QUOTE_KEY = 'q"uote'
APOSTROPHE_KEY = "it's"
SPACE_KEY = "sp ace"
INJECTION_KEY = "x'); drop table fct_rated_events_draft; --"
POINTER_KEY = "/p~th"
DOLLAR_KEY = "$.region"
EMPTY_KEY = ""
ODD_KEYS = (
    DOT_KEY,
    QUOTE_KEY,
    APOSTROPHE_KEY,
    SPACE_KEY,
    INJECTION_KEY,
    POINTER_KEY,
    DOLLAR_KEY,
    EMPTY_KEY,
)


# --------------------------------------------------------------------------------------------
# Scenario
# --------------------------------------------------------------------------------------------


def configuration() -> Scenario:
    """Two customers on one rate card: tokens (per 1,000; priced by model, tiered for `big`) and
    API calls (COUNT, flat); customer a has a prepaid commit, customer b a credit."""
    scenario = Scenario(
        customers=[
            shared.customer("ru-a", name="Alpha"),
            shared.customer("ru-b", name="Beta"),
        ],
        billable_metrics=[
            shared.metric("ru-m-tokens", event_types=["ru-llm"], key="tokens", name="tokens"),
            shared.metric("ru-m-calls", event_types=["ru-api"], aggregation="COUNT", name="calls"),
        ],
        products=[
            shared.product(
                "ru-p-tokens",
                "ru-m-tokens",
                conversion=("DIVIDE", 1000),
                pricing_key=["model"],
                presentation_key=["region"],
                name="tokens",
            ),
            shared.product("ru-p-calls", "ru-m-calls", name="calls"),
        ],
        rate_cards=[shared.rate_card("ru-rc", name="rollups")],
    )
    for product_id, price, tiers, groups in (
        ("ru-p-tokens", "2.5", None, None),
        ("ru-p-tokens", None, [{"size": 10, "price": 5}, {"price": "3.25"}], {"model": "big"}),
        ("ru-p-calls", "0.1", None, None),
    ):
        scenario.rates.append(
            shared.rate(
                "ru-rc",
                product_id,
                start="2026-01-01T00:00:00Z",
                price=price,
                tiers=tiers,
                group_values=groups,
            )
        )
    for customer in ("a", "b"):
        scenario.contracts.append(
            shared.contract(
                f"ru-ct-{customer}", f"ru-{customer}", "ru-rc", start="2026-01-01T00:00:00Z"
            )
        )
    window = ("2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z")
    scenario.commits.append(
        shared.commit(
            "ru-commit",
            "ru-ct-a",
            "ru-p-tokens",
            [shared.schedule_item("ru-commit-s", 40, *window)],
            name="commit",
        )
    )
    scenario.credits.append(
        shared.credit(
            "ru-credit",
            "ru-ct-b",
            "ru-p-tokens",
            [shared.schedule_item("ru-credit-s", "15.5", *window)],
            name="credit",
        )
    )
    add_credit_types(scenario, window)
    return scenario


# custom pricing unit: what one GPU credit is worth in cents on the GPU card
GPU_CENTS = Decimal("2.5")
# (rate card, credit type) -> fiat per credit: the scenario's conversions, the oracle of fiat
FIAT_PER_CREDIT = {
    ("ru-rc", "USD_CENTS"): Decimal(1),
    ("ru-rc-gpu", "USD_CENTS"): Decimal(1),
    ("ru-rc-gpu", "GPU_CREDITS"): GPU_CENTS,
    ("ru-rc-eur", "EUR_CENTS"): Decimal(1),
}
CARD_OF_CUSTOMER = {"ru-a": "ru-rc", "ru-b": "ru-rc", "ru-c": "ru-rc-gpu", "ru-d": "ru-rc-eur"}


def add_credit_types(scenario: Scenario, window: tuple[str, str]) -> None:
    """Customer c: GPU hours on a VOLUME rate in GPU_CREDITS (tiers 10 at 40, 90 at 30, then 20)
    and API calls in cents on the same card, with a GPU_CREDITS credit; customer d: API calls on
    a card whose fiat type is EUR_CENTS."""
    scenario.customers += [
        shared.customer("ru-c", name="Gamma"),
        shared.customer("ru-d", name="Delta"),
    ]
    scenario.billable_metrics.append(
        shared.metric("ru-m-gpu", event_types=["ru-gpu"], key="gpu_seconds", name="gpu")
    )
    scenario.products.append(
        shared.product("ru-p-gpu", "ru-m-gpu", conversion=("DIVIDE", 3600), name="gpu")
    )
    scenario.rate_cards += [
        shared.rate_card(
            "ru-rc-gpu", name="gpu", conversions=[shared.conversion("GPU_CREDITS", "2.5")]
        ),
        shared.rate_card("ru-rc-eur", name="euro", fiat="EUR_CENTS"),
    ]
    start = "2026-01-01T00:00:00Z"
    scenario.rates += [
        shared.rate(
            "ru-rc-gpu",
            "ru-p-gpu",
            start=start,
            tiers=[{"size": 10, "price": 40}, {"size": 90, "price": 30}, {"price": 20}],
            rate_type="VOLUME",
            credit_type_id="GPU_CREDITS",
        ),
        shared.rate("ru-rc-gpu", "ru-p-calls", start=start, price="0.3"),
        shared.rate("ru-rc-eur", "ru-p-calls", start=start, price="0.2"),
    ]
    scenario.contracts += [
        shared.contract("ru-ct-c", "ru-c", "ru-rc-gpu", start=start),
        shared.contract("ru-ct-d", "ru-d", "ru-rc-eur", start=start),
    ]
    scenario.credits.append(
        shared.credit(
            "ru-gpu-credit",
            "ru-ct-c",
            "ru-p-gpu",
            [shared.schedule_item("ru-gpu-credit-s", 500, *window)],
            credit_type_id="GPU_CREDITS",
            name="gpu credit",
        )
    )


def stamp(month: int, day: int, hour: int, minute: int, second: int = 0) -> str:
    return f"2026-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"


def events() -> list[dict]:
    rows = []
    regions = ["us", "eu", "ap", None, "MISSING"]  # None: a JSON null; MISSING: no key
    models = ["small", "big", "small", "MISSING"]
    for i in range(48):
        month = 1 + i % 3
        day = 1 + (i * 5) % 9  # March stays before as_of
        # pairs of events in the same minute, some in the same hour
        hour, minute = (i // 2) % 5, (i // 2) % 3 * 20
        customer = "ru-a" if i % 4 < 2 else "ru-b"
        properties: dict = {"tokens": 1000 * (1 + i % 7)}
        if regions[i % 5] != "MISSING":
            properties["region"] = regions[i % 5]
        if models[i % 4] != "MISSING":
            properties["model"] = models[i % 4]
        properties["status"] = "ok" if i % 3 else "error"  # a property named like a mart column
        properties["size"] = [5, 5.0, "5", 2.50][i % 4]  # all read "5", except 2.50 -> "2.5"
        properties[ODD_KEYS[i % len(ODD_KEYS)]] = f"v{i % 3}"
        if i % 6 == 0:
            properties[DOT_KEY] = "dotted"
        rows.append(
            event(
                f"ru-llm-{i}",
                customer,
                "ru-llm",
                stamp(month, day, hour, minute, i % 50),
                properties,
                parse_utc(stamp(month, day, hour, minute, i % 50)) + timedelta(minutes=2),
            )
        )
    # repeated keys: the last one wins (rules 8), in rating and in rollups alike
    for i, text in enumerate(
        [
            '{"tokens": 4000, "region": "us", "model": "small", "region": "eu", "sp ace": 1}',
            '{"tokens": 2000, "region": "ap", "region": null, "a.b": "x", "a.b": "y"}',
        ]
    ):
        rows.append(
            event(f"ru-dup-{i}", "ru-a", "ru-llm", stamp(2, 3, 7, 7), text, stamp(2, 3, 7, 9))
        )
    # customer c: GPU hours through the VOLUME tiers each month (5 -> 15 -> 105 hours in
    # January: re-price rows, one crossing the credit's end), API calls in cents on the same
    # days; customer d: API calls in EUR_CENTS
    for month, day, hours in ((1, 5, 5), (1, 6, 10), (1, 7, 90), (3, 2, 12), (3, 3, 3)):
        rows.append(
            event(
                f"ru-gpu-{month}-{day}",
                "ru-c",
                "ru-gpu",
                stamp(month, day, 8, 0),
                {"gpu_seconds": hours * 3600, "region": "eu", "model": "big"},
                stamp(month, day, 8, 1),
            )
        )
        for customer in ("ru-c", "ru-d"):
            rows.append(
                event(
                    f"ru-api-{customer}-{month}-{day}",
                    customer,
                    "ru-api",
                    stamp(month, day, 9, 0),
                    {"endpoint": "/v1/chat", "region": "eu", "status": "ok"},
                    stamp(month, day, 9, 1),
                )
            )
    for i in range(12):
        rows.append(
            event(
                f"ru-api-{i}",
                "ru-b" if i % 3 else "ru-a",
                "ru-api",
                stamp(1 + i % 3, 2 + i % 5, 10, 5 * i),
                {"endpoint": ["/v1/chat", "/v1/files"][i % 2], "region": "eu", "status": "ok"},
                stamp(1 + i % 3, 2 + i % 5, 10, 5 * i + 1),
            )
        )
    return rows


@pytest.fixture(scope="module")
def warehouse(build_green) -> DbtRun:
    scenario = configuration()
    scenario.add_events(events())
    return build_green("rollups", scenario, AS_OF)


# --------------------------------------------------------------------------------------------
# The reference: sums in Python over the marts' rows
# --------------------------------------------------------------------------------------------


def canonical_number(text: str) -> str:
    """The comparison text (rules 8) of a JSON number (exact for the scenario's small values)."""
    value = Decimal(text).normalize()
    return format(value, "f") if value != value.to_integral() else str(int(value))


def property_text(properties: str, key: str) -> str | None:
    """A property's text as the rollups read it: strings as is, numbers canonical, JSON null or
    absent -> None, the last of repeated keys."""
    value = json.loads(properties, parse_float=str, parse_int=str).get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    raw = json.loads(properties).get(key)
    return value if isinstance(raw, str) else canonical_number(value)


def truncate(moment: datetime, grain: str | None) -> datetime | None:
    if grain is None:
        return None
    if grain == "minute":
        return moment.replace(second=0, microsecond=0)
    if grain == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def mart_rows(run: DbtRun) -> list[dict]:
    columns = (
        "status, event_timestamp, customer_id, contract_id, product_id, invoice_id, "
        "billing_period_start, billing_period_end, credit_type_id, fiat_credit_type_id, "
        "coverage, event_type, component, "
        "cast(pricing_group_values as varchar) as pricing_group_values, "
        "cast(properties as varchar) as properties, amount, fiat_amount, quantity, event_id"
    )
    return run.query_dicts(
        f"select {columns} from fct_rated_events_draft "
        f"union all select {columns} from fct_rated_events_finalized"
    )


def field_value(row: dict, field) -> str | None:
    """A dimension or filter of the macro's spec language, read from a mart row."""
    if isinstance(field, dict):
        if "property" in field:
            return property_text(row["properties"], field["property"])
        if "pricing_group" in field:
            groups = row["pricing_group_values"]
            return None if groups is None else json.loads(groups).get(field["pricing_group"])
        return row[field["column"]]
    return row[field] if field in row else property_text(row["properties"], field)


def names_credit_type(dimensions: list) -> bool:
    return "credit_type_id" in dimensions


def group_key_columns(dimensions: list) -> list:
    """The columns a rollup groups by after the dimensions: the fiat type, unless named."""
    return [] if "fiat_credit_type_id" in dimensions else ["fiat_credit_type_id"]


def sums(members: list[dict], credit_type_named: bool) -> tuple:
    """A group's values after its key: the credit type (unless a dimension), fiat spend and its
    parts, the amounts in the credit type (None where the group holds several), quantity of
    USAGE and ROUNDING_ADJUSTMENT rows, rated rows and usage events."""

    def total(column: str, coverage=None) -> Decimal:
        return sum(
            (
                r[column]
                for r in members
                if coverage is None or (r["coverage"] == "OVERAGE") == (coverage == "OVERAGE")
            ),
            Decimal(0),
        )

    types = {r["credit_type_id"] for r in members}
    single = credit_type_named or len(types) == 1
    head = () if credit_type_named else ((next(iter(types)) if len(types) == 1 else None),)
    amounts = (
        (total("amount"), total("amount", "OVERAGE"), total("amount", "COVERED"))
        if single
        else (None, None, None)
    )
    return (
        *head,
        total("fiat_amount"),
        total("fiat_amount", "OVERAGE"),
        total("fiat_amount", "COVERED"),
        *amounts,
        sum((r["quantity"] for r in members if r["component"] in COUNTED_COMPONENTS), Decimal(0)),
        len(members),
        len({r["event_id"] for r in members}),
    )


COUNTED_COMPONENTS = ("USAGE", "ROUNDING_ADJUSTMENT")


def expected(
    rows: list[dict], grain, dimensions: list, status: str = "all", filters=None
) -> dict[tuple, tuple]:
    wanted = {"all": ("DRAFT", "FINALIZED"), "draft": ("DRAFT",), "finalized": ("FINALIZED",)}
    conditions = []
    for field, values in (filters or {}).items():
        allowed = values if isinstance(values, list) else [values]
        conditions.append((field, [None if v is None else str(v) for v in allowed]))
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        if row["status"] not in wanted[status]:
            continue
        if any(field_value(row, field) not in allowed for field, allowed in conditions):
            continue
        key = tuple(field_value(row, dimension) for dimension in dimensions)
        key += tuple(row[column] for column in group_key_columns(dimensions))
        period = truncate(row["event_timestamp"], grain)
        groups[(() if grain is None else (period,)) + key].append(row)
    return {key: sums(members, names_credit_type(dimensions)) for key, members in groups.items()}


def value(values: tuple, dimensions: list, measure: str):
    """One measure of a group's values (as `sums` orders them)."""
    offset = 0 if names_credit_type(dimensions) else 1
    return values[offset + MEASURES.index(measure)]


# --------------------------------------------------------------------------------------------
# Running the macro
# --------------------------------------------------------------------------------------------

MARKER = "-- rollup case boundary"


def dbt_env(run: DbtRun) -> dict[str, str]:
    return {
        **os.environ,
        "RATED_EVENTS_DB": str(run.db_path),
        "DBT_LOG_PATH": str(run.db_path.parent / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_command(run: DbtRun, *args: str) -> subprocess.CompletedProcess:
    command = [
        str(DBT),
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(run.db_path.parent / "target"),
        "--vars",
        json.dumps({"as_of": AS_OF}),
        "--quiet",
        "--output",
        "json",
    ]
    return subprocess.run(
        command, cwd=PROJECT_DIR, env=dbt_env(run), capture_output=True, text=True, check=False
    )


def json_output(completed: subprocess.CompletedProcess) -> dict:
    """The JSON document `--quiet --output json` prints."""
    return json.loads(completed.stdout[completed.stdout.index("{") :])


def jinja(value) -> str:
    """A Python value as a Jinja literal (JSON is Jinja, except for null -> none)."""
    if value is None:
        return "none"
    if isinstance(value, list):
        return "[" + ", ".join(jinja(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{jinja(k)}: {jinja(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def macro_call(grain, dimensions, status="all", filters=None) -> str:
    return (
        f"{{{{ spend_rollup({jinja(grain)}, {jinja(dimensions)}, status={jinja(status)}, "
        f"filters={jinja(filters)}) }}}}"
    )


def compile_inline(run: DbtRun, sql: str) -> subprocess.CompletedProcess:
    return dbt_command(run, "compile", "--inline", sql)


def compiled_text(completed: subprocess.CompletedProcess) -> str:
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return json_output(completed)["compiled"]


def result_map(run: DbtRun, sql: str, grain, dimensions) -> dict[tuple, tuple]:
    with duckdb.connect(str(run.db_path), read_only=True) as connection:
        cursor = connection.execute(sql)
        names = [column[0] for column in cursor.description]
        types = {column[0]: str(column[1]) for column in cursor.description}
        rows = cursor.fetchall()
    width = len(dimensions) + (0 if grain is None else 1) + len(group_key_columns(dimensions))
    head = [] if names_credit_type(dimensions) else ["credit_type_id"]
    assert names[width:] == head + list(MEASURES)
    for measure in MEASURES[:-2]:
        assert types[measure] == MONEY, types
    result = {}
    for row in rows:
        assert tuple(row[:width]) not in result
        result[tuple(row[:width])] = tuple(row[width:])
    return result


# grain, dimensions, status, filters
CASES = [
    ("day", ["customer_id", "region"], "all", None),
    ("minute", ["customer_id"], "all", None),
    ("hour", ["product_id", "model"], "draft", None),
    ("week", ["customer_id", "coverage"], "finalized", None),
    ("month", ["customer_id", "product_id", "credit_type_id"], "finalized", None),
    (None, ["contract_id", "billing_period_start", "billing_period_end", "status"], "all", None),
    ("month", ["size"], "all", None),
    ("day", [{"pricing_group": "model"}, "pricing_group_values"], "all", None),
    ("month", [{"property": "status", "name": "api_status"}, "status"], "all", None),
    ("month", [{"column": "event_type"}], "all", {"region": ["eu", None]}),
    ("day", ["region"], "all", {"customer_id": "ru-a", "model": ["big", "small"]}),
    ("hour", [], "all", {"coverage": "OVERAGE", "size": 5}),
    ("month", [], "draft", {"region": []}),
    (None, ["customer_id"], "all", {DOT_KEY: "dotted"}),
    *[
        ("month", [{"property": key, "name": f"odd_{n}"}], "all", None)
        for n, key in enumerate(ODD_KEYS)
    ],
    *[("day", [key], "all", None) for key in ODD_KEYS if key],
    *[("month", ["customer_id"], "all", {key: ["v1", "v2"]}) for key in ODD_KEYS if key],
]


@pytest.fixture(scope="module")
def compiled_cases(warehouse) -> list[str]:
    calls = [macro_call(*case) for case in CASES]
    text = compiled_text(compile_inline(warehouse, f"\n{MARKER}\n".join(calls)))
    parts = text.split(MARKER)
    assert len(parts) == len(CASES)
    return parts


@pytest.mark.parametrize("index", range(len(CASES)))
def test_macro_matches_python_sums(warehouse, compiled_cases, index):
    grain, dimensions, status, filters = CASES[index]
    rows = mart_rows(warehouse)
    actual = result_map(warehouse, compiled_cases[index], grain, dimensions)
    wanted = expected(rows, grain, dimensions, status, filters)
    assert actual == wanted
    if filters is None and wanted:
        # the cases cover real data: more than one group, and every row is counted
        total = expected(rows, None, [], status)
        counted = sum(value(v, dimensions, "rated_event_count") for v in wanted.values())
        assert counted == sum(value(v, [], "rated_event_count") for v in total.values())


def test_scenario_has_what_the_cases_need(warehouse):
    rows = mart_rows(warehouse)
    assert {r["status"] for r in rows} == {"DRAFT", "FINALIZED"}
    assert {r["coverage"] for r in rows} >= {"OVERAGE", "PREPAID_COMMIT", "CREDIT"}
    assert len(rows) > len({r["event_id"] for r in rows})  # tiers and splits
    for key in ODD_KEYS:
        assert any(property_text(r["properties"], key) for r in rows), key
    # repeated keys: the last one wins
    dup = [r for r in rows if r["properties"].count('"region"') == 2]
    assert {property_text(r["properties"], "region") for r in dup} == {"eu", None}


def test_odd_keys_are_named_by_the_key(warehouse, compiled_cases):
    index = CASES.index(("day", [QUOTE_KEY], "all", None))
    with duckdb.connect(str(warehouse.db_path), read_only=True) as connection:
        names = [c[0] for c in connection.execute(compiled_cases[index]).description]
    assert names[:2] == ["period_start", QUOTE_KEY]
    # the injection-like key was only ever a literal: the mart is still there
    assert warehouse.query("select count(*) from fct_rated_events_draft")[0][0] > 0


def test_dbt_show_inline(warehouse):
    completed = dbt_command(
        warehouse,
        "show",
        "--inline",
        macro_call("month", ["customer_id"], "all", None),
        "--limit",
        "100",
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    shown = json_output(completed)["show"]
    wanted = expected(mart_rows(warehouse), "month", ["customer_id"])
    assert len(shown) == len(wanted)
    for row in shown:
        period = datetime.fromisoformat(str(row["period_start"]).replace("Z", ""))
        values = wanted[(period, row["customer_id"], row["fiat_credit_type_id"])]
        assert Decimal(str(row["fiat_amount"])) == value(values, [], "fiat_amount")


# compiles several inline queries in one dbt process (each a separate dbt invocation; partial
# parsing makes the later ones quick) and prints, per query, whether it compiled and dbt's messages
COMPILE_EACH = """
import json, sys
from dbt.cli.main import dbtRunner
args, queries = json.loads(sys.argv[1]), json.loads(sys.argv[2])
results = []
for query in queries:
    messages = []
    runner = dbtRunner(callbacks=[lambda event: messages.append(event.info.msg)])
    result = runner.invoke(["compile", "--inline", query, *args])
    results.append({"success": result.success, "messages": "\\n".join(messages)})
print(json.dumps(results))
"""

BAD_CALLS = [
    ("spend_rollup('fortnight', ['customer_id'])", 'unknown grain "fortnight"'),
    ("spend_rollup('day', ['customer_id'], status='void')", 'unknown status "void"'),
    ("spend_rollup('day', [{'column': 'no_such_column'}])", "is not a rated events column"),
    ("spend_rollup('day', ['amount'])", 'two output columns would be named "amount"'),
    ("spend_rollup('day', ['fiat_amount'])", 'two output columns would be named "fiat_amount"'),
    (
        "spend_rollup('day', [{'property': 'x', 'name': 'credit_type_id'}])",
        'two output columns would be named "credit_type_id"',
    ),
    ("spend_rollup('day', ['region', 'REGION'])", "two output columns would be named"),
    ("spend_rollup('day', [''])", "an empty property key needs a name"),
    ("spend_rollup('day', [{'property': 'a', 'column': 'b'}])", "exactly one of"),
    ("spend_rollup('day', [], filters='region')", "filters must be"),
]


def test_bad_arguments_fail_at_compile_time(warehouse):
    args = [
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(warehouse.db_path.parent / "target"),
        "--vars",
        json.dumps({"as_of": AS_OF}),
    ]
    queries = ["{{ " + call + " }}" for call, _ in BAD_CALLS]
    completed = subprocess.run(
        [str(DBT.parent / "python"), "-c", COMPILE_EACH, json.dumps(args), json.dumps(queries)],
        cwd=PROJECT_DIR,
        env=dbt_env(warehouse),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    for (call, message), result in zip(BAD_CALLS, results, strict=True):
        assert not result["success"], call
        assert message in result["messages"], (call, result["messages"][-2000:])


# --------------------------------------------------------------------------------------------
# The ready views
# --------------------------------------------------------------------------------------------

VIEWS = {
    "rpt_spend_by_customer_product_day": (
        "day",
        ["customer_id", "product_id", "fiat_credit_type_id", "credit_type_id"],
        "all",
    ),
    "rpt_spend_by_customer_month_finalized": ("month", ["customer_id"], "finalized"),
    "rpt_spend_by_contract_billing_period": (
        None,
        [
            "customer_id",
            "contract_id",
            "invoice_id",
            "billing_period_start",
            "billing_period_end",
            "status",
        ],
        "all",
    ),
    "rpt_spend_by_product_pricing_group_hour": (
        "hour",
        ["product_id", "pricing_group_values", "fiat_credit_type_id", "credit_type_id"],
        "all",
    ),
}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_views_match_python_sums(warehouse, view):
    grain, dimensions, status = VIEWS[view]
    actual = result_map(warehouse, f"select * from {view}", grain, dimensions)
    assert actual == expected(mart_rows(warehouse), grain, dimensions, status)


def test_dimension_view_matches_python_sums(warehouse):
    rows = mart_rows(warehouse)
    keys = warehouse.query("select distinct dimension_key from rpt_spend_by_dimension_day")
    assert "region" in {k for (k,) in keys} and "status" in {k for (k,) in keys}
    for (key,) in keys:
        actual = result_map(
            warehouse,
            "select * exclude (dimension_key) from rpt_spend_by_dimension_day "
            f"where dimension_key = '{key}'",
            None,
            ["dimension_value", "period_start"],
        )
        wanted = {
            (text, period, fiat): measures
            for (period, text, fiat), measures in expected(rows, "day", [{"property": key}]).items()
        }
        assert actual == wanted, key


def test_rollups_reconcile_with_the_invoices(warehouse):
    # the billing-period view's fiat spend per invoice is the invoice's USAGE lines' fiat
    # amounts (each rounded on its own, so to the tolerance), in the invoice's credit type
    mismatches = warehouse.query(
        """
        select rollup.invoice_id, rollup.fiat_amount, lines.fiat_amount
        from rpt_spend_by_contract_billing_period as rollup
        inner join fct_invoices as invoices on rollup.invoice_id = invoices.invoice_id
        left join (
            select invoice_id, sum(fiat_amount) as fiat_amount
            from fct_invoice_line_items where line_type = 'USAGE' group by invoice_id
        ) as lines on rollup.invoice_id = lines.invoice_id
        where abs(rollup.fiat_amount - coalesce(lines.fiat_amount, 0)) > 0.000001
            or rollup.fiat_credit_type_id <> invoices.credit_type_id
        """
    )
    assert mismatches == []
    assert warehouse.query(
        "select count(*) from rpt_spend_by_contract_billing_period "
        "where credit_type_id is null and fiat_credit_type_id = 'USD_CENTS'"
    ) != [(0,)]  # an invoice of GPU credits and cents is one row, in fiat


# --------------------------------------------------------------------------------------------
# Credit types: spend is fiat per fiat type, amounts per credit type, units without re-prices
# --------------------------------------------------------------------------------------------

CREDIT_TYPE_CASES = [
    ("month", ["customer_id"], "all", None),
    ("day", ["customer_id", "credit_type_id"], "all", None),
    (None, [], "all", None),
    (None, ["component"], "all", {"customer_id": "ru-c"}),
    (None, ["customer_id", "product_id"], "all", None),
]


@pytest.fixture(scope="module")
def credit_type_cuts(warehouse) -> list[dict]:
    """Each case as {key: {column: value}}: the key is period and dimensions plus the fiat type
    (unless a dimension)."""
    calls = [macro_call(*case) for case in CREDIT_TYPE_CASES]
    text = compiled_text(compile_inline(warehouse, f"\n{MARKER}\n".join(calls)))
    cuts = []
    with duckdb.connect(str(warehouse.db_path), read_only=True) as connection:
        for (grain, dimensions, _, _), sql in zip(
            CREDIT_TYPE_CASES, text.split(MARKER), strict=True
        ):
            cursor = connection.execute(sql)
            names = [column[0] for column in cursor.description]
            width = len(dimensions) + (grain is not None) + len(group_key_columns(dimensions))
            cuts.append(
                {
                    tuple(row[:width]): dict(zip(names, row, strict=True))
                    for row in cursor.fetchall()
                }
            )
    return cuts


def test_credit_type_scenario_has_what_the_cases_need(warehouse):
    rows = [r for r in mart_rows(warehouse) if r["customer_id"] in ("ru-c", "ru-d")]
    assert {r["credit_type_id"] for r in rows} == {"GPU_CREDITS", "USD_CENTS", "EUR_CENTS"}
    assert {r["component"] for r in rows} >= {"USAGE", "USAGE_REPRICE"}
    assert {r["status"] for r in rows} == {"DRAFT", "FINALIZED"}
    assert any(r["coverage"] == "CREDIT" and r["credit_type_id"] == "GPU_CREDITS" for r in rows)


@pytest.mark.parametrize("index", range(len(CREDIT_TYPE_CASES)))
def test_credit_type_cuts_match_python_sums(warehouse, credit_type_cuts, index):
    grain, dimensions, status, filters = CREDIT_TYPE_CASES[index]
    wanted = expected(mart_rows(warehouse), grain, dimensions, status, filters)
    head = [] if names_credit_type(dimensions) else ["credit_type_id"]
    got = {
        key: tuple(row[name] for name in head + list(MEASURES))
        for key, row in credit_type_cuts[index].items()
    }
    assert got == wanted


def test_fiat_spend_converts_custom_units_by_the_rate_card(warehouse, credit_type_cuts):
    # oracle: each rated row's amount times its rate card's fiat per credit (the scenario's
    # conversions), added per (month, customer); every row's fiat amount is rounded on its own
    converted: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in mart_rows(warehouse):
        factor = FIAT_PER_CREDIT[(CARD_OF_CUSTOMER[row["customer_id"]], row["credit_type_id"])]
        fiat = row["fiat_credit_type_id"]
        converted[(truncate(row["event_timestamp"], "month"), row["customer_id"], fiat)] += (
            row["amount"] * factor
        )
    by_month = credit_type_cuts[0]
    assert set(by_month) == set(converted)
    for key, cut in by_month.items():
        assert abs(cut["fiat_amount"] - converted[key]) <= Decimal("0.000001"), key


def test_a_custom_unit_row_and_a_cents_row_add_up_in_fiat(warehouse, credit_type_cuts):
    by_day = credit_type_cuts[1]  # (day, customer, credit type, fiat type)
    by_month = credit_type_cuts[0]  # (month, customer, fiat type)
    january = datetime(2026, 1, 1)
    gpu = [
        v
        for k, v in by_day.items()
        if k[1:3] == ("ru-c", "GPU_CREDITS") and k[0] < january.replace(month=2)
    ]
    cents = [
        v
        for k, v in by_day.items()
        if k[1:3] == ("ru-c", "USD_CENTS") and k[0] < january.replace(month=2)
    ]
    assert gpu and cents
    month = by_month[(january, "ru-c", "USD_CENTS")]
    # one fiat figure for the month: GPU credits at 2.5 cents plus the cents
    assert month["fiat_amount"] == sum(v["fiat_amount"] for v in gpu + cents)
    gpu_amount = sum(v["amount"] for v in gpu)
    cents_amount = sum(v["amount"] for v in cents)
    assert abs(month["fiat_amount"] - (gpu_amount * GPU_CENTS + cents_amount)) <= Decimal("1e-6")
    # the month mixes two credit types: no amount in credit units, no credit type
    assert month["credit_type_id"] is None and month["amount"] is None
    assert month["overage_amount"] is None and month["covered_amount"] is None
    assert month["fiat_amount"] == month["fiat_overage_amount"] + month["fiat_covered_amount"]
    # per credit type, the amounts are there, in their own unit, with the same fiat type
    assert all(v["fiat_credit_type_id"] == "USD_CENTS" for v in gpu + cents)
    assert all(v["amount"] == v["overage_amount"] + v["covered_amount"] for v in gpu + cents)


def test_two_fiat_currencies_never_add(warehouse, credit_type_cuts):
    everything = credit_type_cuts[2]  # no dimensions: one row per fiat type
    assert set(everything) == {("USD_CENTS",), ("EUR_CENTS",)}
    euro = everything[("EUR_CENTS",)]
    # only customer d's calls are in euro cents: 5 calls at 0.2
    assert euro["fiat_amount"] == euro["amount"] == Decimal("1.0")
    assert euro["credit_type_id"] == "EUR_CENTS"
    assert everything[("USD_CENTS",)]["credit_type_id"] is None  # cents and GPU credits


def test_reprice_rows_add_amount_but_no_quantity(warehouse, credit_type_cuts):
    by_component = credit_type_cuts[3]  # customer c, (component, fiat type)
    reprice = by_component[("USAGE_REPRICE", "USD_CENTS")]
    assert reprice["amount"] != 0 and reprice["fiat_amount"] == reprice["amount"] * GPU_CENTS
    assert reprice["quantity"] == 0
    assert reprice["rated_event_count"] > 0
    # the GPU product's quantity is the hours the events sent (seconds / 3,600), once
    by_product = credit_type_cuts[4]
    hours = sum(
        Decimal(json.loads(r["properties"])["gpu_seconds"]) / 3600
        for r in {
            r["event_id"]: r for r in mart_rows(warehouse) if r["product_id"] == "ru-p-gpu"
        }.values()
    )
    assert by_product[("ru-c", "ru-p-gpu", "USD_CENTS")]["quantity"] == hours == 120
    # and the re-price rows carry quantities of their own, which are not counted
    rows = [r for r in mart_rows(warehouse) if r["component"] == "USAGE_REPRICE"]
    assert sum(r["quantity"] for r in rows) > 0


def test_fiat_only_groups_are_unchanged(warehouse, compiled_cases):
    # customers a and b are fiat only: their groups hold what the rollups always held (amount
    # and quantity over every row), the fiat amount equals the amount, the credit type is fiat
    index = CASES.index(("day", ["customer_id", "region"], "all", None))
    with duckdb.connect(str(warehouse.db_path), read_only=True) as connection:
        cursor = connection.execute(compiled_cases[index])
        names = [column[0] for column in cursor.description]
        got = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    old: dict[tuple, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for row in mart_rows(warehouse):
        if row["customer_id"] in ("ru-a", "ru-b"):
            key = (
                truncate(row["event_timestamp"], "day"),
                row["customer_id"],
                property_text(row["properties"], "region"),
            )
            old[key][0] += row["amount"]
            old[key][1] += row["quantity"]
            old[key][2] += 1
    fiat_only = {
        (r["period_start"], r["customer_id"], r["region"]): r
        for r in got
        if r["customer_id"] in ("ru-a", "ru-b")
    }
    assert set(fiat_only) == set(old)
    for key, row in fiat_only.items():
        assert row["fiat_credit_type_id"] == row["credit_type_id"] == "USD_CENTS"
        assert row["amount"] == row["fiat_amount"] == old[key][0]
        assert row["quantity"] == old[key][1]
        assert row["rated_event_count"] == old[key][2]
