"""Benchmark the warehouse against the physical floor, for one or more data sizes.

    .venv/bin/python scripts/benchmark.py --events 1e6 1e7 [--work /tmp/rated-events-bench]
    .venv/bin/python scripts/benchmark.py --events 5e7 --skip-next-day
    .venv/bin/python scripts/benchmark.py --events 1e6 --spark     # after `make setup-spark`

For each size it generates raw data (or reuses the folder from an earlier run with the same
size and seed), then measures in one run, on one machine:

* **full build**: `dbt build` of the whole project (every model and data test; unit tests left
  out, as in `make run`: they check SQL on fixtures, not the data) on a fresh warehouse at --as-of;
* **next-day build**: one more day of events (`generate_data.py --add-day`) and `dbt build` at
  --as-of + 1 day on the same warehouse, as a daily job would run (--skip-next-day leaves it
  out, for the largest sizes: their question is whether the full build completes);
* **floor**: DuckDB alone reading the same events and sorting them once by (customer,
  timestamp, transaction id) into a table, with the profile's memory limit and DuckDB's own
  thread count (one per core, as in the build): the least any rating must do.

It reports wall time, events per second, peak memory of the whole process tree (polled from
/proc), the ten slowest models and where the full build's node time goes (from
run_results.json: the largest models one by one, the others, data tests, hooks), and full
build / floor, appends a section to docs/benchmarks.md and redraws docs/img/benchmark.png from
every result recorded in docs/benchmarks.json. Figures are comparable within one run only (a
shared machine is noisy).

`--spark` builds the same data on the Spark target instead (profiles.yml `spark`: local Spark in
dbt's process, tables under the work folder) and records the same table, titled "on Spark", so
users see the cost per node and per event before they move; its floor is still DuckDB's. The
plot shows DuckDB runs only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from .cli import add_as_of_argument, count_arg, create_warehouse_file, parser_for, rfc3339

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RESULTS_JSON = ROOT / "docs" / "benchmarks.json"
RESULTS_MD = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "img" / "benchmark.png"
# profiles.yml's defaults, for the floor and the report when the environment does not set them.
# RATED_EVENTS_THREADS is dbt's threads (models built at once); DuckDB itself uses every core in
# the build and in the floor alike.
DEFAULT_THREADS, DEFAULT_MEMORY_LIMIT, DEFAULT_SPARK_MEMORY = "2", "6GB", "3g"


def spark_version() -> str:
    try:
        from importlib.metadata import version

        return version("pyspark")
    except Exception:  # noqa: BLE001 - only for the report
        return "(pyspark not installed)"


@dataclass
class Measurement:
    seconds: float
    peak_rss_mb: float
    returncode: int = 0
    slowest: list[tuple[str, float]] = field(default_factory=list)
    # where the time goes: (what, nodes, seconds of node time), largest first (time_spent)
    node_time: list[tuple[str, int, float]] = field(default_factory=list)


@dataclass
class Result:
    events: int
    when: str
    machine: str
    full: Measurement
    next_day: Measurement | None
    floor: Measurement
    next_day_events: int
    # "duckdb" (the embedded default) or "spark" (--spark: dbt-spark, session method)
    target: str = "duckdb"


def tree_rss_kb(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
            with open(f"/proc/{entry}/status") as handle:
                status = handle.read()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry)] = int(line.split()[1])
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_measured(command: list[str], env: dict[str, str], log: Path) -> Measurement:
    """Run a command, polling the peak memory of its process tree."""
    peak = 0
    with log.open("w") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        done = threading.Event()

        def poll() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss_kb(process.pid))
                done.wait(0.25)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        returncode = process.wait()
        elapsed = time.perf_counter() - started
        done.set()
        poller.join()
    return Measurement(round(elapsed, 1), round(peak / 1024, 1), returncode)


def slowest_models(target: Path, count: int = 10) -> list[tuple[str, float]]:
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = [r for r in results if r["unique_id"].startswith("model.")]
    models.sort(key=lambda r: -r["execution_time"])
    return [(r["unique_id"].split(".")[-1], round(r["execution_time"], 1)) for r in models[:count]]


# models named one by one in "where the time goes"; the rest are summed in one row
NAMED_MODELS = 15


def time_spent(target: Path, named: int = NAMED_MODELS) -> list[tuple[str, int, float]]:
    """Node time of a build from its run_results.json: the `named` largest models one by one,
    then the other models, the data tests and the hooks (publish included) as one row each;
    (what, nodes, seconds). Node times add up to more than the wall time when dbt runs nodes
    side by side (threads)."""
    results = [
        r
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if not r["unique_id"].startswith("exposure.")  # nothing to run: always 0 s
    ]
    kinds = {"model": "model", "test": "data tests", "operation": "hooks (publish included)"}

    def kind(unique_id: str) -> str:
        return kinds.get(unique_id.split(".")[0], "other nodes")

    models = sorted(
        (r for r in results if kind(r["unique_id"]) == "model"), key=lambda r: -r["execution_time"]
    )
    rows = [(r["unique_id"].split(".")[-1], 1, r["execution_time"]) for r in models[:named]]
    groups: dict[str, list[float]] = {}
    for r in models[named:]:
        groups.setdefault(f"the other {len(models) - named} models", []).append(r["execution_time"])
    for r in results:
        if kind(r["unique_id"]) != "model":
            groups.setdefault(kind(r["unique_id"]), []).append(r["execution_time"])
    rows += [(what, len(times), sum(times)) for what, times in groups.items()]
    return [(what, nodes, round(seconds, 1)) for what, nodes, seconds in rows]


def dbt_build(
    work: Path, raw: Path, db: Path, as_of: str, name: str, target: str = "duckdb"
) -> Measurement:
    env = {
        **os.environ,
        "RATED_EVENTS_RAW_PATH": str(raw),
        "RATED_EVENTS_DB": str(db),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    if target == "spark":
        # profiles.yml's spark target: local Spark in dbt's process, tables under the work folder
        env |= {"RATED_EVENTS_TARGET": "spark", "RATED_EVENTS_SPARK_DIR": str(work / "spark")}
    target = work / f"target-{name}"
    command = [
        str(BIN / "dbt"),
        "build",
        "--profiles-dir",
        str(ROOT),
        "--project-dir",
        str(ROOT),
        "--target-path",
        str(target),
        "--vars",
        json.dumps({"as_of": as_of}),
        # the production job, as `make run` runs it: unit tests check SQL on fixtures, not data
        "--exclude-resource-type",
        "unit_test",
    ]
    measured = run_measured(command, env, work / f"{name}.log")
    if measured.returncode == 0:
        measured.slowest = slowest_models(target)
        measured.node_time = time_spent(target)
    return measured


def measure_floor(raw: Path, work: Path) -> Measurement:
    """DuckDB reading the events and sorting them once into a table, nothing else."""
    database = work / "floor.duckdb"
    database.unlink(missing_ok=True)
    script = (
        "import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        'con.execute("set memory_limit = \'" + sys.argv[3] + "\'")\n'
        "con.execute('create table floor as select * from read_parquet(?) "
        "order by customer_id, timestamp, transaction_id', [sys.argv[2]])\n"
    )
    command = [
        str(BIN / "python"),
        "-c",
        script,
        str(database),
        str(raw / "events" / "*.parquet"),
        os.environ.get("RATED_EVENTS_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
    ]
    measured = run_measured(command, dict(os.environ), work / "floor.log")
    database.unlink(missing_ok=True)
    return measured


def ensure_raw(raw: Path, events: int, seed: int, as_of: str) -> None:
    marker = raw / ".generated.json"
    wanted = {"events": events, "seed": seed, "as_of": as_of}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        for day_file in (raw / "events").glob("day-*.parquet"):
            day_file.unlink()
        return
    shutil.rmtree(raw, ignore_errors=True)
    subprocess.run(
        [
            str(BIN / "python"),
            str(ROOT / "scripts" / "generate_data.py"),
            "--events",
            str(events),
            "--seed",
            str(seed),
            "--as-of",
            as_of,
            "--out",
            str(raw),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    marker.write_text(json.dumps(wanted))


def add_day(raw: Path, as_of: str) -> int:
    from .generate import add_day as add_generated_day

    as_of_time = datetime.fromisoformat(as_of.replace("Z", "+00:00"))
    _target, rows = add_generated_day(raw, as_of_time)
    return rows


def benchmark(
    events: int,
    work_root: Path,
    seed: int,
    as_of: str,
    skip_next_day: bool = False,
    target: str = "duckdb",
) -> Result:
    work = work_root / f"events-{events}"
    work.mkdir(parents=True, exist_ok=True)
    raw = work / "raw"
    ensure_raw(raw, events, seed, as_of)
    database = work / "warehouse.duckdb"
    for stale in [*work.glob("warehouse.duckdb*"), work / ".build", work / "spark"]:
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    # what `make run` prepares: the published warehouse (empty) and the build workspace folder
    (work / ".build").mkdir()
    create_warehouse_file(database)
    floor = measure_floor(raw, work)
    full = dbt_build(work, raw, database, as_of, "full", target)
    next_events, next_day = 0, None
    if not skip_next_day:
        next_events = add_day(raw, as_of)
        next_as_of = (
            datetime.fromisoformat(as_of.replace("Z", "+00:00")) + timedelta(days=1)
        ).strftime("%Y-%m-%dT%H:%M:%SZ")
        next_day = dbt_build(work, raw, database, next_as_of, "next-day", target)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return Result(
        events=events,
        when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine,
        full=full,
        next_day=next_day,
        floor=floor,
        next_day_events=next_events,
        target=target,
    )


def describe(result: Result) -> str:
    full, nxt, floor = result.full, result.next_day, result.floor
    rate = result.events / full.seconds if full.seconds else 0
    ratio = full.seconds / floor.seconds if floor.seconds else float("nan")
    if nxt is None:
        next_day_row = "| next-day build | not measured (--skip-next-day) | | | |"
        next_day_ratio = "not measured"
    else:
        next_day_row = (
            f"| next-day build (+{result.next_day_events:,} events) | {nxt.seconds} | "
            f"{result.events / nxt.seconds if nxt.seconds else 0:,.0f} | "
            f"{nxt.peak_rss_mb:,.0f} | {nxt.returncode} |"
        )
        next_day_ratio = f"{nxt.seconds / full.seconds if full.seconds else float('nan'):.2f}"
    if result.target == "spark":
        title = f"### {result.events:,} events on Spark — {result.when}"
        setting = (
            f"Machine: {result.machine}; Spark {spark_version()} (dbt-spark, session method, "
            f"local[{os.environ.get('RATED_EVENTS_THREADS', DEFAULT_THREADS)}], driver memory "
            f"{os.environ.get('RATED_EVENTS_SPARK_MEMORY', DEFAULT_SPARK_MEMORY)}, dbt threads "
            f"{os.environ.get('RATED_EVENTS_SPARK_THREADS', DEFAULT_THREADS)}); the floor is "
            f"DuckDB's ({duckdb.__version__}), the least any engine must do on this machine."
        )
    else:
        title = f"### {result.events:,} events — {result.when}"
        setting = (
            f"Machine: {result.machine}; DuckDB {duckdb.__version__}; dbt threads "
            f"{os.environ.get('RATED_EVENTS_THREADS', DEFAULT_THREADS)}, memory limit "
            f"{os.environ.get('RATED_EVENTS_MEMORY_LIMIT', DEFAULT_MEMORY_LIMIT)}."
        )
    lines = [
        title,
        "",
        setting,
        "",
        "| run | wall (s) | events/s | peak memory (MB) | exit |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| full build | {full.seconds} | {rate:,.0f} | {full.peak_rss_mb:,.0f} | "
        f"{full.returncode} |",
        next_day_row,
        f"| floor (read + sort once) | {floor.seconds} | "
        f"{result.events / floor.seconds if floor.seconds else 0:,.0f} | "
        f"{floor.peak_rss_mb:,.0f} | {floor.returncode} |",
        "",
        f"Full build / floor: **{ratio:.1f}×**; next-day / full: **{next_day_ratio}**.",
        "",
        "Slowest models of the full build (seconds): "
        + ", ".join(f"{name} {seconds}" for name, seconds in full.slowest)
        + ".",
        "",
    ]
    return "\n".join(lines + where_the_time_goes(full))


def where_the_time_goes(full: Measurement) -> list[str]:
    """The full build's node time as a table (empty for records made before it was kept)."""
    if not full.node_time:
        return []
    total = sum(seconds for _, _, seconds in full.node_time)
    lines = [
        f"Where the time goes (full build, node time: {total:,.1f} s in all for "
        f"{full.seconds} s of wall time):",
        "",
        "| node | nodes | seconds | share |",
        "| --- | ---: | ---: | ---: |",
    ]
    for what, nodes, seconds in full.node_time:
        share = seconds / total if total else 0
        lines.append(f"| {what} | {nodes} | {seconds:,.1f} | {share:.0%} |")
    return [*lines, ""]


