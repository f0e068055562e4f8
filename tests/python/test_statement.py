"""Statement pages (`scripts/statement.py`) on the customer_spend scenario's warehouse (built by
conftest's `customer_spend`, shared with test_alerts.py).

The pages are written once, for every customer, with a breakdown by user and model and one
folder per end customer. Every page is checked as written (numbers in data attributes against
the marts, links inside the folder handed over, nothing fetched from anywhere); the statement
customer's pages are then opened in headless Chromium (the docs test's setup) with networking
disabled: they render with no failed request and no request at all, show the invoice total of
fct_invoices, breakdown rows adding up to it, one bar group per day with spend, each balance's
remaining amount from dim_balances, and on an end customer's page only its rated events; on a
phone-sized screen nothing overflows sideways. With RATED_EVENTS_UPDATE_SCREENSHOT=1 the test of
the January page refreshes the README's picture, docs/img/statement.png.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from decimal import Decimal as D
from html.parser import HTMLParser
from pathlib import Path

import pytest
from customer_spend import STATEMENT_CUSTOMER
from dbt_runner import PROJECT_DIR
from test_docs_browser import README_IMAGES, WAIT_SECONDS, browser_missing

# Both files read the session's customer_spend build: one worker runs them (conftest.py).
TEST_GROUP = "customer_spend"

CENT = Decimal("0.01")
TOLERANCE = Decimal("0.000001")  # per line: rated events reconcile with lines within 1e-6
JANUARY = "2026-01-01_2026-02-01.html"
FEBRUARY = "2026-02-01_2026-03-01.html"
LAPTOP, PHONE = (1280, 800), (390, 844)


def run_statement(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/statement.py", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def run(customer_spend):
    return customer_spend.run


@pytest.fixture(scope="module")
def out(run, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("statements") / "out"
    result = run_statement(
        "--db", str(run.db_path), "--out", str(folder),
        "--by", "user_id,model", "--end-customer-key", "end_customer",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "statements for 6 customer(s)" in result.stdout, result.stdout
    return folder


class Tags(HTMLParser):
    """Every start tag of a page as (tag, attributes)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def having(self, css_class: str) -> list[dict]:
        return [attrs for _, attrs in self.tags if css_class in attrs.get("class", "").split()]


def tags(path: Path) -> Tags:
    return Tags(path.read_text(encoding="utf-8"))


def statement_pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if p.name != "index.html")


# ------------------------------------------------------------------------- written pages
def test_one_folder_per_customer_with_its_index(out, run):
    customers = {row[0] for row in run.query("select distinct customer_id from fct_invoices")}
    assert {p.name for p in out.iterdir() if p.is_dir()} == customers
    assert (out / "index.html").is_file()
    folder = out / STATEMENT_CUSTOMER
    assert sorted(p.name for p in folder.glob("*.html")) == [
        "2026-01-01_2026-02-01.html",
        FEBRUARY,
        "index.html",
    ]
    ends = sorted(p.name for p in (folder / "end-customers").iterdir())
    assert ends == ["acme", "globex", "umbrella"]
    assert (folder / "end-customers" / "acme" / JANUARY).is_file()


def test_pages_need_no_network_and_link_only_inside_their_folder(out):
    """Nothing to fetch (no script, stylesheet, image or font by URL); every link resolves to a
    page of the folder the page is handed over in (the customer's, or the end customer's)."""
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        # (SVG's namespace names are names, never fetched)
        assert "http://" not in text.replace("http://www.w3.org/", "") and "https://" not in text
        assert not [t for t, a in tags(page).tags if t in ("script", "link", "img", "iframe")]
        handed_over = page.parent
        for _, attrs in tags(page).tags:
            href = attrs.get("href")
            if href is None or href.startswith("#"):
                continue
            target = (page.parent / href).resolve()
            assert target.is_file(), (page, href)
            if page.parent != out:
                assert handed_over.resolve() in target.parents, (page, href)


