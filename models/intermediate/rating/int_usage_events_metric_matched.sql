-- One row per (event, billable metric) the event matches (SPEC 4.3): its type passed the
-- event_type_filter and every property filter passes. Carries the aggregation value and
-- whether it is valid for the metric's aggregation type (SPEC 8).
with

candidates as (
    select * from {{ ref('int_usage_events_metric_candidates') }}
),

metrics as (
    select * from {{ ref('stg_raw__billable_metrics') }}
),

filters as (
    select * from {{ ref('stg_raw__billable_metric_property_filters') }}
),

filter_values as (
    select * from {{ ref('stg_raw__billable_metric_property_filter_values') }}
),

event_properties as (
    select * from {{ ref('int_usage_event_properties') }}
),

filter_lists as (
    select
        filters.billable_metric_id,
        filters.filter_index,
        filters.property_name,
        filters.must_exist,
        filters.has_in_values,
        filters.has_not_in_values,
        {{ list_agg('filter_values.value_text') }} filter (where filter_values.list_kind = 'IN') as in_value_texts,
        {{ list_agg('filter_values.value_text') }} filter (where filter_values.list_kind = 'NOT_IN') as not_in_value_texts
    from filters
    left join filter_values
        on filters.billable_metric_id = filter_values.billable_metric_id
        and filters.filter_index = filter_values.filter_index
    group by
        filters.billable_metric_id,
        filters.filter_index,
        filters.property_name,
        filters.must_exist,
        filters.has_in_values,
        filters.has_not_in_values
),

filter_inputs as (
    select
        candidates.event_id,
        candidates.billable_metric_id,
        filter_lists.must_exist,
        filter_lists.has_in_values,
        filter_lists.in_value_texts,
        filter_lists.has_not_in_values,
        filter_lists.not_in_value_texts,
        event_properties.property_values[filter_lists.property_name] as value_text
    from candidates
    inner join filter_lists on candidates.billable_metric_id = filter_lists.billable_metric_id
    inner join event_properties on candidates.event_id = event_properties.event_id
),

filter_results as (
    -- SPEC 8: exists true/false needs present/absent; in_values fails when absent;
    -- not_in_values passes when absent
    select
        event_id,
        billable_metric_id,
        (must_exist is null or must_exist = (value_text is not null))
        and (not has_in_values or coalesce({{ list_contains('in_value_texts', 'value_text') }}, false))
        and (
            not has_not_in_values
            or value_text is null
            or not coalesce({{ list_contains('not_in_value_texts', 'value_text') }}, false)
        ) as is_passed
    from filter_inputs
),

failed_candidates as (
    select distinct
        event_id,
        billable_metric_id
    from filter_results
    where not is_passed
),

matched as (
    select candidates.*
    from candidates
    left join failed_candidates
        on candidates.event_id = failed_candidates.event_id
        and candidates.billable_metric_id = failed_candidates.billable_metric_id
    where failed_candidates.event_id is null
),

aggregation_values as (
    select
        matched.event_id,
        matched.billable_metric_id,
        metrics.aggregation_type,
        metrics.aggregation_key,
        case
            when metrics.aggregation_type <> 'COUNT' then event_properties.property_values[metrics.aggregation_key]
        end as aggregation_value_text
    from matched
    inner join metrics on matched.billable_metric_id = metrics.billable_metric_id
    inner join event_properties on matched.event_id = event_properties.event_id
),

numeric_values as (
    select
        aggregation_values.*,
        {{ numeric_value('aggregation_value_text') }} as aggregation_value
    from aggregation_values
),

final as (
    select
        event_id,
        billable_metric_id,
        aggregation_type,
        aggregation_key,
        aggregation_value_text,
        aggregation_value,
        case aggregation_type
            when 'COUNT' then true
            when 'UNIQUE' then aggregation_value_text is not null
            else aggregation_value is not null
        end as has_valid_aggregation_value
    from numeric_values
)

select * from final
