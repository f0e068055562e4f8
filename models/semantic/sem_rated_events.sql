-- noqa: disable=LT02
-- One row per rated event, draft and finalized (a union: each rated event is in exactly one
-- mart), with the columns the semantic layer reads: coverage parts of the fiat amount and of the
-- amount as their own columns, the quantity that counts units (USAGE and ROUNDING_ADJUSTMENT
-- rows) and the sample data's dimension properties as text (rules 8), named as in
-- _semantic__models.yml (the property `status` becomes `api_status`: the rated event has its own).
{%- set property_columns = {
    'region': 'region', 'model': 'model', 'workspace': 'workspace', 'user_id': 'user_id',
    'end_customer': 'end_customer',
    'cluster': 'cluster', 'gpu_type': 'gpu_type', 'endpoint': 'endpoint', 'status': 'api_status',
    'bucket': 'bucket', 'role': 'role',
} %}
{%- set mart_columns = [
    'rated_event_id', 'event_id', 'transaction_id', 'customer_id', 'contract_id', 'invoice_id',
    'product_id', 'billable_metric_id', 'balance_id', 'event_timestamp', 'billing_period_start',
    'billing_period_end', 'event_type', 'component', 'coverage', 'credit_type_id', 'status',
    'pricing_group_values', 'presentation_group_values', 'properties', 'quantity', 'amount',
] %}
with

draft_rated_events as (
    select * from {{ ref('fct_rated_events_draft') }}
),

finalized_rated_events as (
    select * from {{ ref('fct_rated_events_finalized') }}
),

rated_events as (
    select
        {%- for column in mart_columns %}
        draft_rated_events.{{ column }},
        {%- endfor %}
        -- rows recorded before the marts had fiat amounts read null there, and were all fiat
        coalesce(draft_rated_events.fiat_credit_type_id, draft_rated_events.credit_type_id) as fiat_credit_type_id,
        coalesce(draft_rated_events.fiat_amount, draft_rated_events.amount) as fiat_amount
    from draft_rated_events
    union all
    select
        {%- for column in mart_columns %}
        finalized_rated_events.{{ column }},
        {%- endfor %}
        -- rows recorded before the marts had fiat amounts read null there, and were all fiat
        coalesce(finalized_rated_events.fiat_credit_type_id, finalized_rated_events.credit_type_id) as fiat_credit_type_id,
        coalesce(finalized_rated_events.fiat_amount, finalized_rated_events.amount) as fiat_amount
    from finalized_rated_events
),

flagged as (
    select
        rated_events.*,
        coalesce({{ has_duplicate_json_keys('rated_events.properties') }}, false) as has_duplicate_property_keys
    from rated_events
),

property_values as (
    select
        flagged.*,
        {%- for key, column_name in property_columns.items() %}
        {{ json_object_value('flagged.properties', key, 'flagged.has_duplicate_property_keys') }}
            as {{ column_name }}_json{{ ',' if not loop.last }}
        {%- endfor %}
    from flagged
),

final as (
    select
        property_values.rated_event_id,
        property_values.event_id,
        property_values.transaction_id,
        property_values.customer_id,
        property_values.contract_id,
        property_values.invoice_id,
        property_values.product_id,
        property_values.billable_metric_id,
        property_values.balance_id,
        property_values.event_timestamp,
        property_values.billing_period_start,
        property_values.billing_period_end,
        property_values.event_type,
        property_values.component,
        property_values.coverage,
        property_values.credit_type_id,
        property_values.fiat_credit_type_id,
        property_values.status,
        cast(property_values.pricing_group_values as {{ api.Column.translate_type('string') }}) as pricing_group_values,
        cast(property_values.presentation_group_values as {{ api.Column.translate_type('string') }})
            as presentation_group_values,
        {%- for column_name in property_columns.values() %}
        {{ json_value_text('property_values.' ~ column_name ~ '_json') }} as {{ column_name }},
        {%- endfor %}
        property_values.quantity,
        -- a re-price row's quantity names units its USAGE or ROUNDING_ADJUSTMENT row already counts
        case
            when {{ adds_units('property_values.component') }} then property_values.quantity
            else cast(0 as {{ money_type() }})
        end as usage_quantity,
        property_values.fiat_amount,
        case
            when property_values.coverage = 'OVERAGE' then property_values.fiat_amount
            else cast(0 as {{ money_type() }})
        end as fiat_overage_amount,
        case
            when property_values.coverage <> 'OVERAGE' then property_values.fiat_amount
            else cast(0 as {{ money_type() }})
        end as fiat_covered_amount,
        case
            when property_values.coverage in ('CREDIT', 'PREPAID_COMMIT') then property_values.fiat_amount
            else cast(0 as {{ money_type() }})
        end as fiat_credit_and_prepaid_amount,
        property_values.amount,
        case
            when property_values.coverage = 'OVERAGE' then property_values.amount
            else cast(0 as {{ money_type() }})
        end as overage_amount,
        case
            when property_values.coverage <> 'OVERAGE' then property_values.amount
            else cast(0 as {{ money_type() }})
        end as covered_amount,
        case
            when property_values.coverage in ('CREDIT', 'PREPAID_COMMIT') then property_values.amount
            else cast(0 as {{ money_type() }})
        end as credit_and_prepaid_amount
    from property_values
)

select * from final
