-- A rate is FLAT with a price and no tiers, or TIERED or VOLUME with tiers and no price; every tier but
-- the last has a positive size, the last has none; a rate's period is valid; the pricing
-- group keys it names belong to its product's pricing_group_key.
{% set problems_sql %}
    select 'rates line ' || cast(line_number as {{ dbt.type_string() }}) || ' (' || coalesce(rate_card_id, '?') || '/'
        || coalesce(product_id, '?') || '): ' || issue as problem
    from (
        select
            rates.line_number,
            rates.rate_card_id,
            rates.product_id,
            case
                when rates.has_price and rates.has_tiers then 'has both price and tiers'
                when rates.rate_type in ('TIERED', 'VOLUME') and {{ list_length('rates.tiers') }} = 0
                    then rates.rate_type || ' rate without tiers'
                when not rates.has_price and not rates.has_tiers then 'has neither price nor tiers'
                when rates.rate_type = 'FLAT' and not rates.has_price then 'FLAT rate without price'
                when rates.rate_type not in ('FLAT', 'TIERED', 'VOLUME') or rates.rate_type is null
                    then 'rate_type must be FLAT, TIERED or VOLUME'
                when rates.has_price and rates.price is null then 'price is not a decimal'
                when rates.starting_at is null then 'starting_at is missing or not RFC 3339'
                when rates.has_ending_before and rates.ending_before is null then 'ending_before is not RFC 3339'
                when rates.ending_before <= rates.starting_at then 'ending_before is not after starting_at'
            end as issue
        from {{ ref('stg_billing__rates') }} as rates
    ) as checked
    where issue is not null
    union all
    select 'rates line ' || cast(rates.line_number as {{ dbt.type_string() }}) || ' tier ' || cast(tiers.tier_index as {{ dbt.type_string() }})
        || ': ' || case
            when tiers.tier_price is null then 'tier price missing'
            when tiers.tier_index < tier_counts.tier_count and (tiers.tier_size is null or tiers.tier_size <= 0)
                then 'tiers out of order: every tier but the last needs a positive size'
            else 'tiers out of order: the last tier must not have a size'
        end as problem
    from {{ ref('stg_billing__rate_tiers') }} as tiers
    inner join {{ ref('stg_billing__rates') }} as rates on tiers.rate_id = rates.rate_id
    inner join (
        select rate_id, max(tier_index) as tier_count
        from {{ ref('stg_billing__rate_tiers') }}
        group by rate_id
    ) as tier_counts on tiers.rate_id = tier_counts.rate_id
    where tiers.tier_price is null
        or (tiers.tier_index < tier_counts.tier_count and (tiers.tier_size is null or tiers.tier_size <= 0))
        or (tiers.tier_index = tier_counts.tier_count and tiers.tier_size is not null)
    union all
    select 'rates line ' || cast(rates.line_number as {{ dbt.type_string() }}) || ': pricing_group_values names '
        || named.pricing_group_key || ', which is not in the pricing_group_key of product '
        || rates.product_id as problem
    from {{ ref('stg_billing__rate_pricing_group_values') }} as named
    inner join {{ ref('stg_billing__rates') }} as rates on named.rate_id = rates.rate_id
    inner join {{ ref('stg_billing__products') }} as products on rates.product_id = products.product_id
    where not {{ list_contains('products.pricing_group_key', 'named.pricing_group_key') }}
    union all
    select 'overrides ' || override_tiers.override_id || ' tier ' || cast(override_tiers.tier_index as {{ dbt.type_string() }})
        || ': overwrite tiers out of order (every tier but the last needs a positive size and all a price)'
        as problem
    from {{ ref('stg_billing__override_tiers') }} as override_tiers
    inner join (
        select override_id, max(tier_index) as tier_count
        from {{ ref('stg_billing__override_tiers') }}
        group by override_id
    ) as override_tier_counts on override_tiers.override_id = override_tier_counts.override_id
    where override_tiers.tier_price is null
        or (override_tiers.tier_index < override_tier_counts.tier_count
            and (override_tiers.tier_size is null or override_tiers.tier_size <= 0))
        or (override_tiers.tier_index = override_tier_counts.tier_count and override_tiers.tier_size is not null)
{% endset %}
{{ assert_no_config_problems(problems_sql) }}
