"""Export the warehouse in Metronome's data-export layout, each finalized invoice delivered once.

Usage:
    .venv/bin/python scripts/export.py --dest exports/ [--db warehouse/rated_events.duckdb]
    .venv/bin/python scripts/export.py --dest exports/ --draft-label 2026-06-15 --verify

`--db` defaults to $RATED_EVENTS_DB, else warehouse/rated_events.duckdb. `--dest` is a folder
(created if missing) or an object-store URL.

Layout written under the destination DIR (Hive-style `dt=` folders, Parquet files):

    DIR/rated_events/dt=YYYY-MM-DD/part-<batch>-0.parquet        fct_rated_events_finalized
    DIR/invoices/dt=YYYY-MM-DD/part-<batch>-0.parquet            fct_invoices, FINALIZED
    DIR/invoice_line_items/dt=YYYY-MM-DD/part-<batch>-0.parquet  fct_invoice_line_items, FINALIZED
    DIR/draft/<label>/{rated_events,invoices,invoice_line_items}.parquet   draft snapshot, if new

`dt` is the UTC date the rows finalized: `finalized_at` of the rated events and of the invoice
(line items take their invoice's `finalized_at`, joined on `invoice_id`). The files hold every
column of the mart; `dt` is only in the folder name (read with `hive_partitioning = true` to get
it back as a column).

Amounts come in two units, named as Metronome's API names them. A rated event's `amount` (and
`unit_price`) is in its `credit_type_id`, which may be a custom pricing unit (`GPU_CREDITS`);
`fiat_amount` is that amount in the rate card's fiat type, `fiat_credit_type_id` (USD cents
unless the card says otherwise). A line item has `credit_type_id`, `amount` in it and
`fiat_amount` in its invoice's `credit_type_id`; an invoice's `total` is its lines' `fiat_amount`
added up. So spend adds up over `fiat_amount` per `fiat_credit_type_id`, and a finalized
invoice's rated events roll up to its total: the `fiat_amount` of its rated events that no
credit or prepaid commit paid for, plus its postpaid true-ups. Rows finalized before fiat
amounts existed are exported as recorded, with `fiat_amount` and `fiat_credit_type_id` null:
they were all fiat, so their `amount` is their fiat amount.

Why the unit of delivery is the invoice, not the dt folder
-----------------------------------------------------------
The warehouse appends finalized rows whole per invoice and never changes them afterwards, but a
dt folder is never "complete" for good: a build whose `as_of` falls inside day D appends the
invoices finalized before `as_of` and the next build appends the rest of day D; a SCHEDULED
invoice finalizes at its `scheduled_at`, any time of day; a contract added to the configuration
later brings periods that finalized in the past; an operator can void and re-finalize a period
(README, "Finalized history"). So exactly-once is kept per (destination, dataset, invoice):

* the delivery log `export_deliveries` (in the warehouse) holds one row per delivered invoice and
  dataset: destination (as given) and its identity key, dataset, dt, invoice_id, batch id, the
  invoice's row count, a content hash of its rows (sha256 over the sorted md5s of the rows as
  JSON: independent of row order and of Parquet encoding), the files (paths relative to the
  destination) and their sha256, the run id and `delivered_at` (UTC). Its primary key
  (destination_key, dataset, invoice_id) makes a second delivery of an invoice impossible;
* each export writes only the invoices not delivered yet, as new files in their dt folders named
  `part-<batch>-<i>.parquet`, where `<batch>` is a hash of the batch's sorted (dt, invoice_id)
  pairs: deterministic, so the same batch always gets the same names, and unique, since an
  invoice is only ever in one batch. A re-export therefore writes no file, and an invoice
  finalized later with an already-delivered dt lands as one more file in that dt folder.
  Consumers load the files they have not loaded yet; a dt folder only ever gains files;
* the destination's identity (`destination_key`) is the absolute path for a local folder and the
  URL without trailing `/` otherwise; exporting to two destinations delivers to each once;
* `--verify` re-hashes the delivered invoices and reports (exit code 3) those whose rows changed
  or vanished since delivery: a voided and re-finalized period is never re-delivered on its own.
  To deliver it again, delete its rows for that destination from `export_deliveries`; the next
  export writes it as a new file beside the earlier one (over it, if the earlier batch held only
  that invoice), and the consumer drops the voided rows by `invoice_id`.

Crash safety (local folders)
----------------------------
1. Planning: in one transaction, the new invoices are written to `export_pending` with their
   batch id. From then on the batch's membership, hence its file names, is fixed.
2. Writing: `COPY (...) TO 'DIR/_tmp/<run>/...' (FORMAT parquet, PARTITION_BY (dt), ...)`, then
   every file is renamed into `DIR/<dataset>/dt=.../` (`os.replace`, atomic on one file system;
   `_tmp` sits inside DIR so it is the same file system, and readers skip `_`-prefixed folders).
3. Recording: only after all the batch's files are in place, one transaction inserts the log rows
   and deletes the batch from `export_pending`.

Killed before 1 ends: nothing happened. Killed between 1 and 3: the pending batch survives, and
the next export to the same destination writes it first, under the same file names, replacing
any file already renamed into place with the same rows (finalized rows never change), and then
records it: no duplicate file and no missing one. The next export also removes `DIR/_tmp`, so one
destination folder is fed by one warehouse. Draft snapshot files are written to `_tmp` too and
each renamed over its old version, so a reader always sees a whole file (for a moment, one file
may be from the new run and another from the previous one); a snapshot is logged only once its
files are in place, so one a killed export left half-written is written again. The script opens
the warehouse read-write (it writes the log), and DuckDB locks the file: run it after `dbt
build`, not during (whichever starts second fails to open the warehouse and changes nothing; the
export then says in one line which program and PID hold it, exit code 2).

Object storage (S3, GCS, R2, Azure) through DuckDB's httpfs
-----------------------------------------------------------
A destination containing `://` is passed through to DuckDB as it is: `--dest s3://bucket/prefix`.
DuckDB autoloads httpfs for such paths; credentials come from a persistent secret made once,
e.g. in the `duckdb` shell: `INSTALL httpfs; LOAD httpfs; CREATE PERSISTENT SECRET export_s3
(TYPE s3, KEY_ID '...', SECRET '...', REGION '...');` (or `PROVIDER credential_chain`, from the
`aws` extension). This script runs no SQL given by the user, so a per-session secret cannot be
passed in; a persistent one (`~/.duckdb/stored_secrets`) is found by every connection.

Object stores have no rename, so there the COPY writes straight into `DIR/<dataset>/` with the
same deterministic names (`OVERWRITE_OR_IGNORE`); an object appears only once fully uploaded,
and a batch interrupted between upload and log is uploaded again under the same names by the
next export, so the guarantees are the same. Files are listed with DuckDB's `glob()` and hashed
with `read_blob()`; draft files are written in place too (an object replaces the old one whole).
The tests run this path with a `file://` URL standing in for a bucket, not against S3 itself.

Draft rows
----------
`fct_rated_events_draft` and the DRAFT invoices and line items change with builds, so they are
not delivery-logged per invoice but written whole, as a snapshot in `DIR/draft/<label>/`, the
label being `--draft-label` (e.g. the build's as_of) or the run time `YYYYMMDDTHHMMSSZ`. A
snapshot is written only when it holds something the destination does not have yet:

* the log `export_draft_snapshots` (in the warehouse) has one row per (destination, label): the
  destination and its identity key, the label, a content hash of the draft rows of the three
  datasets (computed like the delivery log's: independent of row order and Parquet encoding),
  their row count, the run id and `written_at` (UTC), i.e. what the folder holds now;
* without `--draft-label` an export writes a snapshot when the draft rows differ from the last
  snapshot written to the destination; with it, when that label's folder does not hold these
  rows yet (a new label, or rows that changed since); `--draft-snapshot` writes one anyway (e.g.
  after deleting the latest snapshot folder by hand). So running the same export twice in a row
  writes nothing the second time, and prints which snapshot already holds the drafts.

An export with a label already used replaces that snapshot, otherwise snapshots accumulate (prune
old ones as you see fit).

Exit codes: 0 done; 1 failed (not a built warehouse, bad label, a DuckDB or file error: the
batches recorded before the error stand, the others are redone next time); 2 nothing done, said
in one line: no warehouse, another process (a running `dbt build`) holds it, or `--dest` is a
file; 3 done, but `--verify` found delivered invoices that changed.

SQL safety: values are bound as parameters (`?`); COPY targets, FILENAME_PATTERN and the table
names, which DuckDB cannot bind, go through `sqlsafe.quote_literal` / `quote_identifier`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .cli import add_db_argument, fail, open_warehouse, parser_for
from .sqlsafe import quote_identifier, quote_literal

TMP_FOLDER = "_tmp"
DRAFT_FOLDER = "draft"


@dataclass(frozen=True)
class Dataset:
    """One exported dataset: where its finalized rows and draft rows come from."""

    name: str
    table: str  # the mart holding the finalized rows (status 'FINALIZED')
    key: str  # the mart's primary key, to order rows in files
    units_sql: str  # (invoice_id, dt) of every finalized invoice present in the dataset
    draft_sql: str  # the draft snapshot


DATASETS = (
    Dataset(
        name="rated_events",
        table="fct_rated_events_finalized",
        key="rated_event_id",
        units_sql="""
            select invoice_id, cast(min(finalized_at) as date) as dt
            from fct_rated_events_finalized
            where status = 'FINALIZED'
            group by invoice_id
        """,
        draft_sql="select * from fct_rated_events_draft order by rated_event_id",
    ),
    Dataset(
        name="invoices",
        table="fct_invoices",
        key="invoice_id",
        units_sql="""
            select invoice_id, cast(finalized_at as date) as dt
            from fct_invoices
            where status = 'FINALIZED'
        """,
        draft_sql="select * from fct_invoices where status <> 'FINALIZED' order by invoice_id",
    ),
    Dataset(
        name="invoice_line_items",
        table="fct_invoice_line_items",
        key="invoice_line_item_id",
        # whole invoices only: line items wait for their invoice's FINALIZED row
        units_sql="""
            select distinct lines.invoice_id, cast(invoices.finalized_at as date) as dt
            from fct_invoice_line_items as lines
            inner join fct_invoices as invoices on lines.invoice_id = invoices.invoice_id
            where lines.status = 'FINALIZED' and invoices.status = 'FINALIZED'
        """,
        draft_sql=(
            "select * from fct_invoice_line_items where status <> 'FINALIZED'"
            " order by invoice_line_item_id"
        ),
    ),
)

LOG_DDL = (
    """
    create table if not exists export_deliveries (
        destination varchar not null,
        destination_key varchar not null,
        dataset varchar not null,
        dt date not null,
        invoice_id varchar not null,
        batch_id varchar not null,
        row_count bigint not null,
        content_hash varchar not null,
        file_paths varchar[] not null,
        file_sha256 varchar[] not null,
        run_id varchar not null,
        delivered_at timestamp not null,
        primary key (destination_key, dataset, invoice_id)
    )
    """,
    """
    create table if not exists export_pending (
        destination_key varchar not null,
        dataset varchar not null,
        batch_id varchar not null,
        dt date not null,
        invoice_id varchar not null,
        planned_at timestamp not null,
        primary key (destination_key, dataset, invoice_id)
    )
    """,
    """
    create table if not exists export_draft_snapshots (
        destination varchar not null,
        destination_key varchar not null,
        label varchar not null,
        content_hash varchar not null,
        row_count bigint not null,
        run_id varchar not null,
        written_at timestamp not null,
        primary key (destination_key, label)
    )
    """,
)


@dataclass
class DatasetResult:
    partitions: set[str] = field(default_factory=set)
    files: list[str] = field(default_factory=list)
    rows: int = 0
    invoices: int = 0
    already_delivered: int = 0


@dataclass
class ExportResult:
    run_id: str
    destination: str
    datasets: dict[str, DatasetResult]
    draft_folder: str  # draft/<label>: the snapshot holding the current draft rows
    draft_rows: dict[str, int]
    changed_since_delivery: list[tuple[str, str]]  # (dataset, invoice_id), with --verify
    draft_written: bool = True  # False: draft_folder already held these rows, nothing written


class Destination:
    """A local folder (temp folder, then rename) or an object-store URL (direct writes)."""

    def __init__(self, text: str) -> None:
        if not text or "\x00" in text:
            raise ValueError("the destination must be a non-empty path or URL")
        self.given = text
        self.remote = "://" in text
        if self.remote:
            self.root = text.rstrip("/")
            self.key = self.root
        else:
            self.path = Path(text).expanduser().resolve()
            self.root = str(self.path)
            self.key = self.root

    def join(self, *parts: str) -> str:
        return "/".join([self.root, *parts])


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def check_label(label: str) -> str:
    if not label or label in {".", ".."} or any(c in label for c in "/\\\x00"):
        raise ValueError(f"draft label {label!r}: must be a single folder name")
    return label


def check_marts(connection: duckdb.DuckDBPyConnection) -> None:
    """Fail before writing anything when the warehouse has not been built."""
    needed = sorted({"fct_rated_events_draft"} | {dataset.table for dataset in DATASETS})
    present = {
        name
        for (name,) in connection.execute(
            "select table_name from duckdb_tables() where table_name in ?", [needed]
        ).fetchall()
    }
    missing = [name for name in needed if name not in present]
    if missing:
        raise ValueError(f"not a built warehouse: missing {', '.join(missing)} (run dbt build)")


def ensure_log(connection: duckdb.DuckDBPyConnection) -> None:
    for ddl in LOG_DDL:
        connection.execute(ddl)


def plan(
    connection: duckdb.DuckDBPyConnection, destination: Destination, run_at: datetime
) -> dict[str, int]:
    """Record new invoices as pending batches (one transaction); return already-delivered counts."""
    already: dict[str, int] = {}
    connection.begin()
    try:
        for dataset in DATASETS:
            # dataset.units_sql is a constant of this module, never user text
            already[dataset.name] = connection.execute(
                f"""
                with units as ({dataset.units_sql})
                select count(*) from units
                where exists (
                    select 1 from export_deliveries as delivered
                    where delivered.destination_key = ? and delivered.dataset = ?
                        and delivered.invoice_id = units.invoice_id
                )
                """,
                [destination.key, dataset.name],
            ).fetchone()[0]
            connection.execute(
                f"""
                insert into export_pending
                with units as ({dataset.units_sql}),
                new_units as (
                    select units.invoice_id, units.dt from units
                    where not exists (
                        select 1 from export_deliveries as delivered
                        where delivered.destination_key = $key and delivered.dataset = $dataset
                            and delivered.invoice_id = units.invoice_id
                    )
                    and not exists (
                        select 1 from export_pending as pending
                        where pending.destination_key = $key and pending.dataset = $dataset
                            and pending.invoice_id = units.invoice_id
                    )
                ),
                batch as (
                    select left(sha256(string_agg(
                        strftime(dt, '%Y-%m-%d') || ' ' || invoice_id, chr(10)
                        order by dt, invoice_id
                    )), 32) as batch_id
                    from new_units
                )
                select $key, $dataset, batch.batch_id, new_units.dt, new_units.invoice_id, $at
                from new_units cross join batch
                """,
                {"key": destination.key, "dataset": dataset.name, "at": run_at},
            )
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return already


def pending_batches(
    connection: duckdb.DuckDBPyConnection, destination: Destination
) -> list[tuple[str, str]]:
    return connection.execute(
        """
        select distinct dataset, batch_id from export_pending
        where destination_key = ?
        order by dataset, batch_id
        """,
        [destination.key],
    ).fetchall()


def batch_rows_sql(dataset: Dataset) -> str:
    """The batch's rows plus their dt; parameters: destination_key, dataset, batch_id."""
    table = quote_identifier(dataset.table)
    key = quote_identifier(dataset.key)
    return f"""
        select src.*, pending.dt
        from {table} as src
        inner join export_pending as pending on src.invoice_id = pending.invoice_id
        where src.status = 'FINALIZED'
            and pending.destination_key = ? and pending.dataset = ? and pending.batch_id = ?
        order by pending.dt, src.invoice_id, src.{key}
    """