def record(results: list[Result]) -> None:
    history = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else []
    history.extend(asdict(result) for result in results)
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(history, indent=1) + "\n")
    if not RESULTS_MD.exists():
        RESULTS_MD.write_text(
            "# Benchmarks\n\nAppended by `scripts/benchmark.py` (see its docstring); the plot is "
            "`img/benchmark.png`.\n\n![time against events](img/benchmark.png)\n\n"
        )
    with RESULTS_MD.open("a") as handle:
        for result in results:
            handle.write(describe(result) + "\n")
    plot(history)


def plotted_runs(history: list[dict]) -> dict[int, dict]:
    """The latest DuckDB run of each size (Spark runs are reported in the text only)."""
    latest: dict[int, dict] = {}
    for entry in history:
        if entry.get("target", "duckdb") == "duckdb":
            latest[entry["events"]] = entry
    return latest


def plot(history: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    latest = plotted_runs(history)
    sizes = sorted(latest)
    figure, axes = pyplot.subplots(figsize=(7, 4.5), dpi=100)
    for key, label in (("full", "full build"), ("next_day", "next-day build"), ("floor", "floor")):
        measured = [size for size in sizes if latest[size].get(key)]
        axes.plot(
            measured, [latest[size][key]["seconds"] for size in measured], marker="o", label=label
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("events")
    axes.set_ylabel("wall time (s)")
    axes.set_title("dbt build time against events (latest run per size)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(PLOT)
    pyplot.close(figure)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__)
    parser.add_argument(
        "--events", type=count_arg, nargs="+", default=[1_000_000], help="sizes (1e6 style)"
    )
    parser.add_argument(
        "--work", type=Path, default=Path("/tmp/rated-events-bench"), help="scratch folder"
    )
    parser.add_argument("--seed", type=count_arg, default=42, help="the generator's seed")
    add_as_of_argument(parser, help="as_of of the full build (the next day's is one day later)")
    parser.add_argument(
        "--no-record", action="store_true", help="print only; leave docs/benchmarks.* alone"
    )
    parser.add_argument(
        "--skip-next-day",
        action="store_true",
        help="measure the full build and the floor only (for the largest sizes)",
    )
    parser.add_argument(
        "--spark",
        action="store_true",
        help="build on the Spark target (make setup-spark first) instead of DuckDB",
    )
    args = parser.parse_args(argv)
    args.as_of = rfc3339(args.as_of)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = []
    for events in args.events:
        result = benchmark(
            events,
            args.work,
            args.seed,
            args.as_of,
            args.skip_next_day,
            "spark" if args.spark else "duckdb",
        )
        print(describe(result), flush=True)
        results.append(result)
    if not args.no_record:
        record(results)
    failed = [r for r in results if r.full.returncode or (r.next_day and r.next_day.returncode)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
