"""scripts/*.py are thin entry points of one package (rated_events_tools): each answers --help
with a description of what it does, holds no code of its own, and none patches sys.path."""

from __future__ import annotations

import subprocess
import sys

import pytest
from dbt_runner import PROJECT_DIR

SCRIPTS = PROJECT_DIR / "scripts"
COMMANDS = (
    "trace",
    "spend",
    "export",
    "summary",
    "publish",
    "benchmark",
    "generate_data",
    "statement",
)


def test_every_script_is_a_command():
    assert sorted(path.stem for path in SCRIPTS.glob("*.py")) == sorted(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_describes_the_command(command):
    result = subprocess.run(
        [sys.executable, f"scripts/{command}.py", "--help"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stderr == ""
    usage, description = result.stdout.split("\n\n")[:2]
    assert usage.startswith(f"usage: {command}.py")
    # one paragraph of prose, not the option list
    assert len(description.split()) >= 8 and not description.startswith("options:")


@pytest.mark.parametrize("command", COMMANDS)
def test_entry_point_only_calls_the_package(command):
    code = [
        line
        for line in (SCRIPTS / f"{command}.py").read_text().splitlines()
        if line.strip() and not line.startswith(('"""', "rated_events_tools."))
    ]
    assert code == [
        "import sys",
        f"from rated_events_tools.{'generate' if command == 'generate_data' else command} "
        "import main",
        'if __name__ == "__main__":',
        "    sys.exit(main())",
    ]


def test_nothing_patches_sys_path():
    sources = [*SCRIPTS.rglob("*.py"), *(PROJECT_DIR / "tests" / "python").rglob("*.py")]
    patched = [
        str(path.relative_to(PROJECT_DIR))
        for path in sources
        if path.name != "test_entry_points.py"
        and ("sys.path" in path.read_text() or "spec_from_file_location" in path.read_text())
    ]
    assert patched == []
