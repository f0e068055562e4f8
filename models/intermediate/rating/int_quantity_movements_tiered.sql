-- One row per priced part of a movement (rules 4.8). FLAT: the whole movement at the price.
-- TIERED (graduated, reset each period): the part inside tier t is
-- clamp(to, lo_t, hi_t) - clamp(from, lo_t, hi_t); each non-zero part is its own row. A USAGE
-- movement of 0 still gets one row of quantity 0 in the tier holding the running quantity
-- (a total on a boundary belongs to the upper tier), so the event stays traceable.
-- VOLUME (docs block `volume_tiers`): a move of the period total from Q to Q' costs
-- V(Q') - V(Q), V(q) = q x p(q), as the new units (Q' - Q at p(Q'), component USAGE or
-- ROUNDING_ADJUSTMENT) and the earlier units re-priced (Q at p(Q') - p(Q), USAGE_REPRICE or
-- ROUNDING_REPRICE, only when that amount is not 0), both in the tier holding Q' (a tier holds
-- (lower_bound, upper_bound]: a total on a boundary belongs to the lower tier).
-- Read only by int_rated_events_priced: a view on DuckDB (docs block `pipelined_steps`).
{{ config(materialized=pipelined_step()) }}

with

-- two filtered reads of the movements rather than one CTE read twice (which DuckDB would
-- keep whole): each movement goes one way
graduated_movements as (
    select * from {{ ref('int_quantity_movements_derived') }}
    where coalesce(rate_type, 'FLAT') <> 'VOLUME'
),

volume_movements as (
    select * from {{ ref('int_quantity_movements_derived') }}
    where rate_type = 'VOLUME'
),

price_tiers as (
    select * from {{ ref('int_price_tiers') }}
),

clamped as (
    select
        graduated_movements.*,
        price_tiers.tier_index,
        price_tiers.price,
        {{ clamp('graduated_movements.quantity_to', 'price_tiers.lower_bound', 'price_tiers.upper_bound') }}
        - {{ clamp('graduated_movements.quantity_from', 'price_tiers.lower_bound', 'price_tiers.upper_bound') }}
            as tier_quantity,
        (price_tiers.lower_bound is null or graduated_movements.quantity_from >= price_tiers.lower_bound)
        and (price_tiers.upper_bound is null or graduated_movements.quantity_from < price_tiers.upper_bound)
            as holds_quantity_from
    from graduated_movements
    inner join price_tiers on graduated_movements.pricing_id = price_tiers.pricing_id
),

touched as (
    select *
    from clamped
    where tier_quantity <> 0
        or (component = 'USAGE' and quantity_to = quantity_from and holds_quantity_from)
),

graduated_rows as (
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
        fiat_credit_type_id,
        fiat_per_credit,
        pricing_id
    from touched
),

volume_prices as (
    -- the tier holding the total after the move (its index and price) and the price of the
    -- tier holding the total before it, both with the terms in force at the event
    select
        volume_movements.*,
        to_tiers.tier_index,
        {{ decimal_multiply('to_tiers.price', 'volume_movements.multiplier') }} as price_to,
        {{ decimal_multiply('from_tiers.price', 'volume_movements.multiplier') }} as price_from
    from volume_movements
    inner join price_tiers as to_tiers
        on volume_movements.pricing_id = to_tiers.pricing_id
        and {{ in_volume_tier('volume_movements.quantity_to', 'to_tiers.lower_bound', 'to_tiers.upper_bound') }}
    inner join price_tiers as from_tiers
        on volume_movements.pricing_id = from_tiers.pricing_id
        and {{ in_volume_tier('volume_movements.quantity_from', 'from_tiers.lower_bound', 'from_tiers.upper_bound') }}
),

volume_repriced as (
    select
        volume_prices.*,
        volume_prices.price_to - volume_prices.price_from as price_step,
        {{ decimal_multiply('volume_prices.quantity_from', '(volume_prices.price_to - volume_prices.price_from)') }}
            as reprice_amount
    from volume_prices
),

volume_row_kinds as (
    -- each VOLUME move is read once and gives its rows from this pair: 1 the new units, 2 the re-price
    select 1 as row_kind
    union all
    select 2 as row_kind
),

volume_rows as (
    select
        volume_repriced.event_id,
        volume_repriced.billable_metric_id,
        volume_repriced.contract_id,
        volume_repriced.product_id,
        case
            when volume_row_kinds.row_kind = 1 then volume_repriced.component
            when volume_repriced.component = 'USAGE' then 'USAGE_REPRICE'
            else 'ROUNDING_REPRICE'
        end as component,
        volume_repriced.tier_index,
        case
            when volume_row_kinds.row_kind = 1 then volume_repriced.quantity_to - volume_repriced.quantity_from
            else volume_repriced.quantity_from
        end as quantity,
        case
            when volume_row_kinds.row_kind = 1 then volume_repriced.price_to
            else volume_repriced.price_step
        end as unit_price,
        volume_repriced.credit_type_id,
        volume_repriced.fiat_credit_type_id,
        volume_repriced.fiat_per_credit,
        volume_repriced.pricing_id
    from volume_repriced
    cross join volume_row_kinds
    where volume_row_kinds.row_kind = 1 or volume_repriced.reprice_amount <> 0
),

final as (
    select * from graduated_rows
    union all
    select * from volume_rows
)

select * from final
