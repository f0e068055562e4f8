"""The SQL comparison text of JSON numbers (macros/parsing.sql `json_value_text`) against the
reference's canonical form (rules 8), on many generated number literals in one query.

`json_value_text` takes a fast path (fmt's general format) when a number prints without an
exponent and the long way otherwise: the literals span both, with every spelling of a number
rules 8 allows (exponents, trailing zeros, signs, -0).
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path

import duckdb
from dbt_runner import dbt_command
from reference.values import canonical_text, loads_strict

# Rules 8: JSON numbers are exact to 15 significant digits
DIGITS = 15


def compiled_number_text(tmp_path: Path) -> str:
    """A query of `json_value_text` over the table `numbers`, compiled by dbt."""
    result = dbt_command(
        [
            "compile",
            "--inline",
            "select literal, {{ json_value_text('json_value') }} as value_text from numbers",
            "--quiet",
            "--output",
            "json",
        ],
        tmp_path,
        variables={"as_of": "2026-01-01T00:00:00Z", "raw_data_path": str(tmp_path / "raw")},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return json.loads(result.stdout)["compiled"]


def number_literals(count: int, seed: int) -> list[str]:
    """JSON number literals of at most 15 significant digits, spelled every allowed way."""
    generator = random.Random(seed)
    literals = ["0", "-0", "0.0", "-0.0", "0e5", "1e15", "1e14", "1e-4", "1e-5", "-1e-5"]
    literals += ["999999999999999", "9999999999999990", "0.000123", "123456789012345e-20"]
    while len(literals) < count:
        digits = "".join(
            generator.choice("0123456789") for _ in range(generator.randint(1, DIGITS))
        )
        digits = digits.lstrip("0") or "0"
        sign = generator.choice(["", "", "-"])
        exponent = generator.randint(-30, 30)
        style = generator.randint(0, 2)
        if style == 0:
            # scientific, with a point after the first digit
            mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
            literals.append(f"{sign}{mantissa}{generator.choice('eE')}{exponent}")
        elif style == 1:
            # plain with a point somewhere, sometimes trailing zeros
            point = generator.randint(0, len(digits))
            whole, fraction = digits[:point] or "0", digits[point:]
            zeros = "0" * generator.randint(0, 3)
            literals.append(
                f"{sign}{whole}.{fraction}{zeros}" if fraction or zeros else f"{sign}{whole}.0"
            )
        else:
            # an integer scaled by a power of ten
            literals.append(f"{sign}{digits}e{exponent:+d}")
    return literals


def test_number_text_equals_the_canonical_form(tmp_path: Path) -> None:
    sql = compiled_number_text(tmp_path)
    literals = number_literals(20_000, seed=7)
    expected = {literal: canonical_text(loads_strict(literal)) for literal in literals}
    # a number of 15 significant digits is what the reference keeps exactly
    assert all(
        len(Decimal(literal).normalize().as_tuple().digits) <= DIGITS for literal in literals
    )
    with duckdb.connect() as connection:
        connection.execute("create table literals (literal varchar)")
        connection.executemany("insert into literals values (?)", [(text,) for text in literals])
        connection.execute(
            "create table numbers as"
            " select literal, cast(literal as json) as json_value from literals"
        )
        rows = connection.execute(sql).fetchall()
    actual = dict(rows)
    wrong = {
        literal: (actual[literal], expected[literal])
        for literal in literals
        if actual[literal] != expected[literal]
    }
    assert not wrong, list(wrong.items())[:10]
    # both paths were taken: plain texts and ones beyond the fast path's exponent range
    assert any(abs(Decimal(literal)) >= Decimal("1e15") for literal in literals)
    assert any(
        Decimal(literal) != 0 and abs(Decimal(literal)) < Decimal("1e-4") for literal in literals
    )
