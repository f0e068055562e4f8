-- One row per value an event may carry as customer_id: every customer id, and every ingest
-- alias that is not also some customer's id (rules 8: an id wins over another's alias).
with

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

aliases as (
    select * from {{ ref('stg_billing__customer_ingest_aliases') }}
),

by_id as (
    select
        customer_id as customer_ref,
        customer_id,
        'ID' as ref_kind
    from customers
),

by_alias as (
    -- distinct: a customer may list one alias twice
    select distinct
        aliases.ingest_alias as customer_ref,
        aliases.customer_id,
        'INGEST_ALIAS' as ref_kind
    from aliases
    left join customers on aliases.ingest_alias = customers.customer_id
    where customers.customer_id is null
),

final as (
    select * from by_id
    union all
    select * from by_alias
)

select * from final
