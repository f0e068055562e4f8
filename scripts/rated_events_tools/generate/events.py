"""The events, built set-based in DuckDB: how many of each kind (normal, late, odd timestamps,
and every bad kind), and the SQL that draws them deterministically for a seed."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from .customers import Config
from .timeline import DAY_US, HOUR_US, Timeline, to_us

# Malformed event forms: (field, SQL expression). `inst` is the event instant (TIMESTAMP).
MALFORMED_FORMS: tuple[tuple[str, str], ...] = (
    ("transaction_id", "null"),
    ("transaction_id", "''"),
    ("transaction_id", "'   '"),
    ("customer_id", "null"),
    ("customer_id", "''"),
    ("event_type", "null"),
    ("event_type", "'  '"),
    ("timestamp", "null"),
    ("timestamp", "'2026-02-30T00:00:00Z'"),
    ("timestamp", "strftime(inst, '%Y-%m-%dT%H:%M:%S')"),
    ("timestamp", "'yesterday'"),
    ("timestamp", "'2026-13-01T00:00:00Z'"),
    ("timestamp", "'0000-01-01T00:00:00Z'"),
    ("timestamp", "strftime(inst, '%Y-%m-%dT23:59:60Z')"),
    ("timestamp", "' ' || strftime(inst, '%Y-%m-%dT%H:%M:%SZ')"),
    ("timestamp", "strftime(inst, '%Y-%m-%dT%H:%M:%S+24:00')"),
    ("properties", "'[1]'"),
    ("properties", "'null'"),
    ("properties", "'{bad'"),
    ("properties", "'NaN'"),
    ("properties", "'\"a string\"'"),
    ("properties", "'42'"),
    ("properties", '\'{"model": "atlas-small", "tokens": NaN}\''),
    ("properties", "''"),
)

# Odd but valid timestamp forms of the same instant `inst` (seconds precision unless noted).
ODD_TS_FORMS: tuple[str, ...] = (
    "strftime(inst + interval 2 hour, '%Y-%m-%d %H:%M:%S') || '+02:00'",
    "strftime(inst, '%Y-%m-%dt%H:%M:%Sz')",
    "strftime(inst, '%Y-%m-%dT%H:%M:%S.%f') || '789Z'",
    "strftime(inst - interval 8 hour, '%Y-%m-%dT%H:%M:%S') || '-08:00'",
    "strftime(inst + interval 330 minute, '%Y-%m-%dT%H:%M:%S') || '+05:30'",
    "strftime(inst, '%Y-%m-%dT%H:%M:%S') || '+00:00'",
    "strftime(inst, '%Y-%m-%dT%H:%M:%SZ')",
)

# Event kinds: (kind, transaction id tag, fraction of --events, minimum count).
KINDS: tuple[tuple[str, str, float, int], ...] = (
    ("late", "late", 0.010, 3),
    ("odd_ts", "odd-ts", 0.005, len(ODD_TS_FORMS)),
    ("after_as_of", "after-as-of", 0.005, 3),
    ("malformed", "malformed", 0.004, len(MALFORMED_FORMS)),
    ("future", "future", 0.001, 2),
    ("too_old", "too-old", 0.001, 2),
    ("no_customer", "no-customer", 0.0015, 3),
    ("no_contract", "no-contract", 0.001, 2),
    ("no_rate", "no-rate", 0.001, 2),
    ("no_rate_model", "no-rate", 0.0005, 2),
    ("bad_value", "bad-value", 0.001, 5),
    ("finalized", "finalized", 0.001, 2),
    ("dup", "dup", 0.005, 3),
)
TARGET_KINDS = ("no_contract", "no_rate_model", "finalized")


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------


def plan_counts(events: int, cfg: Config) -> dict[str, int]:
    """Rows per kind; 'normal' takes the rest. Small runs still get every kind."""
    counts: dict[str, int] = {}
    target_kinds = {t[0] for t in cfg.targets}
    for kind, _tag, fraction, minimum in KINDS:
        if kind in TARGET_KINDS and kind not in target_kinds:
            counts[kind] = 0
            continue
        counts[kind] = max(minimum, round(events * fraction))
    while sum(counts.values()) > events // 2 and any(counts.values()):
        counts = {k: v // 2 for k, v in counts.items()}
    counts = {"normal": events - sum(counts.values()), **counts}
    return counts


def load_tables(con: duckdb.DuckDBPyConnection, cfg: Config, counts: dict[str, int]) -> None:
    """Customer slots, targets and kind ranges as small DuckDB tables."""
    con.execute(
        "create table customers (cidx int, customer_id varchar, slug varchar, "
        "alias1 varchar, alias2 varchar, n_alias int, users int, workspaces int, "
        "ws_us bigint, wlen_us bigint, slot_lo bigint, slot_hi bigint)"
    )
    rows, slot = [], 0
    for p in cfg.plans:
        aliases = p.aliases + [None, None]
        lo, hi = to_us(p.window[0]), to_us(p.window[1])
        rows.append(
            (
                p.index,
                p.customer_id,
                p.slug,
                aliases[0],
                aliases[1],
                len(p.aliases),
                p.users,
                p.workspaces,
                lo,
                max(hi - lo, 0),
                slot,
                slot + p.weight,
            )
        )
        slot += p.weight
    if rows:
        con.executemany("insert into customers values (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.execute(
        f"create table slots as select s, c.* from range({max(slot, 1)}) r(s) "
        "join customers c on r.s >= c.slot_lo and r.s < c.slot_hi"
    )
    con.execute(
        "create table targets (kind varchar, k int, customer_id varchar, lo bigint, "
        "hi bigint, rlo bigint, rhi bigint)"
    )
    by_kind: dict[str, int] = {}
    for kind, cus, lo, hi, rlo, rhi in cfg.targets:
        con.execute(
            "insert into targets values (?,?,?,?,?,?,?)",
            (kind, by_kind.get(kind, 0), cus, lo, hi, rlo, rhi),
        )
        by_kind[kind] = by_kind.get(kind, 0) + 1
    con.execute(
        "create table kinds (kind varchar, tag varchar, lo bigint, hi bigint, n_targets int)"
    )
    tags = {"normal": "evt", **{kind: tag for kind, tag, _f, _m in KINDS}}
    start = 0
    for kind, count in counts.items():
        con.execute(
            "insert into kinds values (?,?,?,?,?)",
            (kind, tags[kind], start, start + count, by_kind.get(kind, 0)),
        )
        start += count
    con.execute(f"create table slot_count as select {max(slot, 1)} as n")


def base_sql(seed: int) -> str:
    """Every row gets a customer, a window and random draws; kinds override some fields."""
    draws = ", ".join(f"(hash(r.i, {seed}, {n}) >> 1)::bigint as h{n}" for n in range(1, 9))
    return f"""
