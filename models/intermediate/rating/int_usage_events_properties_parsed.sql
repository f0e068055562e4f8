-- One row per kept event with a known customer: `property_values`, a map from each property key
-- rating reads for the event's type (int_billable_metric_property_keys) to its comparison text
-- (rules 8: numbers in canonical form; a JSON null or a missing key maps to null; of duplicate
-- keys the last wins). Properties are parsed here once, per event, and only for those keys.
with

events as (
    select * from {{ ref('int_usage_events_customer_resolved') }}
    where customer_id is not null
),

metric_keys as (
    select * from {{ ref('int_billable_metric_property_keys') }}
),

metrics as (
    select * from {{ ref('stg_billing__billable_metrics') }}
),

metric_event_types as (
    select * from {{ ref('stg_billing__billable_metric_event_types') }}
),

keys_for_every_type as (
    -- metrics without an event type filter read their keys on every event
    select
        {{ list_distinct(
            'coalesce(' ~ list_agg('metric_keys.property_key', distinct=true) ~ ', ' ~ empty_text_list() ~ ')'
        ) }} as property_keys
    from metrics
    inner join metric_keys on metrics.billable_metric_id = metric_keys.billable_metric_id
    where not metrics.has_event_type_filter
),

keys_of_named_types as (
    select
        metric_event_types.event_type,
        {{ list_agg('metric_keys.property_key', distinct=true) }} as property_keys
    from metric_event_types
    inner join metric_keys on metric_event_types.billable_metric_id = metric_keys.billable_metric_id
    group by metric_event_types.event_type
),

keys_by_event_type as (
    -- the keys read on an event of a type some metric names: its metrics' keys and those read
    -- on every event; combined once per type here, not once per event
    select
        keys_of_named_types.event_type,
        {{ list_distinct(list_concat('keys_of_named_types.property_keys', 'keys_for_every_type.property_keys')) }}
            as property_keys
    from keys_of_named_types
    cross join keys_for_every_type
),

events_with_keys as (
    select
        events.event_id,
        events.properties_text,
        coalesce(keys_by_event_type.property_keys, keys_for_every_type.property_keys) as property_keys
    from events
    left join keys_by_event_type on events.event_type = keys_by_event_type.event_type
    cross join keys_for_every_type
),

flagged as (
    select
        events_with_keys.*,
        coalesce({{ has_duplicate_json_keys('properties_text') }}, false) as has_duplicate_keys
    from events_with_keys
),

property_json_values as (
    -- each key's JSON value: a direct lookup, or for the rare object repeating a key its last
    -- occurrence, in one pass over the events (each object parsed once per key)
    select
        event_id,
        property_keys,
        {{ list_transform(
            'property_keys',
            'property_key -> ' ~ json_object_field_flagged('properties_text', 'property_key', 'has_duplicate_keys')
        ) }} as property_json_values
    from flagged
),

final as (
    -- read as comparison text in a second step, so the JSON is not parsed again per use
    select
        event_id,
        {{ map_from_lists(
            'property_keys',
            list_transform('property_json_values', 'json_value -> ' ~ json_value_text('json_value'))
        ) }} as property_values
    from property_json_values
)

select * from final
