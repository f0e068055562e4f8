-- One row per raw event received by as_of (rules 5): its single outcome, RATED, NOT_BILLABLE,
-- DUPLICATE or ERRORED, and the ids that lead to its rated events, the copy it duplicates, or
-- its error: the code (the first in rules 6 order) and a readable detail naming the field,
-- customer, metric, product or period at fault, kept for as long as the outcome (the errored
-- events mart shows only the lookback window). Nothing is silently lost: the row count
-- equals the raw events received by as_of.
-- This run's rows of fct_event_outcomes (docs block `daily_refresh`): an outcome depends only
-- on the event, the copies received before it, the configuration and the rating settings, so
-- a daily run that keeps earlier outcomes writes only the events received since the previous
-- published run; a run that cannot keep them (configuration or settings changed, as_of moved
-- back, var daily_refresh false) writes them all, and publishing then replaces every row.
-- One pass over the outcomes: each error detail comes from a small relation joined beside
-- them, never from a second read of the outcomes (docs block `pipelined_steps`).
with

settlement as (
    select * from {{ ref('int_run_settlement') }}
),

decided as (
    select * from {{ ref('int_usage_events_decided') }}
),

outcomes as (
    select
        decided.*,
        settlement.run_as_of,
        settlement.run_inputs_hash
    from decided
    cross join settlement
    -- keep what earlier runs decided: only events they did not see
    where not settlement.keeps_earlier_outcomes
        or decided.received_at > settlement.previous_as_of
        or (
            decided.received_at is null
            and decided.event_id not in (
                select recorded.event_id from {{ ref('stg_recorded__event_outcomes') }} as recorded
            )
        )
),

malformed_events as (
    -- what MALFORMED_EVENT details quote from the raw row
    select
        event_id,
        timestamp_text,
        properties_text
    from {{ ref('int_usage_events_validated') }}
    where ingest_error_code = 'MALFORMED_EVENT'
),

first_failed_targets as (
    -- the target that gave a failing code (first by contract, product, metric): the few
    -- targets not rated, of every event; an event's outcome picks the one with its code
    select
        targets.event_id,
        targets.target_status,
        targets.contract_id,
        targets.product_id,
        targets.billable_metric_id,
        targets.pricing_group_values,
        targets.billing_period_start,
        targets.billing_period_end,
        targets.finalized_at,
        row_number() over (
            partition by targets.event_id, targets.target_status
            order by targets.contract_id, targets.product_id nulls first, targets.billable_metric_id
        ) as target_rank
    from {{ ref('int_rating_targets_rate_chosen') }} as targets
    where targets.target_status <> 'RATED'
),

failed_metrics as (
    -- INVALID_AGGREGATION_VALUE details quote the metric's property
    select
        matched.event_id,
        matched.billable_metric_id,
        matched.aggregation_type,
        matched.aggregation_key,
        matched.aggregation_value_text
    from {{ ref('int_usage_events_metric_matched') }} as matched
    inner join first_failed_targets as failed
        on matched.event_id = failed.event_id
        and matched.billable_metric_id = failed.billable_metric_id
    where failed.target_rank = 1
        and failed.target_status = 'INVALID_AGGREGATION_VALUE'
),

matched_metric_lists as (
    -- NO_ACTIVE_CONTRACT details list the matched metrics of an event that has no rating
    -- target (no contract of its customer was active): only those events are aggregated
    select
        matched.event_id,
        {{ ordered_text_agg('matched.billable_metric_id', "', '") }} as metric_ids
    from {{ ref('int_usage_events_metric_matched') }} as matched
    where
        not exists (
            select 1
            from {{ ref('int_rating_targets_rate_chosen') }} as targets
            where targets.event_id = matched.event_id
        )
    group by matched.event_id
),

