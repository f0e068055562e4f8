"""The command line of the generator: `scripts/generate_data.py --help`."""

from __future__ import annotations

import argparse
import time

from ..cli import add_as_of_argument, add_raw_argument, count_arg
from .files import file_sizes
from .folder import add_day, generate
from .timeline import iso


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Write sample raw input for the rated events warehouse (rules section 3 in "
            "docs/billing-rules.md): events/events-NNNNN.parquet plus one JSONL file per "
            "configuration object. "
            "Events spread over the --months months before --as-of; a small known fraction is "
            "bad on purpose (every error code of rules section 6, duplicates, late arrivals, "
            "events received after --as-of). transaction_id prefixes name each event's intended "
            "outcome (evt-, dup-, late-, odd-ts-, after-as-of-, malformed-, future-, too-old-, "
            "no-customer-, no-contract-, no-rate-, bad-value-, finalized-). The same arguments "
            "always give byte-identical files."
        ),
    )
    parser.add_argument(
        "--events",
        type=count_arg,
        default=100_000,
        help="total event rows to write (1e6 style accepted; default: 100000)",
    )
    parser.add_argument(
        "--customers",
        type=count_arg,
        default=50,
        help="number of customers (8+ gives every contract shape and bad kind; default: 50)",
    )
    parser.add_argument(
        "--months",
        type=count_arg,
        default=6,
        help="history length in months before --as-of (default: 6)",
    )
    parser.add_argument("--seed", type=count_arg, default=42, help="random seed (default: 42)")
    add_raw_argument(
        parser, "--out", help="the raw folder to write (its events/*.parquet are replaced)"
    )
    add_as_of_argument(
        parser, help="the warehouse's as_of: events spread before it, a few arrive after it"
    )
    parser.add_argument(
        "--add-day",
        action="store_true",
        help=(
            "instead of writing a folder, add one more day of events to the one in --raw: "
            "copies of the events received in the day up to --as-of, one day later, in "
            "events/day-YYYYMMDD.parquet (the next day's file for a daily incremental run "
            "at --as-of + 1 day; configuration is left as it is)"
        ),
    )
    args = parser.parse_args(argv)
    if args.months < 1:
        parser.error("--months must be at least 1")
    if args.customers < 1:
        parser.error("--customers must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    if args.add_day:
        target, rows = add_day(args.raw, args.as_of)
        print(f"wrote {rows} events of the day after {iso(args.as_of)} to {target}")
        return 0
    counts = generate(args.raw, args.events, args.customers, args.months, args.seed, args.as_of)
    bad = {k: v for k, v in counts.items() if k not in ("normal", "late", "odd_ts")}
    detail = ", ".join(f"{k} {v}" for k, v in bad.items())
    print(
        f"wrote {args.events} events ({len(file_sizes(args.events))} files) and config for "
        f"{args.customers} customers to {args.raw} in {time.perf_counter() - started:.1f}s; "
        f"normal {counts['normal']}, late {counts['late']}, odd timestamps "
        f"{counts['odd_ts']}; {detail}"
    )
    return 0
