"""What the statement pages show, read from the warehouse in a few set-based queries (every
customer at once), then cut into pages: one per (customer, billing period), and with an
end-customer key one per (customer, end customer, billing period).

Spend (the breakdown, the daily chart, what each balance covered per day) comes from the dbt
macro `spend_rollup`, compiled by dbt and run read-only, so a statement adds up spend exactly as
the rollups do; invoices, balances, alert triggers and errored events are read from their marts
as they stand. Money stays `Decimal`; only the charts turn it into floats, to draw.

Spend in a custom pricing unit (GPU_CREDITS) counts at its fiat value wherever a page adds
different credit types up: the daily chart, the end customers' totals and every breakdown row's
fiat columns read the rollup's `fiat_amount` (in the invoice's fiat type); a breakdown row keeps
its `amount` in its own credit type beside it. For usage priced in fiat the two are equal.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import duckdb

from ..dbt_macros import call, compile_inline

COVERED_BY_BALANCE = ("CREDIT", "PREPAID_COMMIT")  # paid by a balance: not billed again
PACE_DAYS = 7  # "the current daily pace": what a balance covered per day over the last week
ZERO = Decimal(0)


@dataclass
class Selection:
    """What to write: which customers (None: all), the breakdown keys, the end-customer key."""

    customers: list[str] | None = None
    by: list[str] = field(default_factory=list)
    end_customer_key: str | None = None
    period_from: datetime | None = None
    period_to: datetime | None = None


@dataclass
class BreakdownRow:
    values: tuple
    credit_type_id: str
    usage: Decimal
    covered: Decimal
    billed: Decimal
    share: str = ""  # percent of the credit type's usage, rounded so the column adds up to 100
    # the same in the page's fiat type (the rated events' fiat_amount): equal for a fiat row
    fiat_usage: Decimal = ZERO
    fiat_covered: Decimal = ZERO
    fiat_billed: Decimal = ZERO


@dataclass
class Balance:
    segment: dict
    chart_points: list[tuple[datetime, Decimal]]
    used_in_period: Decimal
    outlook: str


@dataclass
class Page:
    customer_id: str
    customer_name: str | None
    period_start: datetime
    period_end: datetime
    status: str
    finalized_at: datetime | None
    as_of: datetime
    contracts: list[dict]
    invoices: list[dict] = field(default_factory=list)
    lines: dict[str, list[dict]] = field(default_factory=dict)
    scheduled: list[dict] = field(default_factory=list)
    # {(day, product_id): fiat amount}: all usage, custom pricing units at their fiat value
    daily: dict = field(default_factory=dict)
    other_credit_types: list[str] = field(default_factory=list)
    breakdown: list[BreakdownRow] = field(default_factory=list)
    breakdown_extra: list[BreakdownRow] = field(default_factory=list)
    totals: dict[str, dict] = field(default_factory=dict)
    # usage, what balances paid and what was billed, all in fiat: one total however many credit
    # types the usage was priced in (a customer's page: its invoices' lines' fiat_amount; an end
    # customer's: the rollup's fiat_amount of its rated events)
    fiat_totals: dict[str, Decimal] = field(default_factory=dict)
    balances: list[Balance] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    balance_names: dict[str, str] = field(default_factory=dict)  # of the invoice's lines
    end_customer: str | None = None
    end_customers: list[tuple[str, Decimal]] = field(default_factory=list)  # fiat usage each
    rated_event_count: int = 0
    usage_event_count: int = 0

    @property
    def fiat_credit_type_id(self) -> str:
        if self.invoices:
            return self.invoices[0]["credit_type_id"]
        return self.contracts[0]["credit_type_id"] if self.contracts else "USD_CENTS"


# ------------------------------------------------------------------------- spend, via dbt
def rollup_calls(selection: Selection, mart_columns: list[str]) -> dict[str, str]:
    """The spend_rollup calls the pages need (compiled together, in one dbt call)."""
    by = [dimension(key, f"by_{index}", mart_columns) for index, key in enumerate(selection.by)]
    end = (
        [{"property": selection.end_customer_key, "name": "end_customer_value"}]
        if selection.end_customer_key
        else []
    )
    return {
        "breakdown": call(
            "spend_rollup",
            None,
            ["customer_id", "invoice_id", "credit_type_id", "coverage", *by, *end],
        ),
        "daily": call(
            "spend_rollup",
            "day",
            ["customer_id", "invoice_id", "product_id", "credit_type_id", *end],
        ),
        # usage events counted once (a split rated event is in several breakdown groups)
        "events": call("spend_rollup", None, ["customer_id", "invoice_id", *end]),
        "covered": call(
            "spend_rollup",
            "day",
            ["balance_segment_id"],
            filters={"coverage": ["CREDIT", "PREPAID_COMMIT", "POSTPAID_COMMIT"]},
        ),
    }


def dimension(key: str, name: str, mart_columns: list[str]) -> dict:
    """A --by key as spend_rollup reads a bare name (a mart column, else a property key), under
    an output name of our own so that no key can clash with the columns we group by."""
    return {"column" if key in mart_columns else "property": key, "name": name}


MART_COLUMNS_CALL = "{{ rollup_mart_columns().keys() | list | tojson }}"


def compile_rollups(selection: Selection) -> dict[str, str]:
    """The SQL of each rollup (dbt compiles; kept in target/cli/compiled afterwards)."""
    (columns_json,) = compile_inline([MART_COLUMNS_CALL])
    calls = rollup_calls(selection, json.loads(columns_json))
    return dict(zip(calls, compile_inline(list(calls.values())), strict=True))


def dicts(connection: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list:
    cursor = connection.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def rollup_rows(
    connection: duckdb.DuckDBPyConnection, sql: str, selection: Selection, by_customer=True
) -> list[dict]:
    if not by_customer or selection.customers is None:
        return dicts(connection, sql)
    return dicts(
        connection,
        f"select * from ({sql}) as rollup where customer_id in (select unnest(?))",
        [selection.customers],
    )


# ------------------------------------------------------------------------- the marts
def table_exists(connection: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        connection.execute(
            "select count(*) from information_schema.tables where table_name = ?", [name]
        ).fetchone()[0]
    )


def run_as_of(connection: duckdb.DuckDBPyConnection) -> datetime | None:
    """The as_of the warehouse was computed for: its last publication's."""
    if not table_exists(connection, "publications"):
        return None
    row = connection.execute(
        "select run_as_of from publications order by published_at desc limit 1"
    ).fetchone()
    return row[0] if row else None


