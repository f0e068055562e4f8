-- One row per movement of a unit's period quantity to be priced: each RATED target's USAGE
-- movement from the running quantity before it to after it, and, for products with quantity
-- rounding, the unit's ROUNDING_ADJUSTMENT from the period(-to-date) total to its rounded value,
-- attached to the unit's last event and priced at that event's effective rate (rules 4.7).
with

quantities as (
    select * from {{ ref('int_rating_targets_accumulated') }}
),

effective_rates as (
    select * from {{ ref('int_rating_targets_overrides_applied') }}
),

products as (
    select * from {{ ref('stg_billing__products') }}
),

usage_movements as (
    select
        quantities.event_id,
        quantities.billable_metric_id,
        quantities.contract_id,
        quantities.product_id,
        'USAGE' as component,
        quantities.running_quantity_before as quantity_from,
        quantities.running_quantity as quantity_to
    from quantities
),

unit_totals as (
    -- the last event of each unit of a rounded product, read from the model itself and not
    -- from `usage_movements`: DuckDB would keep a CTE read twice as a whole copy (docs block
    -- `pipelined_steps`), where this read keeps only the units' last events
    select
        last_events.event_id,
        last_events.billable_metric_id,
        last_events.contract_id,
        last_events.product_id,
        last_events.running_quantity as quantity_to,
        products.rounding_method,
        products.rounding_decimal_places
    from {{ ref('int_rating_targets_accumulated') }} as last_events
    inner join products on last_events.product_id = products.product_id
    where last_events.is_last_in_unit and products.rounding_method is not null
),

rounding_movements as (
    select
        event_id,
        billable_metric_id,
        contract_id,
        product_id,
        'ROUNDING_ADJUSTMENT' as component,
        quantity_to as quantity_from,
        {{ round_to_places('quantity_to', 'rounding_decimal_places', 'rounding_method') }} as quantity_to
    from unit_totals
),

movements as (
    select
        event_id,
        billable_metric_id,
        contract_id,
        product_id,
        component,
        quantity_from,
        quantity_to
    from usage_movements
    union all
    select
        event_id,
        billable_metric_id,
        contract_id,
        product_id,
        component,
        quantity_from,
        quantity_to
    from rounding_movements
    where quantity_to <> quantity_from
),

final as (
    select
        movements.*,
        effective_rates.pricing_id,
        effective_rates.rate_type,
        effective_rates.multiplier,
        effective_rates.credit_type_id,
        effective_rates.fiat_credit_type_id,
        effective_rates.fiat_per_credit
    from movements
    inner join effective_rates
        on movements.event_id = effective_rates.event_id
        and movements.contract_id = effective_rates.contract_id
        and movements.product_id = effective_rates.product_id
)

select * from final