def sha256_of_file(connection: duckdb.DuckDBPyConnection, path: str, remote: bool) -> str:
    if remote:
        return connection.execute("select sha256(content) from read_blob(?)", [path]).fetchone()[0]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_batch(
    connection: duckdb.DuckDBPyConnection,
    destination: Destination,
    dataset: Dataset,
    batch_id: str,
    run_dir: Path | None,
) -> list[tuple[str, str]]:
    """Write a pending batch's files into place; return (dt, path relative to DIR) per file."""
    params = [destination.key, dataset.name, batch_id]
    pattern = quote_literal(f"part-{batch_id}-{{i}}")
    if destination.remote:
        target = destination.join(dataset.name)
        connection.execute(
            f"copy ({batch_rows_sql(dataset)}) to {quote_literal(target)} "
            f"(format parquet, partition_by (dt), filename_pattern {pattern}, "
            "overwrite_or_ignore true)",
            params,
        )
        found = connection.execute(
            "select file from glob(?) order by file",
            [destination.join(dataset.name, "dt=*", f"part-{batch_id}-*.parquet")],
        ).fetchall()
        # glob may answer with or without the scheme: keep the part from DIR/<dataset>/ on
        marker = f"/{dataset.name}/dt="
        placed = [file[file.rfind(marker) + 1 :] for (file,) in found]
    else:
        staging = run_dir / f"{dataset.name}-{batch_id}"
        run_dir.mkdir(parents=True, exist_ok=True)
        connection.execute(
            f"copy ({batch_rows_sql(dataset)}) to {quote_literal(str(staging))} "
            f"(format parquet, partition_by (dt), filename_pattern {pattern})",
            params,
        )
        placed = []
        for written in sorted(staging.glob("dt=*/*.parquet")):
            relative = Path(dataset.name) / written.parent.name / written.name
            final = destination.path / relative
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(written, final)
            placed.append(relative.as_posix())
    return [(path.split("/")[1].removeprefix("dt="), path) for path in placed]