def test_every_invoice_total_and_breakdown_adds_up(out, run):
    """On every customer's page: each invoice total is fct_invoices.total; the breakdown's
    billed column adds up to the invoices' totals and its usage column to their USAGE lines."""
    invoices = {row["invoice_id"]: row for row in run.query_dicts("select * from fct_invoices")}
    usage = dict(
        run.query(
            "select invoice_id, sum(amount) from fct_invoice_line_items "
            "where line_type = 'USAGE' group by all"
        )
    )
    lines = dict(run.query("select invoice_id, count(*) from fct_invoice_line_items group by all"))
    checked = 0
    for page in statement_pages(out):
        if "end-customers" in page.parts:
            continue
        parsed = tags(page)
        totals = parsed.having("invoice-total")
        assert totals, page
        for total in totals:
            assert Decimal(total["data-total"]) == invoices[total["data-invoice-id"]]["total"]
        ids = [total["data-invoice-id"] for total in totals]
        rows = parsed.having("breakdown-row")
        tolerance = TOLERANCE * max(1, sum(lines.get(i, 0) for i in ids))
        billed = sum((Decimal(row["data-billed"]) for row in rows), Decimal(0))
        assert abs(billed - sum(invoices[i]["total"] for i in ids)) <= tolerance, page
        used = sum((Decimal(row["data-usage"]) for row in rows), Decimal(0))
        assert abs(used - sum(usage.get(i, 0) for i in ids)) <= tolerance, page
        checked += 1
    assert checked >= 10


def test_end_customer_pages_hold_only_their_rated_events(out, run):
    for value in ("acme", "globex", "umbrella"):
        for page in sorted((out / STATEMENT_CUSTOMER / "end-customers" / value).glob("2026-*")):
            (main,) = [a for t, a in tags(page).tags if t == "main"]
            assert main["data-end-customer"] == value
            count, events, amount = run.query(
                """
                select count(*), count(distinct event_id), coalesce(sum(amount), 0)
                from (
                    select * from fct_rated_events_draft
                    union all
                    select * from fct_rated_events_finalized
                )
                where customer_id = ? and json_extract_string(properties, '$.end_customer') = ?
                    and billing_period_start = ?
                """,
                [STATEMENT_CUSTOMER, value, page.name[:10]],
            )[0]
            assert int(main["data-rated-events"]) == count > 0
            assert int(main["data-usage-events"]) == events
            (total,) = tags(page).having("end-customer-total")
            assert Decimal(total["data-usage"]) == amount


def test_unknown_customer_says_so(run, tmp_path):
    result = run_statement("--db", str(run.db_path), "--out", str(tmp_path), "--customer", "nope")
    assert result.returncode == 1
    assert result.stderr.strip() == "no customer 'nope' in the warehouse"


def test_without_a_warehouse(tmp_path):
    result = run_statement("--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert (
        result.stderr.strip() == f"no warehouse at {tmp_path / 'none.duckdb'}: run `make run` first"
    )


