"""Time helpers and the history the sample covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

US = 1_000_000  # microseconds per second
HOUR_US = 3600 * US
DAY_US = 24 * HOUR_US


# ---------------------------------------------------------------------------------------------
# Time helpers
# ---------------------------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """Aware datetime -> '2026-01-01T00:00:00Z' (None stays None)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_us(value: datetime) -> int:
    """Aware datetime -> microseconds since the Unix epoch (exact)."""
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def add_months(value: datetime, months: int) -> datetime:
    """Calendar month step; a day the target month lacks falls on its last day."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_first = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    last_day = (next_first - timedelta(days=1)).day
    return value.replace(year=year, month=month, day=min(value.day, last_day))


def month_floor(value: datetime) -> datetime:
    return value.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def day_floor(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Timeline:
    """The history the data covers: events fall in [hist_start, as_of)."""

    as_of: datetime
    hist_start: datetime
    h0: datetime  # first of the month holding hist_start: most contracts start here
    h_mid: datetime  # month boundary near the middle: list prices change here

    @classmethod
    def build(cls, as_of: datetime, months: int) -> Timeline:
        hist_start = add_months(as_of, -months)
        h0 = month_floor(hist_start)
        h_mid = month_floor(hist_start + (as_of - hist_start) / 2)
        if h_mid <= h0:
            h_mid = add_months(h0, 1)
        return cls(as_of, hist_start, h0, h_mid)

    def at(self, fraction: float) -> datetime:
        """The day boundary at `fraction` of the history."""
        return day_floor(self.hist_start + (self.as_of - self.hist_start) * fraction)