def selected(connection, sql: str, selection: Selection, column: str = "customer_id") -> list:
    """Rows of `sql` (which has a `{where}` slot) for the selected customers."""
    if selection.customers is None:
        return dicts(connection, sql.format(where="true"))
    return dicts(
        connection,
        sql.format(where=f"{column} in (select unnest(?))"),
        [selection.customers],
    )


def unknown_customers(connection: duckdb.DuckDBPyConnection, selection: Selection) -> list:
    """The selected customer ids the warehouse does not know."""
    if not selection.customers:
        return []
    known = {
        row[0] for row in connection.execute("select customer_id from dim_customers").fetchall()
    }
    return sorted(set(selection.customers) - known)


def load(connection: duckdb.DuckDBPyConnection, selection: Selection, rollups: dict[str, str]):
    """Everything the pages need, as plain rows keyed for cutting into pages."""
    as_of = run_as_of(connection)
    if as_of is None:
        as_of = connection.execute("select max(status_as_of) from dim_balances").fetchone()[0]
    customers = {
        row["customer_id"]: row
        for row in selected(
            connection,
            "select customer_id, customer_name, cast(ingest_aliases as varchar) as aliases "
            "from dim_customers where {where} order by customer_id",
            selection,
        )
    }
    contracts = selected(
        connection,
        "select contract_id, customer_id, rate_card_id, rate_card_name, credit_type_id, "
        "starting_at, ending_before, schedule_frequency, schedule_day from dim_contracts "
        "where {where} order by customer_id, starting_at, contract_id",
        selection,
    )
    invoices = selected(
        connection,
        "select invoice_id, invoice_type, contract_id, customer_id, billing_period_start, "
        "billing_period_end, commit_id, scheduled_at, status, finalized_at, credit_type_id, "
        "total, line_item_count from fct_invoices where {where} "
        "order by customer_id, billing_period_start, contract_id, scheduled_at",
        selection,
    )
    lines = selected(
        connection,
        "select invoice_id, line_type, product_id, cast(pricing_group_values as varchar) as "
        "pricing_group_values, balance_id, quantity, amount, credit_type_id, "
        # lines recorded before fiat amounts existed were all fiat
        "coalesce(fiat_amount, amount) as fiat_amount "
        "from fct_invoice_line_items where {where} order by invoice_id, "
        "case line_type when 'USAGE' then 1 when 'POSTPAID_TRUEUP' then 3 "
        "when 'COMMIT_PURCHASE' then 4 else 2 end, product_id, pricing_group_values, balance_id",
        selection,
    )
    products = {
        row["product_id"]: row["product_name"] or row["product_id"]
        for row in dicts(connection, "select product_id, product_name from dim_products")
    }
    balances = selected(
        connection,
        "select * from dim_balances where {where} order by customer_id, contract_id, segment_rank",
        selection,
    )
    alerts = []
    if table_exists(connection, "fct_alert_triggers"):
        alerts = selected(
            connection,
            "select * from fct_alert_triggers where {where} "
            "order by customer_id, event_timestamp, alert_id",
            selection,
        )
    errors = errored_events(connection, selection)
    return {
        "as_of": as_of,
        "customers": customers,
        "contracts": contracts,
        "invoices": invoices,
        "lines": lines,
        "products": products,
        "balances": balances,
        "alerts": alerts,
        "errors": errors,
        "breakdown": rollup_rows(connection, rollups["breakdown"], selection),
        "daily": rollup_rows(connection, rollups["daily"], selection),
        "events": rollup_rows(connection, rollups["events"], selection),
        "covered": rollup_rows(connection, rollups["covered"], selection, by_customer=False),
    }


