-- One row per (balance segment, product it can pay for): listed by id, carrying a listed tag,
-- or every product when both lists are null (rules 4.9). Products of any type count.
with

segments as (
    select * from {{ ref('int_balance_segments') }}
),

products as (
    select * from {{ ref('stg_billing__products') }}
),

final as (
    select
        segments.segment_id,
        segments.contract_id,
        products.product_id
    from segments
    inner join products
        on segments.applies_to_every_product
        or (segments.has_applicable_product_ids and {{ list_contains('segments.applicable_product_ids', 'products.product_id') }})
        or (segments.has_applicable_product_tags and {{ list_length(list_intersect('segments.applicable_product_tags', 'products.tags')) }} > 0)
)

select * from final