# ------------------------------------------------------------------------- in a browser
@pytest.fixture(scope="module")
def offline_browser(tmp_path_factory):
    """Headless Debian Chromium, as the docs test drives it, with networking switched off and
    the network log kept, so that a page's every request (and failure) can be read back."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
    )
    if not chromium or not chromedriver:
        browser_missing("Chromium or chromedriver not found")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--hide-scrollbars",  # the README's picture shows the page, not the window
        f"--window-size={LAPTOP[0]},{LAPTOP[1]}",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")
        driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    try:
        driver.set_page_load_timeout(WAIT_SECONDS)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        yield driver
    finally:
        driver.quit()


def viewport(driver, size: tuple[int, int], mobile: bool = False) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": mobile},
    )


def open_page(driver, page: Path) -> None:
    """Load a page from disk and fail on any request that failed while it loaded."""
    driver.get_log("performance")  # drop what earlier pages logged
    driver.get(page.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    events = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
    failed = [e["params"] for e in events if e["method"] == "Network.loadingFailed"]
    assert failed == [], failed
    requested = [
        e["params"]["request"]["url"]
        for e in events
        if e["method"] == "Network.requestWillBeSent"
        # the browser's own pages and inline data are no requests of the statement's
        and not e["params"]["request"]["url"].startswith(("chrome://", "devtools://", "data:"))
    ]
    assert requested == [page.as_uri()], requested  # the page itself, nothing else
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0


def shown(driver, css: str, attribute: str) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]))"
        ".map(e => e.getAttribute(arguments[1]));",
        css,
        attribute,
    )


@pytest.mark.parametrize("file_name", [JANUARY, FEBRUARY])
def test_statement_in_a_browser(offline_browser, out, run, file_name, tmp_path):
    driver = offline_browser
    viewport(driver, LAPTOP)
    page = out / STATEMENT_CUSTOMER / file_name
    open_page(driver, page)
    start = file_name[:10]
    (invoice,) = run.query_dicts(
        "select * from fct_invoices where customer_id = ? and invoice_type = 'USAGE' "
        "and billing_period_start = ?",
        [STATEMENT_CUSTOMER, start],
    )
    # the invoice total as shown: the mart's exact value, printed in dollars
    (total,) = shown(driver, "tr.invoice-total", "data-total")
    assert Decimal(total) == invoice["total"]
    text = driver.execute_script(
        "return document.querySelector('tr.invoice-total td.num').textContent"
    )
    assert text == f"${(invoice['total'] / 100).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
    assert (invoice["status"] == "DRAFT") == (file_name == FEBRUARY)
    # the breakdown rows add up to it
    billed = sum(Decimal(v) for v in shown(driver, "tr.breakdown-row", "data-billed"))
    assert abs(billed - invoice["total"]) <= TOLERANCE * 50
    # one bar group per day with spend
    bars = {gid.removeprefix("day-") for gid in shown(driver, "#daily svg g[id^='day-']", "id")}
    days = {
        row[0].isoformat()
        for row in run.query(
            """
            select day from (
                select cast(event_timestamp as date) as day, product_id, sum(amount) as amount
                from (
                    select * from fct_rated_events_draft
                    union all
                    select * from fct_rated_events_finalized
                )
                where invoice_id = ? and credit_type_id = 'USD_CENTS'
                group by all
            ) where amount <> 0
            """,
            [invoice["invoice_id"]],
        )
    }
    assert bars == days and len(days) >= 10
    # each commit and credit of the period, with its remaining amount from dim_balances
    remaining = dict(
        run.query(
            "select balance_segment_id, remaining_amount from dim_balances "
            "where contract_id = ? and starting_at < ? and ending_before > ?",
            [invoice["contract_id"], invoice["billing_period_end"], start],
        )
    )
    segments = shown(driver, "dd.balance-remaining", "data-segment-id")
    amounts = shown(driver, "dd.balance-remaining", "data-amount")
    assert dict(zip(segments, map(Decimal, amounts), strict=True)) == remaining
    assert len(remaining) == 2
    # alerts of the period, and what was not billed
    alerts = set(shown(driver, "tr.alert-trigger", "data-alert-id"))
    expected_alerts = {
        row[0]
        for row in run.query(
            "select alert_id from fct_alert_triggers where invoice_id = ?",
            [invoice["invoice_id"]],
        )
    }
    assert alerts == expected_alerts and alerts
    codes = set(shown(driver, "tr.error-group", "data-error-code"))
    assert codes == (
        {"PERIOD_FINALIZED"} if file_name == JANUARY
        else {"INVALID_AGGREGATION_VALUE", "MALFORMED_EVENT"}
    )  # fmt: skip
    # readable on a phone: nothing wider than the screen (wide tables scroll in their box)
    viewport(driver, PHONE, mobile=True)
    try:
        width = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert width[0] <= width[1], width
    finally:
        viewport(driver, LAPTOP)
    if file_name == JANUARY:
        screenshot(driver, tmp_path)


def screenshot(driver, tmp_path: Path) -> None:
    """The README's picture of a statement: the January page's top, at laptop width."""
    update = os.environ.get("RATED_EVENTS_UPDATE_SCREENSHOT") == "1"
    target = (README_IMAGES if update else tmp_path) / "statement.png"
    height = min(driver.execute_script("return document.body.scrollHeight"), 1800)
    viewport(driver, (1100, height))
    try:
        assert driver.save_screenshot(str(target))
    finally:
        viewport(driver, LAPTOP)
    assert target.stat().st_size > 20_000


def test_end_customer_page_in_a_browser(offline_browser, out, run):
    driver = offline_browser
    page = out / STATEMENT_CUSTOMER / "end-customers" / "acme" / JANUARY
    open_page(driver, page)
    users = set(driver.execute_script(
        "return Array.from(document.querySelectorAll('tr.breakdown-row'))"
        ".map(row => row.cells[0].textContent)"
    ))  # fmt: skip
    acme_users = {
        row[0]
        for row in run.query(
            "select distinct json_extract_string(properties, '$.user_id') "
            "from fct_rated_events_finalized where customer_id = ? "
            "and json_extract_string(properties, '$.end_customer') = 'acme'",
            [STATEMENT_CUSTOMER],
        )
    }
    assert users and users <= acme_users
    assert driver.find_elements("css selector", "#invoice") == []
    assert "acme" in driver.title


# ------------------------------------------------------------------------- the parts, alone
def test_shares_add_up_to_exactly_one_hundred_percent():
    from rated_events_tools.statement.data import BreakdownRow, set_shares

    rows = [BreakdownRow((k,), "USD_CENTS", Decimal(1), Decimal(0), Decimal(1)) for k in "abc"]
    set_shares(rows)
    assert [row.share for row in rows] == ["33.4 %", "33.3 %", "33.3 %"]
    rows[0].usage = Decimal(-1)  # a negative group has no share of a total
    set_shares(rows)
    assert {row.share for row in rows} == {"–"}


def test_many_groups_fold_into_one_row_with_their_sums():
    from rated_events_tools.statement.data import MAX_BREAKDOWN_ROWS, BreakdownRow, collapse_tail

    rows = [
        BreakdownRow((f"u{i}", "m"), "USD_CENTS", Decimal(100 - i), Decimal(1), Decimal(99 - i))
        for i in range(40)
    ]
    kept = collapse_tail(rows, 2)
    assert len(kept) == MAX_BREAKDOWN_ROWS
    assert kept[-1].values == ("16 other groups", "")
    for column in ("usage", "covered", "billed"):
        assert sum(getattr(r, column) for r in kept) == sum(getattr(r, column) for r in rows)


def test_names_money_and_outlook():
    from datetime import datetime

    from rated_events_tools.statement.data import outlook
    from rated_events_tools.statement.render import money, safe_name

    assert safe_name("cus_0001") == "cus_0001"
    assert safe_name("a/b") != safe_name("a?b") and "/" not in safe_name("a/b")
    assert safe_name("..") not in ("..", ".") and not safe_name(".hidden").startswith(".")
    assert money(Decimal("123456.5"), "USD_CENTS") == "$1,234.57"
    assert money(Decimal("-0.001"), "USD_CENTS") == "$0.00"
    assert money(Decimal("-300"), "USD_CENTS") == "-$3.00"
    assert money(Decimal("1234.5"), "GPU_CREDITS") == "1,234.50 GPU_CREDITS"
    as_of = datetime(2026, 2, 12)
    segment = {
        "status": "OPEN",
        "has_started": True,
        "amount": Decimal(1000),
        "remaining_amount": Decimal(300),
        "starting_at": datetime(2026, 2, 1),
        "ending_before": datetime(2026, 3, 1),
    }
    # 70 a day over the last 7 days: 300 left lasts about 4.3 days
    covered = [(datetime(2026, 2, day), Decimal(70)) for day in range(5, 12)]
    assert outlook(segment, covered, as_of) == "At the current pace it runs out around 2026-02-16."
    assert outlook(segment, [], as_of) == "Not used in the last 7 days; it ends on 2026-03-01."


# ------------------------------------------------------------------------- custom pricing units
@pytest.fixture(scope="module")
def gpu_statements(build_green, tmp_path_factory):
    """Rules 7b's warehouse (usage and a credit in GPU_CREDITS at 2.5 cents; a cent contract
    with a GPU_CREDITS credit that pays for nothing), its statements written."""
    from test_volume_and_credit_types import AS_OF as GPU_AS_OF
    from test_volume_and_credit_types import SCENARIO as GPU_SCENARIO

    run = build_green("statement_7b", GPU_SCENARIO, GPU_AS_OF)
    folder = tmp_path_factory.mktemp("statements_7b") / "out"
    result = run_statement("--db", str(run.db_path), "--out", str(folder))
    assert result.returncode == 0, result.stdout + result.stderr
    return run, folder


def test_lines_in_a_custom_type_show_both_amounts_and_the_total_is_fiat(gpu_statements):
    run, folder = gpu_statements
    page = tags(folder / "CUS2" / JANUARY)
    expected = {
        (line_type, credit_type, amount, fiat)
        for line_type, credit_type, amount, fiat in run.query(
            "select line_type, credit_type_id, amount, fiat_amount from fct_invoice_line_items"
            " where contract_id = 'C2' and invoice_type = 'USAGE'"
        )
    }
    shown_lines = {
        (
            line["data-line-type"],
            line["data-credit-type"],
            Decimal(line["data-amount"]),
            Decimal(line["data-fiat-amount"]),
        )
        for line in page.having("line-item")
    }
    assert shown_lines == expected
    assert {line[1] for line in shown_lines} == {"GPU_CREDITS"}
    (total,) = page.having("invoice-total")
    assert total["data-credit-type"] == "USD_CENTS"
    assert Decimal(total["data-total"]) == sum(line[3] for line in shown_lines) == Decimal(4000)
    text = (folder / "CUS2" / JANUARY).read_text(encoding="utf-8")
    # each custom line as its credits and as dollars (2,100 credits x 2.5 cents = $52.50)
    assert "2,100.00 GPU_CREDITS" in text and "$52.50" in text and "-$12.50" in text
    assert "In US dollars" in text


def test_breakdown_adds_up_per_credit_type_and_in_fiat(gpu_statements):
    run, folder = gpu_statements
    page = tags(folder / "CUS2" / JANUARY)
    (row,) = page.having("breakdown-row")
    assert row["data-credit-type"] == "GPU_CREDITS"
    assert (Decimal(row["data-usage"]), Decimal(row["data-covered"])) == (D(2100), D(500))
    (fiat_total,) = page.having("breakdown-fiat-total")
    ((usage, covered, billed),) = run.query(
        "select sum(fiat_amount) filter (where line_type = 'USAGE'),"
        " -sum(fiat_amount) filter (where line_type in ('CREDIT', 'COMMIT')),"
        " (select total from fct_invoices where contract_id = 'C2' and line_item_count > 0)"
        " from fct_invoice_line_items where contract_id = 'C2'"
    )
    assert fiat_total["data-credit-type"] == "USD_CENTS"
    assert Decimal(fiat_total["data-usage"]) == usage == D(5250)
    assert Decimal(fiat_total["data-covered"]) == covered == D(1250)
    assert Decimal(fiat_total["data-billed"]) == billed == D(4000)


def test_balances_show_their_own_credit_type(gpu_statements):
    run, folder = gpu_statements
    remaining = dict(run.query("select balance_segment_id, remaining_amount from dim_balances"))
    for customer, segment, text in (
        ("CUS2", "CR2-S1", "0.00 GPU_CREDITS"),
        ("CUS3", "CR3-S1", "100.00 GPU_CREDITS"),
        ("CUS3", "K3-S1", "$0.05"),
    ):
        page = folder / customer / (JANUARY if customer == "CUS2" else FEBRUARY)
        shown_balances = {
            attrs["data-segment-id"]: Decimal(attrs["data-amount"])
            for attrs in tags(page).having("balance-remaining")
        }
        assert shown_balances[segment] == remaining[segment]
        assert f"<strong>{text}</strong>" in page.read_text(encoding="utf-8")


def test_a_fiat_only_invoice_has_no_conversion_column(gpu_statements):
    _run, folder = gpu_statements
    page = folder / "CUS3" / FEBRUARY
    assert not tags(page).having("line-fiat-amount")
    assert not tags(page).having("breakdown-fiat-total")
    assert "In US dollars" not in page.read_text(encoding="utf-8")


def spend_per_day(page: Path) -> dict[str, Decimal]:
    """The daily chart's bars as the page states them exactly: {day: that day's spend}."""
    (chart,) = [a for _, a in tags(page).tags if "data-spend-per-day" in a]
    pairs = (item.split("=") for item in chart["data-spend-per-day"].split())
    return {day: Decimal(amount) for day, amount in pairs}


def test_daily_chart_draws_custom_units_at_their_fiat_value(gpu_statements):
    """CUS2's January is all GPU_CREDITS: each day's bar is that day's rated rows' fiat amounts
    as rules 7b works them out by hand (g1 500; g2 750 - 125; g3 125 + 4,375 - 375), and the
    bars add up to the USAGE line's fiat amount (5,250 cents)."""
    from test_volume_and_credit_types import RATED_ROWS

    expected = {
        f"2026-01-0{day}": sum((row[5] for row in RATED_ROWS[tx]), D(0))
        for tx, day in (("g1", 5), ("g2", 6), ("g3", 7))
    }
    assert expected == {"2026-01-05": D(500), "2026-01-06": D(625), "2026-01-07": D(4125)}
    page = gpu_statements[1] / "CUS2" / JANUARY
    assert spend_per_day(page) == expected
    assert sum(expected.values()) == D(5250)
    text = page.read_text(encoding="utf-8")
    assert text.count('<g id="day-') == 3
    assert "Usage priced in GPU_CREDITS is drawn at its value in US dollars" in text


