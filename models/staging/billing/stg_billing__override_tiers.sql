-- One row per tier of an OVERWRITE override's TIERED rate, with bounds as in stg_billing__rate_tiers.
with

overrides as (
    select * from {{ ref('stg_billing__overrides') }}
),

tiers as (
    select
        override_id,
        {{ unnest_with_index('overwrite_tiers', 'tier_json', 'tier_index') }}
    from overrides
),

parsed as (
    select
        override_id,
        cast(tier_index as integer) as tier_index,
        {{ json_decimal('tier_json', '$.size') }} as tier_size,
        {{ json_decimal('tier_json', '$.price') }} as tier_price
    from tiers
)

{{ tier_bounds('parsed', 'override_id') }}
