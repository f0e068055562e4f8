"""The one place scripts turn user or event text into SQL (issue: safe interfaces).

Values are always bound as parameters (`?`); these helpers cover the two places DuckDB cannot
bind: identifiers (a column or property key chosen on the command line) and literals in
statements without parameters (a `COPY ... TO 'path'` target). Both quote; neither rejects
text, so any text, however hostile, is only ever a name or a string.
"""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """An identifier in double quotes, embedded double quotes doubled: `a"b` -> `"a""b"`."""
    if "\x00" in name:
        raise ValueError("an identifier cannot contain NUL")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A string literal in single quotes, embedded single quotes doubled: `it's` -> `'it''s'`."""
    if "\x00" in text:
        raise ValueError("a string literal cannot contain NUL")
    return "'" + text.replace("'", "''") + "'"


def json_pointer_for_key(key: str) -> str:
    """A JSON Pointer (RFC 6901) naming one top-level key exactly, whatever it holds (dots,
    quotes, `$`, `/`, `~`, even the empty key): `a/b` -> `/a~1b`. Bind it as a parameter:
    `json_extract_string(properties, ?)`."""
    if "\x00" in key:
        raise ValueError("a property key cannot contain NUL")
    return "/" + key.replace("~", "~0").replace("/", "~1")
