-- One row per (movement, price step it touches) (rules 4.8). FLAT: the whole movement at the
-- price. TIERED (graduated, reset each period): the part inside tier t is
-- clamp(to, lo_t, hi_t) - clamp(from, lo_t, hi_t); each non-zero part is its own row. A USAGE
-- movement of 0 still gets one row of quantity 0 in the tier holding the running quantity
-- (a total on a boundary belongs to the upper tier), so the event stays traceable.
with

movements as (
    select * from {{ ref('int_quantity_movements_derived') }}
),

price_tiers as (
    select * from {{ ref('int_price_tiers') }}
),

clamped as (
    select
        movements.*,
        price_tiers.tier_index,
        price_tiers.price,
        {{ clamp('movements.quantity_to', 'price_tiers.lower_bound', 'price_tiers.upper_bound') }}
        - {{ clamp('movements.quantity_from', 'price_tiers.lower_bound', 'price_tiers.upper_bound') }}
            as tier_quantity,
        (price_tiers.lower_bound is null or movements.quantity_from >= price_tiers.lower_bound)
        and (price_tiers.upper_bound is null or movements.quantity_from < price_tiers.upper_bound)
            as holds_quantity_from
    from movements
    inner join price_tiers on movements.pricing_id = price_tiers.pricing_id
),

touched as (
    select *
    from clamped
    where tier_quantity <> 0
        or (component = 'USAGE' and quantity_to = quantity_from and holds_quantity_from)
),

final as (
    select
        event_id,
        billable_metric_id,
        contract_id,
        product_id,
        component,
        tier_index,
        tier_quantity as quantity,
        {{ decimal_multiply('price', 'multiplier') }} as unit_price,
        credit_type_id,
        pricing_id
    from touched
)

select * from final