def record_batch(
    connection: duckdb.DuckDBPyConnection,
    destination: Destination,
    dataset: Dataset,
    batch_id: str,
    files: list[tuple[str, str]],
    run_id: str,
    delivered_at: datetime,
) -> tuple[int, int]:
    """Log the batch's invoices and clear it from export_pending, in one transaction."""
    params = [destination.key, dataset.name, batch_id]
    table = quote_identifier(dataset.table)
    connection.begin()
    try:
        connection.execute(
            "create or replace temp table export_batch_files (dt date, path varchar, sha varchar)"
        )
        for dt, path in files:
            connection.execute(
                "insert into export_batch_files values (cast(? as date), ?, ?)",
                [dt, path, sha256_of_file(connection, destination.join(path), destination.remote)],
            )
        connection.execute(
            f"""
            create or replace temp table export_batch_stats as
            with hashed as (
                select src.invoice_id, md5(cast(to_json(src) as varchar)) as row_hash
                from {table} as src
                inner join export_pending as pending on src.invoice_id = pending.invoice_id
                where src.status = 'FINALIZED'
                    and pending.destination_key = ? and pending.dataset = ?
                    and pending.batch_id = ?
            )
            select invoice_id, count(*) as row_count,
                sha256(string_agg(row_hash, '' order by row_hash)) as content_hash
            from hashed
            group by invoice_id
            """,
            params,
        )
        missing = connection.execute(
            """
            select count(*) from export_pending as pending
            inner join export_batch_stats as stats on pending.invoice_id = stats.invoice_id
            where pending.destination_key = ? and pending.dataset = ? and pending.batch_id = ?
                and pending.dt not in (select dt from export_batch_files)
            """,
            params,
        ).fetchone()[0]
        if missing:
            raise RuntimeError(f"{dataset.name} batch {batch_id}: rows without a written file")
        connection.execute(
            """
            insert into export_deliveries
            select ?, pending.destination_key, pending.dataset, pending.dt, pending.invoice_id,
                pending.batch_id, stats.row_count, stats.content_hash, files.paths, files.hashes,
                ?, ?
            from export_pending as pending
            inner join export_batch_stats as stats on pending.invoice_id = stats.invoice_id
            inner join (
                select dt, list(path order by path) as paths, list(sha order by path) as hashes
                from export_batch_files group by dt
            ) as files on pending.dt = files.dt
            where pending.destination_key = ? and pending.dataset = ? and pending.batch_id = ?
            """,
            [destination.given, run_id, delivered_at, *params],
        )
        invoices, rows = connection.execute(
            """
            select count(*), coalesce(sum(row_count), 0) from export_deliveries
            where destination_key = ? and dataset = ? and batch_id = ?
            """,
            params,
        ).fetchone()
        connection.execute(
            "delete from export_pending where destination_key = ? and dataset = ? and batch_id = ?",
            params,
        )
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return invoices, rows


