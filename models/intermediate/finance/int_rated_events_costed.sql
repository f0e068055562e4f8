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
{#- one pass over the events to cost: the events of the products some unit cost is for, with
    their JSON value of each of their product's cost keys -#}
{%- set events_with_values -%}
    -- the event's JSON value of each of its product's cost keys, in cost_keys' order: a direct
    -- lookup per key, or where the object repeats that key its last occurrence (rules 8).
    -- Kept as JSON text ('' for a missing key, never the text of a JSON value), so that the
    -- list has no nulls and compares alike on every engine; read as comparison text once per
    -- combination below
    select
        rated_event_id,
        product_id,
        event_timestamp,
        added_quantity,
        status,
        {{ list_transform(
            'cost_keys',
            'cost_key -> coalesce(cast(' ~ json_object_field_flagged(
                'properties', 'cost_key', repeats_key('property_keys', 'cost_key')
            ) ~ ' as ' ~ dbt.type_string() ~ "), '')"
        ) }} as property_json_values
    from (
        -- only the products some unit cost is for (a join with a table of one row per product)
        select
            rated_events.rated_event_id,
            rated_events.product_id,
            rated_events.event_timestamp,
            -- the units the row adds: a VOLUME re-price row's quantity names units an earlier
            -- row already brought, so it costs nothing
            case
                when {{ adds_units('rated_events.component') }} then rated_events.quantity
                else cast(0 as decimal(38, 12))
            end as added_quantity,
            rated_events.status,
            rated_events.properties,
            -- the object's keys in order, to tell whether it repeats a cost key: cheaper than
            -- has_duplicate_json_keys, which compares every key with every other
            {{ json_keys('rated_events.properties') }} as property_keys,
            costed_products.cost_keys
        from {{ rated_events_to_cost }} as rated_events
        inner join costed_products on rated_events.product_id = costed_products.product_id
    ) as events_to_cost
{%- endset %}
-- Shaped so that each rated event does as little as possible (docs/decisions.md, "Unit costs at
-- a fraction of a build"): the choice of a unit cost depends only on the event's product, its
-- values of the keys that product's unit costs compare, and its timestamp. So each rated event
-- only reads those values (as JSON text, no conversion); the unit cost is chosen once per
-- distinct (product, values), a few dozen combinations, for each stretch of time between two
-- window boundaries; and each rated event finds its stretch with one hash join on that small
-- table. No join of history-sized tables, no per-row list of candidates.
-- The events' values are read in two passes, each streaming (`events_with_values` below, once
-- for the combinations, once for the join): a CTE that two steps read would be kept whole in
-- memory by DuckDB, history-sized (230 MB of buffers at 1M events, against 110 MB now).
with

unit_costs as (
    select * from {{ ref('stg_billing__unit_costs') }}
),

unit_cost_dimensions as (
    select * from {{ ref('stg_billing__unit_cost_dimensions') }}
),

product_key_rows as (
    -- every key some unit cost of the product compares
    select distinct
        unit_costs.product_id,
        unit_cost_dimensions.dimension_key
    from unit_costs
    inner join unit_cost_dimensions on unit_costs.unit_cost_id = unit_cost_dimensions.unit_cost_id
),

product_keys as (
    select
        product_id,
        {{ sorted_list_agg('dimension_key') }} as cost_keys
    from product_key_rows
    group by product_id
),

costed_products as (
    -- each product some unit cost is for, with the keys its unit costs compare, sorted (empty
    -- when they compare none): the only properties read from its rated events
    select
        products.product_id,
        coalesce(product_keys.cost_keys, {{ empty_text_list() }}) as cost_keys
    from (select distinct product_id from unit_costs) as products
    left join product_keys on products.product_id = product_keys.product_id
),

combinations as (
    -- the distinct (product, values of its cost keys) among the rated events: few, whatever
    -- the number of events. Made distinct first, so that only they meet their product's keys
    -- (the events already met costed_products once, in events_with_values)
    select
        distinct_values.product_id,
        costed_products.cost_keys,
        distinct_values.property_json_values
    from (
        select distinct
            events.product_id,
            events.property_json_values
        from ({{ events_with_values }}) as events
    ) as distinct_values
    inner join costed_products on distinct_values.product_id = costed_products.product_id
),

combination_values as (
    -- one row per combination and cost key, with the value's comparison text (rules 8; a
    -- missing key or JSON null is null and never equals)
    select
        product_id,
        property_json_values,
        {{ list_element('cost_keys', 'key_position') }} as dimension_key,
        {{ json_value_text('cast(nullif(property_json_value, \'\') as ' ~ json_type_name() ~ ')') }} as value_text
    from (
        select
            product_id,
            cost_keys,
            property_json_values,
            {{ unnest_with_index('property_json_values', 'property_json_value', 'key_position') }}
        from combinations
    ) as unnested
),

