"""The command line's compiled macros (rated_events_tools.dbt_macros): compiled SQL is reused
only while nothing it can depend on has changed."""

from __future__ import annotations

import shutil

from dbt_runner import PROJECT_DIR
from rated_events_tools import dbt_macros


def test_compiled_sql_is_reused_while_the_project_is_unchanged(monkeypatch, tmp_path):
    project = tmp_path / "project"
    for folder in ("macros", "models"):
        shutil.copytree(PROJECT_DIR / folder, project / folder)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, project / name)
    monkeypatch.setattr(dbt_macros, "PROJECT_DIR", project)
    compiled: list[list[str]] = []

    def fake_dbt(statements: list[str]) -> list[str]:
        compiled.append(statements)
        return [f"select {len(compiled)}" for _ in statements]

    monkeypatch.setattr(dbt_macros, "compile_inline_uncached", fake_dbt)

    assert dbt_macros.compile_inline(["{{ a() }}"]) == ["select 1"]
    assert dbt_macros.compile_inline(["{{ a() }}"]) == ["select 1"]  # kept: dbt not run again
    assert dbt_macros.compile_inline(["{{ b() }}"]) == ["select 2"]  # other statements
    macro = project / "macros" / "trace.sql"
    macro.write_text(macro.read_text() + "\n")
    assert dbt_macros.compile_inline(["{{ a() }}"]) == ["select 3"]  # a macro changed
    (project / "models" / "new_model.sql").write_text("select 1")
    assert dbt_macros.compile_inline(["{{ a() }}"]) == ["select 4"]  # a model appeared
    # statements already compiled are reused one by one; only the others go to dbt, together
    assert dbt_macros.compile_inline(["{{ a() }}", "{{ c() }}", "{{ d() }}"]) == [
        "select 4",
        "select 5",
        "select 5",
    ]
    assert compiled[-1] == ["{{ c() }}", "{{ d() }}"]
    assert len(compiled) == 5


def test_trace_binds_the_transaction_id_as_a_parameter():
    """The compiled trace compares transaction_id with $1 only: no id is ever SQL text."""
    from rated_events_tools import trace

    sql = trace.trace_sql()
    assert trace.PLACEHOLDER not in sql
    assert sql.count("$1") >= 4
