-- One row per raw event received by as_of (rules 4.1) that this run must decide, with the
-- ingestion-level error code of the first check it fails (rules 6 order), or null when it is
-- accepted for deduplication. On a daily run that keeps earlier outcomes (docs block
-- `daily_refresh`), "must decide" means: received since the previous run, or timestamped in a
-- billing period the previous run had not finalized; the other copies of those events'
-- transaction ids come along as settled context for deduplication (`is_settled`), and every
-- other event keeps the outcome already recorded in fct_event_outcomes.
-- A run that keeps no earlier outcome (every full build) has every event in play and no settled
-- copy: it compiles to one pass over the events (macro run_may_keep_earlier_outcomes), because
-- DuckDB holds a relation read twice in memory whole (docs block `pipelined_steps`).
{%- set may_keep_earlier_outcomes = run_may_keep_earlier_outcomes(ref('int_run_settlement')) %}
with

events as (
    select * from {{ ref('stg_usage__events') }}
),
{%- if may_keep_earlier_outcomes %}

settlement as (
    select * from {{ ref('int_run_settlement') }}
),

open_windows as (
    select * from {{ ref('int_customer_ref_open_windows') }}
),
{%- endif %}

received as (
    -- events received after as_of do not exist yet; a missing received_at cannot be placed
    -- in time and is kept as malformed rather than lost
    select *
    from events
    where received_at is null or received_at <= {{ as_of_timestamp() }}
),
{%- if may_keep_earlier_outcomes %}

scope as (
    select
        keeps_earlier_outcomes,
        previous_as_of,
        -- an accepted event received by this moment is timestamped at most max_future_hours
        -- later, before every open window: a cheap range filter on received_at that lets the
        -- scan skip settled history before anything is parsed
        least(
            previous_as_of,
            coalesce(
                {{ dbt.dateadd('hour', -(int_var('max_future_hours') + 1), '(select min(open_from) from open_windows)') }},
                previous_as_of
            )
        ) as settled_received_through
    from settlement
),

candidates as (
    select received.*
    from received
    cross join scope
    where not scope.keeps_earlier_outcomes
        or received.received_at is null
        or received.received_at > scope.settled_received_through
),

in_play as (
    -- received since the previous run, or possibly in a period it had not finalized
    select
        candidates.*,
        false as is_settled
    from candidates
    cross join scope
    left join open_windows on candidates.customer_ref = open_windows.customer_ref
    where not scope.keeps_earlier_outcomes
        or candidates.received_at is null
        or candidates.received_at > scope.previous_as_of
        or candidates.event_timestamp >= open_windows.open_from
),

in_play_transactions as (
    -- only a run that keeps earlier outcomes has settled copies (else every event is in play)
    select distinct in_play.transaction_id
    from in_play
    cross join scope
    where scope.keeps_earlier_outcomes and in_play.transaction_id is not null
),

chain_context as (
    -- the other copies of a transaction in play: deduplication compares each copy with the
    -- one received before it, whatever its period (their own outcomes are already recorded)
    select
        received.*,
        true as is_settled
    from received
    inner join in_play_transactions on received.transaction_id = in_play_transactions.transaction_id
    left join in_play on received.event_id = in_play.event_id
    where in_play.event_id is null
),

scoped as (
    select * from in_play
    union all
    select * from chain_context
),
{%- else %}

scoped as (
    -- every event is in play: this run keeps no outcome of an earlier one
    select
        received.*,
        false as is_settled
    from received
),
{%- endif %}

validated as (
    select
        scoped.*,
        case
            when scoped.is_missing_transaction_id
                or scoped.is_missing_customer_ref
                or scoped.is_missing_event_type
                or scoped.event_timestamp is null
                or not scoped.has_object_properties
                or scoped.received_at is null
                then 'MALFORMED_EVENT'
            when scoped.event_timestamp
                > {{ dbt.dateadd('hour', int_var('max_future_hours'), 'scoped.received_at') }}
                then 'TIMESTAMP_IN_FUTURE'
            when scoped.event_timestamp
                < {{ dbt.dateadd('day', -int_var('max_backdate_days'), 'scoped.received_at') }}
                then 'TIMESTAMP_TOO_OLD'
        end as ingest_error_code
    from scoped
),

final as (
    select
        *,
        ingest_error_code is null as is_accepted
    from validated
)

select * from final