def errored_events(connection: duckdb.DuckDBPyConnection, selection: Selection) -> list[dict]:
    """The errored events (lookback window) of each customer: resolved to it, or sent with its
    id or one of its ingest aliases but rejected before resolution (malformed, out of range)."""
    sql = """
        with refs as (
            select customer_id, customer_id as customer_ref from dim_customers
            union all
            select customer_id, unnest(from_json(ingest_aliases, '["VARCHAR"]')) as customer_ref
            from dim_customers
        ),
        attributed as (
            select
                coalesce(errored.customer_id, refs.customer_id) as customer_id,
                errored.error_code,
                errored.error_detail,
                errored.transaction_id,
                coalesce(errored.event_timestamp, errored.received_at) as happened_at,
                errored.received_at
            from fct_errored_events as errored
            left join refs
                on errored.customer_id is null and errored.customer_ref = refs.customer_ref
        )
        select * from attributed
        where customer_id is not null and {where}
        order by customer_id, error_code, happened_at, transaction_id
    """
    return selected(connection, sql, selection)


# ------------------------------------------------------------------------- cutting pages
def build_pages(data: dict, selection: Selection) -> list[Page]:
    """One page per (customer, billing period) of its USAGE invoices, in order; with an
    end-customer key, also one per (customer, end customer, billing period) with spend."""
    contracts = {row["contract_id"]: row for row in data["contracts"]}
    lines_by_invoice: dict[str, list[dict]] = defaultdict(list)
    for line in data["lines"]:
        lines_by_invoice[line["invoice_id"]].append(line)
    periods: dict[tuple, list[dict]] = defaultdict(list)
    scheduled: dict[str, list[dict]] = defaultdict(list)
    for invoice in data["invoices"]:
        if invoice["invoice_type"] == "USAGE":
            key = (
                invoice["customer_id"],
                invoice["billing_period_start"],
                invoice["billing_period_end"],
            )
            periods[key].append(invoice)
        else:
            scheduled[invoice["customer_id"]].append(invoice)
    by_invoice = index_rows(data["breakdown"], "invoice_id")
    daily_by_invoice = index_rows(data["daily"], "invoice_id")
    events_by_invoice = index_rows(data["events"], "invoice_id")
    covered_by_segment = index_rows(data["covered"], "balance_segment_id")
    alerts_by_invoice = index_rows(data["alerts"], "invoice_id")
    errors_by_customer = index_rows(data["errors"], "customer_id")
    balances_by_contract = index_rows(data["balances"], "contract_id")
    balance_names = {row["balance_id"]: row["balance_name"] for row in data["balances"]}

    pages = []
    for (customer_id, start, end), invoices in periods.items():
        if selection.period_from and start < naive(selection.period_from):
            continue
        if selection.period_to and start >= naive(selection.period_to):
            continue
        customer = data["customers"].get(customer_id, {})
        page = Page(
            customer_id=customer_id,
            customer_name=customer.get("customer_name"),
            period_start=start,
            period_end=end,
            status="DRAFT" if any(i["status"] == "DRAFT" for i in invoices) else "FINALIZED",
            finalized_at=max(i["finalized_at"] for i in invoices),
            as_of=data["as_of"],
            contracts=[contracts[i["contract_id"]] for i in invoices],
            invoices=invoices,
            lines={i["invoice_id"]: lines_by_invoice[i["invoice_id"]] for i in invoices},
            scheduled=[s for s in scheduled[customer_id] if start <= s["scheduled_at"] < end],
        )
        invoice_ids = [i["invoice_id"] for i in invoices]
        spend_rows = [row for i in invoice_ids for row in by_invoice.get(i, [])]
        daily_rows = [row for i in invoice_ids for row in daily_by_invoice.get(i, [])]
        event_rows = [row for i in invoice_ids for row in events_by_invoice.get(i, [])]
        fill_spend(page, spend_rows, daily_rows, event_rows, selection, trueup_lines(page))
        page.fiat_totals = fiat_totals(page)
        page.alerts = [row for i in invoice_ids for row in alerts_by_invoice.get(i, [])]
        page.balance_names = {
            line["balance_id"]: balance_names.get(line["balance_id"]) or line["balance_id"]
            for lines in page.lines.values()
            for line in lines
            if line["balance_id"]
        }
        page.errors = error_groups(
            [e for e in errors_by_customer.get(customer_id, []) if start <= e["happened_at"] < end]
        )
        page.balances = [
            balance_view(
                segment,
                covered_by_segment.get(segment["balance_segment_id"], []),
                start,
                end,
                data["as_of"],
            )
            for i in invoices
            for segment in balances_by_contract.get(i["contract_id"], [])
            if segment["starting_at"] < end and segment["ending_before"] > start
        ]
        if selection.end_customer_key:
            page.end_customers = end_customer_totals(spend_rows, page.fiat_credit_type_id)
        pages.append(page)
        if selection.end_customer_key:
            pages.extend(end_customer_pages(page, spend_rows, daily_rows, event_rows, selection))
    return pages


