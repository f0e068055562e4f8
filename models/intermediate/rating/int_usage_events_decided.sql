-- One row per raw event received by as_of, with exactly one outcome (rules 4.4 outcome rule):
-- RATED if any target rated it; DUPLICATE; NOT_BILLABLE when its customer is known but no
-- metric matched; otherwise ERRORED with the first code, in rules 6 order, among its reasons.
-- Read only by int_event_outcomes_this_run: a view on DuckDB (docs block `pipelined_steps`).
{{ config(materialized=pipelined_step()) }}

with

ingestion as (
    select * from {{ ref('int_usage_events_ingested') }}
),

metric_matches as (
    select
        event_id,
        count(*) as matched_metric_count
    from {{ ref('int_usage_events_metric_matched') }}
    group by event_id
),

targets as (
    select * from {{ ref('int_rating_targets_rate_chosen') }}
),

target_summary as (
    select
        event_id,
        count(*) filter (where target_status = 'RATED') as rated_target_count,
        -- the first failing code in rules 6 order among the event's targets
        case min(
            case target_status
                when 'NO_RATE' then 1
                when 'INVALID_AGGREGATION_VALUE' then 2
                when 'PERIOD_FINALIZED' then 3
            end
        )
            when 1 then 'NO_RATE'
            when 2 then 'INVALID_AGGREGATION_VALUE'
            when 3 then 'PERIOD_FINALIZED'
        end as first_target_error_code
    from targets
    group by event_id
),

final as (
    select
        ingestion.event_id,
        ingestion.source_file,
        ingestion.source_row,
        ingestion.transaction_id,
        ingestion.customer_ref,
        ingestion.customer_id,
        ingestion.event_type,
        ingestion.event_timestamp,
        ingestion.received_at,
        case
            when ingestion.ingestion_outcome <> 'ACCEPTED' then ingestion.ingestion_outcome
            when coalesce(target_summary.rated_target_count, 0) > 0 then 'RATED'
            when metric_matches.event_id is null then 'NOT_BILLABLE'
            else 'ERRORED'
        end as outcome,
        case
            when ingestion.ingestion_outcome <> 'ACCEPTED' then ingestion.error_code
            when coalesce(target_summary.rated_target_count, 0) > 0 then null
            when metric_matches.event_id is null then null
            -- matched a metric but no contract of the customer was active at the timestamp
            when target_summary.event_id is null then 'NO_ACTIVE_CONTRACT'
            else target_summary.first_target_error_code
        end as error_code,
        ingestion.duplicate_of_event_id,
        coalesce(metric_matches.matched_metric_count, 0) as matched_metric_count,
        coalesce(target_summary.rated_target_count, 0) as rated_target_count
    from ingestion
    left join metric_matches on ingestion.event_id = metric_matches.event_id
    left join target_summary on ingestion.event_id = target_summary.event_id
)

select * from final
