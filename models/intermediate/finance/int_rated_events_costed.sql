-- One row per rated event a unit cost applies to (margin reports; never billing): the cost of
-- the units it adds, in the rate card's fiat type (USAGE_REPRICE and ROUNDING_REPRICE rows add
-- none, so they cost 0). A unit cost applies when it is for the rated event's product, its
-- window holds the event's timestamp, and every key of its dimension_values equals the event's
-- property (compared as text by rules 8); of several, the most specific (most keys) wins, then
-- the earliest line of unit_costs.jsonl.
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
{#- when earlier runs costed the recorded history with these unit costs: only what this run rates
    (both refs are taken, so the graph shows both parents) #}
{%- set rated_events_this_run = ref('int_rated_events') %}
{%- set rated_events_with_history = ref('int_rated_events_with_history') %}
{%- set costs_unchanged = is_incremental() and unit_costs_unchanged() %}
{%- set rated_events_to_cost = rated_events_this_run if costs_unchanged else rated_events_with_history %}
-- Done row by row in one pass, without joins of history-sized tables: each rated event meets
-- its product's unit costs as one list in order of precedence and takes the first that applies.
with

rated_events as (
    select * from {{ rated_events_to_cost }}
),

unit_costs as (
    select * from {{ ref('stg_billing__unit_costs') }}
),

unit_cost_dimensions as (
    select * from {{ ref('stg_billing__unit_cost_dimensions') }}
),

cost_keys as (
    -- every key some unit cost compares: the only ones read from an event's properties
    select coalesce({{ sorted_list_agg('dimension_key', distinct=true) }}, {{ empty_text_list() }}) as dimension_keys
    from unit_cost_dimensions
),

dimension_positions as (
    -- each required key by its position in cost_keys' sorted list
    select
        unit_cost_id,
        value_text,
        dense_rank() over (order by dimension_key) as key_position
    from unit_cost_dimensions
),

required_values as (
    select
        unit_cost_id,
        {{ list_agg(struct_of([('key_position', 'key_position'), ('value_text', 'value_text')])) }}
            as required_values
    from dimension_positions
    group by unit_cost_id
),

product_unit_costs as (
    -- each product's unit costs in order of precedence: most keys first, then the earliest
    -- line (the struct leads with its sort key; line numbers are unique, so no tie goes further)
    select
        unit_costs.product_id,
        {{ sorted_list_agg(struct_of([
            ('most_keys_first', '-unit_costs.dimension_count'),
            ('line_number', 'unit_costs.line_number'),
            ('unit_cost_id', 'unit_costs.unit_cost_id'),
            ('cost_per_unit', 'unit_costs.cost_per_unit'),
            ('starting_at', 'unit_costs.starting_at'),
            ('ending_before', 'unit_costs.ending_before'),
            ('dimension_count', 'unit_costs.dimension_count'),
            ('required_values', 'required_values.required_values'),
        ])) }} as unit_costs
    from unit_costs
    left join required_values on unit_costs.unit_cost_id = required_values.unit_cost_id
    group by unit_costs.product_id
),

costed_rated_events as (
    -- only the products some unit cost is for (a join with a table of one row per product)
    select
        rated_events.rated_event_id,
        rated_events.event_timestamp,
        -- the units the row adds: a VOLUME re-price row's quantity names units an earlier row
        -- already brought, so it costs nothing
        case
            when {{ adds_units('rated_events.component') }} then rated_events.quantity
            else cast(0 as decimal(38, 12))
        end as added_quantity,
        rated_events.status,
        rated_events.properties,
        coalesce({{ has_duplicate_json_keys('rated_events.properties') }}, false) as has_duplicate_keys,
        product_unit_costs.unit_costs
    from rated_events
    inner join product_unit_costs on rated_events.product_id = product_unit_costs.product_id
),

property_json_values as (
    -- the event's value of each key of cost_keys, as a list in that order: a direct lookup per
    -- key, or for the rare object repeating a key its last occurrence (rules 8), in the same
    -- pass. The JSON values first, read as text in a second step (each object is then parsed
    -- once per key); with no cost keys the list is empty
    select
        costed_rated_events.rated_event_id,
        costed_rated_events.event_timestamp,
        costed_rated_events.added_quantity,
        costed_rated_events.status,
        costed_rated_events.unit_costs,
        {{ list_transform(
            'cost_keys.dimension_keys',
            'dimension_key -> ' ~ json_object_field_flagged(
                'costed_rated_events.properties', 'dimension_key', 'costed_rated_events.has_duplicate_keys'
            )
        ) }} as property_json_values
    from costed_rated_events
    cross join cost_keys
),

with_property_values as (
    select
        rated_event_id,
        event_timestamp,
        added_quantity,
        status,
        unit_costs,
        {{ list_transform('property_json_values', 'json_value -> ' ~ json_value_text('json_value')) }}
            as property_values
    from property_json_values
),

chosen as (
    -- the first unit cost whose window holds the event and whose every key has the event's value
    -- (a missing key or JSON null never equals)
    select
        rated_event_id,
        added_quantity,
        status,
        {{ first_applicable(
            'unit_costs', 'unit_cost', 'event_timestamp',
            list_element('property_values', 'required.key_position'),
            'dimension_count'
        ) }} as unit_cost
    from with_property_values
),

applied as (
    select
        rated_event_id,
        added_quantity,
        status,
        -- struct fields: the alias names the column the same on every engine
        unit_cost.unit_cost_id as unit_cost_id,  -- noqa: AL09
        unit_cost.cost_per_unit as cost_per_unit  -- noqa: AL09
    from chosen
    where unit_cost is not null
),

final as (
    select
        rated_event_id,
        unit_cost_id,
        cost_per_unit,
        {{ decimal_multiply('added_quantity', 'cost_per_unit') }} as cost,
        status,
        {{ unit_costs_hash_sql() }} as unit_costs_hash
    from applied
)

select * from final