def draft_content(connection: duckdb.DuckDBPyConnection) -> tuple[str, dict[str, int]]:
    """A hash of the draft rows of every dataset (independent of row order and of Parquet
    encoding, like the delivery log's content hash) and the row counts."""
    counts, lines = {}, []
    for dataset in DATASETS:
        # dataset.draft_sql is a constant of this module, never user text
        count, digest = connection.execute(
            f"""
            with hashed as (
                select md5(cast(to_json(draft) as varchar)) as row_hash
                from ({dataset.draft_sql}) as draft
            )
            select count(*), coalesce(sha256(string_agg(row_hash, '' order by row_hash)), '')
            from hashed
            """
        ).fetchone()
        counts[dataset.name] = count
        lines.append(f"{dataset.name} {count} {digest}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest(), counts


def snapshot_holding(
    connection: duckdb.DuckDBPyConnection,
    destination: Destination,
    content_hash: str,
    label: str | None,
) -> str | None:
    """The label of the snapshot at `destination` that already holds these draft rows: the one
    named `label` if given, else the last one written; None if it holds other rows or none."""
    last = connection.execute(
        """
        select label, content_hash from export_draft_snapshots
        where destination_key = ? and (?::varchar is null or label = ?)
        order by written_at desc
        limit 1
        """,
        [destination.key, label, label],
    ).fetchone()
    return last[0] if last and last[1] == content_hash else None


def write_draft(
    connection: duckdb.DuckDBPyConnection,
    destination: Destination,
    label: str,
    run_dir: Path | None,
) -> str:
    """A full snapshot of the draft rows in DIR/draft/<label>/."""
    for dataset in DATASETS:
        name = f"{dataset.name}.parquet"
        if destination.remote:
            target = destination.join(DRAFT_FOLDER, label, name)
            connection.execute(
                f"copy ({dataset.draft_sql}) to {quote_literal(target)} (format parquet)"
            )
        else:
            staging = run_dir / DRAFT_FOLDER / name
            staging.parent.mkdir(parents=True, exist_ok=True)
            connection.execute(
                f"copy ({dataset.draft_sql}) to {quote_literal(str(staging))} (format parquet)"
            )
            final = destination.path / DRAFT_FOLDER / label / name
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, final)
    return f"{DRAFT_FOLDER}/{label}"


