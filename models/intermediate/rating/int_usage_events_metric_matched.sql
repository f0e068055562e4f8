-- One row per (event, billable metric) the event matches (rules 4.3): its type passed the
-- event_type_filter and every property filter passes. Carries the aggregation value and
-- whether it is valid for the metric's aggregation type (rules 8).
with

candidates as (
    select * from {{ ref('int_usage_events_metric_candidates') }}
),

metrics as (
    select * from {{ ref('stg_billing__billable_metrics') }}
),

filters as (
    select * from {{ ref('stg_billing__billable_metric_property_filters') }}
),

filter_values as (
    select * from {{ ref('stg_billing__billable_metric_property_filter_values') }}
),

event_properties as (
    select * from {{ ref('int_usage_events_properties_parsed') }}
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

metric_filters as (
    -- each metric's property filters as one list, so that an event meets them in its own row
    select
        billable_metric_id,
        {{ list_agg(struct_of([
            ('property_name', 'property_name'),
            ('must_exist', 'must_exist'),
            ('has_in_values', 'has_in_values'),
            ('in_value_texts', 'in_value_texts'),
            ('has_not_in_values', 'has_not_in_values'),
            ('not_in_value_texts', 'not_in_value_texts'),
        ])) }} as property_filters
    from filter_lists
    group by billable_metric_id
),

candidate_properties as (
    -- the one join of history-sized tables: each candidate with its event's property values
    select
        candidates.event_id,
        candidates.billable_metric_id,
        metrics.aggregation_type,
        metrics.aggregation_key,
        metric_filters.property_filters,
        event_properties.property_values
    from candidates
    inner join metrics on candidates.billable_metric_id = metrics.billable_metric_id
    inner join event_properties on candidates.event_id = event_properties.event_id
    left join metric_filters on candidates.billable_metric_id = metric_filters.billable_metric_id
),

matched as (
    -- no filter fails (a filter whose verdict is unknown does not fail)
    select *
    from candidate_properties
    where coalesce({{ list_length(list_filter('property_filters', 'property_filter -> not (
            (property_filter.must_exist is null
                or property_filter.must_exist = (property_values[property_filter.property_name] is not null))
            and (not property_filter.has_in_values
                or coalesce(' ~ list_contains('property_filter.in_value_texts', 'property_values[property_filter.property_name]') ~ ', false))
            and (not property_filter.has_not_in_values
                or property_values[property_filter.property_name] is null
                or not coalesce(' ~ list_contains('property_filter.not_in_value_texts', 'property_values[property_filter.property_name]') ~ ', false))
        )')) }}, 0) = 0
),

aggregation_values as (
    select
        event_id,
        billable_metric_id,
        aggregation_type,
        aggregation_key,
        case
            when aggregation_type <> 'COUNT' then property_values[aggregation_key]
        end as aggregation_value_text
    from matched
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
