-- One row per (alert, billing period) in which a spend or usage alert fired, and per (alert,
-- balance segment) in which a low-balance alert fired: the rated event whose running value
-- first reached the threshold in the rated events' order (docs block `alert_triggers`).
-- Window functions over the rated-event marts: a finalized period's rows never change, so
-- neither does a trigger they hold; a draft trigger moves when a late event lands before it.
with

alerts as (
    select * from {{ ref('stg_billing__alerts') }}
),

alert_filters as (
    select * from {{ ref('stg_billing__alert_property_filters') }}
),

alert_filter_values as (
    select * from {{ ref('stg_billing__alert_property_filter_values') }}
),

contracts as (
    select * from {{ ref('dim_contracts') }}
),

balances as (
    select * from {{ ref('dim_balances') }}
),

draft_rated_events as (
    select * from {{ ref('fct_rated_events_draft') }}
),

finalized_rated_events as (
    select * from {{ ref('fct_rated_events_finalized') }}
),

{%- set rated_event_columns = [
    'rated_event_id', 'unsplit_rated_event_id', 'transaction_id', 'event_id', 'customer_id',
    'contract_id', 'invoice_id', 'billing_period_start', 'billing_period_end', 'event_timestamp',
    'received_at', 'product_id', 'component', 'tier_index', 'quantity', 'amount', 'credit_type_id',
    'balance_segment_id', 'status', 'finalized_at',
] %}

alerted_customers as (
    select distinct customer_id from alerts
),

rated_event_parts as (
    -- only the customers someone watches: without alerts this reads nothing
    select {% for column in rated_event_columns %}draft_rated_events.{{ column }}{{ ',' if not loop.last }}{% endfor %}
    from draft_rated_events
    inner join alerted_customers on draft_rated_events.customer_id = alerted_customers.customer_id
    union all
    select {% for column in rated_event_columns %}finalized_rated_events.{{ column }}{{ ',' if not loop.last }}{% endfor %}
    from finalized_rated_events
    inner join alerted_customers on finalized_rated_events.customer_id = alerted_customers.customer_id
),

{%- set whole_columns = [
    'transaction_id', 'event_id', 'contract_id', 'invoice_id', 'billing_period_start',
    'billing_period_end', 'event_timestamp', 'received_at', 'product_id', 'component', 'tier_index',
    'credit_type_id', 'status', 'finalized_at',
] %}

whole_rated_events as (
    -- spend and usage count a rated event whole. One that no balance split is one row already
    -- (`first_part_id` finds its properties)
    select
        unsplit_rated_event_id,
        rated_event_id as first_part_id,
        {% for column in whole_columns %}{{ column }},
        {% endfor %}quantity,
        amount
    from rated_event_parts
    where rated_event_id = unsplit_rated_event_id
    union all
    -- the parts a balance split one into are that one rated event: every column but the split
    -- ones is the same on each part
    select
        unsplit_rated_event_id,
        min(rated_event_id) as first_part_id,
        {% for column in whole_columns %}min({{ column }}) as {{ column }},
        {% endfor %}sum(quantity) as quantity,
        sum(amount) as amount
    from rated_event_parts
    where rated_event_id <> unsplit_rated_event_id
    group by unsplit_rated_event_id
),

ordered_rated_events as (
    -- the rated events' order (rules 4), numbered once per contract: the usage events'
    -- ordering key, then product, component and tier
    select
        whole_rated_events.*,
        row_number() over (
            partition by whole_rated_events.contract_id
            order by
                whole_rated_events.event_timestamp,
                whole_rated_events.transaction_id,
                whole_rated_events.received_at,
                whole_rated_events.product_id,
                case whole_rated_events.component
                    when 'USAGE' then 1 when 'USAGE_REPRICE' then 2 when 'ROUNDING_ADJUSTMENT' then 3 else 4
                end,
                whole_rated_events.tier_index,
                whole_rated_events.unsplit_rated_event_id
        ) as rated_event_order
    from whole_rated_events
),

period_alerts as (
    -- spend and usage alerts, on every contract each one watches
    select
        alerts.alert_id,
        alerts.alert_type,
        alerts.product_id,
        contracts.contract_id,
        contracts.credit_type_id as fiat_credit_type_id
    from alerts
    inner join contracts
        on alerts.customer_id = contracts.customer_id
        and (alerts.contract_id is null or alerts.contract_id = contracts.contract_id)
    where alerts.alert_type in ('SPEND_THRESHOLD_REACHED', 'USAGE_THRESHOLD_REACHED')
),