applicable_unit_costs as (
    -- each combination's unit costs whose every key has the combination's value (their
    -- windows are looked at below)
    select
        combinations.product_id,
        combinations.property_json_values,
        unit_costs.unit_cost_id,
        unit_costs.cost_per_unit,
        unit_costs.starting_at,
        unit_costs.ending_before,
        unit_costs.dimension_count,
        unit_costs.line_number
    from combinations
    inner join unit_costs on combinations.product_id = unit_costs.product_id
    left join unit_cost_dimensions on unit_costs.unit_cost_id = unit_cost_dimensions.unit_cost_id
    left join combination_values
        on combinations.product_id = combination_values.product_id
        and combinations.property_json_values = combination_values.property_json_values
        and unit_cost_dimensions.dimension_key = combination_values.dimension_key
        and unit_cost_dimensions.value_text = combination_values.value_text
    group by
        combinations.product_id,
        combinations.property_json_values,
        unit_costs.unit_cost_id,
        unit_costs.cost_per_unit,
        unit_costs.starting_at,
        unit_costs.ending_before,
        unit_costs.dimension_count,
        unit_costs.line_number
    having count(combination_values.dimension_key) = unit_costs.dimension_count
),

window_boundaries as (
    -- the moments a combination's unit cost can change: every start and end of its windows
    select
        product_id,
        property_json_values,
        starting_at as boundary
    from applicable_unit_costs
    where starting_at is not null
    union
    select
        product_id,
        property_json_values,
        ending_before as boundary
    from applicable_unit_costs
    where ending_before is not null
),

stretches as (
    -- [stretch_start, stretch_end) between consecutive boundaries (the last one open): a window
    -- holds a whole stretch or none of it
    select
        product_id,
        property_json_values,
        boundary as stretch_start,
        lead(boundary) over (
            partition by product_id, property_json_values order by boundary
        ) as stretch_end
    from window_boundaries
),

ranked_stretch_unit_costs as (
    -- of the unit costs whose window holds the stretch, the most specific (most keys) first,
    -- then the earliest line (line numbers are unique)
    select
        stretches.product_id,
        stretches.property_json_values,
        stretches.stretch_start,
        stretches.stretch_end,
        applicable_unit_costs.unit_cost_id,
        applicable_unit_costs.cost_per_unit,
        row_number() over (
            partition by stretches.product_id, stretches.property_json_values, stretches.stretch_start
            order by applicable_unit_costs.dimension_count desc, applicable_unit_costs.line_number asc
        ) as precedence
    from stretches
    inner join applicable_unit_costs
        on stretches.product_id = applicable_unit_costs.product_id
        and stretches.property_json_values = applicable_unit_costs.property_json_values
        and stretches.stretch_start >= applicable_unit_costs.starting_at
        and (
            applicable_unit_costs.ending_before is null
            or stretches.stretch_end <= applicable_unit_costs.ending_before
        )
),

stretch_unit_costs as (
    select
        product_id,
        property_json_values,
        stretch_start,
        stretch_end,
        unit_cost_id,
        cost_per_unit
    from ranked_stretch_unit_costs
    where precedence = 1
),

applied as (
    -- each rated event meets the one stretch of its combination that holds its timestamp
    select
        events.rated_event_id,
        events.added_quantity,
        events.status,
        stretch_unit_costs.unit_cost_id,
        stretch_unit_costs.cost_per_unit
    from ({{ events_with_values }}) as events
    inner join stretch_unit_costs
        on events.product_id = stretch_unit_costs.product_id
        and events.property_json_values = stretch_unit_costs.property_json_values
        and events.event_timestamp >= stretch_unit_costs.stretch_start
        and (
            stretch_unit_costs.stretch_end is null
            or events.event_timestamp < stretch_unit_costs.stretch_end
        )
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
