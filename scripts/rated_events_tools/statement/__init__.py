"""Write customer-facing statement pages: one self-contained HTML page per (customer, billing
period), with an index, from a built warehouse.

    .venv/bin/python scripts/statement.py [--out statements] [--customer ID ...] \\
        [--by user_id,model] [--end-customer-key end_customer] [--from 2026-05-01] \\
        [--to 2026-07-01] [--db warehouse/rated_events.duckdb]

Each page shows who and when (customer, contracts, billing period, DRAFT or FINALIZED with
finalized_at, the as_of the warehouse was computed for); the invoice (line items and total,
commit and credit applications); spend per day as a chart stacked by product; a breakdown by
the `--by` keys (event property keys or rated-event columns, as `spend.py --by` reads them) with
shares that add up to 100 % and a row for events without the key; every commit and credit
segment of the period (starting amount, used, remaining, a burn-down chart, when it runs out at
the current daily pace); the alerts that fired in the period (fct_alert_triggers); and what was
not billed (the customer's errored events in the lookback window, by error code, with
transaction ids to look up).

Money is shown in the unit it is priced in and in fiat. An invoice line in a custom pricing unit
(`GPU_CREDITS`) shows its amount in that unit and, in a column of its own, in the invoice's fiat
type (its `fiat_amount`), which adds up to the invoice total. The breakdown adds up per credit
type, an amount in a custom unit with its fiat value beneath; when usage was priced in another
type than fiat, a last row gives usage, what commits and credits paid and what was billed in
fiat (the lines' fiat amounts; billed is the invoices' total). The spend per day and the end
customers' totals are in the invoice's fiat type, custom units at their fiat value (the
rollup's `fiat_amount`). Commits and credits show their amounts in their own credit type.

Pages need no network: CSS and SVG charts (matplotlib) are inline, templates are Jinja2 files
in rated_events_tools/statement/templates. The output folder holds `index.html` (every
customer) and one folder per customer, `OUT/<customer_id>/`, with its own `index.html`: hand
that folder to the customer as it is (its pages link only inside it). With
`--end-customer-key KEY` every customer folder also gets `end-customers/<value>/`, one folder
per value of that event property (customer-of-customer), holding only that end customer's
usage, for the customer to hand on. `--from`/`--to` keep the periods starting in [from, to).

Spend is the dbt macro `spend_rollup` (compiled by dbt, a few seconds the first time; kept
while the project is unchanged) run read-only on the warehouse, so pages add up as the rollups
do. `--db` defaults to $RATED_EVENTS_DB, else warehouse/rated_events.duckdb. Exit codes: 0
written; 1 no statement to write (no such customer, or no billing period in the selection); 2 a
bad argument, no warehouse, or another process (a running `dbt build`) holds it.
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..cli import add_db_argument, fail, open_reader, parser_for, utc_timestamp_arg
from . import data as statement_data
from . import render
from .data import Page, Selection

DEFAULT_OUT = Path("statements")


def parse_args(argv: list[str] | None = None):
    parser = parser_for(__doc__)
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output folder (default: statements)"
    )
    parser.add_argument(
        "--customer",
        action="append",
        help="a customer_id (repeat, or separate by commas; default: every customer)",
    )
    parser.add_argument(
        "--by", default="", help="comma-separated breakdown keys: property keys or columns"
    )
    parser.add_argument(
        "--end-customer-key",
        help="event property naming the customer's own customer: one folder of pages per value",
    )
    parser.add_argument(
        "--from", dest="start", type=utc_timestamp_arg, help="periods starting at or after"
    )
    parser.add_argument("--to", dest="end", type=utc_timestamp_arg, help="periods starting before")
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(os.cpu_count() or 1, 4),
        help="processes drawing pages (default: the cores, at most 4)",
    )
    add_db_argument(parser)
    return parser.parse_args(argv)


def split_list(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    items = [item.strip() for value in values for item in value.split(",") if item.strip()]
    return list(dict.fromkeys(items))


def navigation(pages: list[Page]) -> dict[int, dict]:
    """Previous and next period of each page, in its own folder, and each customer page's links
    to its end customers' pages."""
    nav: dict[int, dict] = {}
    folders: dict[Path, list[int]] = defaultdict(list)
    for index, page in enumerate(pages):
        folders[render.page_folder(page)].append(index)
    for indices in folders.values():
        ordered = sorted(indices, key=lambda i: pages[i].period_start)
        for position, index in enumerate(ordered):
            previous = ordered[position - 1] if position > 0 else None
            following = ordered[position + 1] if position + 1 < len(ordered) else None
            nav[index] = {
                "previous": render.period_file(pages[previous]) if previous is not None else None,
                "next": render.period_file(pages[following]) if following is not None else None,
                "end_customer_links": {
                    value: f"end-customers/{render.safe_name(value)}/"
                    + render.period_file(pages[index])
                    for value, _ in pages[index].end_customers
                },
            }
    return nav


# one Jinja environment per process (workers build theirs on first use)
_environment = None


def write_one(job: tuple) -> str:
    global _environment
    out, page, products, product_order, nav, by, end_key = job
    if _environment is None:
        _environment = render.environment()
    context = render.page_context(page, products, product_order, nav, by, end_key)
    return str(render.write_page(out, page, _environment, context))