period_alert_rows as (
    -- the rated events each alert adds up: fiat spend, or the product's quantity (USAGE and
    -- rounding rows, as invoices count it)
    select
        period_alerts.alert_id,
        ordered_rated_events.*,
        case
            when period_alerts.alert_type = 'SPEND_THRESHOLD_REACHED' then ordered_rated_events.amount
            else ordered_rated_events.quantity
        end as value_change,
        case when period_alerts.alert_type = 'SPEND_THRESHOLD_REACHED' then period_alerts.fiat_credit_type_id end
            as value_credit_type_id
    from period_alerts
    inner join ordered_rated_events on period_alerts.contract_id = ordered_rated_events.contract_id
    where (
        period_alerts.alert_type = 'SPEND_THRESHOLD_REACHED'
        and ordered_rated_events.credit_type_id = period_alerts.fiat_credit_type_id
    ) or (
        period_alerts.alert_type = 'USAGE_THRESHOLD_REACHED'
        and ordered_rated_events.product_id = period_alerts.product_id
        and ordered_rated_events.component in ('USAGE', 'ROUNDING_ADJUSTMENT')
    )
),

rated_event_properties as (
    select
        draft_rated_events.rated_event_id,
        draft_rated_events.properties
    from draft_rated_events
    union all
    select
        finalized_rated_events.rated_event_id,
        finalized_rated_events.properties
    from finalized_rated_events
),

filter_keys as (
    -- each filtered alert's rated events meet each of its filters, with the usage event's
    -- properties (read from the marts only for these)
    select
        period_alert_rows.alert_id,
        period_alert_rows.unsplit_rated_event_id,
        parts.properties,
        alert_filters.filter_index,
        alert_filters.property_name,
        alert_filters.must_exist,
        alert_filters.has_in_values,
        alert_filters.has_not_in_values
    from period_alert_rows
    inner join alert_filters on period_alert_rows.alert_id = alert_filters.alert_id
    inner join rated_event_properties as parts on period_alert_rows.first_part_id = parts.rated_event_id
),

filter_json_values as (
    -- the event's value of the key; of a repeated key the last (rules 8)
    select
        filter_keys.*,
        case
            when {{ has_duplicate_json_keys('filter_keys.properties') }}
                then {{ json_object_field_last('filter_keys.properties', 'filter_keys.property_name') }}
            else {{ json_object_field('filter_keys.properties', 'filter_keys.property_name') }}
        end as value_json
    from filter_keys
),

filter_checks as (
    select
        alert_id,
        unsplit_rated_event_id,
        filter_index,
        must_exist,
        has_in_values,
        has_not_in_values,
        {{ json_value_text('value_json') }} as value_text
    from filter_json_values
),

filter_verdicts as (
    select
        filter_checks.alert_id,
        filter_checks.unsplit_rated_event_id,
        filter_checks.filter_index,
        filter_checks.must_exist,
        filter_checks.has_in_values,
        filter_checks.has_not_in_values,
        filter_checks.value_text,
        max(case when alert_filter_values.list_kind = 'IN' then 1 else 0 end) as is_in_values,
        max(case when alert_filter_values.list_kind = 'NOT_IN' then 1 else 0 end) as is_in_not_in_values
    from filter_checks
    left join alert_filter_values
        on filter_checks.alert_id = alert_filter_values.alert_id
        and filter_checks.filter_index = alert_filter_values.filter_index
        and filter_checks.value_text = alert_filter_values.value_text
    group by
        filter_checks.alert_id,
        filter_checks.unsplit_rated_event_id,
        filter_checks.filter_index,
        filter_checks.must_exist,
        filter_checks.has_in_values,
        filter_checks.has_not_in_values,
        filter_checks.value_text
),

failed_filters as (
    -- (alert, rated event) pairs at least one filter rejects
    select distinct
        alert_id,
        unsplit_rated_event_id
    from filter_verdicts
    where
        not (
            (must_exist is null or must_exist = (value_text is not null))
            and (not has_in_values or is_in_values = 1)
            and (not has_not_in_values or value_text is null or is_in_not_in_values = 0)
        )
),

