"""Value rules (rules section 8): timestamps, JSON, canonical comparison text, numbers, rounding."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, getcontext
from typing import Any

# Exact decimal arithmetic: 38-digit operands multiply without loss at this precision.
getcontext().prec = 200

STORAGE_PLACES = 12
_STORAGE_QUANTUM = Decimal(1).scaleb(-STORAGE_PLACES)
NUMERIC_LIMIT = Decimal(10) ** 26
# Canonical text of numbers with absurd exponents would be gigabytes long; keep Decimal's form.
_MAX_PLAIN_EXPONENT = 1000

_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_BLANK = re.compile(r"[ \t\n\r\f\v]*")


def parse_rfc3339(text: str | None) -> datetime | None:
    """Rules 8 Timestamps: strict RFC 3339 with a zone; fraction truncated to microseconds.

    Returns an aware UTC datetime, or None when the text is unparseable (MALFORMED_EVENT).
    """
    if text is None:
        return None
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = (match.group(7) or "")[:6].ljust(6, "0")
    zone = match.group(8)
    offset = timedelta(0)
    if zone not in ("Z", "z"):
        off_hours, off_minutes = int(zone[1:3]), int(zone[4:6])
        if off_hours > 23 or off_minutes > 59:
            return None
        offset = timedelta(hours=off_hours, minutes=off_minutes)
        if zone[0] == "-":
            offset = -offset
    try:
        local = datetime(year, month, day, hour, minute, second, int(fraction))
        return (local - offset).replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # impossible date, year 0, leap second, out of range
        return None


def parse_config_time(value: Any) -> datetime | None:
    """A configuration timestamp (rules 3: UTC ISO-8601); a bare date means 00:00 UTC."""
    if value is None:
        return None
    text = str(value)
    parsed = parse_rfc3339(text)
    if parsed is not None:
        return parsed
    loose = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if loose.tzinfo is None:
        return loose.replace(tzinfo=UTC)
    return loose.astimezone(UTC)


def is_missing(value: str | None) -> bool:
    """Rules 8 Missing: null, empty or blank (ASCII whitespace only)."""
    return value is None or _BLANK.fullmatch(value) is not None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259)")


def loads_strict(text: str) -> Any:
    """RFC 8259 JSON; numbers become exact Decimals from their literal text (never floats)."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)


def parse_properties(text: str | None) -> dict[str, Any] | None:
    """Rules 8 Properties: null column = {}; a non-object or invalid JSON = None (MALFORMED_EVENT).

    Properties whose value is JSON null are absent; of duplicate keys the last wins.
    """
    if text is None:
        return {}
    try:
        value = loads_strict(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    return {key: item for key, item in value.items() if item is not None}


def canonical_number(number: Decimal) -> str:
    """Rules 8 Comparing values: a number in canonical decimal form (`5e0`, `5.0` -> `5`)."""
    if number.is_zero():
        return "0"
    if abs(number.adjusted()) > _MAX_PLAIN_EXPONENT:
        return str(number.normalize())
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def canonical_text(value: Any) -> str:
    """Rules 8 comparison text of a JSON value (string as is, number canonical, bool lower case).

    Nested arrays/objects (outside the contract) compare by compact JSON text.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return canonical_number(value)
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ",".join(_json_item(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (
            json.dumps(key, ensure_ascii=False) + ":" + _json_item(item)
            for key, item in value.items()
        )
        return "{" + ",".join(items) + "}"
    return str(value)


def _json_item(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return canonical_text(value)


def numeric_value(value: Any) -> Decimal | None:
    """Rules 8 Numeric: a JSON number or a plain-decimal string with |v| < 10^26, else None.

    The value is stored R-rounded to 12 decimals.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and _PLAIN_DECIMAL.fullmatch(value):
        number = Decimal(value)
    else:
        return None
    if not number.is_finite() or abs(number) >= NUMERIC_LIMIT:
        return None
    return r12(number)


def to_decimal(value: Any) -> Decimal | None:
    """A configuration number: JSON number or a string holding a decimal (rules 3)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"not a number: {value!r}")
    return Decimal(str(value)) if not isinstance(value, Decimal) else value


def r12(number: Decimal) -> Decimal:
    """Rules 8 R: round half away from zero to 12 decimal places."""
    return number.quantize(_STORAGE_QUANTUM, rounding=ROUND_HALF_UP)


def _as_scaled_int(number: Decimal) -> tuple[int, int]:
    """number = integer * 10**exponent, exactly."""
    sign, digits, exponent = number.as_tuple()
    integer = int("".join(map(str, digits)) or "0")
    return (-integer if sign else integer), int(exponent)


def div_r12(numerator: Decimal, denominator: Decimal) -> Decimal:
    """R(numerator / denominator), exact: computed in scaled integers, half away from zero."""
    if denominator.is_zero():
        raise ZeroDivisionError("division by zero")
    n_int, n_exp = _as_scaled_int(numerator)
    d_int, d_exp = _as_scaled_int(denominator)
    shift = n_exp - d_exp + STORAGE_PLACES  # result * 10^12 = n_int * 10^shift / d_int
    if shift >= 0:
        top, bottom = n_int * 10**shift, d_int
    else:
        top, bottom = n_int, d_int * 10 ** (-shift)
    negative = (top < 0) != (bottom < 0)
    quotient, remainder = divmod(abs(top), abs(bottom))
    if 2 * remainder >= abs(bottom):
        quotient += 1
    return Decimal(-quotient if negative else quotient).scaleb(-STORAGE_PLACES)
