"""The rated events warehouse's command-line tools, one package behind every `scripts/*.py`.

Modules: `cli` (which warehouse and raw folder to read, argument types, the table printer,
one-line failures), `dbt_macros` (the project's macros compiled through dbt, so `trace` and
`spend` run the same SQL as dbt), `trace`, `spend`, `export`, `summary`, `publish`,
`benchmark`, `sqlsafe` (quoting what DuckDB cannot bind) and `generate` (sample data). Each
command module has `main(argv=None) -> int`; `scripts/<command>.py` only calls it.
"""
