-- One row per event with outcome ERRORED received in (as_of - errored_events_lookback_days,
-- as_of] (SPEC 5): its error code (the first in SPEC 6 order) and a readable detail naming the
-- field, customer, metric, product or period at fault.
-- Incremental like fct_event_outcomes (docs block `daily_refresh`): a daily run that keeps
-- earlier outcomes deletes the rows that left the lookback window and appends the errored
-- events received since the previous run; otherwise the pre-hook deletes every row and all are
-- written again, in one transaction. A --full-refresh does not drop it (full_refresh: false).
{%- set lookback_start = dbt.dateadd('day', -int_var('errored_events_lookback_days'), as_of_timestamp()) %}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}{{ delete_rows_where(this, 'received_at <= '
            ~ dbt.dateadd('day', -int_var('errored_events_lookback_days'), as_of_timestamp())
            ~ ' or not (select keeps_earlier_outcomes from ' ~ ref('int_run_settlement') ~ ')') }}{% endif %}"
    )
}}
with

settlement as (
    select * from {{ ref('int_run_settlement') }}
),

outcomes as (
    select decided.*
    from {{ ref('int_usage_event_outcomes') }} as decided
    cross join settlement
    where decided.outcome = 'ERRORED'
        and decided.received_at > {{ lookback_start }}
        and decided.received_at <= {{ as_of_timestamp() }}
        -- keep what earlier runs reported: only events they did not see
        and (not settlement.keeps_earlier_outcomes or decided.received_at > settlement.previous_as_of)
),

raw_events as (
    select * from {{ ref('int_usage_events_validated') }}
),

targets as (
    select * from {{ ref('int_usage_event_rating_targets') }}
),

matched as (
    select * from {{ ref('int_usage_events_metric_matched') }}
),

first_failed_targets as (
    -- the target that gave the event its code (first by contract, product, metric)
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
    from targets
    where targets.target_status <> 'RATED'
        -- only the events reported here (about 1 % of them), not every target of every event
        and targets.event_id in (select outcomes.event_id from outcomes)
),

matched_metric_lists as (
    -- only NO_ACTIVE_CONTRACT details list the matched metrics
    select
        event_id,
        {{ ordered_text_agg('billable_metric_id', "', '") }} as metric_ids
    from matched
    where
        event_id in (
            select outcomes.event_id
            from outcomes
            where outcomes.error_code = 'NO_ACTIVE_CONTRACT'
        )
    group by event_id
),

details as (
    select
        outcomes.*,
        case outcomes.error_code
            when 'MALFORMED_EVENT'
                then
                    case
                        when {{ is_blank('raw_events.transaction_id') }} then 'transaction_id is missing'
                        when {{ is_blank('raw_events.customer_ref') }} then 'customer_id is missing'
                        when {{ is_blank('raw_events.event_type') }} then 'event_type is missing'
                        when raw_events.received_at is null then 'received_at is missing'
                        when raw_events.event_timestamp is null
                            then 'timestamp ' || coalesce({{ quote_char() }} || raw_events.timestamp_text || {{ quote_char() }}, 'null')
                                || ' is not an RFC 3339 timestamp with a zone'
                        else 'properties is not a JSON object: ' || left(raw_events.properties_text, 200)
                    end
            when 'TIMESTAMP_IN_FUTURE'
                then
                    'timestamp ' || cast(raw_events.event_timestamp as {{ dbt.type_string() }}) || ' is more than '
                    || cast({{ int_var('max_future_hours') }} as {{ dbt.type_string() }}) || ' hours after received_at '
                    || cast(raw_events.received_at as {{ dbt.type_string() }})
            when 'TIMESTAMP_TOO_OLD'
                then
                    'timestamp ' || cast(raw_events.event_timestamp as {{ dbt.type_string() }}) || ' is more than '
                    || cast({{ int_var('max_backdate_days') }} as {{ dbt.type_string() }}) || ' days before received_at '
                    || cast(raw_events.received_at as {{ dbt.type_string() }})
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
        end as error_detail
    from outcomes
    inner join raw_events on outcomes.event_id = raw_events.event_id
    left join first_failed_targets as failed
        on outcomes.event_id = failed.event_id
        and outcomes.error_code = failed.target_status
        and failed.target_rank = 1
    left join matched as failed_metric
        on failed.event_id = failed_metric.event_id
        and failed.billable_metric_id = failed_metric.billable_metric_id
    left join matched_metric_lists on outcomes.event_id = matched_metric_lists.event_id
),

final as (
    select
        event_id,
        source_file,
        cast(source_row as bigint) as source_row,
        transaction_id,
        customer_ref,
        customer_id,
        event_type,
        event_timestamp,
        received_at,
        error_code,
        error_detail
    from details
    order by received_at, source_file, source_row
)

select * from final
