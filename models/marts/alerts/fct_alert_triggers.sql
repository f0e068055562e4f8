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
    'balance_segment_id', 'properties', 'status', 'finalized_at',
] %}

alerted_customers as (
    select distinct customer_id from alerts
),

rated_events as (
    -- only the customers someone watches: without alerts this reads nothing
    select {% for column in rated_event_columns %}draft_rated_events.{{ column }}{{ ',' if not loop.last }}{% endfor %}
    from draft_rated_events
    inner join alerted_customers on draft_rated_events.customer_id = alerted_customers.customer_id
    union all
    select {% for column in rated_event_columns %}finalized_rated_events.{{ column }}{{ ',' if not loop.last }}{% endfor %}
    from finalized_rated_events
    inner join alerted_customers on finalized_rated_events.customer_id = alerted_customers.customer_id
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
    -- the rated rows each alert adds up: fiat spend, or the product's quantity (USAGE and
    -- rounding rows, as invoices count it)
    select
        period_alerts.alert_id,
        rated_events.*,
        case
            when period_alerts.alert_type = 'SPEND_THRESHOLD_REACHED' then rated_events.amount
            else rated_events.quantity
        end as value_change,
        case when period_alerts.alert_type = 'SPEND_THRESHOLD_REACHED' then period_alerts.fiat_credit_type_id end
            as value_credit_type_id
    from period_alerts
    inner join rated_events on period_alerts.contract_id = rated_events.contract_id
    where (
        period_alerts.alert_type = 'SPEND_THRESHOLD_REACHED'
        and rated_events.credit_type_id = period_alerts.fiat_credit_type_id
    ) or (
        period_alerts.alert_type = 'USAGE_THRESHOLD_REACHED'
        and rated_events.product_id = period_alerts.product_id
        and rated_events.component in ('USAGE', 'ROUNDING_ADJUSTMENT')
    )
),

filter_keys as (
    -- each filtered alert's rows meet each of its filters
    select
        period_alert_rows.alert_id,
        period_alert_rows.rated_event_id,
        period_alert_rows.properties,
        {{ has_duplicate_json_keys('period_alert_rows.properties') }} as has_duplicate_keys,
        alert_filters.filter_index,
        alert_filters.property_name,
        alert_filters.must_exist,
        alert_filters.has_in_values,
        alert_filters.has_not_in_values
    from period_alert_rows
    inner join alert_filters on period_alert_rows.alert_id = alert_filters.alert_id
),

filter_json_values as (
    -- the event's value of the key; of a repeated key the last (rules 8), looked up only for
    -- the rare objects that repeat one
    select
        filter_keys.*,
        {{ json_object_field('filter_keys.properties', 'filter_keys.property_name') }} as value_json
    from filter_keys
    where not filter_keys.has_duplicate_keys
    union all
    select
        filter_keys.*,
        {{ json_object_field_last('filter_keys.properties', 'filter_keys.property_name') }} as value_json
    from filter_keys
    where filter_keys.has_duplicate_keys
),

filter_checks as (
    select
        alert_id,
        rated_event_id,
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
        filter_checks.rated_event_id,
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
        filter_checks.rated_event_id,
        filter_checks.filter_index,
        filter_checks.must_exist,
        filter_checks.has_in_values,
        filter_checks.has_not_in_values,
        filter_checks.value_text
),

failed_filters as (
    -- (alert, rated row) pairs at least one filter rejects
    select distinct
        alert_id,
        rated_event_id
    from filter_verdicts
    where
        not (
            (must_exist is null or must_exist = (value_text is not null))
            and (not has_in_values or is_in_values = 1)
            and (not has_not_in_values or value_text is null or is_in_not_in_values = 0)
        )
),

