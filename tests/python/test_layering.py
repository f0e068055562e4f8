"""The project's layering rules, held over dbt's manifest (what dbt-project-evaluator would check,
for the rules that fit this project; it cannot be installed here).

1. Sources are read by staging models only.
2. No edge runs backwards: staging, then intermediate (its folders in the order of the flow),
   then the marts, then the models built on the marts (finance reports, rollups, semantic).
3. A mart does not read another mart of its own layer.
4. An intermediate model is `access: private` to its group wherever the graph allows: when no
   model, analysis or test outside its group refers to it.

An edge that breaks a rule is waived only here, with the reason it is shaped that way; a waiver
that no longer matches an edge fails too, so the list stays true.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from dbt_runner import PROJECT_DIR, dbt_command

# the order data flows in; a model may read its own step or an earlier one
STEPS = (
    "staging/usage",
    "staging/billing",
    "staging/recorded",
    "intermediate/run_state",
    "intermediate/configuration",
    "intermediate/ingestion",
    "intermediate/rating",
    "intermediate/balances",
    "intermediate/invoicing",
    "intermediate/finance",
    "intermediate/publication",
    "marts",
    "marts/finance",
    # customers' spend alerts: over the rated-event marts and the balances, like a report
    "marts/alerts",
    "rollups",
    "semantic",
)

# (parent, child): why the edge is allowed to break a rule
WAIVED = {
    # a balance's remaining amount is the ledger's last running balance, never computed twice
    ("fct_balance_ledger", "dim_balances"): "the ledger is the one source of remaining amounts",
}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("layering")
    completed = dbt_command(["parse"], root)
    assert completed.returncode == 0, completed.stdout[-3000:]
    return json.loads((root / "target" / "manifest.json").read_text())


def step_of(node: dict) -> str:
    parts = node["original_file_path"].split("/")[1:-1]
    return "/".join(parts)


def name_of(manifest: dict, unique_id: str) -> str:
    if unique_id.startswith("source."):
        source = manifest["sources"][unique_id]
        return f"source:{source['source_name']}.{source['name']}"
    return manifest["nodes"][unique_id]["name"]


def model_edges(manifest: dict) -> list[tuple[str, str, dict]]:
    """(parent unique id, child name, child node) for every model's parent."""
    return [
        (parent, node["name"], node)
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for parent in node["depends_on"]["nodes"]
    ]


def broken(manifest: dict) -> dict[str, set[tuple[str, str]]]:
    rules: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for parent_id, child, node in model_edges(manifest):
        parent = name_of(manifest, parent_id)
        child_step = step_of(node)
        if child_step not in STEPS:
            rules["model outside the listed steps"].add((parent, child))
            continue
        if parent_id.startswith("source."):
            if not child_step.startswith("staging/"):
                rules["source read outside staging"].add((parent, child))
            continue
        parent_step = step_of(manifest["nodes"][parent_id])
        if STEPS.index(parent_step) > STEPS.index(child_step):
            rules["edge runs backwards"].add((parent, child))
        elif parent_step == child_step == "marts":
            rules["mart reads a mart"].add((parent, child))
    return rules


def test_every_broken_rule_is_a_waived_edge(manifest):
    unwaived = {
        rule: sorted(edge for edge in edges if edge not in WAIVED)
        for rule, edges in broken(manifest).items()
    }
    assert {rule: edges for rule, edges in unwaived.items() if edges} == {}


def test_every_waiver_matches_an_edge(manifest):
    breaking = set().union(*broken(manifest).values())
    assert sorted(set(WAIVED) - breaking) == []


def test_intermediate_models_are_private_wherever_the_graph_allows(manifest):
    outside_readers: dict[str, set[str]] = defaultdict(set)
    # (a unit test reads only the model it tests, which dbt allows whatever its access)
    for node in manifest["nodes"].values():
        for parent_id in node.get("depends_on", {}).get("nodes", []):
            parent = manifest["nodes"].get(parent_id)
            if (
                parent
                and parent["resource_type"] == "model"
                and node.get("group") != parent.get("group")
            ):
                outside_readers[parent_id].add(node["name"])
    should_be_private, wrongly_private = [], []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or not step_of(node).startswith("intermediate/"):
            continue
        if outside_readers[unique_id] and node["access"] == "private":
            wrongly_private.append(node["name"])
        if not outside_readers[unique_id] and node["access"] != "private":
            should_be_private.append(node["name"])
    assert should_be_private == [] and wrongly_private == []


# macros that take a ref themselves, and why that is their nature
MACROS_WITH_REFS = {
    "rollups.sql": "spend_rollup reads the rated-events marts for whichever status it is asked",
    "trace.sql": "trace_transaction reads the marts an auditor traces an event through",
    "unit_costs.sql": "the unit costs' hash, compared by int_rated_events_costed and its pre-hook",
}


def test_every_parent_shows_in_the_graph():
    # no dependency hint a reader must know about, no ref hidden in a shared column list
    hinted = [
        str(path.relative_to(PROJECT_DIR))
        for path in (PROJECT_DIR / "models").rglob("*.sql")
        if "depends_on:" in path.read_text()
    ]
    assert hinted == []
    with_refs = sorted(
        path.name for path in (PROJECT_DIR / "macros").rglob("*.sql") if "ref(" in path.read_text()
    )
    assert with_refs == sorted(MACROS_WITH_REFS)


def test_one_list_of_configuration_files(manifest: dict, tmp_path):
    """The configuration files are listed once per language, and the lists agree: dbt's
    `required_config_files` (raw-folder check, configuration hash, Spark registration), the
    tables of source `billing` (less the optional unit_costs) and the Python side's
    CONFIG_FILES (the generator and the test scenarios write them)."""
    from rated_events_tools.generate.files import CONFIG_FILES, OPTIONAL_FILES

    completed = dbt_command(
        ["compile", "--quiet", "--inline", "{{ required_config_files() | join(' ') }}"], tmp_path
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    from_macro = completed.stdout.split()
    billing = [
        source["name"]
        for source in manifest["sources"].values()
        if source["source_name"] == "billing"
    ]
    assert sorted(from_macro) == sorted(CONFIG_FILES)
    assert sorted(billing) == sorted([*CONFIG_FILES, *OPTIONAL_FILES])
