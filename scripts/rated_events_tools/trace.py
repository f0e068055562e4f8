"""Trace one usage event from its raw record to the invoices it ended on (SOX audits).

    .venv/bin/python scripts/trace.py TRANSACTION_ID [--db warehouse/rated_events.duckdb]

Prints the raw event(s) with that transaction_id (file and row), each copy's outcome (the copy
a duplicate collapsed into, or the error code and detail), every rated event (product, tier,
quantity, unit price, amount, coverage, balance segment), the invoice line items each rated
event rolls into, and each invoice's status and finalized_at. Reads the warehouse read-only;
the transaction id is only ever a bound parameter. The same trace inside dbt:
`dbt show --inline "{{ trace_transaction('TRANSACTION_ID') }}"`.

`--db` defaults to $RATED_EVENTS_DB, else warehouse/rated_events.duckdb. Exit codes: 0 traced;
1 no raw event has that transaction_id; 2 no warehouse, or another process (a running
`dbt build`) holds it: one line on stderr says which and what to do.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from .cli import add_db_argument, open_warehouse

KNOWN_SQL = "select count(*) > 0 from stg_usage__events where transaction_id = ?"
RAW_SQL = """
    select source_file, source_row, transaction_id, customer_ref, event_type, timestamp_text,
        properties_text, received_at
    from stg_usage__events
    where transaction_id = ?
    order by received_at, source_file, source_row
"""
OUTCOME_SQL = """
    select outcomes.source_file, outcomes.source_row, outcomes.event_id, outcomes.outcome,
        outcomes.customer_id, outcomes.duplicate_of_event_id, original.source_file,
        original.source_row, outcomes.error_code, outcomes.error_detail
    from fct_event_outcomes as outcomes
    left join fct_event_outcomes as original
        on outcomes.duplicate_of_event_id = original.event_id
    where outcomes.transaction_id = ?
    order by outcomes.received_at, outcomes.source_file, outcomes.source_row
"""
RATED_SQL = """
    select rated_event_id, status, product_id, component, tier_index, quantity, unit_price,
        amount, coverage, balance_segment_id, invoice_id
    from (
        select * from fct_rated_events_finalized
        union all by name
        select * from fct_rated_events_draft
    )
    where transaction_id = ?
    order by invoice_id, product_id, component, tier_index, coverage = 'OVERAGE',
        balance_segment_id
"""
LINES_SQL = """
    with rated as (
        select invoice_id, product_id, pricing_group_values, balance_id, coverage
        from (
            select * from fct_rated_events_finalized
            union all by name
            select * from fct_rated_events_draft
        )
        where transaction_id = ?
    )
    select distinct lines.invoice_line_item_id, lines.invoice_id, lines.line_type,
        lines.product_id, lines.balance_id, lines.quantity, lines.amount
    from fct_invoice_line_items as lines
    inner join rated
        on lines.invoice_id = rated.invoice_id
        and (
            (lines.line_type = 'USAGE' and lines.product_id = rated.product_id
                and lines.pricing_group_values::varchar
                    is not distinct from rated.pricing_group_values::varchar)
            or (lines.line_type in ('CREDIT', 'COMMIT') and lines.balance_id = rated.balance_id
                and rated.coverage in ('CREDIT', 'PREPAID_COMMIT'))
        )
    order by lines.invoice_id, lines.line_type desc, lines.product_id, lines.balance_id
"""
INVOICES_SQL = """
    select invoice_id, invoice_type, contract_id, billing_period_start, billing_period_end,
        status, finalized_at, total, run_invocation_id
    from fct_invoices
    where invoice_id in (
        select invoice_id from fct_rated_events_finalized where transaction_id = ?
        union
        select invoice_id from fct_rated_events_draft where transaction_id = ?
    )
    order by billing_period_start
"""


def text(value) -> str:
    return "-" if value is None else str(value)


def table(title: str, headers: list[str], rows: list[tuple]) -> str:
    """A plain text table; values are printed, never evaluated."""
    cells = [[text(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    lines = [f"{title} ({len(rows)})"]
    if rows:
        for row in [headers, *cells]:
            padded = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
            lines.append(("  " + padded).rstrip())
    return "\n".join(lines)


def trace(connection: duckdb.DuckDBPyConnection, transaction_id: str) -> str:
    raw = connection.execute(RAW_SQL, [transaction_id]).fetchall()
    outcomes = connection.execute(OUTCOME_SQL, [transaction_id]).fetchall()
    rated = connection.execute(RATED_SQL, [transaction_id]).fetchall()
    lines = connection.execute(LINES_SQL, [transaction_id]).fetchall()
    invoices = connection.execute(INVOICES_SQL, [transaction_id, transaction_id]).fetchall()
    outcome_rows = []
    for file, row, event_id, outcome, customer, dup_of, dup_file, dup_row, code, detail in outcomes:
        if outcome == "DUPLICATE":
            why = f"duplicate of {dup_of} ({dup_file} row {dup_row})"
        elif outcome == "ERRORED":
            why = f"{code}: {detail}"
        else:
            why = f"customer {customer}"
        outcome_rows.append((f"{file}:{row}", event_id, outcome, why))
    sections = [
        f"trace of transaction_id {transaction_id!r}",
        table(
            "raw events",
            ["file:row", "customer", "event_type", "timestamp", "received_at", "properties"],
            [(f"{r[0]}:{r[1]}", r[3], r[4], r[5], r[7], r[6]) for r in raw],
        ),
        table("outcomes", ["file:row", "event_id", "outcome", "detail"], outcome_rows),
        table(
            "rated events",
            [
                "rated_event_id",
                "status",
                "product",
                "component",
                "tier",
                "quantity",
                "unit_price",
                "amount",
                "coverage",
                "balance_segment",
                "invoice",
            ],
            rated,
        ),
        table(
            "invoice line items",
            ["line_item_id", "invoice", "line_type", "product", "balance", "quantity", "amount"],
            lines,
        ),
        table(
            "invoices",
            [
                "invoice",
                "type",
                "contract",
                "period_start",
                "period_end",
                "status",
                "finalized_at",
                "total",
                "run",
            ],
            invoices,
        ),
    ]
    return "\n\n".join(sections)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("transaction_id", help="the usage event's transaction_id, as sent")
    add_db_argument(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with open_warehouse(args.db) as connection:
        if not connection.execute(KNOWN_SQL, [args.transaction_id]).fetchone()[0]:
            print(
                f"no event with transaction_id {args.transaction_id!r} in {args.db}",
                file=sys.stderr,
            )
            return 1
        print(trace(connection, args.transaction_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
