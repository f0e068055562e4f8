-- One row per contract (contracts.jsonl): its customer, rate card, term, usage statement
-- schedule and override prioritization, and whether it is in force at as_of.
with

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

rate_cards as (
    select * from {{ ref('stg_billing__rate_cards') }}
),

final as (
    select
        contracts.contract_id,
        contracts.customer_id,
        contracts.rate_card_id,
        rate_cards.rate_card_name,
        rate_cards.fiat_credit_type_id as credit_type_id,
        contracts.starting_at,
        contracts.ending_before,
        contracts.schedule_frequency,
        contracts.schedule_day,
        contracts.billing_anchor_at,
        contracts.multiplier_override_prioritization,
        -- [starting_at, ending_before): the same half-open window rating uses
        coalesce(
            contracts.starting_at <= {{ as_of_timestamp() }}
            and (contracts.ending_before is null or contracts.ending_before > {{ as_of_timestamp() }}),
            false
        ) as is_active
    from contracts
    left join rate_cards on contracts.rate_card_id = rate_cards.rate_card_id
    order by contracts.customer_id, contracts.starting_at, contracts.contract_id
)

select * from final
