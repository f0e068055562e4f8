"""The project's dbt macros as SQL for the command line: `trace` and `spend` run exactly what
`trace_transaction` and `spend_rollup` render, so the command line and dbt cannot disagree.

    sql, = compile_inline([call("trace_transaction", transaction_id)])
    with open_reader(db) as connection:  # cli.open_reader: names resolve in the warehouse
        rows = connection.execute(sql).fetchall()

Compiling runs `dbt compile --inline` once per command (several statements in one call) against
an in-memory DuckDB (RATED_EVENTS_DB=:memory:, as `make lint` does), so it never opens, locks or
creates the warehouse; the rendered SQL names relations "memory"."main".<name>, which
`cli.open_reader` maps onto the warehouse. dbt's parse is kept in target/cli (partial parsing),
with a fixed environment and no --vars so that it stays valid from one command to the next: a
compile then takes a few seconds. Arguments reach the macro as Jinja literals (`literal`) in
which every character but letters, digits and a few safe ones is an escape, so no text given on
the command line is ever read as Jinja or SQL; the macros quote values and names themselves.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from dbt.version import __version__ as dbt_version

from .cli import fail

PROJECT_DIR = Path(__file__).resolve().parents[2]
# dbt prefixes its log lines with the time
TIME_PREFIX = re.compile(r"^\s*\d\d:\d\d:\d\d\s+")
SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.:,")


def literal(value) -> str:
    """A Python value (None, bool, int, str, list, tuple, dict) as a Jinja literal."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        escaped = "".join(
            char
            if char in SAFE
            else (f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
            for char in value
        )
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{literal(key)}: {literal(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"no Jinja literal for {type(value).__name__}")


def call(macro: str, *args, **kwargs) -> str:
    """`{{ macro(args..., name=value...) }}` with every argument a literal."""
    parts = [literal(arg) for arg in args] + [f"{k}={literal(v)}" for k, v in kwargs.items()]
    return "{{ " + macro + "(" + ", ".join(parts) + ") }}"


def dbt_executable() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def project_fingerprint() -> str:
    """A hash of everything a macro's rendering can depend on: the project and profile files,
    every macro and model file, and dbt's version."""
    digest = hashlib.sha256()
    digest.update(dbt_version.encode())
    files = [PROJECT_DIR / "dbt_project.yml", PROJECT_DIR / "profiles.yml"]
    for folder in ("macros", "models"):
        files.extend(sorted(path for path in (PROJECT_DIR / folder).rglob("*") if path.is_file()))
    for path in files:
        digest.update(str(path.relative_to(PROJECT_DIR)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def compile_inline(statements: list[str]) -> list[str]:
    """Each Jinja statement rendered to SQL by dbt; one line on stderr and exit code 2 when dbt
    cannot compile them (e.g. a macro rejects an argument). Each statement's SQL is kept in
    target/cli/compiled, keyed by the statement and the project's fingerprint, so a statement
    already compiled on an unchanged project is not compiled again (dbt takes seconds); the
    others are compiled together, in one `dbt compile`."""
    fingerprint = project_fingerprint()
    folder = PROJECT_DIR / "target" / "cli" / "compiled"
    paths = [
        folder / f"{hashlib.sha256(json.dumps([fingerprint, text]).encode()).hexdigest()}.sql"
        for text in statements
    ]
    missing = [index for index, path in enumerate(paths) if not path.is_file()]
    if missing:
        compiled = compile_inline_uncached([statements[index] for index in missing])
        folder.mkdir(parents=True, exist_ok=True)
        for index, sql in zip(missing, compiled, strict=True):
            partial = paths[index].with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(sql)
            partial.replace(paths[index])  # atomic: a concurrent reader sees all of it or none
    return [path.read_text() for path in paths]


def compile_inline_uncached(statements: list[str]) -> list[str]:
    """`compile_inline` without the cache: always runs dbt."""
    env = {**os.environ, "RATED_EVENTS_DB": ":memory:", "RATED_EVENTS_TARGET": "dev"}
    for name in ("RATED_EVENTS_BUILD_DB", "RATED_EVENTS_RAW_PATH", "RATED_EVENTS_AS_OF"):
        env.pop(name, None)  # the compiled SQL does not depend on them; a fixed env keeps the parse
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    separator = f"-- rated_events_tools: next statement {uuid.uuid4().hex}"
    command = [
        dbt_executable(),
        "compile",
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(PROJECT_DIR / "target" / "cli"),
        "--log-path",
        str(PROJECT_DIR / "logs" / "cli"),
        "--quiet",
        "--no-use-colors",
        "--output",
        "json",
        "--inline",
        f"\n{separator}\n".join(statements),
    ]
    result = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stdout + result.stderr).splitlines()
        said = [TIME_PREFIX.sub("", line).strip() for line in lines]
        message = " ".join(line for line in said if line) or "no output"
        fail(f"dbt could not compile the macro: {message}")
    try:
        compiled = json.loads(result.stdout)["compiled"]
    except (ValueError, KeyError) as error:
        fail(f"dbt compiled, but printed no SQL ({error}): {result.stdout[-500:]}")
    parts = compiled.split(separator)
    if len(parts) != len(statements):
        fail("dbt's compiled SQL does not split into the statements given")
    return [part.strip() for part in parts]
