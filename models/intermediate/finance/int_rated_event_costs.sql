-- One row per rated event a unit cost applies to (margin reports; never billing): the cost of
-- its quantity. A unit cost applies when it is for the rated event's product, its window holds
-- the event's timestamp, and every key of its dimension_values equals the event's property
-- (compared as text by SPEC 8); of several, the most specific (most keys) wins, then the
-- earliest line of unit_costs.jsonl.
-- Incremental, so a daily run costs only what it rates (docs block `daily_refresh`): a
-- finalized rated event never changes, so its cost stands until unit_costs.jsonl changes. The
-- pre-hook deletes the draft rows (and every row when the unit costs changed); this model
-- appends the costs of this run's rated events (of all history when the unit costs changed).
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{% if is_incremental() %}{{ delete_rows_where(this, stale_unit_cost_rows()) }}{% endif %}"
    )
}}
-- depends_on: {{ ref('int_rated_events') }}
{%- set costs_unchanged = is_incremental() and unit_costs_unchanged() %}
with

rated_events as (
    -- when earlier runs costed the recorded history with these unit costs: only what this run rates
    select * from {{ ref('int_rated_events' if costs_unchanged else 'int_rated_events_with_history') }}
),

unit_costs as (
    select * from {{ ref('stg_raw__unit_costs') }}
),

unit_cost_dimensions as (
    select * from {{ ref('stg_raw__unit_cost_dimensions') }}
),

costed_rated_events as (
    -- only the products some unit cost is for
    select
        rated_event_id,
        product_id,
        event_timestamp,
        quantity,
        status,
        properties,
        coalesce({{ has_duplicate_json_keys('properties') }}, false) as has_duplicate_keys
    from rated_events
    where product_id in (select unit_costs.product_id from unit_costs)
),

cost_keys as (
    select distinct dimension_key from unit_cost_dimensions
),

event_values as (
    -- each rated event's comparison text for every key some unit cost names, parsed once per
    -- (event, key); of duplicate keys the last wins (SPEC 8), looked up the slow way only then
    select
        costed_rated_events.rated_event_id,
        cost_keys.dimension_key,
        {{ json_value_text(json_object_field('costed_rated_events.properties', 'cost_keys.dimension_key')) }}
            as value_text
    from costed_rated_events
    cross join cost_keys
    where not costed_rated_events.has_duplicate_keys
    union all
    select
        costed_rated_events.rated_event_id,
        cost_keys.dimension_key,
        {{ json_value_text(json_object_field_last('costed_rated_events.properties', 'cost_keys.dimension_key')) }}
            as value_text
    from costed_rated_events
    cross join cost_keys
    where costed_rated_events.has_duplicate_keys
),

candidates as (
    -- narrow rows: a rated event's product usually has a handful of unit costs
    select
        costed_rated_events.rated_event_id,
        costed_rated_events.quantity,
        costed_rated_events.status,
        unit_costs.unit_cost_id,
        unit_costs.cost_per_unit,
        unit_costs.dimension_count,
        unit_costs.line_number
    from costed_rated_events
    inner join unit_costs
        on costed_rated_events.product_id = unit_costs.product_id
        and costed_rated_events.event_timestamp >= unit_costs.starting_at
        and (unit_costs.ending_before is null or costed_rated_events.event_timestamp < unit_costs.ending_before)
),

matched_dimensions as (
    select
        candidates.rated_event_id,
        candidates.unit_cost_id,
        count(*) as matched_count
    from candidates
    inner join unit_cost_dimensions on candidates.unit_cost_id = unit_cost_dimensions.unit_cost_id
    inner join event_values
        on candidates.rated_event_id = event_values.rated_event_id
        and unit_cost_dimensions.dimension_key = event_values.dimension_key
        and unit_cost_dimensions.value_text = event_values.value_text
    group by candidates.rated_event_id, candidates.unit_cost_id
),

applicable as (
    select
        candidates.*,
        row_number() over (
            partition by candidates.rated_event_id
            order by candidates.dimension_count desc, candidates.line_number asc
        ) as specificity_rank
    from candidates
    left join matched_dimensions
        on candidates.rated_event_id = matched_dimensions.rated_event_id
        and candidates.unit_cost_id = matched_dimensions.unit_cost_id
    where coalesce(matched_dimensions.matched_count, 0) = candidates.dimension_count
),

final as (
    select
        rated_event_id,
        unit_cost_id,
        cost_per_unit,
        {{ decimal_multiply('quantity', 'cost_per_unit') }} as cost,
        status,
        {{ unit_costs_hash_sql() }} as unit_costs_hash
    from applicable
    where specificity_rank = 1
)

select * from final