def record_draft(
    connection: duckdb.DuckDBPyConnection,
    destination: Destination,
    label: str,
    content_hash: str,
    row_count: int,
    run_id: str,
) -> None:
    """Log the snapshot now in DIR/draft/<label>/ (after its files are in place)."""
    connection.execute(
        "insert or replace into export_draft_snapshots values (?, ?, ?, ?, ?, ?, ?)",
        [destination.given, destination.key, label, content_hash, row_count, run_id, utc_now()],
    )


def verify(
    connection: duckdb.DuckDBPyConnection, destination: Destination
) -> list[tuple[str, str]]:
    """Delivered invoices whose rows in the warehouse differ now (voided and re-finalized)."""
    changed = []
    for dataset in DATASETS:
        table = quote_identifier(dataset.table)
        rows = connection.execute(
            f"""
            with current_rows as (
                select src.invoice_id, md5(cast(to_json(src) as varchar)) as row_hash
                from {table} as src
                where src.status = 'FINALIZED'
            ),
            current_hashes as (
                select invoice_id, sha256(string_agg(row_hash, '' order by row_hash)) as hash
                from current_rows group by invoice_id
            )
            select delivered.invoice_id
            from export_deliveries as delivered
            left join current_hashes on delivered.invoice_id = current_hashes.invoice_id
            where delivered.destination_key = ? and delivered.dataset = ?
                and current_hashes.hash is distinct from delivered.content_hash
            order by delivered.invoice_id
            """,
            [destination.key, dataset.name],
        ).fetchall()
        changed += [(dataset.name, invoice_id) for (invoice_id,) in rows]
    return changed