def test_breakdown_rows_show_their_fiat_value(gpu_statements):
    """The GPU_CREDITS row keeps its credits and adds their value at 2.5 cents each: 2,100
    credits = $52.50 used, 500 = $12.50 paid by the credit, 1,600 = $40.00 billed."""
    _run, folder = gpu_statements
    (row,) = tags(folder / "CUS2" / JANUARY).having("breakdown-row")
    assert (row["data-usage"], row["data-covered"], row["data-billed"]) == ("2100", "500", "1600")
    fiat = (row["data-fiat-usage"], row["data-fiat-covered"], row["data-fiat-billed"])
    assert tuple(map(Decimal, fiat)) == (D(5250), D(1250), D(4000))
    text = (folder / "CUS2" / JANUARY).read_text(encoding="utf-8")
    assert '<span class="muted in-fiat">$52.50</span>' in text
    assert '<span class="muted in-fiat">-$12.50</span>' in text
    assert '<span class="muted in-fiat">$40.00</span>' in text


# ------------------------------------------------------------------------- end customers, mixed
MIXED = "c_mixed"
MIXED_AS_OF = "2026-02-10T00:00:00Z"  # January finalized (Feb 1 + 24 h grace)


def mixed_units() -> tuple:
    """Hooli, on a card in cents with GPU_CREDITS at 2.5 cents: units at 1 cent, GPU hours on
    rules 7b's VOLUME ladder in GPU_CREDITS (10 at 40, 90 at 30, then 20), a GPU_CREDITS credit
    of 200 for January. By hand, in cents:
    - h1 Jan 3, acme: 100 units = 100.
    - h2 Jan 5, acme: 5 hours, tier 1: 200 credits = 500; the credit pays for all of it.
    - h3 Jan 6, globex: 5 -> 15 hours, tier 2: USAGE 10 x 30 = 300 credits (750) and
      USAGE_REPRICE 5 x (30 - 40) = -50 (-125): 250 credits = 625; the credit is used up.
    - h4 Jan 6, no end customer: 50 units = 50.
    acme 600 (500 paid by the credit), globex 625; per day 100, 500, 675; the invoice total
    150 + 1,125 - 500 = 775."""
    import scenario as shared
    from customer_spend import JAN, at, use
    from scenario import Scenario, event

    s = Scenario(
        customers=[shared.customer(MIXED, name="Hooli")],
        contracts=[shared.contract("k_mixed", MIXED, "rc_mixed", start=JAN)],
        rate_cards=[
            shared.rate_card(
                "rc_mixed",
                name="GPU credits",
                conversions=[shared.conversion("GPU_CREDITS", "2.5")],
            )
        ],
        rates=[
            shared.rate("rc_mixed", "p_units", start=JAN, price=1),
            shared.rate(
                "rc_mixed",
                "p_gpu",
                start=JAN,
                tiers=[{"size": 10, "price": 40}, {"size": 90, "price": 30}, {"price": 20}],
                rate_type="VOLUME",
                credit_type_id="GPU_CREDITS",
            ),
        ],
        credits=[
            shared.credit(
                "cr_mixed",
                "k_mixed",
                "p_credit",
                [shared.schedule_item("cr_mixed_jan", 200, JAN, "2026-02-01T00:00:00Z")],
                credit_type_id="GPU_CREDITS",
            )
        ],
    )

    def gpu(tx: str, day: str, hours: int, end_customer: str) -> dict:
        props = {"gpu_seconds": hours * 3600, "end_customer": end_customer}
        return event(tx, MIXED, "gpu", at(day, 10), props, at(day, 10))

    s.add_events(
        [
            use("h1", MIXED, "01-03", 100, end_customer="acme"),
            gpu("h2", "01-05", 5, "acme"),
            gpu("h3", "01-06", 10, "globex"),
            use("h4", MIXED, "01-06", 50),
        ]
    )
    return s, []


