"""Spend by any dimension and time grain, for people who do not write SQL.

    .venv/bin/python scripts/spend.py --by region,model --grain day \\
        [--customer CUSTOMER_ID] [--from 2026-05-01] [--to 2026-06-01] \\
        [--status all|draft|finalized] [--chart spend.png] [--db warehouse/rated_events.duckdb]

Prints one row per (period, dimension values, fiat credit type): the fiat credit type (the rate
card's, e.g. USD_CENTS: two fiat currencies are never added), the credit type the events were
priced in, the fiat spend (fiat_amount, its overage part and the part commits and credits
covered: custom pricing units such as GPU_CREDITS converted, so they add up with cents), the
same amounts in that credit type (`-` where the row mixes credit types: add credit_type_id to
--by to see them per type), quantity (USAGE and rounding rows: re-price rows add no units),
rated events and usage events. `--by` takes mart columns
(customer_id, contract_id, product_id, coverage, ...) and event property keys, comma separated;
a property missing on an event is its own group (shown as `-`), never dropped; property values
read as rules 8 reads them (numbers in canonical form: `5.0` and `5` are one group). `--from`
is inclusive and `--to` exclusive, on the event timestamp (UTC unless a zone is given).
`--chart` draws the fiat spend per period, one line per (dimension group, fiat credit type)
(the largest ten), as a PNG.

The rows are those of the dbt macro `spend_rollup` (macros/rollups.sql), compiled by dbt (a few
seconds) and run read-only against the warehouse: the same cut as
`dbt show --target published --inline "{{ spend_rollup('day', ['region', 'model']) }}"`.
Every value is a quoted literal and every name a quoted identifier, by the macro.

`--db` defaults to $RATED_EVENTS_DB, else warehouse/rated_events.duckdb. Exit codes: 0 printed;
1 nothing to show, said in one line on stderr (a customer with no rated events, a property key
no rated event has, or no rated event in the selected period and status; no chart is drawn);
2 a bad argument, no warehouse, or another process (a running `dbt build`) holds it.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .cli import add_db_argument, open_reader, parser_for, render, table, utc_timestamp_arg
from .dbt_macros import call, compile_inline

GRAINS = ("minute", "hour", "day", "week", "month")
STATUSES = ("all", "draft", "finalized")
# spend_rollup's columns after period_start and the dimensions: the credit types (unless named
# among the dimensions), then the measures
CREDIT_TYPE_COLUMNS = ("fiat_credit_type_id", "credit_type_id")
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


def timestamp_text(moment: datetime | None) -> str | None:
    """A bound for spend_rollup: naive UTC text, as event_timestamp is stored."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ")


def cut_call(
    dimensions: list[str],
    grain: str,
    status: str,
    customer: str | None,
    start: datetime | None,
    end: datetime | None,
) -> str:
    """The Jinja call of spend_rollup for one cut."""
    if grain not in GRAINS:
        raise ValueError(f"--grain must be one of {', '.join(GRAINS)}")
    if status not in STATUSES:
        raise ValueError(f"--status must be one of {', '.join(STATUSES)}")
    return call(
        "spend_rollup",
        grain,
        list(dimensions),
        status=status,
        filters=None if customer is None else {"customer_id": [customer]},
        starting_at=timestamp_text(start),
        ending_before=timestamp_text(end),
    )


