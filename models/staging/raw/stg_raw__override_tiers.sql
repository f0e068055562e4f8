-- One row per tier of an OVERWRITE override's TIERED rate, with bounds as in stg_raw__rate_tiers.
with

overrides as (
    select * from {{ ref('stg_raw__overrides') }}
),

tiers as (
    select
        override_id,
        unnest(overwrite_tiers) as tier_json,
        generate_subscripts(overwrite_tiers, 1) as tier_index
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