@pytest.fixture(scope="module")
def mixed_statements(build_green, tmp_path_factory):
    from customer_spend import customer_spend_scenario

    scenario, _alerts = customer_spend_scenario((mixed_units,))
    run = build_green("statement_mixed", scenario, MIXED_AS_OF)
    folder = tmp_path_factory.mktemp("statements_mixed") / "out"
    result = run_statement(
        "--db", str(run.db_path), "--out", str(folder), "--customer", MIXED,
        "--by", "product_id", "--end-customer-key", "end_customer",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return run, folder / MIXED


def test_mixed_units_in_the_daily_chart_and_the_invoice(mixed_statements):
    run, folder = mixed_statements
    page = folder / JANUARY
    assert spend_per_day(page) == {
        "2026-01-03": D(100),
        "2026-01-05": D(500),
        "2026-01-06": D(675),
    }
    (total,) = tags(page).having("invoice-total")
    assert Decimal(total["data-total"]) == D(775)
    # the breakdown by product: the GPU row in its credits and in cents
    rows = {
        row["data-credit-type"]: (Decimal(row["data-usage"]), Decimal(row["data-fiat-usage"]))
        for row in tags(page).having("breakdown-row")
    }
    assert rows == {"USD_CENTS": (D(150), D(150)), "GPU_CREDITS": (D(450), D(1125))}
    text = page.read_text(encoding="utf-8")
    assert "450.00 GPU_CREDITS" in text and '<span class="muted in-fiat">$11.25</span>' in text
    (fiat_total,) = tags(page).having("breakdown-fiat-total")
    assert (Decimal(fiat_total["data-usage"]), Decimal(fiat_total["data-billed"])) == (
        D(1275),
        D(775),
    )


def test_end_customer_totals_count_custom_units_at_their_fiat_value(mixed_statements):
    _run, folder = mixed_statements
    shown_rows = {
        row["data-end-customer"]: Decimal(row["data-usage"])
        for row in tags(folder / JANUARY).having("end-customer-row")
    }
    assert shown_rows == {"acme": D(600), "globex": D(625)}
    expected = {
        # (usage, paid by the credit, the GPU credits in it, its days)
        "acme": (D(600), D(500), D(200), {"2026-01-03": D(100), "2026-01-05": D(500)}),
        "globex": (D(625), D(0), D(250), {"2026-01-06": D(625)}),
    }
    for value, (usage, covered, credits, days) in expected.items():
        page = folder / "end-customers" / value / JANUARY
        (total,) = tags(page).having("end-customer-total")
        assert total["data-credit-type"] == "USD_CENTS"
        assert (Decimal(total["data-usage"]), Decimal(total["data-covered"])) == (usage, covered)
        (typed,) = tags(page).having("end-customer-credit-type")
        assert typed["data-credit-type"] == "GPU_CREDITS"
        assert Decimal(typed["data-usage"]) == credits
        assert Decimal(typed["data-fiat-usage"]) == credits * D("2.5")
        assert spend_per_day(page) == days
        (fiat_total,) = tags(page).having("breakdown-fiat-total")
        assert Decimal(fiat_total["data-usage"]) == usage
        index = (folder / "end-customers" / value / "index.html").read_text(encoding="utf-8")
        assert f"${usage / 100:,.2f}" in index
    text = (folder / "end-customers" / "acme" / JANUARY).read_text(encoding="utf-8")
    assert "<strong>$6.00</strong> of usage in this period, of which $5.00 paid by" in text


# ------------------------------------------------------------------------- fiat only: as before
def test_fiat_only_pages_add_up_amounts_as_before(out, run):
    """The customer_spend scenario is all cents: the chart's days, the end customers' totals and
    the breakdown read the rated events' `amount` as they did before fiat amounts, and no page
    shows a conversion."""
    january = out / STATEMENT_CUSTOMER / JANUARY
    ((invoice_id,),) = run.query(
        "select invoice_id from fct_invoices where customer_id = ? and invoice_type = 'USAGE' "
        "and billing_period_start = '2026-01-01'",
        [STATEMENT_CUSTOMER],
    )
    rated = """
        select * from fct_rated_events_draft
        union all
        select * from fct_rated_events_finalized
    """
    days = {
        day.isoformat(): amount
        for day, amount in run.query(
            f"select cast(event_timestamp as date), sum(amount) from ({rated}) "
            "where invoice_id = ? group by all having sum(amount) <> 0",
            [invoice_id],
        )
    }
    assert {d: a for d, a in spend_per_day(january).items() if a != 0} == days
    end_customers = dict(
        run.query(
            "select json_extract_string(properties, '$.end_customer'), sum(amount) "
            f"from ({rated}) where invoice_id = ? "
            "and json_extract_string(properties, '$.end_customer') is not null group by all",
            [invoice_id],
        )
    )
    shown_rows = {
        row["data-end-customer"]: Decimal(row["data-usage"])
        for row in tags(january).having("end-customer-row")
    }
    assert shown_rows == end_customers and len(end_customers) == 3
    for page in statement_pages(out):
        parsed = tags(page)
        for row in parsed.having("breakdown-row"):
            assert row["data-credit-type"] == "USD_CENTS"
            assert row["data-fiat-usage"] == row["data-usage"]
            assert row["data-fiat-billed"] == row["data-billed"]
        assert not parsed.having("in-fiat") and not parsed.having("end-customer-credit-type")
        assert not parsed.having("breakdown-fiat-total")