def naive(moment: datetime) -> datetime:
    """An aware UTC datetime as the warehouse stores timestamps (naive UTC)."""
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


def index_rows(rows: Iterable[dict], key: str) -> dict[object, list[dict]]:
    indexed: dict[object, list[dict]] = defaultdict(list)
    for row in rows:
        indexed[row[key]].append(row)
    return indexed


def trueup_lines(page: Page) -> list[dict]:
    return [
        line
        for lines in page.lines.values()
        for line in lines
        if line["line_type"] == "POSTPAID_TRUEUP"
    ]


def fiat_totals(page: Page) -> dict[str, Decimal]:
    """Usage, what commits and credits paid, true-ups and what was billed, in the invoices'
    fiat type: the lines' `fiat_amount` added up, so `billed` is the invoices' total."""
    totals = {"usage": ZERO, "covered": ZERO, "trueup": ZERO}
    for lines in page.lines.values():
        for line in lines:
            if line["line_type"] == "USAGE":
                totals["usage"] += line["fiat_amount"]
            elif line["line_type"] in ("CREDIT", "COMMIT"):
                totals["covered"] -= line["fiat_amount"]
            elif line["line_type"] == "POSTPAID_TRUEUP":
                totals["trueup"] += line["fiat_amount"]
    totals["billed"] = sum((invoice["total"] for invoice in page.invoices), ZERO)
    return totals


