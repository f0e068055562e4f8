-- One row per (candidate event, property key rating reads) where the property is present
-- with a non-null value (SPEC 8: a JSON null is absent; of duplicate keys the last wins).
-- `value_text` is the comparison text; `value_decimal` is set when the value is numeric.
with

candidates as (
    select * from {{ ref('int_usage_events_metric_candidates') }}
),

metric_keys as (
    select * from {{ ref('int_billable_metric_property_keys') }}
),

events as (
    select * from {{ ref('int_usage_events_customer_resolved') }}
),

candidate_events as (
    select distinct
        events.event_id,
        events.properties_text,
        {{ has_duplicate_json_keys('events.properties_text') }} as has_duplicate_keys
    from events
    inner join candidates on events.event_id = candidates.event_id
    where events.properties_text is not null
),

wanted_keys as (
    select distinct
        candidates.event_id,
        metric_keys.property_key
    from candidates
    inner join metric_keys on candidates.billable_metric_id = metric_keys.billable_metric_id
),

extracted_plain as (
    -- the common case: each key appears once, a direct lookup suffices
    select
        wanted_keys.event_id,
        wanted_keys.property_key,
        {{ json_object_field('candidate_events.properties_text', 'wanted_keys.property_key') }} as value_json
    from wanted_keys
    inner join candidate_events on wanted_keys.event_id = candidate_events.event_id
    where not candidate_events.has_duplicate_keys
),

extracted_with_duplicates as (
    -- rare: an object repeating a key; the last occurrence wins
    select
        wanted_keys.event_id,
        wanted_keys.property_key,
        {{ json_object_field_last('candidate_events.properties_text', 'wanted_keys.property_key') }} as value_json
    from wanted_keys
    inner join candidate_events on wanted_keys.event_id = candidate_events.event_id
    where candidate_events.has_duplicate_keys
),

extracted as (
    select * from extracted_plain
    union all
    select * from extracted_with_duplicates
),

as_text as (
    select
        event_id,
        property_key,
        {{ json_value_text('value_json') }} as value_text
    from extracted
    where value_json is not null
),

final as (
    select
        event_id,
        property_key,
        value_text,
        -- SPEC 8 numeric: a plain decimal (numbers arrive here in canonical form) below 10^26
        case
            when regexp_matches(value_text, '^-?[0-9]+(\.[0-9]+)?$')
                and length(ltrim(split_part(ltrim(value_text, '-'), '.', 1), '0')) <= 26
                and {{ try_cast('value_text', 'decimal(38, 12)') }} is not null
                then {{ try_cast('value_text', 'decimal(38, 12)') }}
        end as value_decimal
    from as_text
    where value_text is not null
)

select * from final