def run(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    cursor = connection.execute(sql)
    return [column[0] for column in cursor.description], cursor.fetchall()


def spend(
    connection: duckdb.DuckDBPyConnection,
    dimensions: list[str],
    grain: str = "day",
    status: str = "all",
    customer: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[list[str], list[tuple]]:
    """One cut (headers, rows), on a connection of cli.open_reader."""
    (sql,) = compile_inline([cut_call(dimensions, grain, status, customer, start, end)])
    return run(connection, sql)


def diagnostics_calls(dimensions: list[str], customer: str | None) -> list[str]:
    """What explains an empty or useless cut, compiled with it: the rollup's mart columns (as a
    JSON list), each dimension read as a property key over every rated event, and the
    customer's rated events."""
    calls = ["{{ rollup_mart_columns().keys() | list | tojson }}"]
    calls += [
        call("spend_rollup", None, [{"property": key, "name": "value"}]) for key in dimensions
    ]
    calls.append(call("spend_rollup", None, None, filters={"customer_id": [customer]}))
    return calls


def nothing_to_show(
    connection: duckdb.DuckDBPyConnection,
    dimensions: list[str],
    customer: str | None,
    rows: list[tuple],
    diagnostics: list[str],
) -> str | None:
    """Why a cut shows nothing useful, in one line: a property key no rated event has (every
    row would be `-`), a customer with no rated events, or no rows in the selection."""
    columns, *by_key, of_customer = diagnostics
    for key, sql in zip(dimensions, by_key, strict=True):
        if key in json.loads(columns):
            continue
        _, values = run(connection, sql)
        if all(value[0] is None for value in values):
            return f"no event has the property key {key!r}"
    if rows:
        return None
    if customer is not None:
        # one row per fiat credit type of the customer's rated events: none, none rated
        _, counts = run(connection, of_customer)
        if not counts:
            return f"no rated events for customer {customer!r}"
    return "no rated events in the selected period/status"


def chart(
    path: Path, headers: list[str], rows: list[tuple], dimensions: list[str], top: int = 10
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    # a line per dimension group and fiat type (two currencies are two lines)
    dims = list(dimensions)
    positions = list(range(1, 1 + len(dims)))
    if "fiat_credit_type_id" not in dims:
        dims.append("fiat_credit_type_id")
        positions.append(headers.index("fiat_credit_type_id"))
    spend_at = headers.index("fiat_amount")
    series: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row[position] for position in positions)
        series.setdefault(key, {})[row[0]] = float(row[spend_at])
    largest = sorted(series, key=lambda key: -sum(series[key].values()))[:top]
    figure, axes = pyplot.subplots(figsize=(9, 5), dpi=100)
    for key in largest:
        points = sorted(series[key].items())
        label = ", ".join(render(value) for value in key) or "total"
        axes.plot([p[0] for p in points], [p[1] for p in points], marker=".", label=label)
    axes.set_ylabel("fiat spend (fiat credit type units)")
    axes.set_title("spend by " + (", ".join(dims) or "period"))
    axes.grid(True, alpha=0.3)
    if largest:
        axes.legend(fontsize="small")
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = parser_for(__doc__)
    parser.add_argument(
        "--by",
        default="",
        help="comma-separated dimensions: mart columns or property keys (default: none)",
    )
    parser.add_argument("--grain", default="day", choices=GRAINS)
    parser.add_argument("--status", default="all", choices=STATUSES)
    parser.add_argument("--customer", help="one customer_id (default: every customer)")
    parser.add_argument("--from", dest="start", type=utc_timestamp_arg, help="inclusive, UTC")
    parser.add_argument("--to", dest="end", type=utc_timestamp_arg, help="exclusive, UTC")
    parser.add_argument("--chart", type=Path, help="also draw the fiat spend per period as a PNG")
    add_db_argument(parser)
    args = parser.parse_args(argv)
    # each dimension once, in the order given
    dimensions = list(dict.fromkeys(p.strip() for p in args.by.split(",") if p.strip()))
    if not args.db.is_file():  # say so before spending seconds on compiling
        open_reader(args.db)
    cut = cut_call(dimensions, args.grain, args.status, args.customer, args.start, args.end)
    sql, *diagnostics = compile_inline([cut, *diagnostics_calls(dimensions, args.customer)])
    with open_reader(args.db) as connection:
        headers, rows = run(connection, sql)
        problem = nothing_to_show(connection, dimensions, args.customer, rows, diagnostics)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    print(table(headers, rows, right=MEASURES))
    if args.chart:
        chart(args.chart, headers, rows, dimensions)
        print(f"chart: {args.chart}")
    return 0