def fill_spend(
    page: Page, spend_rows, daily_rows, event_rows, selection: Selection, trueups=()
) -> None:
    """The breakdown (by the --by keys, per credit type, each row also in fiat), its totals, the
    daily spend in fiat and how many usage events it holds."""
    fiat = page.fiat_credit_type_id
    page.usage_event_count = sum(row["usage_event_count"] for row in event_rows)
    groups: dict[tuple, dict] = {}
    for row in spend_rows:
        values = tuple(row[f"by_{index}"] for index in range(len(selection.by)))
        key = (values, row["credit_type_id"])
        group = groups.setdefault(
            key, {"usage": ZERO, "covered": ZERO, "fiat_usage": ZERO, "fiat_covered": ZERO}
        )
        group["usage"] += row["amount"]
        group["fiat_usage"] += row_fiat_amount(row, fiat)
        if row["coverage"] in COVERED_BY_BALANCE:
            group["covered"] += row["amount"]
            group["fiat_covered"] += row_fiat_amount(row, fiat)
        page.rated_event_count += row["rated_event_count"]
    rows = [
        BreakdownRow(
            values,
            credit_type,
            g["usage"],
            g["covered"],
            g["usage"] - g["covered"],
            fiat_usage=g["fiat_usage"],
            fiat_covered=g["fiat_covered"],
            fiat_billed=g["fiat_usage"] - g["fiat_covered"],
        )
        for (values, credit_type), g in groups.items()
    ]
    rows.sort(
        key=lambda row: (
            row.credit_type_id != fiat,
            row.credit_type_id,
            -row.usage,
            [str(v) for v in row.values],
        )
    )
    page.breakdown = collapse_tail(rows, len(selection.by))
    extra = defaultdict(lambda: ZERO)
    extra_fiat = defaultdict(lambda: ZERO)
    for line in trueups:
        extra[line["credit_type_id"]] += line["amount"]
        extra_fiat[line["credit_type_id"]] += line["fiat_amount"]
    page.breakdown_extra = [
        BreakdownRow(
            ("postpaid true-up",),
            credit_type,
            ZERO,
            ZERO,
            amount,
            fiat_billed=extra_fiat[credit_type],
        )
        for credit_type, amount in sorted(extra.items())
    ]
    totals: dict[str, dict] = {}
    for row in [*page.breakdown, *page.breakdown_extra]:
        total = totals.setdefault(row.credit_type_id, dict.fromkeys(TOTAL_COLUMNS, ZERO))
        for column in TOTAL_COLUMNS:
            total[column] += getattr(row, column)
    page.totals = totals
    for credit_type in totals:
        set_shares([row for row in page.breakdown if row.credit_type_id == credit_type])
    # every credit type at its fiat value: a day's bar is all of that day's usage
    for row in daily_rows:
        key = (row["period_start"].date(), row["product_id"])
        page.daily[key] = page.daily.get(key, ZERO) + row_fiat_amount(row, fiat)
    page.daily = {key: amount for key, amount in page.daily.items() if amount != 0}
    page.other_credit_types = sorted({r["credit_type_id"] for r in daily_rows} - {fiat})
    if page.end_customer is not None:
        # no invoice of its own: its fiat totals are its rated events', as the rollup adds them
        page.fiat_totals = {
            "usage": sum((row.fiat_usage for row in page.breakdown), ZERO),
            "covered": sum((row.fiat_covered for row in page.breakdown), ZERO),
            "billed": sum((row.fiat_billed for row in page.breakdown), ZERO),
        }


TOTAL_COLUMNS = ("usage", "covered", "billed", "fiat_usage", "fiat_covered", "fiat_billed")


def row_fiat_amount(row: dict, fiat: str) -> Decimal:
    """A rollup row's spend in the page's fiat type. The rows of an invoice are all rated on its
    rate card, in its fiat type; a row in another fiat type would be a broken warehouse."""
    if row["fiat_credit_type_id"] != fiat:
        raise ValueError(
            f"spend in {row['fiat_credit_type_id']} on a statement in {fiat} "
            f"(customer {row['customer_id']}, invoice {row['invoice_id']})"
        )
    return row["fiat_amount"]


MAX_BREAKDOWN_ROWS = 25


def collapse_tail(rows: list[BreakdownRow], width: int) -> list[BreakdownRow]:
    """At most MAX_BREAKDOWN_ROWS rows per credit type: the smallest groups become one row
    (its sums are theirs, so the column still adds up)."""
    kept: list[BreakdownRow] = []
    by_type: dict[str, list[BreakdownRow]] = defaultdict(list)
    for row in rows:
        by_type[row.credit_type_id].append(row)
    for credit_type, typed in by_type.items():
        if len(typed) <= MAX_BREAKDOWN_ROWS:
            kept.extend(typed)
            continue
        head, tail = typed[: MAX_BREAKDOWN_ROWS - 1], typed[MAX_BREAKDOWN_ROWS - 1 :]
        sums = {column: sum((getattr(r, column) for r in tail), ZERO) for column in TOTAL_COLUMNS}
        other = BreakdownRow(
            (f"{len(tail)} other groups",) + ("",) * max(width - 1, 0), credit_type, **sums
        )
        kept.extend([*head, other])
    return kept


def set_shares(rows: list[BreakdownRow]) -> None:
    """Each row's share of the usage, in tenths of a percent, rounded by largest remainder so
    that the shares shown add up to exactly 100.0 % (none when the usage adds up to 0)."""
    total = sum((row.usage for row in rows), ZERO)
    if total == 0 or any(row.usage < 0 for row in rows):
        for row in rows:
            row.share = "–"
        return
    exact = [row.usage * 1000 / total for row in rows]
    tenths = [int(value) for value in exact]
    order = sorted(range(len(rows)), key=lambda i: exact[i] - tenths[i], reverse=True)
    for i in order[: 1000 - sum(tenths)]:
        tenths[i] += 1
    for row, value in zip(rows, tenths, strict=True):
        row.share = f"{value // 10}.{value % 10} %"


