"""scripts/benchmark.py: the measuring parts (the benchmark itself is run by hand, see
docs/benchmarks.md): process-tree memory, the report, the plot."""

from __future__ import annotations

import sys
from pathlib import Path

from rated_events_tools import benchmark

ROOT = Path(__file__).resolve().parents[2]


def test_peak_memory_counts_the_child_processes(tmp_path):
    # a parent that starts a child holding 300 MB: the tree's peak includes the child
    child = "b = bytearray(300 * 1024 * 1024); import time; time.sleep(1.5)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    measured = benchmark.run_measured(
        [sys.executable, "-c", parent], {"PATH": "/usr/bin:/bin"}, tmp_path / "log"
    )
    assert measured.returncode == 0
    assert measured.peak_rss_mb >= 300
    assert measured.seconds >= 1.5


def result(events: int, full: float, next_day: float, floor: float):
    make = benchmark.Measurement
    return benchmark.Result(
        events=events,
        when="2026-11-26 12:00 UTC",
        machine="test",
        full=make(full, 1000.0, 0, [("int_rated_events_priced", 12.5)]),
        next_day=make(next_day, 900.0),
        floor=make(floor, 500.0),
        next_day_events=1234,
    )


def test_report_gives_rates_and_ratios():
    text = benchmark.describe(result(1_000_000, 40.0, 4.0, 8.0))
    assert "| full build | 40.0 | 25,000 | 1,000 | 0 |" in text
    assert "Full build / floor: **5.0×**" in text
    assert "next-day / full: **0.10**" in text
    assert "+1,234 events" in text and "int_rated_events_priced 12.5" in text


def test_where_the_time_goes_names_the_largest_models_and_sums_the_rest(tmp_path):
    import json

    def node(unique_id, seconds):
        return {"unique_id": unique_id, "execution_time": seconds}

    results = [node(f"model.rated_events.m{i}", float(i)) for i in range(1, 5)]
    results += [node("test.rated_events.t1", 0.5), node("test.rated_events.t2", 1.5)]
    results += [node("operation.rated_events.publish", 3.0), node("exposure.x.dash", 0.0)]
    (tmp_path / "run_results.json").write_text(json.dumps({"results": results}))
    rows = benchmark.time_spent(tmp_path, named=2)
    assert rows == [
        ("m4", 1, 4.0),
        ("m3", 1, 3.0),
        ("the other 2 models", 2, 3.0),
        ("data tests", 2, 2.0),
        ("hooks (publish included)", 1, 3.0),
    ]
    full = benchmark.Measurement(10.0, 1.0, 0, [], rows)
    text = "\n".join(benchmark.where_the_time_goes(full))
    assert "node time: 15.0 s in all for 10.0 s of wall time" in text
    assert "| m4 | 1 | 4.0 | 27% |" in text and "| data tests | 2 | 2.0 | 13% |" in text
    # records made before the breakdown was kept print no table
    assert benchmark.where_the_time_goes(benchmark.Measurement(10.0, 1.0)) == []


def test_plot_is_a_png(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmark, "PLOT", tmp_path / "plot.png")
    from dataclasses import asdict

    history = [asdict(result(n, n / 1e5, n / 1e6, n / 1e6)) for n in (10**6, 10**7)]
    benchmark.plot(history)
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_skipped_next_day_is_reported_and_plotted_without_it(tmp_path, monkeypatch):
    from dataclasses import asdict, replace

    skipped = replace(result(50_000_000, 2500.0, 0.0, 50.0), next_day=None, next_day_events=0)
    text = benchmark.describe(skipped)
    assert "not measured (--skip-next-day)" in text
    assert "Full build / floor: **50.0×**; next-day / full: **not measured**" in text
    monkeypatch.setattr(benchmark, "PLOT", tmp_path / "plot.png")
    benchmark.plot([asdict(result(10**6, 10.0, 1.0, 1.0)), asdict(skipped)])
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_spark_runs_are_titled_and_kept_off_the_plot():
    from dataclasses import asdict, replace

    spark = replace(result(1_000_000, 400.0, 100.0, 4.0), target="spark")
    text = benchmark.describe(spark)
    assert text.startswith("### 1,000,000 events on Spark")
    assert "session method" in text and "the floor is DuckDB's" in text
    assert "Full build / floor: **100.0×**" in text
    duck = result(1_000_000, 40.0, 4.0, 8.0)
    history = [asdict(duck), asdict(spark)]
    assert benchmark.plotted_runs(history)[1_000_000]["target"] == "duckdb"
    # records written before targets existed are DuckDB runs
    old = asdict(duck)
    del old["target"]
    assert benchmark.plotted_runs([old, asdict(spark)]) == {1_000_000: old}


def test_builds_are_the_production_job_on_the_chosen_target(tmp_path, monkeypatch):
    calls = []

    def fake_run(command, env, log):
        calls.append((command, env))
        return benchmark.Measurement(1.0, 1.0, 1)

    monkeypatch.setattr(benchmark, "run_measured", fake_run)
    raw, db = tmp_path / "raw", tmp_path / "warehouse.duckdb"
    benchmark.dbt_build(tmp_path, raw, db, "2026-06-15T00:00:00Z", "full")
    benchmark.dbt_build(tmp_path, raw, db, "2026-06-15T00:00:00Z", "full", "spark")
    (duck_command, duck_env), (spark_command, spark_env) = calls
    for command in (duck_command, spark_command):
        # a whole build without unit tests, as `make run` runs it
        assert command[1] == "build"
        assert command[command.index("--exclude-resource-type") + 1] == "unit_test"
        assert "--select" not in command
    assert duck_env["RATED_EVENTS_RAW_PATH"] == str(raw)
    assert "RATED_EVENTS_TARGET" not in duck_env or duck_env["RATED_EVENTS_TARGET"] != "spark"
    assert spark_env["RATED_EVENTS_TARGET"] == "spark"
    assert spark_env["RATED_EVENTS_SPARK_DIR"] == str(tmp_path / "spark")