def export(
    db: Path | str,
    dest: str,
    draft_label: str | None = None,
    check_changes: bool = False,
    now: datetime | None = None,
    force_draft: bool = False,
) -> ExportResult:
    """Deliver new finalized invoices from warehouse `db` to `dest`, and a draft snapshot unless
    the snapshot named `draft_label` (else the last one written) already holds the same draft
    rows, or `force_draft`. Exits (SystemExit 2, one line on stderr) when `db` is missing or
    another process holds it."""
    destination = Destination(dest)
    run_at = now or utc_now()
    run_id = f"{run_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    label = check_label(draft_label or f"{run_at:%Y%m%dT%H%M%SZ}")
    run_dir = None
    results = {dataset.name: DatasetResult() for dataset in DATASETS}
    by_name = {dataset.name: dataset for dataset in DATASETS}
    with open_warehouse(db, read_only=False) as connection:
        connection.execute("set TimeZone = 'UTC'")
        check_marts(connection)
        if not destination.remote:
            destination.path.mkdir(parents=True, exist_ok=True)
            tmp_root = destination.path / TMP_FOLDER
            if tmp_root.is_dir():  # left by a killed export; its pending batches are redone
                shutil.rmtree(tmp_root)
            run_dir = tmp_root / run_id  # created when there is something to write
        ensure_log(connection)
        already = plan(connection, destination, run_at)
        for name, count in already.items():
            results[name].already_delivered = count
        for name, batch_id in pending_batches(connection, destination):
            files = write_batch(connection, destination, by_name[name], batch_id, run_dir)
            invoices, rows = record_batch(
                connection, destination, by_name[name], batch_id, files, run_id, utc_now()
            )
            result = results[name]
            result.partitions.update(dt for dt, _ in files)
            result.files += [path for _, path in files]
            result.invoices += invoices
            result.rows += rows
        draft_hash, draft_rows = draft_content(connection)
        holding = snapshot_holding(connection, destination, draft_hash, draft_label)
        draft_written = force_draft or holding is None
        if draft_written:
            draft_folder = write_draft(connection, destination, label, run_dir)
            record_draft(
                connection, destination, label, draft_hash, sum(draft_rows.values()), run_id
            )
        else:
            draft_folder = f"{DRAFT_FOLDER}/{holding}"
        changed = verify(connection, destination) if check_changes else []
    if run_dir is not None:
        shutil.rmtree(run_dir.parent, ignore_errors=True)
    return ExportResult(run_id, dest, results, draft_folder, draft_rows, changed, draft_written)


