"""Trace one usage event from its raw record to the invoices it ended on (SOX audits).

    .venv/bin/python scripts/trace.py TRANSACTION_ID [--db warehouse/rated_events.duckdb]

Prints the raw event(s) with that transaction_id (file and row), each copy's outcome (the copy
a duplicate collapsed into, or the error code and detail), every rated event (product, tier,
quantity, unit price, amount in its credit type and its fiat amount, coverage, balance
segment), the invoice line items each rated event rolls into (amount in the line's credit type
and in fiat), and each invoice's status, finalized_at and total (in its fiat credit type).
The rows are those of the dbt macro `trace_transaction`, compiled by dbt (a few seconds the
first time; kept while the project is unchanged) and run read-only against the warehouse, so
this prints exactly what

    dbt show --target published --inline "{{ trace_transaction('TRANSACTION_ID') }}"

shows; the transaction id is only ever a quoted string literal.

`--db` defaults to $RATED_EVENTS_DB, else warehouse/rated_events.duckdb. Exit codes: 0 traced;
1 no raw event has that transaction_id; 2 no warehouse, or another process (a running
`dbt build`) holds it, or dbt cannot compile the macro: one line on stderr says which.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from .cli import add_db_argument, fail, open_reader, parser_for, table
from .dbt_macros import call, compile_inline

# the macro's sections, in its order: (section, printed title, reference column)
SECTIONS = (
    ("raw event", "raw events", "file:row"),
    ("outcome", "outcomes", "event_id"),
    ("rated event", "rated events", "rated_event_id"),
    ("invoice line item", "invoice line items", "line_item_id"),
    ("invoice", "invoices", "invoice"),
)


# The macro is compiled once for this placeholder id (and kept while the project is unchanged,
# see dbt_macros.compile_inline); each of its quoted occurrences becomes the query parameter $1,
# so a transaction id never becomes SQL text at all.
PLACEHOLDER = "rated-events-trace-placeholder-7f3a"


def trace_sql() -> str:
    """The SQL of `trace_transaction`, compiled by dbt, with parameter $1 for the id."""
    (sql,) = compile_inline([call("trace_transaction", PLACEHOLDER)])
    quoted = f"'{PLACEHOLDER}'"
    if quoted not in sql or PLACEHOLDER in sql.replace(quoted, ""):
        fail("trace_transaction no longer compares transaction_id with one quoted literal")
    return sql.replace(quoted, "$1")


def trace_rows(connection: duckdb.DuckDBPyConnection, transaction_id: str) -> list[tuple]:
    """The macro's rows (step, section, reference, detail), on a connection of cli.open_reader."""
    return connection.execute(trace_sql(), [transaction_id]).fetchall()


def render_trace(transaction_id: str, rows: list[tuple]) -> str:
    sections = [f"trace of transaction_id {transaction_id!r}"]
    for section, title, reference in SECTIONS:
        found = [(row[2], row[3]) for row in rows if row[1] == section]
        sections.append(table([reference, "detail"], found, title=title))
    return "\n\n".join(sections)


def trace(connection: duckdb.DuckDBPyConnection, transaction_id: str) -> str:
    return render_trace(transaction_id, trace_rows(connection, transaction_id))


def main(argv: list[str] | None = None) -> int:
    parser = parser_for(__doc__)
    parser.add_argument("transaction_id", help="the usage event's transaction_id, as sent")
    add_db_argument(parser)
    args = parser.parse_args(argv)
    db: Path = args.db
    if not db.is_file():  # say so before spending seconds on compiling
        open_reader(db)
    sql = trace_sql()
    with open_reader(db) as connection:
        rows = connection.execute(sql, [args.transaction_id]).fetchall()
    if not any(row[1] == "raw event" for row in rows):
        print(f"no event with transaction_id {args.transaction_id!r} in {db}", file=sys.stderr)
        return 1
    print(render_trace(args.transaction_id, rows))
    return 0
