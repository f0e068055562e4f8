"""Print a short summary of a built warehouse: events read, outcomes, rated events, time taken.

Run by `make run` after `dbt build`; usable on its own:
    .venv/bin/python scripts/summary.py [--db warehouse/rated_events.duckdb]

`--db` defaults to $RATED_EVENTS_DB, else warehouse/rated_events.duckdb. Exit code 2, with one
line on stderr, when there is no warehouse or another process (a running `dbt build`) holds it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .cli import add_db_argument, open_warehouse, parser_for


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = parser_for(__doc__)
    add_db_argument(parser)
    parser.add_argument("--seconds", type=float, help="wall time of the build, to print")
    parser.add_argument(
        "--freshness",
        type=Path,
        help="sources.json written by `dbt source freshness`, to report the raw events' freshness",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with open_warehouse(args.db) as connection:
        outcomes = connection.execute(
            """
            select outcome, coalesce(error_code, '') as error_code, count(*) as events
            from fct_event_outcomes
            group by all
            order by outcome, error_code
            """
        ).fetchall()
        rated_rows, draft_rows = connection.execute(
            """
            select count(*), count(*) filter (where status = 'DRAFT')
            from (
                select status from fct_rated_events_draft
                union all
                select status from fct_rated_events_finalized
            )
            """
        ).fetchone()
        # money adds up in fiat, per fiat type: custom pricing units at their fiat value, two
        # currencies never together
        fiat_totals = connection.execute(
            """
            select fiat_credit_type_id, sum(fiat_amount)
            from (
                select fiat_credit_type_id, fiat_amount from fct_rated_events_draft
                union all
                select fiat_credit_type_id, fiat_amount from fct_rated_events_finalized
            )
            group by all
            order by fiat_credit_type_id
            """
        ).fetchall()
        invoices = connection.execute(
            """
            select invoice_type, status, credit_type_id, count(*), sum(total)
            from fct_invoices
            group by all
            order by invoice_type, status, credit_type_id
            """
        ).fetchall()
    total = sum(row[2] for row in outcomes)
    print()
    print(f"Rated events warehouse: {args.db}")
    print(f"  events received by as_of : {total:>12,}")
    for outcome, error_code, count in outcomes:
        label = f"{outcome} {error_code}".strip()
        print(f"    {label:<34}{count:>12,}  ({count / max(total, 1):6.2%})")
    print(f"  rated events             : {rated_rows:>12,}  ({draft_rows:,} draft)")
    for fiat_credit_type_id, fiat_total in fiat_totals:
        print(f"  rated amount in fiat     : {fiat_total:>15,.2f} {fiat_credit_type_id}")
    print("  invoices")
    for invoice_type, status, credit_type_id, count, total in invoices:
        label = f"{invoice_type} {status}"
        print(f"    {label:<22}{count:>8,}  total {total:>18,.2f} {credit_type_id}")
    if args.seconds is not None:
        print(f"  dbt build wall time      : {args.seconds:>12.1f} s")
    if args.freshness is not None:
        print(freshness_line(args.freshness))
    return 0


def freshness_line(sources_json: Path) -> str:
    """One line on the raw events' freshness from `dbt source freshness`: how long before as_of
    the latest event was received (the source's loaded_at_field measures at as_of, so a build
    at a fixed as_of, like the sample data's, is judged at that moment, not by the clock)."""
    if not sources_json.exists():
        return "  raw events freshness     : not checked (dbt source freshness did not run)"
    results = json.loads(sources_json.read_text()).get("results", [])
    events = [r for r in results if r.get("unique_id", "").endswith(".usage.events")]
    if not events:
        return "  raw events freshness     : not checked"
    result = events[0]
    if result.get("status") == "runtime error":
        return f"  raw events freshness     : could not be checked ({result.get('error', '')})"
    age_hours = result.get("max_loaded_at_time_ago_in_s", 0) / 3600
    status = {"pass": "fresh", "warn": "WARN: stale", "error": "ERROR: stale"}.get(
        result.get("status"), result.get("status")
    )
    return (
        f"  raw events freshness     : {status}, the latest event was received "
        f"{age_hours:,.1f} h before as_of"
    )


if __name__ == "__main__":
    main()