def print_summary(result: ExportResult) -> None:
    print(f"Export to {result.destination} (run {result.run_id})")
    for name, item in result.datasets.items():
        print(
            f"  {name:<20}: {len(item.partitions):>4} dt partition(s), {len(item.files):>4} "
            f"file(s), {item.rows:>10,} rows, {item.invoices:>5} invoice(s) delivered; "
            f"{item.already_delivered} already delivered, skipped"
        )
    drafts = ", ".join(f"{name} {count:,}" for name, count in result.draft_rows.items())
    if result.draft_written:
        print(f"  draft snapshot      : {result.draft_folder}/ ({drafts} rows)")
    else:
        print(
            f"  draft snapshot      : unchanged since {result.draft_folder}/ ({drafts} rows), "
            "not written (--draft-snapshot writes one anyway)"
        )
    for name, invoice_id in result.changed_since_delivery:
        print(f"  CHANGED since delivery (not re-delivered): {name} {invoice_id}", file=sys.stderr)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = parser_for(__doc__.split("\n\n")[0])
    parser.epilog = (
        "Layout, delivery log, crash safety, object stores, draft snapshots and exit codes: "
        "the docstring of scripts/rated_events_tools/export.py."
    )
    add_db_argument(parser)
    parser.add_argument(
        "--dest",
        required=True,
        help="destination folder (created if missing), or an object-store URL (s3://...)",
    )
    parser.add_argument(
        "--draft-label",
        help="folder name of the draft snapshot (default: the run time, UTC); written unless "
        "that folder already holds the same draft rows",
    )
    parser.add_argument(
        "--draft-snapshot",
        action="store_true",
        help="write the draft snapshot even if the drafts did not change since the last one",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="also report delivered invoices whose rows changed since (e.g. re-finalized)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if "://" not in args.dest and Path(args.dest).expanduser().is_file():
        fail(f"--dest {args.dest} is a file; give a folder (it is created if missing)")
    try:
        result = export(
            args.db, args.dest, args.draft_label, args.verify, force_draft=args.draft_snapshot
        )
    except (OSError, RuntimeError, ValueError, duckdb.Error) as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    print_summary(result)
    return 3 if result.changed_since_delivery else 0


if __name__ == "__main__":
    sys.exit(main())
