-- One row per customer (customers.jsonl): its name, the ingest aliases that resolve to it and
-- how many contracts it holds, so BI tools can label and filter the facts by customer.
with

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

customer_refs as (
    select * from {{ ref('int_customer_refs') }}
),

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

alias_lists as (
    -- the aliases events actually resolve through: an alias that is another customer's id is ignored
    select
        customer_id,
        {{ sorted_list_agg('customer_ref') }} as ingest_aliases,
        count(*) as ingest_alias_count
    from customer_refs
    where ref_kind = 'INGEST_ALIAS'
    group by customer_id
),

contract_counts as (
    select
        customer_id,
        count(*) as contract_count
    from contracts
    group by customer_id
),

final as (
    select
        customers.customer_id,
        customers.customer_name,
        -- JSON text, not a list type, so every BI tool and the Spark target can read it
        cast(to_json(coalesce(alias_lists.ingest_aliases, {{ empty_text_list() }})) as {{ json_type_name() }}) as ingest_aliases,
        cast(coalesce(alias_lists.ingest_alias_count, 0) as integer) as ingest_alias_count,
        cast(coalesce(contract_counts.contract_count, 0) as integer) as contract_count
    from customers
    left join alias_lists on customers.customer_id = alias_lists.customer_id
    left join contract_counts on customers.customer_id = contract_counts.customer_id
    order by customers.customer_id
)

select * from final