def write_pages(out: Path, pages: list[Page], loaded: dict, selection: Selection, jobs: int):
    nav = navigation(pages)
    product_order = sorted(loaded["products"])
    work = [
        (
            out,
            page,
            loaded["products"],
            product_order,
            nav[i],
            selection.by,
            selection.end_customer_key,
        )
        for i, page in enumerate(pages)
    ]
    if jobs <= 1 or len(work) < 8:
        return [write_one(job) for job in work]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(write_one, work, chunksize=8))


def total_text(page: Page) -> str:
    totals: dict[str, object] = defaultdict(lambda: statement_data.ZERO)
    for invoice in page.invoices:
        totals[invoice["credit_type_id"]] += invoice["total"]
    return ", ".join(render.money(amount, credit) for credit, amount in totals.items())


def write_indexes(out: Path, pages: list[Page], loaded: dict) -> None:
    env = render.environment()
    as_of = render.when(loaded["as_of"])
    folders: dict[Path, list[Page]] = defaultdict(list)
    for page in pages:
        folders[render.page_folder(page)].append(page)
    customer_rows = []
    for folder, folder_pages in sorted(folders.items()):
        folder_pages.sort(key=lambda page: page.period_start)
        first = folder_pages[0]
        name = first.customer_name or first.customer_id
        if first.end_customer is None:
            end_customers = sorted(
                {value for page in folder_pages for value, _ in page.end_customers}
            )
            render.write_index(
                out / folder / "index.html",
                env,
                title=f"{name}: usage statements",
                subtitle=f"Customer {first.customer_id}; computed for {as_of}.",
                headers=["Billing period", "Status", "Total", "Alerts fired"],
                numeric=["Total", "Alerts fired"],
                rows=[
                    {
                        "href": render.period_file(page),
                        "cells": [
                            f"{render.when(page.period_start)} – {render.when(page.period_end)}",
                            page.status.title(),
                            total_text(page),
                            len(page.alerts),
                        ],
                    }
                    for page in reversed(folder_pages)
                ],
                sections=[
                    {
                        "title": "End customers",
                        "links": [
                            {
                                "href": f"end-customers/{render.safe_name(value)}/index.html",
                                "text": value,
                            }
                            for value in end_customers
                        ],
                    }
                ]
                if end_customers
                else [],
                note="Each page is one billing period; draft periods can still change.",
            )
            latest = folder_pages[-1]
            customer_rows.append(
                {
                    "href": f"{folder.as_posix()}/index.html",
                    "cells": [
                        name,
                        first.customer_id,
                        len(folder_pages),
                        f"{render.when(latest.period_start)} ({latest.status.title()})",
                        total_text(latest),
                    ],
                }
            )
        else:
            render.write_index(
                out / folder / "index.html",
                env,
                title=f"{first.end_customer}: usage on {name}",
                subtitle=f"Computed for {as_of}.",
                headers=["Billing period", "Status", "Usage"],
                numeric=["Usage"],
                rows=[
                    {
                        "href": render.period_file(page),
                        "cells": [
                            f"{render.when(page.period_start)} – {render.when(page.period_end)}",
                            page.status.title(),
                            render.money(page.fiat_totals["usage"], page.fiat_credit_type_id)
                            if page.totals
                            else "",
                        ],
                    }
                    for page in reversed(folder_pages)
                ],
                sections=[],
                note=None,
            )
    render.write_index(
        out / "index.html",
        env,
        title="Usage statements",
        subtitle=f"Every customer; computed for {as_of}. Hand each customer its own folder.",
        headers=["Customer", "Id", "Periods", "Latest period", "Latest total"],
        numeric=["Periods", "Latest total"],
        rows=customer_rows,
        sections=[],
        note=None,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    selection = Selection(
        customers=split_list(args.customer),
        by=split_list([args.by]) or [],
        end_customer_key=args.end_customer_key or None,
        period_from=args.start,
        period_to=args.end,
    )
    if args.out.exists() and not args.out.is_dir():
        fail(f"--out {args.out} is a file; give a folder (it is created if missing)")
    with open_reader(args.db) as connection:
        # an unknown customer is said before dbt spends seconds compiling
        missing = statement_data.unknown_customers(connection, selection)
        if missing:
            print(f"no customer {', '.join(map(repr, missing))} in the warehouse", file=sys.stderr)
            return 1
        rollups = statement_data.compile_rollups(selection)
        loaded = statement_data.load(connection, selection, rollups)
    pages = statement_data.build_pages(loaded, selection)
    if not pages:
        print("no billing period to write a statement for in the selection", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    write_pages(args.out, pages, loaded, selection, args.jobs)
    write_indexes(args.out, pages, loaded)
    customers = len({page.customer_id for page in pages})
    end_pages = sum(1 for page in pages if page.end_customer is not None)
    print(
        f"wrote {len(pages) - end_pages} statements for {customers} customer(s)"
        + (f" and {end_pages} end-customer statements" if end_pages else "")
        + f" to {args.out}/ in {time.monotonic() - started:.1f} s; open {args.out / 'index.html'}"
    )
    return 0
