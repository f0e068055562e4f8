-- One row per RATED target: the event's quantity as the change it makes to the running period
-- aggregate of its unit (contract, product, pricing group values, billing period), rules 4.6,
-- then converted on the running aggregate (rules 4.7) so period totals stay exact.
-- Ordering key: (event timestamp, transaction_id, received_at).
with

products as (
    select * from {{ ref('stg_billing__products') }}
),

product_conversions as (
    -- the factor's scaled integer once per product, not once per event
    select
        product_id,
        conversion_operation,
        conversion_factor,
        abs({{ scaled_integer('conversion_factor') }}) as scaled_factor
    from products
),

{#- the unit's events: RATED targets with their metric's aggregation and their product's
    conversion. Written out in each branch of `first_sightings` (each joining the models
    itself) rather than as one CTE both branches read: DuckDB keeps such a CTE as a
    whole copy until its last reader is done (at 10M events, 1.7 GB spilled to disk), while
    each branch joining the tables keeps only its own rows, the UNIQUE branch a tenth of them
    (docs block `pipelined_steps`) -#}
{%- set unit_events -%}
    (
    select
        rated_targets.*,
        matched_metrics.aggregation_type,
        matched_metrics.aggregation_value,
        matched_metrics.aggregation_value_text,
        product_conversions.conversion_operation,
        product_conversions.conversion_factor,
        product_conversions.scaled_factor
    from {{ ref('int_rating_targets_rate_chosen') }} as rated_targets
    inner join {{ ref('int_usage_events_metric_matched') }} as matched_metrics
        on rated_targets.event_id = matched_metrics.event_id
        and rated_targets.billable_metric_id = matched_metrics.billable_metric_id
    inner join product_conversions on rated_targets.product_id = product_conversions.product_id
    where rated_targets.target_status = 'RATED'
    ) as unit_events
{%- endset %}

first_sightings as (
    -- UNIQUE counts a value once: the first event (in ordering key) carrying it adds 1. Only
    -- UNIQUE events are sorted by value; no other aggregation reads the flag.
    select
        unit_events.*,
        row_number() over (
            partition by contract_id, product_id, pricing_group_values, billing_period_start, aggregation_value_text
            order by event_timestamp, transaction_id, received_at
        ) = 1 as is_first_sighting
    from {{ unit_events }}
    where aggregation_type = 'UNIQUE'
    union all
    select
        unit_events.*,
        cast(null as boolean) as is_first_sighting
    from {{ unit_events }}
    where aggregation_type is null or aggregation_type <> 'UNIQUE'
),

increments as (
    -- COUNT, SUM and UNIQUE are running sums of a per-event increment: one window sum serves
    -- all three (the window computes every aggregate for every row, whatever the CASE picks)
    select
        first_sightings.*,
        case aggregation_type
            when 'COUNT' then cast(1 as decimal(38, 12))
            when 'SUM' then aggregation_value
            when 'UNIQUE' then cast(case when is_first_sighting then 1 else 0 end as decimal(38, 12))
        end as aggregate_increment
    from first_sightings
),

running as (
    select
        increments.*,
        case aggregation_type
            when 'MAX' then max(aggregation_value) over unit_so_far
            when 'LATEST' then aggregation_value
            else cast(sum(aggregate_increment) over unit_so_far as decimal(38, 12))
        end as running_aggregate,
        -- the aggregate just before this event, from the same sort (no second pass to look back
        -- at the previous row's converted quantity): MAX and LATEST look at the earlier rows,
        -- the running sums subtract this event's increment (exact, see `before` below)
        case aggregation_type
            when 'MAX' then max(aggregation_value) over unit_before
            when 'LATEST' then lag(aggregation_value) over unit_order
        end as previous_value_aggregate,
        -- the unit's last event carries its ROUNDING_ADJUSTMENT (int_quantity_movements_derived);
        -- same partition and order as the running sum, so the same sort serves both
        lead(event_id) over unit_order is null as is_last_in_unit
    from increments
    window
        unit_order as (
            partition by contract_id, product_id, pricing_group_values, billing_period_start
            order by event_timestamp, transaction_id, received_at
        ),
        unit_so_far as (
            partition by contract_id, product_id, pricing_group_values, billing_period_start
            order by event_timestamp, transaction_id, received_at
            rows between unbounded preceding and current row
        ),
        unit_before as (
            partition by contract_id, product_id, pricing_group_values, billing_period_start
            order by event_timestamp, transaction_id, received_at
            rows between unbounded preceding and 1 preceding
        )
),

before as (
    -- the previous event's running aggregate: for COUNT, SUM and UNIQUE the running sum less
    -- this event's increment (decimal subtraction is exact); null before a unit's first event
    select
        running.*,
        case
            when aggregation_type in ('MAX', 'LATEST') then previous_value_aggregate
            else cast(running_aggregate - coalesce(aggregate_increment, 0) as decimal(38, 12))
        end as aggregate_before
    from running
),

scaled as (
    -- the scaled integers of the exact conversion of both aggregates, after this event and
    -- before it, computed once per row (macros/decimal_math.sql)
    select
        before.*,
        {{ integer_sign("running_aggregate") }} * {{ integer_sign("conversion_factor") }} as conversion_sign,
        abs({{ scaled_integer('running_aggregate') }}) as scaled_aggregate,
        {{ integer_sign("aggregate_before") }} * {{ integer_sign("conversion_factor") }} as conversion_sign_before,
        abs({{ scaled_integer('aggregate_before') }}) as scaled_aggregate_before
    from before
),

final as (
    select
        scaled.*,
        {{ scaled_conversion(
            'conversion_operation', 'conversion_sign', 'scaled_aggregate', 'scaled_factor', 'running_aggregate'
        ) }} as running_quantity,
        -- 0 before a unit's first event
        coalesce(
            {{ scaled_conversion(
                'conversion_operation', 'conversion_sign_before', 'scaled_aggregate_before', 'scaled_factor',
                'aggregate_before'
            ) }},
            cast(0 as decimal(38, 12))
        ) as running_quantity_before
    from scaled
)

-- narrow on purpose: what int_quantity_movements_derived reads and the figures an auditor
-- checks (the target's period and group columns stay in int_rating_targets_rate_chosen)
select
    event_id,
    billable_metric_id,
    contract_id,
    product_id,
    pricing_group_values,
    billing_period_start,
    event_timestamp,
    transaction_id,
    received_at,
    aggregation_type,
    aggregation_value,
    aggregation_value_text,
    is_first_sighting,
    aggregate_increment,
    running_aggregate,
    is_last_in_unit,
    conversion_operation,
    conversion_factor,
    running_quantity,
    running_quantity_before,
    running_quantity - running_quantity_before as quantity
from final
