"""Hostile raw events for the reliability tests (tests/python/test_hostile_events.py).

`HostileGenerator` writes adversarial events beside a batch of well-formed scenarios
(strategies.py): random bytes and arbitrary text, 100 KB strings, JSON nested 200 deep,
unicode (emoji, right-to-left text, NUL as \\u0000 in JSON strings and raw NUL characters in
text columns), extreme numbers (1e308, -0, 1e-30, 1e400, 30-digit integers), empty strings,
odd-but-valid and invalid RFC 3339 timestamps, injection-like text and exact duplicates spread
across files.

Every hostile event is **non-billable by construction**, so the well-formed events rate exactly
as they do alone. The classes and why none of them can be billed (rules 4.1-4.2, 6, 8):

* `bad_timestamp` - unparseable timestamp (year 0000, leap second, offset +24:00, impossible
  dates, no zone, characters around it, unicode digits, 100 KB, arbitrary text + "!") ->
  MALFORMED_EVENT; rejected at ingest, so it takes no part in deduplication (it may reuse a
  scenario transaction_id).
* `bad_properties` - properties that are not one RFC 8259 JSON object (non-object JSON, NaN /
  Infinity / trailing commas, raw control characters or NUL inside strings, BOM, two objects,
  unbalanced nesting 200 deep, random bytes, arbitrary text) -> MALFORMED_EVENT.
* `missing_ids` - null, empty or ASCII-blank transaction_id / customer_id / event_type, and the
  "empty string in every column" event -> MALFORMED_EVENT.
* `null_received_at` - no received_at (project decision, docs/decisions.md) -> MALFORMED_EVENT.
* `too_old` / `in_future` - valid timestamps (odd forms: offsets +14:00 / -23:59, `t`/space
  separators, 100 fractional digits) more than 34 days before / 24 hours after receipt ->
  TIMESTAMP_TOO_OLD / TIMESTAMP_IN_FUTURE; rejected at ingest like MALFORMED_EVENT.
* `edge_year` - years 0001 and 9999 with offsets that push the instant out of 0001-9999 ->
  ERRORED as MALFORMED_EVENT or the timestamp-window code (the rules do not say which); the plain
  0001 / 9999 forms are valid and must be TIMESTAMP_TOO_OLD / TIMESTAMP_IN_FUTURE.
* `unknown_customer` - a billable-looking event (scenario event type and properties) whose
  customer_id is no customer id or alias: near misses of real refs (trailing space, raw NUL,
  upper case, zero-width or bidi marks, full-width forms, a truncated id), emoji, injection,
  100 KB, arbitrary text -> CUSTOMER_NOT_FOUND. A unique transaction_id (prefix `h`), so it
  makes no scenario event a duplicate.
* `unknown_type` - a known customer (id or alias) and an event type that no metric lists (near
  misses of scenario types, arbitrary text...), with valid but hostile properties that never
  carry a scenario's `flag_<prefix>` key (the one property metrics without an event-type filter
  require) except as JSON null or as a duplicate key whose last value is null (both absent by
  rules 8) -> NOT_BILLABLE. Unique transaction_id.
* `unicode_blank` - ids made only of whitespace outside ASCII (\\v, NBSP, U+3000, U+2028,
  zero-width space...): whether that is "blank" is not specified, so the outcome may be either
  MALFORMED_EVENT or what the event would otherwise get (CUSTOMER_NOT_FOUND / NOT_BILLABLE).
* `late_receipt` - received after as_of: no outcome at all (it does not exist yet).
* `late_resend` - a scenario transaction_id sent again 1 us, 1 s, exactly 34 days, 34 days +
  1 us or 40 days after its last scenario copy, by an unknown customer (or a known one with an
  unknown event type and flag-free properties): DUPLICATE when the last accepted copy was
  received at most 34 days before, else kept and CUSTOMER_NOT_FOUND (NOT_BILLABLE). Received
  after every scenario copy (one resend per id), it changes no scenario dedupe decision.
* `copy_of_scenario` / `copy_of_hostile` - byte-identical copies of earlier rows in later
  hostile files: DUPLICATE, or the original's rejection code when the original was rejected
  at ingest. Copies sort after their original (same values, later file), so the kept copy
  and every other duplicate decision stay as they were.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from reference.values import is_missing, parse_properties

HUGE = 100_000
DEPTH = 200
VALIDATION_CODES = frozenset({"MALFORMED_EVENT", "TIMESTAMP_IN_FUTURE", "TIMESTAMP_TOO_OLD"})
MALFORMED = ("ERRORED", "MALFORMED_EVENT")
NOT_FOUND = ("ERRORED", "CUSTOMER_NOT_FOUND")
TOO_OLD = ("ERRORED", "TIMESTAMP_TOO_OLD")
IN_FUTURE = ("ERRORED", "TIMESTAMP_IN_FUTURE")
NOT_BILLABLE = ("NOT_BILLABLE", None)

INJECTIONS = (
    "'; drop table x; --",
    '"); DROP TABLE fct_invoices; --',
    "' OR '1'='1",
    "{{ var('as_of') }}",
    "{% do run_query('drop table x') %}",
    "$(rm -rf /)",
    "%s%s%n",
    "\\",
    "';\x00--",
    "Robert'); DROP TABLE students;--",
)
UNICODE_TEXTS = (
    "😀",
    "👩\u200d👩\u200d👧\u200d👦",
    "שלום עולם",
    "مرحبا بالعالم",
    "\u202eevil\u202c",
    "e\u0301\u0301\u0301",
    "ﷺ",
    "𝕳𝖔𝖘𝖙𝖎𝖑𝖊",
    "中文字符",
    "\ufeffbom",
    "\u2028line\u2029",
    "a\x00b",
    "\x00",
    "\x07\x1b[31mred",
)
UNICODE_BLANKS = ("\v", "\u00a0", "\u3000", "\u2028", "\u200b", "\x1c", "\u0085", "\u2003\u2003")
ASCII_BLANKS = (None, "", " ", "\t", "\n", "\r\n  ", "\f", "   \t ")
NUMBER_LITERALS = (
    "1e308",
    "-1e308",
    "1e400",
    "-1e400",
    "-0",
    "-0.0",
    "0e0",
    "1e-30",
    "5e-324",
    "1e-400",
    "123456789012345678901234567890",
    "-123456789012345678901234567890",
    "123456789012345678901234567890.123456789",
    "1E+2",
    "0.1",
    "99999999999999999999999999.5",
    "18446744073709551616",
    "-9223372036854775809",
)
# Valid objects that look invalid to a careless check (strings holding ",}", "NaN", escapes).
TRICKY_OBJECTS = (
    '{"a":",}"}',
    '{"nan":"Infinity","inf":1,"NaN":"-Infinity"}',
    '{"a":"\\",]","b":"\\\\"}',
    '{"a":"\\\\","b":",]"}',
    '{"text":"trailing, }","list":[1, 2]}',
    '{"e":1e5,"E":2E-3,"x":-1.5e+2}',
    '{"a":true,"b":false,"c":null}',
    '{"\\u006e\\u0061\\u006e":1}',
    '{"a":"\\u0000","\\u0000":"\\u0000"}',
    '{"":""}',
    " \t\r\n{}\n\t ",
    "{}",
    '{"a":{},"b":[],"c":[{}],"d":[[]]}',
    '{"a":"line\\nbreak\\ttab\\u2028"}',
)
# Text that is not one JSON object by RFC 8259.
BAD_PROPERTIES = (
    "",
    " ",
    "[]",
    "[1,2]",
    "null",
    "true",
    "42",
    "-0",
    "1e308",
    '"text"',
    '"{\\"a\\":1}"',
    '""',
    "{",
    "}",
    "{not json",
    "{'a': 1}",
    '{"a":1,}',
    '{"a":[1,2,]}',
    '{"a":"x",}',
    '{"a":"\\"",}',
    '{"a":1,\n}',
    '{"s":"nan",}',
    '{"a":NaN}',
    '{"a":nan}',
    '{"a":Infinity}',
    '{"a":-Infinity}',
    '{"a":inf}',
    '{"a":-nan}',
    '{"a":1}{"b":2}',
    '{"a":1} x',
    '{"a":01}',
    '{"a":.5}',
    '{"a":+1}',
    '{"a":0x1F}',
    '{"a":1e}',
    '{"a":1.5.5}',
    '{"a":-}',
    '{"a":"unterminated}',
    "{a:1}",
    '{"a" 1}',
    '{"a":1 "b":2}',
    '{"a":1,,"b":2}',
    "{,}",
    "/* c */{}",
    "{}//",
    "\ufeff{}",
    '{"a":"x\x00y"}',
    '{"a":1}\x00',
    '\x00{"a":1}',
    '{"a":"tab\there"}',
    '{"a":"bell\x07"}',
    '{"a":"\\x41"}',
    '{"a":"\\u00zz"}',
    '{"a": True}',
    '{"a": None}',
    "\u00a0{}",
    "{}\u00a0",
    "'; drop table x; --",
    '{"a":"\'; drop table x; --"',
)
NEAR_MISS_MAPS = (
    lambda ref: ref + " ",
    lambda ref: " " + ref,
    lambda ref: ref + "\x00",
    lambda ref: ref + "\x00garbage",
    lambda ref: ref.upper(),
    lambda ref: "\u200b" + ref,
    lambda ref: ref + "\u200f",
    lambda ref: ref.replace("-", "\u2010"),
    lambda ref: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in ref),
    lambda ref: ref[:-1],
    lambda ref: ref + ref,
    lambda ref: ref + "'; drop table x; --",
    lambda ref: ref + "\n",
    lambda ref: ref + "%",
    lambda ref: ref.replace("s", "_", 1),
)


@dataclass
class HostileEvent:
    """One hostile raw row, what it must become, and where it was written."""

    kind: str
    row: dict
    # allowed (outcome, error_code) pairs; None: derived from the original's outcome (a copy)
    expected: frozenset[tuple[str, str | None]] | None
    # the instant the timestamp text must parse to (a valid timestamp), else None
    expected_timestamp: datetime | None = None
    copy_of: tuple[str, int] | None = None
    note: str = ""
    location: tuple[str, int] | None = None
    # a late resend of this scenario transaction_id: `expected` holds the outcome when it is
    # kept; it is a DUPLICATE when the last accepted copy came at most the window before it
    resend_of: str | None = None


@dataclass
class ScenarioContext:
    """What the hostile events need to know about the well-formed batch."""

    customer_refs: list[str]
    event_types: set[str]
    metric_event_types: list[str]
    flags: set[str]
    transaction_ids: list[str]
    billable_properties: list[str]
    rows: list[tuple[tuple[str, int], dict]] = field(default_factory=list)


def scenario_context(scenario: Any) -> ScenarioContext:
    refs = [c["id"] for c in scenario.customers] + [
        alias for c in scenario.customers for alias in c["ingest_aliases"]
    ]
    metric_types = sorted(
        {
            t
            for m in scenario.billable_metrics
            for t in ((m["event_type_filter"] or {}).get("in_values") or [])
        }
    )
    flags = {
        f["name"]
        for m in scenario.billable_metrics
        for f in m["property_filters"]
        if f["name"].startswith("flag_")
    }
    rows = [
        ((f"events/{file_name}", index), row)
        for file_name, file_rows in scenario.event_files.items()
        for index, row in enumerate(file_rows)
    ]
    event_types = set(metric_types) | {row["event_type"] for _, row in rows if row["event_type"]}
    billable = [
        row["properties"]
        for _, row in rows
        if row["properties"] is not None and parse_properties(row["properties"]) is not None
    ]
    return ScenarioContext(
        customer_refs=sorted(set(refs)),
        event_types=event_types,
        metric_event_types=metric_types or sorted(event_types),
        flags=flags,
        transaction_ids=sorted({row["transaction_id"] for _, row in rows if row["transaction_id"]}),
        billable_properties=billable or ["{}"],
        rows=rows,
    )


def iso_z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + "Z"


class HostileGenerator:
    """Hostile events for one batch, drawn from a seeded Random plus Hypothesis-drawn atoms."""

    def __init__(
        self,
        seed: int,
        atoms: Sequence[str],
        context: ScenarioContext,
        as_of: datetime,
        huge_budget: int = 14,
    ) -> None:
        self.rng = random.Random(seed)
        self.atoms = list(atoms) or ["atom"]
        self.ctx = context
        self.as_of = as_of
        self.huge_budget = huge_budget
        self.serial = 0
        self.resent: set[str] = set()

    # ---- small helpers ----------------------------------------------------------------

    def pick(self, options: Sequence[Any]) -> Any:
        return options[self.rng.randrange(len(options))]

    def chance(self, percent: float) -> bool:
        return self.rng.random() * 100 < percent

    def huge(self, unit: str = "x") -> str | None:
        """A ~100 KB string, while the budget lasts (keeps builds fast)."""
        if self.huge_budget <= 0:
            return None
        self.huge_budget -= 1
        return (unit * (HUGE // max(len(unit), 1) + 1))[:HUGE]

    def unique_tx(self, decorate: bool = True) -> str:
        """A transaction_id no other event carries (accepted hostile events must not dedupe)."""
        self.serial += 1
        base = f"h{self.serial:05d}"
        if decorate and self.chance(35):
            return base + self.pick(("", "\x00", " ", "-")) + self.weird_text(allow_huge=False)
        return base

    def weird_text(self, allow_huge: bool = True) -> str:
        roll = self.rng.randrange(100)
        if roll < 30:
            return self.pick(self.atoms)
        if roll < 50:
            return self.pick(INJECTIONS)
        if roll < 80:
            return self.pick(UNICODE_TEXTS)
        if roll < 85 and allow_huge:
            text = self.huge(self.pick(("x", "😀", "ש", "\x00", "'")))
            if text is not None:
                return text
        return "".join(chr(self.rng.randrange(1, 0x2FFF)) for _ in range(self.rng.randrange(1, 20)))

    def random_bytes_text(self) -> str:
        data = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(0, 60)))
        return data.decode(self.pick(("utf-8", "latin-1")), "replace")

    def moment(self, start: datetime, end: datetime) -> datetime:
        span = int((end - start).total_seconds())
        moment = start + timedelta(seconds=self.rng.randrange(span))
        if self.chance(50):
            moment += timedelta(microseconds=self.pick((1, 999_999, self.rng.randrange(1_000_000))))
        return moment

    def in_window(self) -> tuple[datetime, datetime]:
        """(event instant, received_at) that pass the ingest window and are received by as_of."""
        if self.chance(5):
            moment = self.pick(
                (
                    datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
                    datetime(1970, 1, 1, tzinfo=UTC),
                    datetime(1, 1, 2, 0, 0, 0, 1, tzinfo=UTC),  # received in year 1
                )
            )
            return moment, moment + timedelta(seconds=self.rng.randrange(0, 86_400))
        moment = self.moment(datetime(2025, 11, 1, tzinfo=UTC), datetime(2026, 4, 11, tzinfo=UTC))
        received = moment + timedelta(seconds=self.rng.randrange(0, 6 * 3600))
        if self.chance(10):
            received = moment - timedelta(hours=self.rng.randrange(0, 23))  # early clock
        return moment, min(received, self.as_of)

    # ---- timestamps ---------------------------------------------------------------------

    def timestamp_text(self, moment: datetime) -> str:
        """A valid RFC 3339 text for `moment` (micro precision), in an odd form."""
        offset_minutes, zone = self.pick(
            (
                (0, "Z"),
                (0, "z"),
                (0, "+00:00"),
                (0, "-00:00"),
                (14 * 60, "+14:00"),
                (-12 * 60, "-12:00"),
                (23 * 60 + 59, "+23:59"),
                (-(23 * 60 + 59), "-23:59"),
                (5 * 60 + 45, "+05:45"),
                (-(3 * 60 + 30), "-03:30"),
            )
        )
        local = moment + timedelta(minutes=offset_minutes)
        separator = self.pick(("T", "t", " "))
        micro = f"{local.microsecond:06d}"
        roll = self.rng.randrange(100)
        if roll < 25:
            fraction = "." + micro + "".join(self.pick("0123456789") for _ in range(94))
        elif roll < 35:
            fraction = "." + micro + "9" * 94  # truncated, never rounded up
        elif roll < 40:
            fraction = "." + micro + (self.huge("9") or "999")
        elif roll < 55:
            fraction = "." + micro + "123"  # nanoseconds
        elif local.microsecond == 0 and self.chance(50):
            fraction = ""
        else:
            fraction = "." + (micro.rstrip("0") or "0")
        return (
            f"{local.year:04d}-{local.month:02d}-{local.day:02d}{separator}"
            f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}{fraction}{zone}"
        )

    def bad_timestamp_text(self, moment: datetime) -> str:
        base = iso_z(moment)
        day = base[:10]
        fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in base)
        arabic = "".join(chr(ord(c) - 48 + 0x0660) if c.isdigit() else c for c in base)
        options = [
            "0000" + base[4:],
            day + "T23:59:60Z",
            "2016-12-31T23:59:60Z",
            base[:-1] + "+24:00",
            base[:-1] + "+14:60",
            base[:-1] + "-99:99",
            "2026-02-29T10:00:00Z",
            "2026-02-30T10:00:00Z",
            "2026-04-31T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-00-10T10:00:00Z",
            "2026-01-00T10:00:00Z",
            day + "T24:00:00Z",
            day + "T10:60:00Z",
            base[:-1],
            day,
            base[:16] + "Z",
            base[:-1] + ".Z",
            base[:-1] + "+0100",
            base[:-1] + "+01",
            base[:-1] + " Z",
            base[:-1] + "UTC",
            base[:-1] + ".+01:00",
            " " + base,
            base + " ",
            base + "\n",
            base + "\x00",
            "\x00" + base,
            base + "\u200f",
            "\ufeff" + base,
            base + base,
            fullwidth,
            arabic,
            "-" + base,
            "+0" + base,
            "2" + base,
            "2026-1-10T10:00:00Z",
            "",
            "NaN",
            "1767225600",
            "-0",
            "1e308",
            "😀",
            "שלום",
            "'; drop table x; --",
            base[:-1] + "." + "1" * 1000,  # many fraction digits but no zone
            self.pick(self.atoms) + "!",
            "!" + self.random_bytes_text(),
        ]
        text = self.pick(options) if self.chance(75) else self.pick(options[:6])
        if self.chance(3):
            text = self.huge(self.pick(("2", "x", "\x00"))) or text
        return text

    # ---- properties ---------------------------------------------------------------------

    def json_string(self, text: str) -> str:
        return json.dumps(text, ensure_ascii=self.chance(50))

    def json_value(self, depth: int = 0) -> str:
        roll = self.rng.randrange(100)
        if roll < 30:
            return self.pick(NUMBER_LITERALS)
        if roll < 37:
            return self.pick(("true", "false", "null"))
        if roll < 70:
            return self.json_string(self.weird_text())
        if roll < 78 and depth == 0:
            deep = self.pick(("[", '{"a":', '[{"b":'))
            closing = {"[": "]", '{"a":': "}", '[{"b":': "}]"}[deep]
            return deep * DEPTH + self.json_value(depth + 1) + closing * DEPTH
        if roll < 88 and depth < 3:
            items = [self.json_value(depth + 1) for _ in range(self.rng.randrange(0, 4))]
            return "[" + ",".join(items) + "]"
        if depth < 3:
            return self.json_object(allow_flag=False, depth=depth + 1)
        return self.pick(NUMBER_LITERALS)

    def json_key(self, allow_flag: bool) -> str:
        roll = self.rng.randrange(100)
        if roll < 40:
            key = self.pick(("v", "w", "model", "region", "kind", "skip", "user", "tokens"))
        elif roll < 45 and allow_flag and self.ctx.flags:
            key = self.pick(sorted(self.ctx.flags))
        else:
            key = self.weird_text(allow_huge=self.chance(20))
        if not allow_flag and key in self.ctx.flags:
            key = "not_" + key
        return key

    def json_object(self, allow_flag: bool, depth: int = 0) -> str:
        """A valid RFC 8259 object; without allow_flag it never carries a scenario flag key
        (other than as JSON null or a duplicate key whose last value is null)."""
        if depth == 0 and self.chance(12):
            return self.pick(TRICKY_OBJECTS)
        entries = [
            (self.json_key(allow_flag), self.json_value(depth))
            for _ in range(self.rng.randrange(0, 6 if depth == 0 else 3))
        ]
        if entries and self.chance(15):
            entries.append((entries[0][0], self.json_value(depth)))  # duplicate key, last wins
        if depth == 0 and self.ctx.flags and self.chance(20):
            flag = self.pick(sorted(self.ctx.flags))
            if self.chance(50):
                entries.append((flag, "null"))  # null = absent
            else:
                entries += [(flag, "1"), (flag, "null")]  # last wins: absent
        space = self.pick(("", " ", "\n", "\t", "\r\n  "))
        body = ("," + space).join(
            f"{self.json_string(key)}{space}:{space}{value}" for key, value in entries
        )
        return space + "{" + space + body + space + "}" + space

    def bad_properties_text(self) -> str:
        roll = self.rng.randrange(100)
        if roll < 45:
            text = self.pick(BAD_PROPERTIES)
        elif roll < 55:
            text = self.pick(("[", '{"a":', "{")) * DEPTH  # unbalanced, 200 deep
        elif roll < 60:
            text = "[" * DEPTH + "1" + "]" * DEPTH  # valid JSON, not an object
        elif roll < 65:
            text = '{"a":"' + (self.huge("y") or "y")  # unterminated 100 KB string
        elif roll < 70:
            text = self.json_object(allow_flag=True) + self.pick((",", "}", "\x00", "x", "{}"))
        elif roll < 85:
            text = self.random_bytes_text()
        else:
            text = self.pick(self.atoms)
        if parse_properties(text) is not None:  # by chance one JSON object: make it not one
            text = "[" + text
        return text

    def billable_properties(self) -> str | None:
        """Properties an event of the scenarios could carry (it would rate, given the rest)."""
        if self.chance(75):
            return self.pick(self.ctx.billable_properties)
        return self.pick((None, self.json_object(allow_flag=True)))

    # ---- events -------------------------------------------------------------------------

    def row(self, tx, customer, event_type, timestamp, properties, received_at) -> dict:
        return {
            "transaction_id": tx,
            "customer_id": customer,
            "event_type": event_type,
            "timestamp": timestamp,
            "properties": properties,
            "received_at": received_at,
        }

    def known_customer(self) -> str:
        return self.pick(self.ctx.customer_refs)

    def scenario_type(self) -> str:
        return self.pick(self.ctx.metric_event_types)

    @staticmethod
    def present(text: str, prefix: str) -> str:
        """`text`, made surely not blank (no whitespace of any kind only) when it is."""
        return text if text.strip() else prefix + text

    def any_tx(self) -> str:
        """A transaction_id for an event rejected at ingest: anything, even a scenario's
        (never blank, so that the rejection is for the reason the class is about)."""
        return self.pick(
            (
                self.pick(self.ctx.transaction_ids) if self.ctx.transaction_ids else "t",
                self.unique_tx(),
                self.present(self.weird_text(), "t-"),
                self.pick(INJECTIONS),
            )
        )

    def bad_timestamp(self) -> HostileEvent:
        moment, received = self.in_window()
        text = self.bad_timestamp_text(moment)
        if self.chance(5):
            injection = self.pick(INJECTIONS)
            row = self.row(injection, injection, injection, injection, injection, received)
            return HostileEvent("bad_timestamp", row, frozenset({MALFORMED}), note="injection")
        row = self.row(
            self.any_tx(),
            self.known_customer() if self.chance(70) else self.weird_text(),
            self.scenario_type() if self.chance(70) else self.weird_text(),
            text,
            self.billable_properties() if self.chance(70) else self.bad_properties_text(),
            received if self.chance(95) else None,
        )
        return HostileEvent("bad_timestamp", row, frozenset({MALFORMED}), note=repr(text[:60]))

    def bad_properties(self) -> HostileEvent:
        moment, received = self.in_window()
        text = self.bad_properties_text()
        row = self.row(
            self.any_tx(),
            self.known_customer() if self.chance(80) else self.weird_text(),
            self.scenario_type(),
            self.timestamp_text(moment),
            text,
            received,
        )
        return HostileEvent(
            "bad_properties", row, frozenset({MALFORMED}), moment, note=repr(text[:60])
        )

    def missing_ids(self) -> HostileEvent:
        moment, received = self.in_window()
        if self.chance(10):
            row = self.row("", "", "", "", "", received)
            return HostileEvent("missing_ids", row, frozenset({MALFORMED}), note="all empty")
        row = self.row(
            self.any_tx(),
            self.known_customer(),
            self.scenario_type(),
            self.timestamp_text(moment),
            self.billable_properties(),
            received,
        )
        for name in ("transaction_id", "customer_id", "event_type"):
            if self.chance(50):
                row[name] = self.pick(ASCII_BLANKS)
        if not any(is_missing(row[n]) for n in ("transaction_id", "customer_id", "event_type")):
            row["customer_id"] = self.pick(ASCII_BLANKS)
        return HostileEvent("missing_ids", row, frozenset({MALFORMED}), moment)

    def null_received_at(self) -> HostileEvent:
        moment, _ = self.in_window()
        row = self.row(
            self.any_tx(),
            self.known_customer(),
            self.scenario_type(),
            self.timestamp_text(moment),
            self.billable_properties(),
            None,
        )
        return HostileEvent("null_received_at", row, frozenset({MALFORMED}), moment)

    def too_old(self) -> HostileEvent:
        moment = self.moment(datetime(2025, 10, 1, tzinfo=UTC), datetime(2026, 2, 15, tzinfo=UTC))
        received = moment + timedelta(days=34, seconds=self.rng.randrange(3600, 20 * 86400))
        row = self.row(
            self.any_tx(),
            self.known_customer(),
            self.scenario_type(),
            self.timestamp_text(moment),
            self.billable_properties(),
            min(received, self.as_of),
        )
        return HostileEvent("too_old", row, frozenset({TOO_OLD}), moment)

    def in_future(self) -> HostileEvent:
        received = self.moment(datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 4, 11, tzinfo=UTC))
        moment = received + timedelta(hours=25, seconds=self.rng.randrange(0, 300 * 86400))
        row = self.row(
            self.any_tx(),
            self.known_customer(),
            self.scenario_type(),
            self.timestamp_text(moment),
            self.billable_properties(),
            received,
        )
        return HostileEvent("in_future", row, frozenset({IN_FUTURE}), moment)

    def edge_year(self) -> HostileEvent:
        _, received = self.in_window()
        text, expected, instant = self.pick(
            (
                ("0001-01-01T00:00:00Z", {TOO_OLD}, datetime(1, 1, 1, tzinfo=UTC)),
                ("0001-01-01T00:00:00-23:59", {TOO_OLD}, datetime(1, 1, 1, 23, 59, tzinfo=UTC)),
                ("0001-01-01T00:00:00+01:00", {MALFORMED, TOO_OLD}, None),
                ("9999-12-31T23:59:59.999999Z", {IN_FUTURE}, datetime.max.replace(tzinfo=UTC)),
                ("9999-12-31T23:59:59+23:59", {IN_FUTURE}, datetime(9999, 12, 31, 0, 0, 59)),
                ("9999-12-31T23:59:59-01:00", {MALFORMED, IN_FUTURE}, None),
            )
        )
        if instant is not None:
            instant = instant.replace(tzinfo=UTC)
        row = self.row(
            self.any_tx(),
            self.known_customer(),
            self.scenario_type(),
            text,
            self.billable_properties(),
            received,
        )
        return HostileEvent("edge_year", row, frozenset(expected), instant, note=text)

    def unknown_customer(self) -> HostileEvent:
        moment, received = self.in_window()
        if self.chance(55):
            customer = self.pick(NEAR_MISS_MAPS)(self.known_customer())
        else:
            customer = self.weird_text()
        if customer in self.ctx.customer_refs or not customer.strip():
            customer = "ghost-" + customer
        row = self.row(
            self.unique_tx(),
            customer,
            self.scenario_type() if self.chance(85) else self.present(self.weird_text(), "x-"),
            self.timestamp_text(moment),
            self.billable_properties(),
            received,
        )
        return HostileEvent(
            "unknown_customer", row, frozenset({NOT_FOUND}), moment, note=repr(customer[:40])
        )

    def unknown_type(self) -> HostileEvent:
        moment, received = self.in_window()
        if self.chance(45):
            event_type = self.pick(NEAR_MISS_MAPS)(self.scenario_type())
        else:
            event_type = self.weird_text()
        if event_type in self.ctx.event_types or not event_type.strip():
            event_type = "other-" + event_type
        properties = self.json_object(allow_flag=False) if self.chance(85) else None
        row = self.row(
            self.unique_tx(),
            self.known_customer(),
            event_type,
            self.timestamp_text(moment),
            properties,
            received,
        )
        return HostileEvent(
            "unknown_type", row, frozenset({NOT_BILLABLE}), moment, note=repr(event_type[:40])
        )

    def unicode_blank(self) -> HostileEvent:
        moment, received = self.in_window()
        blank = self.pick(UNICODE_BLANKS)
        if self.chance(50):
            row = self.row(
                self.unique_tx(),
                blank,
                self.scenario_type(),
                self.timestamp_text(moment),
                self.billable_properties(),
                received,
            )
            expected = {MALFORMED, NOT_FOUND}
        elif self.chance(50):
            row = self.row(
                self.unique_tx(),
                self.known_customer(),
                blank,
                self.timestamp_text(moment),
                self.json_object(allow_flag=False),
                received,
            )
            expected = {MALFORMED, NOT_BILLABLE}
        else:
            self.serial += 1
            row = self.row(
                blank * self.serial,  # unique, in case it is not blank
                "ghost-" + self.weird_text(allow_huge=False),
                self.scenario_type(),
                self.timestamp_text(moment),
                self.billable_properties(),
                received,
            )
            expected = {MALFORMED, NOT_FOUND}
        return HostileEvent("unicode_blank", row, frozenset(expected), moment, note=repr(blank))

    def late_resend(self) -> HostileEvent:
        """A scenario transaction_id sent again after every scenario copy of it, by an unknown
        customer (or a known one with an unknown event type): DUPLICATE within the window of
        the last accepted copy, else kept and CUSTOMER_NOT_FOUND (NOT_BILLABLE). Being last,
        it changes no scenario event's dedupe decision."""
        latest: dict[str, datetime] = {}
        for _, row in self.ctx.rows:
            tx, received = row["transaction_id"], row["received_at"]
            if tx and tx.strip() and received is not None:
                latest[tx] = max(latest.get(tx, received), received)
        gap = self.pick(
            (
                timedelta(microseconds=1),
                timedelta(seconds=1),
                timedelta(days=34),
                timedelta(days=34, microseconds=1),
                timedelta(days=40),
            )
        )
        candidates = sorted(
            tx
            for tx, received in latest.items()
            if received + gap <= self.as_of and tx not in self.resent
        )
        if not candidates:
            return self.unknown_customer()
        tx = self.pick(candidates)
        self.resent.add(tx)  # one late resend per transaction_id: it must be the last copy
        received = latest[tx] + gap
        moment = received - timedelta(seconds=self.rng.randrange(0, 30 * 86400))
        if self.chance(50):
            customer = self.present(self.pick(NEAR_MISS_MAPS)(self.known_customer()), "ghost-")
            if customer in self.ctx.customer_refs:
                customer = "ghost-" + customer
            row = self.row(
                tx,
                customer,
                self.scenario_type(),
                self.timestamp_text(moment),
                self.billable_properties(),
                received,
            )
            kept = NOT_FOUND
        else:
            event_type = "other-" + self.weird_text(allow_huge=False)
            row = self.row(
                tx,
                self.known_customer(),
                event_type,
                self.timestamp_text(moment),
                self.json_object(allow_flag=False),
                received,
            )
            kept = NOT_BILLABLE
        return HostileEvent(
            "late_resend",
            row,
            frozenset({kept}),
            moment,
            note=f"{tx} +{gap}",
            resend_of=tx,
        )

    def late_receipt(self) -> HostileEvent:
        event = self.pick((self.unknown_customer, self.unknown_type, self.bad_properties))()
        event.row["received_at"] = self.as_of + self.pick(
            (timedelta(microseconds=1), timedelta(days=1), timedelta(days=365 * 70))
        )
        return HostileEvent("late_receipt", event.row, frozenset(), note=event.kind)

    CLASSES = (
        ("bad_timestamp", 15),
        ("bad_properties", 20),
        ("missing_ids", 7),
        ("null_received_at", 2),
        ("too_old", 6),
        ("in_future", 6),
        ("edge_year", 3),
        ("unknown_customer", 15),
        ("unknown_type", 19),
        ("unicode_blank", 4),
        ("late_receipt", 3),
        ("late_resend", 5),
    )

    def generate(
        self, count: int, scenario_copies: int, hostile_copy_percent: int, files: int = 3
    ) -> dict[str, list[HostileEvent]]:
        """`count` hostile events in files hostile-0..hostile-{files-1}, then exact copies of
        scenario rows and of hostile rows appended after them (never before their original)."""
        names, weights = zip(*self.CLASSES, strict=True)
        layout: dict[str, list[HostileEvent]] = {f"hostile-{i}.parquet": [] for i in range(files)}
        file_names = list(layout)
        originals: list[tuple[int, HostileEvent]] = []
        for _ in range(count):
            kind = self.rng.choices(names, weights)[0]
            hostile = getattr(self, kind)()
            index = self.rng.randrange(files - 1)  # the last file holds copies only
            hostile.location = (f"events/{file_names[index]}", len(layout[file_names[index]]))
            layout[file_names[index]].append(hostile)
            originals.append((index, hostile))
        copies: list[tuple[int, HostileEvent]] = []
        for location, row in self.rng.sample(
            self.ctx.rows, min(scenario_copies, len(self.ctx.rows))
        ):
            copy = HostileEvent("copy_of_scenario", dict(row), None, copy_of=location)
            copies.append((self.rng.randrange(files), copy))
        for index, original in originals:
            if self.chance(hostile_copy_percent):
                copy = HostileEvent(
                    "copy_of_hostile", dict(original.row), None, copy_of=original.location
                )
                copies.append((self.rng.randrange(index, files), copy))
        for index, copy in copies:
            copy.location = (f"events/{file_names[index]}", len(layout[file_names[index]]))
            layout[file_names[index]].append(copy)
        return layout
