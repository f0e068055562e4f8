-- One row per rating target (event, metric, contract, product) with its fate (rules 4.4, 6):
-- the rate that prices it (the most specific effective rate whose pricing group values match;
-- not entitled = no rate) and `target_status`: RATED, or the reason it is not billed there
-- (NO_RATE, INVALID_AGGREGATION_VALUE, PERIOD_FINALIZED), checked in that order.
-- Done row by row, without joins of history-sized tables: each target meets the rates of its
-- rate card and product as one list, most specific first, and takes the first that applies.
with

targets as (
    select * from {{ ref('int_rating_targets_enumerated') }}
),

rates as (
    select * from {{ ref('stg_billing__rates') }}
),

rate_values as (
    select * from {{ ref('stg_billing__rate_pricing_group_values') }}
),

required_values as (
    select
        rate_id,
        {{ list_agg(struct_of([('pricing_group_key', 'pricing_group_key'), ('value_text', 'value_text')])) }}
            as required_values
    from rate_values
    group by rate_id
),

rate_precedence as (
    -- each (rate card, product)'s rates in order of precedence: most named keys first, then
    -- rate_id (the struct leads with its sort key; rate ids are unique, so no tie goes further)
    select
        rates.rate_card_id,
        rates.product_id,
        {{ sorted_list_agg(struct_of([
            ('most_keys_first', '-rates.named_key_count'),
            ('rate_id', 'rates.rate_id'),
            ('is_entitled', 'rates.is_entitled'),
            ('starting_at', 'rates.starting_at'),
            ('ending_before', 'rates.ending_before'),
            ('named_key_count', 'rates.named_key_count'),
            ('required_values', 'required_values.required_values'),
        ])) }} as rates
    from rates
    left join required_values on rates.rate_id = required_values.rate_id
    group by rates.rate_card_id, rates.product_id
),

chosen_rates as (
    -- the most specific effective rate whose every named key equals the event's value
    select
        targets.*,
        {{ first_applicable(
            'rate_precedence.rates', 'rate', 'targets.event_timestamp',
            json_object_text_field('targets.pricing_group_values', 'required.pricing_group_key'),
            'named_key_count'
        ) }} as chosen_rate
    from targets
    left join rate_precedence
        on targets.rate_card_id = rate_precedence.rate_card_id
        and targets.product_id = rate_precedence.product_id
),

final as (
    select
        event_id,
        billable_metric_id,
        contract_id,
        product_id,
        rate_card_id,
        customer_id,
        transaction_id,
        event_timestamp,
        received_at,
        has_valid_aggregation_value,
        pricing_group_values,
        presentation_group_values,
        invoice_id,
        billing_period_start,
        billing_period_end,
        finalized_at,
        is_finalized,
        case when chosen_rate.is_entitled then chosen_rate.rate_id end as rate_id,
        case
            when chosen_rate.rate_id is null or not chosen_rate.is_entitled then 'NO_RATE'
            when not has_valid_aggregation_value then 'INVALID_AGGREGATION_VALUE'
            when is_finalized and received_at >= finalized_at then 'PERIOD_FINALIZED'
            else 'RATED'
        end as target_status
    from chosen_rates
)

select * from final
