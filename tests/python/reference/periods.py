"""Billing periods of rules 4.5 and finalization of rules 5."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .config import Contract

_MONTH_STEPS = {"MONTHLY": 1, "QUARTERLY": 3, "ANNUAL": 12}
_CALENDAR_ANCHOR = date(2000, 1, 1)  # FIRST_OF_MONTH: calendar months, quarters, years


@dataclass(frozen=True)
class Period:
    """One usage statement period [start, end) of a contract."""

    start: datetime
    end: datetime


def add_months(anchor: date, months: int) -> date:
    """anchor + months, counted from the anchor; a day the month lacks falls on its last day."""
    index = anchor.year * 12 + (anchor.month - 1) + months
    year, month0 = divmod(index, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(anchor.day, last_day))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def schedule_anchor(contract: Contract) -> date:
    """Rules 4.5: the date the schedule's boundaries are counted from.

    FIRST_OF_MONTH: calendar boundaries (WEEKLY: the contract start); CONTRACT_START: the date of
    starting_at; CUSTOM_DATE: billing_anchor_date (the contract start when it is null).
    """
    start_date = contract.starting_at.astimezone(UTC).date()
    if contract.day == "CUSTOM_DATE" and contract.billing_anchor_date is not None:
        return contract.billing_anchor_date.astimezone(UTC).date()
    if contract.day == "FIRST_OF_MONTH" and contract.frequency != "WEEKLY":
        return _CALENDAR_ANCHOR
    return start_date


def boundary(contract: Contract, k: int) -> datetime:
    """The k-th schedule boundary (k any integer), at 00:00 UTC."""
    anchor = schedule_anchor(contract)
    if contract.frequency == "WEEKLY":
        return _midnight(anchor + timedelta(days=7 * k))
    return _midnight(add_months(anchor, k * _MONTH_STEPS[contract.frequency]))


def _boundary_index(contract: Contract, instant: datetime) -> int:
    """The k with boundary(k) <= instant < boundary(k + 1)."""
    anchor = schedule_anchor(contract)
    if contract.frequency == "WEEKLY":
        k = (instant.date() - anchor).days // 7
    else:
        months = (instant.year - anchor.year) * 12 + instant.month - anchor.month
        k = months // _MONTH_STEPS[contract.frequency]
    while boundary(contract, k) > instant:
        k -= 1
    while boundary(contract, k + 1) <= instant:
        k += 1
    return k


def period_for(contract: Contract, instant: datetime) -> Period:
    """Rules 4.5: the period holding `instant`; the first starts at the contract start, the last
    ends at its ending_before."""
    k = _boundary_index(contract, instant)
    start = max(boundary(contract, k), contract.starting_at)
    end = boundary(contract, k + 1)
    if contract.ending_before is not None:
        end = min(end, contract.ending_before)
    return Period(start=start, end=end)


def finalized_at(period: Period, grace_hours: int) -> datetime:
    """Rules 5: a period's finalized_at is its end + grace."""
    return period.end + timedelta(hours=grace_hours)


def is_finalized(period: Period, as_of: datetime, grace_hours: int) -> bool:
    """Rules 5: a period is finalized when as_of >= finalized_at."""
    return as_of >= finalized_at(period, grace_hours)
