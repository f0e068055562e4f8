{#- The column list shared by fct_rated_events_draft and fct_rated_events_finalized (SPEC 5),
    with the types their contracts enforce. -#}
{% macro rated_events_mart_columns(relation) %}
select
    rated_event_id,
    transaction_id,
    customer_id,
    contract_id,
    invoice_id,
    billing_period_start,
    billing_period_end,
    event_type,
    event_timestamp,
    received_at,
    billable_metric_id,
    product_id,
    component,
    cast(tier_index as integer) as tier_index,
    cast(quantity as decimal(38, 12)) as quantity,
    cast(unit_price as decimal(38, 12)) as unit_price,
    cast(amount as decimal(38, 12)) as amount,
    credit_type_id,
    coverage,
    balance_id,
    balance_segment_id,
    cast(pricing_group_values as json) as pricing_group_values,
    cast(presentation_group_values as json) as presentation_group_values,
    cast(coalesce(properties, '{}') as json) as properties,
    status,
    case when status = 'FINALIZED' then finalized_at end as finalized_at,
    event_id,
    source_file,
    cast(source_row as bigint) as source_row
from {{ relation }}
-- BI tools read by customer and time: store rows in that order
order by customer_id, event_timestamp, rated_event_id
{% endmacro %}
