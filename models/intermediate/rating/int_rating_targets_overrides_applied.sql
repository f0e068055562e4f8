-- One row per RATED target: the effective rate at the event's timestamp (rules 4.8): the list
-- rate, replaced by one applicable OVERWRITE (priority ascending nulls last, later start, id),
-- else scaled by one applicable MULTIPLIER (LOWEST_MULTIPLIER: multiplier, then as OVERWRITE;
-- EXPLICIT: as OVERWRITE). `pricing_id` names the tiers used: the rate's or the override's.
-- The prices stay in the list rate's credit type (an override keeps it), worth fiat_per_credit
-- of the rate card's fiat type each (docs block `credit_types`).
with

targets as (
    select * from {{ ref('int_rating_targets_rate_chosen') }}
    where target_status = 'RATED'
),

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

products as (
    select * from {{ ref('stg_billing__products') }}
),

rates as (
    select * from {{ ref('stg_billing__rates') }}
),

rate_cards as (
    select * from {{ ref('stg_billing__rate_cards') }}
),

card_credit_types as (
    select * from {{ ref('int_rate_card_credit_types') }}
),

overrides as (
    select * from {{ ref('stg_billing__overrides') }}
),

specifiers as (
    select * from {{ ref('stg_billing__override_specifiers') }}
),

specifier_values as (
    select * from {{ ref('stg_billing__override_specifier_pricing_group_values') }}
),

event_properties as (
    select * from {{ ref('int_usage_events_properties_parsed') }}
),

candidate_specifiers as (
    -- overrides of the target's contract in force at the event, with specifiers whose
    -- product and tags fields (when given) match the product. The targets are read from the
    -- model, not from `targets`, which `final` reads: DuckDB would keep a CTE read twice as a
    -- whole copy (docs block `pipelined_steps`); this read scans only the four columns it needs
    select
        rated_targets.event_id,
        rated_targets.contract_id,
        rated_targets.product_id,
        overrides.override_id,
        specifiers.specifier_index,
        specifiers.named_key_count
    from {{ ref('int_rating_targets_rate_chosen') }} as rated_targets
    inner join overrides
        on rated_targets.contract_id = overrides.contract_id
        and rated_targets.event_timestamp >= overrides.starting_at
        and (overrides.ending_before is null or rated_targets.event_timestamp < overrides.ending_before)
    inner join specifiers on overrides.override_id = specifiers.override_id
    inner join products on rated_targets.product_id = products.product_id
    where rated_targets.target_status = 'RATED'
        and (specifiers.product_id is null or specifiers.product_id = rated_targets.product_id)
        and (not specifiers.has_product_tags or {{ list_length(list_intersect('specifiers.product_tags', 'products.tags')) }} > 0)
),

specifier_key_matches as (
    select
        candidate_specifiers.event_id,
        candidate_specifiers.contract_id,
        candidate_specifiers.product_id,
        candidate_specifiers.override_id,
        candidate_specifiers.specifier_index,
        count(*) as matched_key_count
    from candidate_specifiers
    inner join specifier_values
        on candidate_specifiers.override_id = specifier_values.override_id
        and candidate_specifiers.specifier_index = specifier_values.specifier_index
    inner join event_properties on candidate_specifiers.event_id = event_properties.event_id
    -- specifiers compare the event's property values (rules 4.8)
    where event_properties.property_values[specifier_values.pricing_group_key] = specifier_values.value_text
    group by
        candidate_specifiers.event_id,
        candidate_specifiers.contract_id,
        candidate_specifiers.product_id,
        candidate_specifiers.override_id,
        candidate_specifiers.specifier_index
),

applicable_overrides as (
    select distinct
        candidate_specifiers.event_id,
        candidate_specifiers.contract_id,
        candidate_specifiers.product_id,
        candidate_specifiers.override_id
    from candidate_specifiers
    left join specifier_key_matches
        on candidate_specifiers.event_id = specifier_key_matches.event_id
        and candidate_specifiers.contract_id = specifier_key_matches.contract_id
        and candidate_specifiers.product_id = specifier_key_matches.product_id
        and candidate_specifiers.override_id = specifier_key_matches.override_id
        and candidate_specifiers.specifier_index = specifier_key_matches.specifier_index
    where candidate_specifiers.named_key_count = coalesce(specifier_key_matches.matched_key_count, 0)
),

ranked_overrides as (
    select
        applicable_overrides.*,
        overrides.override_type,
        overrides.multiplier,
        overrides.overwrite_rate_type,
        row_number() over (
            partition by
                applicable_overrides.event_id, applicable_overrides.contract_id,
                applicable_overrides.product_id, overrides.override_type
            order by
                case
                    when overrides.override_type = 'MULTIPLIER'
                        and contracts.multiplier_override_prioritization = 'LOWEST_MULTIPLIER'
                        then overrides.multiplier
                end nulls first,
                overrides.priority asc nulls last,
                overrides.starting_at desc,
                overrides.override_id asc
        ) as override_rank
    from applicable_overrides
    inner join overrides on applicable_overrides.override_id = overrides.override_id
    inner join contracts on applicable_overrides.contract_id = contracts.contract_id
),

final as (
    select
        targets.event_id,
        targets.contract_id,
        targets.product_id,
        targets.rate_id,
        overwrites.override_id as overwrite_override_id,
        case when overwrites.override_id is null then multipliers.override_id end as multiplier_override_id,
        coalesce(overwrites.override_id, targets.rate_id) as pricing_id,
        coalesce(overwrites.overwrite_rate_type, rates.rate_type) as rate_type,
        case
            when overwrites.override_id is null then coalesce(multipliers.multiplier, cast(1 as decimal(38, 12)))
            else cast(1 as decimal(38, 12))
        end as multiplier,
        coalesce(rates.credit_type_id, rate_cards.fiat_credit_type_id) as credit_type_id,
        rate_cards.fiat_credit_type_id,
        -- every custom type a rate names has a conversion, or the build fails
        -- (assert_credit_types_are_convertible)
        card_credit_types.fiat_per_credit
    from targets
    inner join rates on targets.rate_id = rates.rate_id
    inner join rate_cards on rates.rate_card_id = rate_cards.rate_card_id
    left join card_credit_types
        on rates.rate_card_id = card_credit_types.rate_card_id
        and coalesce(rates.credit_type_id, rate_cards.fiat_credit_type_id) = card_credit_types.credit_type_id
    left join ranked_overrides as overwrites
        on targets.event_id = overwrites.event_id
        and targets.contract_id = overwrites.contract_id
        and targets.product_id = overwrites.product_id
        and overwrites.override_type = 'OVERWRITE'
        and overwrites.override_rank = 1
    left join ranked_overrides as multipliers
        on targets.event_id = multipliers.event_id
        and targets.contract_id = multipliers.contract_id
        and targets.product_id = multipliers.product_id
        and multipliers.override_type = 'MULTIPLIER'
        and multipliers.override_rank = 1
)

select * from final
