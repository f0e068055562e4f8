"""Spend by any dimension and time grain, for people who do not write SQL.

    .venv/bin/python scripts/spend.py --by region,model --grain day \\
        [--customer CUSTOMER_ID] [--from 2026-05-01] [--to 2026-06-01] \\
        [--status all|draft|finalized] [--chart spend.png] [--db warehouse/rated_events.duckdb]

Prints one row per (period, dimension values): amount, overage amount, covered amount (drawn
from commits and credits), quantity, rated events and usage events. `--by` takes built-in
columns (customer_id, contract_id, product_id, coverage, ...) and event property keys, comma
separated; a property missing on an event is its own group (shown as `-`), never dropped.
`--from` is inclusive and `--to` exclusive, on the event timestamp (UTC). `--chart` draws the
amount per period, one line per dimension group (the largest ten), as a PNG.

The same cut inside dbt: the `spend_rollup` macro. Reads the warehouse read-only; every value is
a bound parameter and every name a quoted identifier (scripts/sqlsafe.py).

`--db` defaults to $RATED_EVENTS_DB, else warehouse/rated_events.duckdb. Exit codes: 0 printed;
1 nothing to show, said in one line on stderr (a customer with no rated events, a property key
no rated event has, or no rated event in the selected period and status; no chart is drawn);
2 a bad argument, no warehouse, or another process (a running `dbt build`) holds it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from .cli import add_db_argument, open_warehouse
from .sqlsafe import json_pointer_for_key, quote_identifier

GRAINS = ("minute", "hour", "day", "week", "month")
STATUSES = ("all", "draft", "finalized")
BUILT_IN = (
    "customer_id",
    "contract_id",
    "invoice_id",
    "product_id",
    "billable_metric_id",
    "event_type",
    "component",
    "coverage",
    "balance_id",
    "balance_segment_id",
    "credit_type_id",
    "status",
)
MEASURES = (
    "amount",
    "overage_amount",
    "covered_amount",
    "quantity",
    "rated_events",
    "usage_events",
)


def rated_events_sql(status: str) -> str:
    finalized = "select * from fct_rated_events_finalized"
    draft = "select * from fct_rated_events_draft"
    if status == "finalized":
        return finalized
    if status == "draft":
        return draft
    return f"{finalized} union all by name {draft}"


def spend_query(
    dimensions: list[str],
    grain: str,
    status: str,
    customer: str | None,
    start: datetime | None,
    end: datetime | None,
) -> tuple[str, list]:
    """The SQL and its parameters; names are quoted, values bound."""
    if grain not in GRAINS:
        raise ValueError(f"--grain must be one of {', '.join(GRAINS)}")
    if status not in STATUSES:
        raise ValueError(f"--status must be one of {', '.join(STATUSES)}")
    params: list = [grain]
    selected = []
    for dimension in dimensions:
        if dimension in BUILT_IN:
            selected.append(f"{quote_identifier(dimension)} as {quote_identifier(dimension)}")
        else:
            selected.append(f"json_extract_string(properties, ?) as {quote_identifier(dimension)}")
            params.append(json_pointer_for_key(dimension))
    names = ", ".join(quote_identifier(dimension) for dimension in dimensions)
    params += [customer, customer, start, start, end, end]
    sql = f"""
        with rated as ({rated_events_sql(status)})
        select
            date_trunc(?, event_timestamp) as period_start,
            {"".join(column + ", " for column in selected)}
            sum(amount) as amount,
            sum(case when coverage = 'OVERAGE' then amount else 0 end) as overage_amount,
            sum(case when coverage <> 'OVERAGE' then amount else 0 end) as covered_amount,
            sum(quantity) as quantity,
            count(*) as rated_events,
            count(distinct event_id) as usage_events
        from rated
        where (?::varchar is null or customer_id = ?)
            and (?::timestamp is null or event_timestamp >= ?)
            and (?::timestamp is null or event_timestamp < ?)
        group by all
        order by period_start{", " + names if names else ""}
    """
    return sql, params


def spend(
    connection: duckdb.DuckDBPyConnection,
    dimensions: list[str],
    grain: str = "day",
    status: str = "all",
    customer: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[list[str], list[tuple]]:
    sql, params = spend_query(dimensions, grain, status, customer, start, end)
    cursor = connection.execute(sql, params)
    return [column[0] for column in cursor.description], cursor.fetchall()


def nothing_to_show(
    connection: duckdb.DuckDBPyConnection,
    dimensions: list[str],
    customer: str | None,
    rows: list[tuple],
) -> str | None:
    """Why a cut shows nothing useful, in one line: a property key no rated event has (every
    row would be `-`), a customer with no rated events, or no rows in the selection."""
    rated = rated_events_sql("all")
    for key in (dimension for dimension in dimensions if dimension not in BUILT_IN):
        found = connection.execute(
            f"select exists (select 1 from ({rated}) where json_exists(properties, ?))",
            [json_pointer_for_key(key)],
        ).fetchone()[0]
        if not found:
            return f"no event has the property key {key!r}"
    if rows:
        return None
    if customer is not None:
        found = connection.execute(
            f"select exists (select 1 from ({rated}) where customer_id = ?)", [customer]
        ).fetchone()[0]
        if not found:
            return f"no rated events for customer {customer!r}"
    return "no rated events in the selected period/status"


def render(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def table(headers: list[str], rows: list[tuple]) -> str:
    cells = [[render(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    numeric = {i for i, h in enumerate(headers) if h in MEASURES}
    lines = []
    for row in [headers, *cells]:
        padded = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(padded).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def chart(path: Path, headers: list[str], rows: list[tuple], top: int = 10) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    dims = headers[1 : headers.index("amount")]
    series: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row[1 : 1 + len(dims)])
        series.setdefault(key, {})[row[0]] = float(row[headers.index("amount")])
    largest = sorted(series, key=lambda key: -sum(series[key].values()))[:top]
    figure, axes = pyplot.subplots(figsize=(9, 5), dpi=100)
    for key in largest:
        points = sorted(series[key].items())
        label = ", ".join(render(value) for value in key) or "total"
        axes.plot([p[0] for p in points], [p[1] for p in points], marker=".", label=label)
    axes.set_ylabel("amount (credit units)")
    axes.set_title("spend by " + (", ".join(dims) or "period"))
    axes.grid(True, alpha=0.3)
    if largest:
        axes.legend(fontsize="small")
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def timestamp_arg(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date or timestamp: {text!r}") from exc
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--by",
        default="",
        help="comma-separated dimensions: built-in columns or property keys (default: none)",
    )
    parser.add_argument("--grain", default="day", choices=GRAINS)
    parser.add_argument("--status", default="all", choices=STATUSES)
    parser.add_argument("--customer", help="one customer_id (default: every customer)")
    parser.add_argument("--from", dest="start", type=timestamp_arg, help="inclusive, UTC")
    parser.add_argument("--to", dest="end", type=timestamp_arg, help="exclusive, UTC")
    parser.add_argument("--chart", type=Path, help="also draw the amount per period as a PNG")
    add_db_argument(parser)
    args = parser.parse_args(argv)
    # each dimension once, in the order given
    args.dimensions = list(dict.fromkeys(p.strip() for p in args.by.split(",") if p.strip()))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with open_warehouse(args.db) as connection:
        headers, rows = spend(
            connection,
            args.dimensions,
            args.grain,
            args.status,
            args.customer,
            args.start,
            args.end,
        )
        problem = nothing_to_show(connection, args.dimensions, args.customer, rows)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    print(table(headers, rows))
    if args.chart:
        chart(args.chart, headers, rows)
        print(f"chart: {args.chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
