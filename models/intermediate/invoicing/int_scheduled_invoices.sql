-- One row per invoice-schedule item of a prepaid commit (rules 4.10): its own SCHEDULED invoice,
-- DRAFT until as_of reaches the item's timestamp and FINALIZED from then on.
with

items as (
    select * from {{ ref('stg_billing__commit_invoice_schedule_items') }}
),

commits as (
    select * from {{ ref('stg_billing__commits') }}
    where commit_type = 'PREPAID'
),

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

rate_cards as (
    select * from {{ ref('stg_billing__rate_cards') }}
),

final as (
    select
        {{ hash_id(["'SCHEDULED'", 'items.commit_id', 'items.item_index']) }} as invoice_id,
        items.commit_id,
        items.item_index,
        commits.contract_id,
        commits.product_id,
        items.amount,
        items.scheduled_at,
        rate_cards.fiat_credit_type_id as credit_type_id,
        case when {{ as_of_timestamp() }} >= items.scheduled_at then 'FINALIZED' else 'DRAFT' end as status
    from items
    inner join commits on items.commit_id = commits.commit_id
    inner join contracts on commits.contract_id = contracts.contract_id
    inner join rate_cards on contracts.rate_card_id = rate_cards.rate_card_id
)

select * from final
