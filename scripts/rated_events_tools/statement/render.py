"""Pages to HTML: the Jinja2 templates in templates/ (files, autoescaped), the charts inline,
the CSS inline, nothing fetched when a page is opened.

Layout of the output folder (one folder per customer, to hand over as it is):

    OUT/index.html                                   every customer (for the operator)
    OUT/<customer>/index.html                        the customer's periods
    OUT/<customer>/<period start>_<period end>.html  one statement per billing period
    OUT/<customer>/end-customers/<value>/...         the same for each end customer (its own
                                                     folder, for the customer to hand on)

Links only point inside the folder a page is handed over in: a customer's pages never link to
the operator's index, an end customer's never to its customer's pages.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..cli import render as render_value
from ..cli import rfc3339
from . import charts
from .data import Page

TEMPLATES = Path(__file__).resolve().parent / "templates"
CENT = Decimal("0.01")


def safe_name(text: str) -> str:
    """A file or folder name for any id: letters, digits, `.`, `_` and `-` kept, anything else
    `_`, plus a short hash of the original when it had to change (two ids never share a name)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", text)[:80]
    if cleaned != text or not cleaned or cleaned.startswith("."):
        cleaned = f"{cleaned.lstrip('.') or 'id'}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    return cleaned


def period_file(page: Page) -> str:
    return f"{page.period_start:%Y-%m-%d}_{page.period_end:%Y-%m-%d}.html"


def page_folder(page: Page) -> Path:
    """The page's folder, relative to the output folder."""
    folder = Path(safe_name(page.customer_id))
    if page.end_customer is not None:
        folder = folder / "end-customers" / safe_name(page.end_customer)
    return folder


# ------------------------------------------------------------------------- formatting
def money(amount: Decimal | None, credit_type_id: str) -> str:
    """Credit units for people: USD cents as dollars (`$1,234.57`, `-$3.00`), any other credit
    type as its amount and name (`1,234.5 GPU_CREDITS`)."""
    if amount is None:
        return "–"
    if credit_type_id == "USD_CENTS":
        dollars = (amount / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        sign = "-" if dollars < 0 else ""
        return f"{sign}${abs(dollars):,.2f}"
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{rounded:,.2f} {credit_type_id}"


def credit_type_name(credit_type_id: str) -> str:
    """A credit type as people read it: `US dollars` for USD cents, else its id."""
    return "US dollars" if credit_type_id == "USD_CENTS" else credit_type_id


def chart_unit(credit_type_id: str) -> tuple[Decimal, str]:
    return (Decimal(100), "USD") if credit_type_id == "USD_CENTS" else (Decimal(1), credit_type_id)


def quantity(value: Decimal | None) -> str:
    if value is None:
        return "–"
    text = render_value(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-') or 0):,}"
    return sign + grouped + (f".{fraction}" if fraction else "")


def when(value: datetime | date | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return f"{value:%Y-%m-%d}"
        return f"{value:%Y-%m-%d %H:%M} UTC"
    return value.isoformat()


def group_values(text: str | None) -> str:
    """A pricing group values object as `model: atlas-large, region: us-east-1`."""
    if not text:
        return ""
    values = json.loads(text)
    return ", ".join(f"{key}: {'–' if value is None else value}" for key, value in values.items())


def exact(value: Decimal | None) -> str:
    """The exact decimal, for data attributes (tests and scripts read these, people the text)."""
    return "" if value is None else render_value(value)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=money,
        credit_type_name=credit_type_name,
        quantity=quantity,
        when=when,
        group_values=group_values,
        exact=exact,
        rfc3339=rfc3339,
    )
    return env


# ------------------------------------------------------------------------- pages
def page_context(
    page: Page,
    products: dict[str, str],
    product_order: list[str],
    nav: dict,
    by: list[str],
    end_customer_key: str | None,
) -> dict:
    """Everything the statement template shows, charts drawn."""
    fiat = page.fiat_credit_type_id
    unit = chart_unit(fiat)
    shown_products = sorted(
        {product for _, product in page.daily},
        key=lambda p: product_order.index(p) if p in product_order else len(product_order),
    )
    product_colors = {
        product: charts.color(product_order.index(product) if product in product_order else 0)
        for product in shown_products
    }
    daily_chart = None
    if page.daily:
        daily_chart = charts.daily_spend_chart(
            page.daily,
            shown_products,
            product_colors,
            page.period_start.date(),
            page.period_end.date(),
            unit,
        )
    balances = [
        {
            "view": balance,
            # a segment untouched in the period is a flat line: said in words, not drawn
            # in the segment's own credit type (a GPU_CREDITS credit burns down in credits)
            "chart": charts.burn_down_chart(
                balance.chart_points,
                balance.segment["amount"],
                chart_unit(balance.segment["credit_type_id"]),
            )
            if len(balance.chart_points) > 1 and balance.used_in_period != 0
            else None,
        }
        for balance in page.balances
    ]
    return {
        "page": page,
        "fiat": fiat,
        "products": products,
        "product_colors": product_colors,
        "daily_chart": daily_chart,
        "balances": balances,
        "by": by,
        "end_customer_key": end_customer_key,
        "nav": nav,
        "days_with_spend": sorted({day.isoformat() for day, _ in page.daily}),
        # each day's bar, exactly (every product, in fiat): `2026-01-05=500 ...`
        "spend_per_day": [f"{day.isoformat()}={exact(amount)}" for day, amount in per_day(page)],
    }


def per_day(page: Page) -> list[tuple[date, Decimal]]:
    totals: dict[date, Decimal] = {}
    for (day, _product), amount in page.daily.items():
        totals[day] = totals.get(day, Decimal(0)) + amount
    return sorted(totals.items())


def write_page(out: Path, page: Page, env: Environment, context: dict) -> Path:
    path = out / page_folder(page) / period_file(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(env.get_template("statement.html.j2").render(**context), encoding="utf-8")
    return path


def write_index(path: Path, env: Environment, **context) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(env.get_template("index.html.j2").render(**context), encoding="utf-8")
