-- One row per price step of every price definition: a list rate or an OVERWRITE override
-- (`pricing_id`). A FLAT price is one step with a null tier_index and no bounds; a TIERED or
-- VOLUME price is one step per tier with bounds on the period quantity, null meaning unbounded
-- (rules 4.8: tier 1 reaches down to -infinity). The bounds are the same for both; TIERED
-- reads them [lower_bound, upper_bound), VOLUME (lower_bound, upper_bound] (`volume_tiers`).
with

rates as (
    select * from {{ ref('stg_billing__rates') }}
),

rate_tiers as (
    select * from {{ ref('stg_billing__rate_tiers') }}
),

overrides as (
    select * from {{ ref('stg_billing__overrides') }}
    where override_type = 'OVERWRITE'
),

override_tiers as (
    select * from {{ ref('stg_billing__override_tiers') }}
),

flat_rates as (
    select
        rate_id as pricing_id,
        cast(null as integer) as tier_index,
        cast(null as decimal(38, 12)) as lower_bound,
        cast(null as decimal(38, 12)) as upper_bound,
        price
    from rates
    where rate_type = 'FLAT'
),

tiered_rates as (
    select
        rate_tiers.rate_id as pricing_id,
        rate_tiers.tier_index,
        rate_tiers.lower_bound,
        rate_tiers.upper_bound,
        rate_tiers.tier_price as price
    from rate_tiers
    inner join rates on rate_tiers.rate_id = rates.rate_id
    where rates.rate_type in ('TIERED', 'VOLUME')
),

flat_overwrites as (
    select
        override_id as pricing_id,
        cast(null as integer) as tier_index,
        cast(null as decimal(38, 12)) as lower_bound,
        cast(null as decimal(38, 12)) as upper_bound,
        overwrite_price as price
    from overrides
    where overwrite_rate_type = 'FLAT'
),

tiered_overwrites as (
    select
        override_tiers.override_id as pricing_id,
        override_tiers.tier_index,
        override_tiers.lower_bound,
        override_tiers.upper_bound,
        override_tiers.tier_price as price
    from override_tiers
    inner join overrides on override_tiers.override_id = overrides.override_id
    where overrides.overwrite_rate_type in ('TIERED', 'VOLUME')
),

final as (
    select * from flat_rates
    union all
    select * from tiered_rates
    union all
    select * from flat_overwrites
    union all
    select * from tiered_overwrites
)

select * from final