def end_customer_totals(spend_rows: list[dict], fiat: str) -> list[tuple[str, Decimal]]:
    """Each end customer's usage in fiat (custom pricing units at their fiat value), largest
    first."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in spend_rows:
        if row["end_customer_value"] is not None:
            totals[row["end_customer_value"]] += row_fiat_amount(row, fiat)
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


def end_customer_pages(page: Page, spend_rows, daily_rows, event_rows, selection) -> list[Page]:
    """One page per end customer with spend in the period: only its rated events."""
    pages = []
    values = sorted({row["end_customer_value"] for row in spend_rows} - {None})
    for value in values:
        end_page = Page(
            customer_id=page.customer_id,
            customer_name=page.customer_name,
            period_start=page.period_start,
            period_end=page.period_end,
            status=page.status,
            finalized_at=page.finalized_at,
            as_of=page.as_of,
            contracts=page.contracts,
            invoices=page.invoices,
            end_customer=value,
        )
        fill_spend(
            end_page,
            [row for row in spend_rows if row["end_customer_value"] == value],
            [row for row in daily_rows if row["end_customer_value"] == value],
            [row for row in event_rows if row["end_customer_value"] == value],
            selection,
        )
        pages.append(end_page)
    return pages


def error_groups(errors: list[dict], examples: int = 5) -> list[dict]:
    groups: dict[str, dict] = {}
    for error in errors:
        group = groups.setdefault(
            error["error_code"],
            {
                "error_code": error["error_code"],
                "count": 0,
                "transactions": [],
                "detail": error["error_detail"],
            },
        )
        group["count"] += 1
        if len(group["transactions"]) < examples and error["transaction_id"]:
            group["transactions"].append(error["transaction_id"])
    return sorted(groups.values(), key=lambda group: (-group["count"], group["error_code"]))


def day_start(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), datetime.min.time())


def balance_view(segment: dict, covered_days: list[dict], start, end, as_of) -> Balance:
    """A commit or credit segment on a page: what it had left at the end of each day of the
    period (the burn-down, until as_of), what it covered in the period, and its outlook.
    `covered_days` are the segment's covered amounts per day (spend_rollup's day buckets)."""
    amount = segment["amount"]
    covered = sorted((row["period_start"], row["amount"]) for row in covered_days)
    by_day = dict(covered)
    window_start = max(start, segment["starting_at"])
    window_end = min(end, segment["ending_before"], as_of)
    running = sum((value for day, value in covered if day < window_start), ZERO)
    points = [(window_start, amount - running)]
    used_in_period = ZERO
    day = day_start(window_start)
    while day < window_end:
        value = by_day.get(day, ZERO)
        running += value
        used_in_period += value
        day += timedelta(days=1)
        points.append((min(day, window_end), amount - running))
    return Balance(segment, points, used_in_period, outlook(segment, covered, as_of))


def outlook(segment: dict, covered: list[tuple[datetime, Decimal]], as_of: datetime) -> str:
    """The segment's state in words, and for an open one when it runs out at the current daily
    pace: what it covered per day over the last PACE_DAYS days before as_of."""
    ends = f"{segment['ending_before']:%Y-%m-%d}"
    status = segment["status"]
    if status == "EXPIRED":
        return f"Expired on {ends}."
    if status == "TRUED_UP":
        return f"Ended on {ends}; the unused commitment was billed."
    if status == "EXHAUSTED":
        running = ZERO
        for day, value in covered:
            running += value
            if running >= segment["amount"]:
                return f"Used up on {day:%Y-%m-%d}."
        return "Used up."
    if not segment["has_started"]:
        return f"Starts on {segment['starting_at']:%Y-%m-%d}."
    since = max(as_of - timedelta(days=PACE_DAYS), segment["starting_at"])
    recent = sum((value for day, value in covered if day_start(since) <= day < as_of), ZERO)
    days = Decimal(max((as_of - since).total_seconds(), 86400)) / 86400
    pace = recent / days
    if pace <= 0:
        return f"Not used in the last {PACE_DAYS} days; it ends on {ends}."
    runs_out = as_of + timedelta(days=float(segment["remaining_amount"] / pace))
    if runs_out >= segment["ending_before"]:
        return f"At the current pace it lasts until it ends on {ends}."
    return f"At the current pace it runs out around {runs_out:%Y-%m-%d}."
