-- One row per tier of a TIERED rate, with the tier's bounds on the period quantity:
-- tier t covers [lower_bound, upper_bound); tier 1 reaches down to -infinity (null lower
-- bound) and the last tier up to +infinity (null upper bound).
with

rates as (
    select * from {{ ref('stg_billing__rates') }}
),

tiers as (
    select
        rate_id,
        {{ unnest_with_index('tiers', 'tier_json', 'tier_index') }}
    from rates
),

parsed as (
    select
        rate_id,
        cast(tier_index as integer) as tier_index,
        {{ json_decimal('tier_json', '$.size') }} as tier_size,
        {{ json_decimal('tier_json', '$.price') }} as tier_price
    from tiers
)

{{ tier_bounds('parsed', 'rate_id') }}