final as (
    select
        outcomes.event_id,
        outcomes.source_file,
        cast(outcomes.source_row as bigint) as source_row,
        outcomes.transaction_id,
        outcomes.customer_ref,
        outcomes.customer_id,
        outcomes.event_type,
        outcomes.event_timestamp,
        outcomes.received_at,
        outcomes.outcome,
        outcomes.error_code,
        -- a readable detail naming the field, customer, metric, product or period at fault
        case outcomes.error_code
            when 'MALFORMED_EVENT'
                then
                    case
                        when {{ is_blank('outcomes.transaction_id') }} then 'transaction_id is missing'
                        when {{ is_blank('outcomes.customer_ref') }} then 'customer_id is missing'
                        when {{ is_blank('outcomes.event_type') }} then 'event_type is missing'
                        when outcomes.received_at is null then 'received_at is missing'
                        when outcomes.event_timestamp is null
                            then 'timestamp ' || coalesce({{ quote_char() }} || malformed.timestamp_text || {{ quote_char() }}, 'null')
                                || ' is not an RFC 3339 timestamp with a zone'
                        else 'properties is not a JSON object: ' || left(malformed.properties_text, 200)
                    end
            when 'TIMESTAMP_IN_FUTURE'
                then
                    'timestamp ' || cast(outcomes.event_timestamp as {{ dbt.type_string() }}) || ' is more than '
                    || cast({{ int_var('max_future_hours') }} as {{ dbt.type_string() }}) || ' hours after received_at '
                    || cast(outcomes.received_at as {{ dbt.type_string() }})
            when 'TIMESTAMP_TOO_OLD'
                then
                    'timestamp ' || cast(outcomes.event_timestamp as {{ dbt.type_string() }}) || ' is more than '
                    || cast({{ int_var('max_backdate_days') }} as {{ dbt.type_string() }}) || ' days before received_at '
                    || cast(outcomes.received_at as {{ dbt.type_string() }})
            when 'CUSTOMER_NOT_FOUND'
                then
                    'customer_id ' || {{ quote_char() }} || outcomes.customer_ref || {{ quote_char() }} || ' matches no customer id or ingest alias'
            when 'NO_ACTIVE_CONTRACT'
                then
                    'customer ' || outcomes.customer_id || ' has no contract active at '
                    || cast(outcomes.event_timestamp as {{ dbt.type_string() }}) || ' (matched metrics: '
                    || coalesce(matched_metric_lists.metric_ids, '') || ')'
            when 'NO_RATE'
                then
                    case
                        when failed.product_id is null
                            then 'metric ' || failed.billable_metric_id || ' is used by no USAGE product'
                        else 'no entitled rate for product ' || failed.product_id || ' on contract '
                            || failed.contract_id || ' at ' || cast(outcomes.event_timestamp as {{ dbt.type_string() }})
                            || ' for pricing group values ' || failed.pricing_group_values
                    end
            when 'INVALID_AGGREGATION_VALUE'
                then
                    'metric ' || failed.billable_metric_id || ' needs '
                    || case when failed_metric.aggregation_type = 'UNIQUE' then 'a value for' else 'a numeric' end
                    || ' property ' || {{ quote_char() }} || failed_metric.aggregation_key || {{ quote_char() }} || '; got '
                    || coalesce({{ quote_char() }} || failed_metric.aggregation_value_text || {{ quote_char() }}, 'nothing')
            when 'PERIOD_FINALIZED' then
                'received at ' || cast(outcomes.received_at as {{ dbt.type_string() }}) || ', after the billing period ['
                || cast(failed.billing_period_start as {{ dbt.type_string() }}) || ', ' || cast(failed.billing_period_end as {{ dbt.type_string() }})
                || ') of contract ' || failed.contract_id || ' finalized at '
                || cast(failed.finalized_at as {{ dbt.type_string() }})
        end as error_detail,
        outcomes.duplicate_of_event_id,
        cast(outcomes.matched_metric_count as integer) as matched_metric_count,
        cast(outcomes.rated_target_count as integer) as rated_target_count,
        outcomes.run_as_of,
        outcomes.run_inputs_hash
    from outcomes
    -- one pass over this run's outcomes; every table beside it is small (the ~1 % that failed)
    left join malformed_events as malformed
        on outcomes.event_id = malformed.event_id
    left join first_failed_targets as failed
        on outcomes.event_id = failed.event_id
        and outcomes.error_code = failed.target_status
        and failed.target_rank = 1
    left join failed_metrics as failed_metric
        on failed.event_id = failed_metric.event_id
        and failed.billable_metric_id = failed_metric.billable_metric_id
    left join matched_metric_lists on outcomes.event_id = matched_metric_lists.event_id
)

select * from final
