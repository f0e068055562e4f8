-- One row per invoice-schedule item of a commit: billed on its own SCHEDULED invoice.
with

commits as (
    select * from {{ ref('stg_billing__commits') }}
),

items as (
    select
        commit_id,
        {{ unnest_with_index('invoice_schedule_items', 'item_json', 'item_index') }}
    from commits
),

final as (
    select
        commit_id,
        cast(item_index as integer) as item_index,
        {{ json_decimal('item_json', '$.amount') }} as amount,
        {{ json_timestamp('item_json', '$.timestamp') }} as scheduled_at
    from items
)

select * from final