period_alert_events as (
    select
        period_alert_rows.alert_id,
        period_alert_rows.invoice_id as scope_id,
        period_alert_rows.rated_event_order,
        period_alert_rows.unsplit_rated_event_id,
        cast(null as {{ dbt.type_string() }}) as balance_id,
        cast(null as {{ dbt.type_string() }}) as balance_segment_id,
        period_alert_rows.value_credit_type_id,
        cast(0 as decimal(38, 12)) as starting_value,
        period_alert_rows.value_change
    from period_alert_rows
    left join failed_filters
        on period_alert_rows.alert_id = failed_filters.alert_id
        and period_alert_rows.unsplit_rated_event_id = failed_filters.unsplit_rated_event_id
    where failed_filters.alert_id is null
),

low_balance_segments as (
    -- low-balance alerts, on every commit and credit segment each one watches
    select
        alerts.alert_id,
        balances.balance_id,
        balances.balance_segment_id,
        balances.amount as segment_amount,
        contracts.credit_type_id
    from alerts
    inner join balances
        on alerts.customer_id = balances.customer_id
        and (alerts.contract_id is null or alerts.contract_id = balances.contract_id)
        and (alerts.balance_id is null or alerts.balance_id = balances.balance_id)
    inner join contracts on balances.contract_id = contracts.contract_id
    where alerts.alert_type = 'LOW_BALANCE'
),

low_balance_events as (
    -- what each segment covered, rated event by rated event: its remaining amount goes down
    -- (a rated event has at most one part per segment)
    select
        low_balance_segments.alert_id,
        low_balance_segments.balance_segment_id as scope_id,
        ordered_rated_events.rated_event_order,
        rated_event_parts.unsplit_rated_event_id,
        low_balance_segments.balance_id,
        low_balance_segments.balance_segment_id,
        low_balance_segments.credit_type_id as value_credit_type_id,
        low_balance_segments.segment_amount as starting_value,
        -rated_event_parts.amount as value_change
    from low_balance_segments
    inner join rated_event_parts
        on low_balance_segments.balance_segment_id = rated_event_parts.balance_segment_id
    inner join ordered_rated_events
        on rated_event_parts.unsplit_rated_event_id = ordered_rated_events.unsplit_rated_event_id
),

watched_events as (
    select * from period_alert_events
    union all
    select * from low_balance_events
),

running_values as (
    select
        watched_events.*,
        watched_events.starting_value + sum(watched_events.value_change) over (
            partition by watched_events.alert_id, watched_events.scope_id
            order by watched_events.rated_event_order
            rows between unbounded preceding and current row
        ) as value_after
    from watched_events
),

reached as (
    -- spend and quantity reach a threshold from below; a remaining amount from above
    select
        running_values.*,
        running_values.value_after - running_values.value_change as value_before,
        alerts.customer_id,
        alerts.alert_name,
        alerts.alert_type,
        alerts.threshold
    from running_values
    inner join alerts on running_values.alert_id = alerts.alert_id
    where (alerts.alert_type = 'LOW_BALANCE' and running_values.value_after <= alerts.threshold)
        or (alerts.alert_type <> 'LOW_BALANCE' and running_values.value_after >= alerts.threshold)
),

first_reached as (
    select
        reached.*,
        row_number() over (
            partition by reached.alert_id, reached.scope_id
            order by reached.rated_event_order
        ) as reach_order
    from reached
),

final as (
    select
        {{ hash_id(['first_reached.alert_id', 'first_reached.scope_id']) }} as alert_trigger_id,
        first_reached.alert_id,
        first_reached.alert_name,
        first_reached.alert_type,
        first_reached.customer_id,
        ordered_rated_events.contract_id,
        ordered_rated_events.invoice_id,
        ordered_rated_events.billing_period_start,
        ordered_rated_events.billing_period_end,
        first_reached.balance_id,
        first_reached.balance_segment_id,
        cast(first_reached.threshold as decimal(38, 12)) as threshold,
        cast(first_reached.value_before as decimal(38, 12)) as value_before,
        cast(first_reached.value_after as decimal(38, 12)) as value_after,
        first_reached.value_credit_type_id as credit_type_id,
        first_reached.unsplit_rated_event_id,
        ordered_rated_events.transaction_id,
        ordered_rated_events.event_id,
        ordered_rated_events.event_timestamp,
        ordered_rated_events.received_at,
        ordered_rated_events.product_id,
        ordered_rated_events.status,
        ordered_rated_events.finalized_at
    from first_reached
    inner join ordered_rated_events
        on first_reached.unsplit_rated_event_id = ordered_rated_events.unsplit_rated_event_id
    where first_reached.reach_order = 1
    order by
        first_reached.customer_id,
        first_reached.alert_id,
        ordered_rated_events.billing_period_start,
        first_reached.balance_segment_id
)

select * from final
