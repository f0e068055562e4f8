"""A `dbt build` killed with SIGKILL and rerun ends identical to an uninterrupted build.

The finalization scenario (January finalizes at T1) is built once uninterrupted (reference).
In another work dir the same build is started and its whole process group SIGKILLed at three
points read from dbt's output: early (ingestion, on a fresh warehouse), then, after a complete
build at T0 (January still open), as the build starts writing January's finalized rows, and
right after it committed them to its workspace (invoices still to come). After each kill the
warehouse readers open must open read-only with every table queryable and hold exactly what the
last green build published (write, audit, publish: a killed build publishes nothing). Then the
build is rerun to completion on what the kills left and every mart must equal the reference
(the run_* provenance columns name the run and are left out).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from dbt_runner import build_invocation, dbt_build
from scenario import write_raw
from test_finalization import MARTS, T1, scenario_at_t1

T0 = "2026-01-20T00:00:00Z"  # January still open: nothing finalized yet

RUN_COLUMNS = ("run_as_of", "run_invocation_id", "run_config_hash")
FINALIZED_START = "START sql view model main.int_rated_events_finalized_this_run"
FINALIZED_DONE = "OK created sql view model main.int_rated_events_finalized_this_run"
INGESTION_START = "START sql table model main.int_usage_events_validated"


class Build:
    """`dbt build` in its own process group, its output read line by line as it comes."""

    def __init__(self, raw: Path, work: Path, as_of: str, db_path: Path | None = None):
        command, env, default_db = build_invocation(raw, work, as_of)
        self.db_path = db_path or default_db
        env["RATED_EVENTS_DB"] = str(self.db_path)
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            command,
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 120) -> bool:
        """True as soon as a line holding `text` was printed; False if the build ended first."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            lines = self.lines[seen:]
            if any(text in line for line in lines):
                return True
            seen += len(lines)
            if self.process.poll() is not None and not self._reader.is_alive():
                return any(text in line for line in self.lines[seen:])
            time.sleep(0.005)
        return False

    def kill(self) -> None:
        """SIGKILL the whole process group (dbt and anything it started)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)

    def pause(self) -> None:
        """SIGSTOP the whole process group: the build keeps every lock it holds, and a test can
        try things "while it runs" however fast the machine is."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)

    def finish(self, timeout: float = 300) -> int:
        try:
            returncode = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self._reader.join(timeout=30)
        return returncode


def mart_rows(db_path: Path) -> dict[str, list[tuple]]:
    """Every mart's rows without the run_* columns, sorted (order-insensitive comparison)."""
    rows = {}
    with duckdb.connect(str(db_path), read_only=True) as connection:
        for name in MARTS:
            columns = [c[0] for c in connection.execute(f"describe {name}").fetchall()]
            kept = ", ".join(f'"{c}"' for c in columns if c not in RUN_COLUMNS)
            rows[name] = sorted(
                connection.execute(f"select {kept} from {name}").fetchall(), key=repr
            )
    return rows


def finalized_counts(connection: duckdb.DuckDBPyConnection) -> Counter:
    return Counter(
        dict(
            connection.execute(
                "select invoice_id, count(*) from fct_rated_events_finalized group by invoice_id"
            ).fetchall()
        )
    )


def check_readable(db_path: Path) -> dict:
    """The killed build's warehouse opens read-only and every table in it can be read."""
    with duckdb.connect(str(db_path), read_only=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' and table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        for table in tables:
            connection.execute(f'select count(*) from "{table}"').fetchone()
        finalized = finalized_counts(connection) if "fct_rated_events_finalized" in tables else None
    return {"tables": tables, "finalized": finalized}


def assert_whole_invoices(finalized: Counter | None, reference: Counter) -> None:
    """Each invoice's finalized rows are all there or none are: never half a period."""
    if finalized is None:
        return
    assert set(finalized) <= set(reference), finalized
    for invoice_id, rows in finalized.items():
        assert rows == reference[invoice_id], (invoice_id, rows, reference[invoice_id])


@pytest.fixture(scope="module")
def crashes(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash")
    raw = root / "raw"
    write_raw(raw, scenario_at_t1())
    reference = dbt_build(raw, root / "reference", T1)
    assert reference.returncode == 0, reference.output[-3000:]
    with duckdb.connect(str(reference.db_path), read_only=True) as connection:
        reference_counts = finalized_counts(connection)

    work = root / "killed"
    kills = []

    def kill_at(marker: str) -> None:
        build = Build(raw, work, T1)
        seen = build.wait_for(marker)
        build.kill()
        assert seen, f"the build ended before {marker!r}:\n{build.output[-3000:]}"
        assert build.process.returncode == -signal.SIGKILL
        wal = Path(f"{build.db_path}.wal").exists()
        kills.append({"marker": marker, "wal": wal, "state": check_readable(build.db_path)})
        print("killed at", marker, "wal:", wal, "->", kills[-1]["state"]["finalized"])

    # a fresh warehouse killed early (ingestion)
    kill_at(INGESTION_START)
    # a completed build before January finalizes: fct_rated_events_finalized exists, empty, so
    # the next builds append January to an existing table (the everyday case)
    before = dbt_build(raw, work, T0)
    assert before.returncode == 0, before.output[-3000:]
    # as the finalized mart starts appending, and right after it committed
    kill_at(FINALIZED_START)
    kill_at(FINALIZED_DONE)

    rerun = Build(raw, work, T1)
    returncode = rerun.finish()
    assert returncode == 0, rerun.output[-3000:]
    return {
        "reference": mart_rows(reference.db_path),
        "reference_counts": reference_counts,
        "kills": kills,
        "rerun": mart_rows(rerun.db_path),
    }


def test_reference_finalizes_january(crashes):
    # the scenario must finalize something, or the atomicity checks below are empty
    assert sum(crashes["reference_counts"].values()) >= 4


def test_warehouse_stays_readable_after_each_kill(crashes):
    # opened read-only, every table read: nothing published before the first green build,
    # the T0 publication after it
    assert crashes["kills"][0]["state"]["tables"] == []
    for kill in crashes["kills"][1:]:
        assert kill["state"]["tables"], kill["marker"]
    # from the T0 build on, the table exists: the kill at its start left January out entirely
    assert crashes["kills"][1]["state"]["finalized"] is not None


def test_finalized_rows_are_appended_whole_per_invoice(crashes):
    for kill in crashes["kills"]:
        assert_whole_invoices(kill["state"]["finalized"], crashes["reference_counts"])
    # the workspace had committed January's rows, but no green build published them
    after_done = crashes["kills"][2]["state"]["finalized"]
    assert after_done == Counter()


def test_rerun_after_kills_equals_uninterrupted_build(crashes):
    for name in MARTS:
        assert crashes["rerun"][name] == crashes["reference"][name], name