create view base as
with rows as (
    select r.i, k.kind, k.tag, k.lo as kind_lo, k.n_targets, {draws}
    from range((select coalesce(max(hi), 0) from kinds where kind <> 'dup')) r(i)
    join kinds k on r.i >= k.lo and r.i < k.hi
),
picked as (
    select rows.*, coalesce(t.customer_id, s.customer_id) as picked_id,
        t.lo as t_lo, t.hi as t_hi, t.rlo, t.rhi
    from rows
    join slots s on s.s = rows.h1 % (select n from slot_count)
    left join targets t
        on t.kind = rows.kind and t.k = (rows.i - rows.kind_lo) % nullif(rows.n_targets, 0)
)
select picked.*, c.cidx, c.customer_id as cust, c.slug, c.alias1, c.alias2, c.n_alias,
    c.users, c.workspaces,
    coalesce(picked.t_lo, c.ws_us) as lo_us, coalesce(picked.t_hi - picked.t_lo, c.wlen_us)
        as len_us,
    (h2 % 1000003) / 1000003.0 as u_time,
    (h3 % 1000003) / 1000003.0 as u_type,
    (h4 % 1000003) / 1000003.0 as u_lag,
    (h5 % 1000003) / 1000003.0 as u_val
from picked
join customers c on c.customer_id = picked.picked_id
"""


def instants_sql(as_of_us: int) -> str:
    """`inst_us` (the event time its timestamp names) and `recv_us` (when it reached us)."""
    lag = "(20000 + floor(pow(u_lag, 4) * 240000000))::bigint"
    late_lag = f"({HOUR_US} + floor(u_lag * {21 * HOUR_US}))::bigint"
    n_odd = len(ODD_TS_FORMS)
    return f"""
create view timed as
with t as (
    select *,
        case when kind = 'normal' then
            -- usage grows over the history: density rises towards as_of
            lo_us + floor(sqrt(u_time) * len_us)::bigint
        else lo_us + floor(u_time * len_us)::bigint end // 1000 * 1000 as ms_us
    from base
),
o as (
    select *,
        case
            when kind = 'odd_ts' and (i - kind_lo) % {n_odd} = 2 then ms_us + h6 % 1000
            when kind = 'odd_ts' then ms_us // 1000000 * 1000000
            else ms_us
        end as occurred_us
    from t
),
r as (
    select *,
        case
            when rlo is not null then rlo + floor(u_lag * (rhi - rlo))::bigint
            when kind = 'late' then least(occurred_us + {late_lag}, {as_of_us})
            when kind = 'after_as_of' then {as_of_us} + 1000000
                + floor(u_time * {3 * DAY_US})::bigint
            else least(occurred_us + {lag}, {as_of_us})
        end as recv_us
    from o
)
select *,
    case
        when kind = 'future' then recv_us + {25 * HOUR_US} + floor(u_val * {10 * DAY_US})::bigint
        when kind = 'too_old' then recv_us - {35 * DAY_US} - floor(u_val * {40 * DAY_US})::bigint
        when kind = 'after_as_of' then recv_us - {lag}
        else occurred_us
    end as inst_us
