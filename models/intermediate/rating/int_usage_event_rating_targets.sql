-- One row per rating target (event, metric, contract, product) with its fate (SPEC 4.4, 6):
-- the rate that prices it (the most specific effective rate whose pricing group values match;
-- not entitled = no rate) and `target_status`: RATED, or the reason it is not billed there
-- (NO_RATE, INVALID_AGGREGATION_VALUE, PERIOD_FINALIZED), checked in that order.
with

targets as (
    select * from {{ ref('int_usage_event_contract_products') }}
),

rates as (
    select * from {{ ref('stg_raw__rates') }}
),

rate_values as (
    select * from {{ ref('stg_raw__rate_pricing_group_values') }}
),

effective_rates as (
    select
        targets.event_id,
        targets.contract_id,
        targets.product_id,
        targets.pricing_group_values,
        rates.rate_id,
        rates.is_entitled,
        rates.named_key_count
    from targets
    inner join rates
        on targets.rate_card_id = rates.rate_card_id
        and targets.product_id = rates.product_id
        and targets.event_timestamp >= rates.starting_at
        and (rates.ending_before is null or targets.event_timestamp < rates.ending_before)
),

key_matches as (
    -- how many of each rate's named keys equal the event's value
    select
        effective_rates.event_id,
        effective_rates.contract_id,
        effective_rates.product_id,
        effective_rates.rate_id,
        count(*) as matched_key_count
    from effective_rates
    inner join rate_values on effective_rates.rate_id = rate_values.rate_id
    where {{ json_object_text_field('effective_rates.pricing_group_values', 'rate_values.pricing_group_key') }}
        = rate_values.value_text
    group by effective_rates.event_id, effective_rates.contract_id, effective_rates.product_id, effective_rates.rate_id
),

matching_rates as (
    select
        effective_rates.*,
        row_number() over (
            partition by effective_rates.event_id, effective_rates.contract_id, effective_rates.product_id
            order by effective_rates.named_key_count desc, effective_rates.rate_id asc
        ) as specificity_rank
    from effective_rates
    left join key_matches
        on effective_rates.event_id = key_matches.event_id
        and effective_rates.contract_id = key_matches.contract_id
        and effective_rates.product_id = key_matches.product_id
        and effective_rates.rate_id = key_matches.rate_id
    where effective_rates.named_key_count = coalesce(key_matches.matched_key_count, 0)
),

chosen_rates as (
    select *
    from matching_rates
    where specificity_rank = 1
),

final as (
    select
        targets.*,
        case when chosen_rates.is_entitled then chosen_rates.rate_id end as rate_id,
        case
            when chosen_rates.rate_id is null or not chosen_rates.is_entitled then 'NO_RATE'
            when not targets.has_valid_aggregation_value then 'INVALID_AGGREGATION_VALUE'
            when targets.is_finalized and targets.received_at >= targets.finalized_at then 'PERIOD_FINALIZED'
            else 'RATED'
        end as target_status
    from targets
    left join chosen_rates
        on targets.event_id = chosen_rates.event_id
        and targets.contract_id = chosen_rates.contract_id
        and targets.product_id = chosen_rates.product_id
)

select * from final