period_alert_events as (
    -- the parts of a rated event a balance split count as the whole rated event
    select
        period_alert_rows.alert_id,
        period_alert_rows.invoice_id as scope_id,
        period_alert_rows.unsplit_rated_event_id,
        period_alert_rows.transaction_id,
        period_alert_rows.event_id,
        period_alert_rows.customer_id,
        period_alert_rows.contract_id,
        period_alert_rows.invoice_id,
        period_alert_rows.billing_period_start,
        period_alert_rows.billing_period_end,
        period_alert_rows.event_timestamp,
        period_alert_rows.received_at,
        period_alert_rows.product_id,
        period_alert_rows.component,
        period_alert_rows.tier_index,
        period_alert_rows.status,
        period_alert_rows.finalized_at,
        period_alert_rows.value_credit_type_id,
        cast(null as {{ dbt.type_string() }}) as balance_id,
        cast(null as {{ dbt.type_string() }}) as balance_segment_id,
        cast(0 as decimal(38, 12)) as starting_value,
        sum(period_alert_rows.value_change) as value_change
    from period_alert_rows
    left join failed_filters
        on period_alert_rows.alert_id = failed_filters.alert_id
        and period_alert_rows.rated_event_id = failed_filters.rated_event_id
    where failed_filters.alert_id is null
    group by
        period_alert_rows.alert_id,
        period_alert_rows.invoice_id,
        period_alert_rows.unsplit_rated_event_id,
        period_alert_rows.transaction_id,
        period_alert_rows.event_id,
        period_alert_rows.customer_id,
        period_alert_rows.contract_id,
        period_alert_rows.billing_period_start,
        period_alert_rows.billing_period_end,
        period_alert_rows.event_timestamp,
        period_alert_rows.received_at,
        period_alert_rows.product_id,
        period_alert_rows.component,
        period_alert_rows.tier_index,
        period_alert_rows.status,
        period_alert_rows.finalized_at,
        period_alert_rows.value_credit_type_id
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
    select
        low_balance_segments.alert_id,
        low_balance_segments.balance_segment_id as scope_id,
        rated_events.unsplit_rated_event_id,
        rated_events.transaction_id,
        rated_events.event_id,
        rated_events.customer_id,
        rated_events.contract_id,
        rated_events.invoice_id,
        rated_events.billing_period_start,
        rated_events.billing_period_end,
        rated_events.event_timestamp,
        rated_events.received_at,
        rated_events.product_id,
        rated_events.component,
        rated_events.tier_index,
        rated_events.status,
        rated_events.finalized_at,
        low_balance_segments.credit_type_id as value_credit_type_id,
        low_balance_segments.balance_id,
        low_balance_segments.balance_segment_id,
        low_balance_segments.segment_amount as starting_value,
        -rated_events.amount as value_change
    from low_balance_segments
    inner join rated_events on low_balance_segments.balance_segment_id = rated_events.balance_segment_id
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
            order by
                watched_events.event_timestamp,
                watched_events.transaction_id,
                watched_events.received_at,
                watched_events.product_id,
                case watched_events.component
                    when 'USAGE' then 1 when 'USAGE_REPRICE' then 2 when 'ROUNDING_ADJUSTMENT' then 3 else 4
                end,
                watched_events.tier_index,
                watched_events.unsplit_rated_event_id
            rows between unbounded preceding and current row
        ) as value_after
    from watched_events
),

reached as (
    -- spend and quantity reach a threshold from below; a remaining amount from above
    select
        running_values.*,
        running_values.value_after - running_values.value_change as value_before,
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
            order by
                reached.event_timestamp,
                reached.transaction_id,
                reached.received_at,
                reached.product_id,
                case reached.component
                    when 'USAGE' then 1 when 'USAGE_REPRICE' then 2 when 'ROUNDING_ADJUSTMENT' then 3 else 4
                end,
                reached.tier_index,
                reached.unsplit_rated_event_id
        ) as reach_order
    from reached
),

final as (
    select
        {{ hash_id(['alert_id', 'scope_id']) }} as alert_trigger_id,
        alert_id,
        alert_name,
        alert_type,
        customer_id,
        contract_id,
        invoice_id,
        billing_period_start,
        billing_period_end,
        balance_id,
        balance_segment_id,
        cast(threshold as decimal(38, 12)) as threshold,
        cast(value_before as decimal(38, 12)) as value_before,
        cast(value_after as decimal(38, 12)) as value_after,
        value_credit_type_id as credit_type_id,
        unsplit_rated_event_id,
        transaction_id,
        event_id,
        event_timestamp,
        received_at,
        product_id,
        status,
        finalized_at
    from first_reached
    where reach_order = 1
    order by customer_id, alert_id, billing_period_start, balance_segment_id
)

select * from final