from r
"""


BAD_TOKENS = (
    '\', "tokens": "abc"\'',
    "', \"tokens\": null'",
    '\', "tokens": "1e5"\'',
    '\', "tokens": "12,000"\'',
    "''",
)


def properties_sql() -> str:
    """Event type, property values and the JSON text, per type."""
    model = (
        "case when kind = 'no_rate' then 'orion-vision' "
        "when kind = 'no_rate_model' then 'atlas-xl-preview' "
        "when h6 % 10 < 5 then 'atlas-small' when h6 % 10 < 8 then 'atlas-large' "
        "else 'nova-embed' end"
    )
    region = (
        "case when h7 % 10 < 6 then 'us-east-1' when h7 % 10 < 9 then 'eu-west-1' "
        "else 'ap-south-1' end"
    )
    bad_tokens = " ".join(f"when {n} then {form}" for n, form in enumerate(BAD_TOKENS))
    return f"""
create view props as
with v as (
    select *,
        case
            when kind not in ('normal', 'late', 'odd_ts', 'after_as_of') then 'llm_inference'
            when u_type < 0.55 then 'llm_inference'
            when u_type < 0.75 then 'api_request'
            when u_type < 0.85 then 'gpu_job'
            when u_type < 0.90 then 'storage_snapshot'
            when u_type < 0.985 then 'seat_activity'
            else 'heartbeat'
        end as etype,
        {model} as model,
        {region} as region,
        list_extract(['c-iad-01', 'c-fra-02', 'c-bom-01'], 1 + (h6 % 3)::int) as cluster,
        slug || '-' || list_extract(['prod', 'staging', 'research', 'batch'],
            1 + (h8 % workspaces)::int) as workspace,
        printf('u-%03d-%04d', cidx, h8 // 7 % users) as user_id,
        -- the platform's customers' own customers (customer-of-customer spend)
        slug || '-client-' || (h5 // 13 % 8) as end_customer,
        floor(exp(ln(20) + u_val * ln(20000)))::bigint as tokens,
        60 + floor(pow(u_val, 2) * 287400) / 10 as gpu_seconds
    from timed
)
select *,
    case etype
        when 'llm_inference' then
            '{{"model": "' || model || '", "region": "' || region || '", "workspace": "'
            || workspace || '", "user_id": "' || user_id || '", "end_customer": "'
            || end_customer || '"'
            || case
                when kind = 'bad_value' then case (i - kind_lo) % {len(BAD_TOKENS)}
                    {bad_tokens} end
                when h7 % 100 < 3 then ', "tokens": "' || tokens || '"'
                else ', "tokens": ' || tokens end
            || '}}'
        when 'gpu_job' then
            '{{"cluster": "' || cluster || '", "gpu_type": "'
            || list_extract(['H100', 'A100', 'L4'], 1 + (h7 % 3)::int)
            || '", "region": "'
            || case cluster when 'c-iad-01' then 'us-east-1' when 'c-fra-02' then 'eu-west-1'
                   else 'ap-south-1' end
            || '", "workspace": "' || workspace || '", "job_id": "job-' || (h5 % 100000000)
            || '", "gpu_seconds": '
            || case when h8 % 10 < 3 then printf('%.1f', gpu_seconds)
                    else floor(gpu_seconds)::bigint::varchar end
            || '}}'
        when 'api_request' then
            '{{"endpoint": "'
            || list_extract(['/v1/chat/completions', '/v1/embeddings', '/v1/files',
                             '/v1/models'], 1 + (h6 % 4)::int)
            || '", "status": "'
            || case when h7 % 100 < 90 then 'ok' when h7 % 100 < 95 then 'client_error'
                    else 'server_error' end
            || '", "region": "' || region || '", "workspace": "' || workspace
            || '", "user_id": "' || user_id || '", "end_customer": "' || end_customer
            || '", "latency_ms": ' || (5 + h5 % 2000) || '}}'
        when 'storage_snapshot' then
            '{{"bucket": "' || slug || '-'
            || list_extract(['models', 'datasets', 'logs'], 1 + (h6 % 3)::int)
            || '", "region": "' || region || '", "workspace": "' || workspace
            || '", "gb": '
            || printf('%.2f', (10 + cidx * 37 % 900) * (1 + u_time) * (0.8 + 0.2 * u_val))
            || '}}'
        when 'seat_activity' then
            '{{"user_id": "' || user_id || '", "role": "'
            || case when h6 % 100 < 80 then 'member' when h6 % 100 < 90 then 'admin'
                    else 'service_account' end
            || '", "workspace": "' || workspace || '", "region": "' || region || '"}}'
        else case when h6 % 2 = 0 then null else '{{"agent_version": "1.4.2"}}' end
    end as props_json
from v
"""


def column_exprs(seed: int) -> list[str]:
    """Output column expressions over table `props` (+ `inst`), malformed forms applied."""
    salt = seed % 2**40 * 7919 % 2**40
    odd = " ".join(f"when {n} then {form}" for n, form in enumerate(ODD_TS_FORMS))
    columns = {
        "transaction_id": f"tag || '-' || printf('%010x', (i * 2654435761 + {salt}) "
        "% 1099511627776)",
        "customer_id": "case when kind = 'no_customer' then list_extract(['cus_deleted_' || "
        "printf('%04d', i % 97), 'ghost-labs', 'northwind-sandbox'], "
        "1 + (i % 3)::int) when n_alias > 0 and h8 % 10 < 3 then "
        "case when n_alias = 2 and h8 % 2 = 0 then alias2 else alias1 end "
        "else cust end",
        "event_type": "etype",
        "timestamp": f"case when kind = 'odd_ts' then case (i - kind_lo) % "
        f"{len(ODD_TS_FORMS)} {odd} end "
        "else strftime(inst, '%Y-%m-%dT%H:%M:%S.%gZ') end",
        "properties": "props_json",
    }
    by_column: dict[str, list[str]] = {}
    for n, (column, expr) in enumerate(MALFORMED_FORMS):
        by_column.setdefault(column, []).append(f"when {n} then {expr}")
    selects = []
    for column, expr in columns.items():
        if column in by_column:
            whens = " ".join(by_column[column])
            expr = (
                f"case when kind = 'malformed' then case (i - kind_lo) % "
                f"{len(MALFORMED_FORMS)} {whens} else {expr} end else {expr} end"
            )
        selects.append(f"{expr} as {column}")
    return selects


def events_sql(seed: int, counts: dict[str, int]) -> str:
    """Table `events`: the rows plus exact resends of every `stride`-th normal event."""
    n_dup = counts["dup"]
    stride = max(1, counts["normal"] // max(n_dup, 1))
    dup_lo = sum(v for k, v in counts.items() if k != "dup")
    return f"""
create table events as
with single as (
    select i, {", ".join(column_exprs(seed))}, recv_us,
        kind = 'normal' and i % {stride} = 0 and i // {stride} < {n_dup} as is_dup_source
    from (select *, make_timestamp(inst_us) as inst from props)
),
tagged as (
    select i, case when is_dup_source then 'dup' || substr(transaction_id, 4)
        else transaction_id end as transaction_id,
        customer_id, event_type, timestamp, properties, recv_us, is_dup_source
    from single
),
copies as (
    -- resent: half within the hour (retries), most within 3 days, some weeks later
    select {dup_lo} + i // {stride} as i, transaction_id, customer_id, event_type, timestamp,
        properties,
        recv_us + case
            when g9 % 10 < 5 then 1000000 + g10 % {HOUR_US}
            when g9 % 10 < 9 then g10 % {3 * DAY_US}
            else {3 * DAY_US} + g10 % {27 * DAY_US} end as recv_us
    from (select *, (hash(i, {seed}, 9) >> 1)::bigint as g9,
              (hash(i, {seed}, 10) >> 1)::bigint as g10
          from tagged where is_dup_source)
)
select i, transaction_id, customer_id, event_type, timestamp, properties,
    make_timestamp(recv_us)::timestamptz as received_at
from (select i, transaction_id, customer_id, event_type, timestamp, properties, recv_us
      from tagged union all select * from copies)
"""


def build_events(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    counts: dict[str, int],
    tl: Timeline,
    seed: int,
    step: Callable[[str], None],
) -> None:
    """Create table `events` in `con` (views for the steps, one table at the end)."""
    step("planning customers and kinds")
    load_tables(con, cfg, counts)
    step(f"building {sum(counts.values()):,} events")
    for sql in (
        base_sql(seed),
        instants_sql(to_us(tl.as_of)),
        properties_sql(),
        events_sql(seed, counts),
    ):
        con.execute(sql)
