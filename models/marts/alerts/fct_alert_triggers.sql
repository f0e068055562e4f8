-- One row per (alert, billing period) in which a spend or usage alert fired, and per (alert,
-- balance segment) in which a low-balance alert fired: the rated event whose running value
-- first reached the threshold in the rated events' order (docs block `alert_triggers`).
-- Window functions over the rated-event marts: a finalized period's rows never change, so
-- neither does a trigger they hold; a draft trigger moves when a late event lands before it.
-- Shaped for history-sized input: the watched rows carry what a trigger reports (no join back
-- to the rated events); they are summed per day of event time first, and only the days that
-- can hold a trigger are sorted in the rated events' order (docs block `alert_triggers`).
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

{%- set rated_event_columns = [
    'rated_event_id', 'unsplit_rated_event_id', 'transaction_id', 'event_id', 'customer_id',
    'contract_id', 'invoice_id', 'billing_period_start', 'billing_period_end', 'event_timestamp',
    'received_at', 'product_id', 'component', 'tier_index', 'quantity', 'amount', 'credit_type_id',
    'fiat_amount', 'fiat_credit_type_id', 'balance_segment_id', 'status', 'finalized_at',
] %}
{#- rows recorded before the marts had fiat amounts read null there, and were all fiat -#}
{%- set rated_event_expressions = {
    'fiat_amount': 'coalesce(rated.fiat_amount, rated.amount) as fiat_amount',
    'fiat_credit_type_id': 'coalesce(rated.fiat_credit_type_id, rated.credit_type_id) as fiat_credit_type_id',
} %}

alerted_customers as (
    select distinct customer_id from alerts
),

{#- the rated events of watched customers (draft and finalized marts), written out in each
    step that reads them rather than as one CTE (macro watched_rated_event_parts, reading the
    marts themselves): DuckDB keeps a CTE that several steps read as a whole copy (at 10M
    events, 2.3 GB spilled to disk and read back five times), while each step reading the
    marts scans only the columns it needs -#}
{%- set rated_event_parts = watched_rated_event_parts(
    ref('fct_rated_events_draft'), ref('fct_rated_events_finalized'), 'alerted_customers',
    rated_event_columns, rated_event_expressions, 'rated_event_parts'
) -%}
{#- the same with the usage events' properties, for the property filters only -#}
{%- set rated_event_parts_with_properties = watched_rated_event_parts(
    ref('fct_rated_events_draft'), ref('fct_rated_events_finalized'), 'alerted_customers',
    rated_event_columns + ['properties'], rated_event_expressions, 'parts_with_properties'
) %}

{%- set whole_columns = [
    'transaction_id', 'event_id', 'contract_id', 'invoice_id', 'billing_period_start',
    'billing_period_end', 'event_timestamp', 'received_at', 'product_id', 'component', 'tier_index',
    'credit_type_id', 'fiat_credit_type_id', 'status', 'finalized_at',
] %}

{#- what a trigger reports of the rated event that fired it (the same on each of its parts) -#}
{%- set reported_columns = [
    'contract_id', 'invoice_id', 'billing_period_start', 'billing_period_end', 'transaction_id',
    'event_id', 'event_timestamp', 'received_at', 'product_id', 'component', 'tier_index', 'status',
    'finalized_at',
] %}

{#- the rated events' order (rules 4): the usage events' ordering key, then product, component
    and tier; the rated event's id makes it total -#}
{%- set rated_event_order -%}
    event_timestamp,
    transaction_id,
    received_at,
    product_id,
    case component
        when 'USAGE' then 1 when 'USAGE_REPRICE' then 2 when 'ROUNDING_ADJUSTMENT' then 3 else 4
    end,
    tier_index,
    unsplit_rated_event_id
{%- endset %}

whole_rated_events as (
    -- spend and usage count a rated event whole. One that no balance split is one row already
    select
        unsplit_rated_event_id,
        {% for column in whole_columns %}{{ column }},
        {% endfor %}quantity,
        amount,
        fiat_amount
    from {{ rated_event_parts }}
    where rated_event_id = unsplit_rated_event_id
    union all
    -- the parts a balance split one into are that one rated event: every column but the split
    -- ones is the same on each part
    select
        unsplit_rated_event_id,
        {% for column in whole_columns %}min({{ column }}) as {{ column }},
        {% endfor %}sum(quantity) as quantity,
        sum(amount) as amount,
        sum(fiat_amount) as fiat_amount
    from {{ rated_event_parts }}
    where rated_event_id <> unsplit_rated_event_id
    group by unsplit_rated_event_id
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

period_ceilings as (
    -- the most a running value can reach in a usage invoice: the sum of the positive changes
    -- it could count (property filters only leave rows out, so the bound holds for them too)
    select
        contract_id,
        invoice_id,
        product_id,
        fiat_credit_type_id,
        sum(case when fiat_amount > 0 then fiat_amount else 0 end) as fiat_amount_ceiling,
        sum(
            case when {{ adds_units('component') }} and quantity > 0 then quantity else 0 end
        ) as quantity_ceiling
    from {{ rated_event_parts }}
    group by contract_id, invoice_id, product_id, fiat_credit_type_id
),

period_alert_ceilings as (
    -- each spend and usage alert's ceiling in each usage invoice of its contracts
    select
        period_alerts.alert_id,
        period_ceilings.invoice_id,
        sum(
            case
                when period_alerts.alert_type = 'SPEND_THRESHOLD_REACHED'
                    and period_ceilings.fiat_credit_type_id = period_alerts.fiat_credit_type_id
                    then period_ceilings.fiat_amount_ceiling
                when period_alerts.alert_type = 'USAGE_THRESHOLD_REACHED'
                    and period_ceilings.product_id = period_alerts.product_id
                    then period_ceilings.quantity_ceiling
                else 0
            end
        ) as ceiling
    from period_alerts
    inner join period_ceilings on period_alerts.contract_id = period_ceilings.contract_id
    group by period_alerts.alert_id, period_ceilings.invoice_id
),

reachable_periods as (
    -- the (alert, usage invoice) pairs whose ceiling reaches the threshold: only their rated
    -- events go through the running sums, since no other pair can fire
    select
        period_alert_ceilings.alert_id,
        period_alert_ceilings.invoice_id
    from period_alert_ceilings
    inner join alerts on period_alert_ceilings.alert_id = alerts.alert_id
    where period_alert_ceilings.ceiling >= alerts.threshold
),

period_alert_rows as (
    -- the rated events each alert adds up: fiat spend (custom pricing units converted, so they
    -- add up with cents), or the product's quantity (USAGE and rounding rows, as invoices count it)
    select
        period_alerts.alert_id,
        whole_rated_events.*,
        case
            when period_alerts.alert_type = 'SPEND_THRESHOLD_REACHED' then whole_rated_events.fiat_amount
            else whole_rated_events.quantity
        end as value_change,
        case when period_alerts.alert_type = 'SPEND_THRESHOLD_REACHED' then period_alerts.fiat_credit_type_id end
            as value_credit_type_id
    from period_alerts
    inner join whole_rated_events on period_alerts.contract_id = whole_rated_events.contract_id
    inner join reachable_periods
        on period_alerts.alert_id = reachable_periods.alert_id
        and whole_rated_events.invoice_id = reachable_periods.invoice_id
    where {{ alert_counts_rated_event('period_alerts', 'whole_rated_events') }}
),

filter_keys as (
    -- each filtered alert's rated events meet each of its filters, with the usage event's
    -- properties. Read from the marts again (each part of a split rated event is the same
    -- event, and the verdicts are kept per rated event), not from `period_alert_rows`: DuckDB
    -- would keep a CTE read twice as a whole copy (docs block `pipelined_steps`)
    select
        period_alerts.alert_id,
        parts_with_properties.unsplit_rated_event_id,
        parts_with_properties.properties,
        alert_filters.filter_index,
        alert_filters.property_name,
        alert_filters.must_exist,
        alert_filters.has_in_values,
        alert_filters.has_not_in_values
    from period_alerts
    inner join alert_filters on period_alerts.alert_id = alert_filters.alert_id
    inner join {{ rated_event_parts_with_properties }}
        on period_alerts.contract_id = parts_with_properties.contract_id
    inner join reachable_periods
        on period_alerts.alert_id = reachable_periods.alert_id
        and parts_with_properties.invoice_id = reachable_periods.invoice_id
    -- the rows `period_alert_rows` adds up
    where {{ alert_counts_rated_event('period_alerts', 'parts_with_properties') }}
),

filter_json_values as (
    -- the event's value of the key; of a repeated key the last (rules 8)
    select
        filter_keys.*,
        {{ json_object_field_flagged(
            'filter_keys.properties', 'filter_keys.property_name', has_duplicate_json_keys('filter_keys.properties')
        ) }} as value_json
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
        period_alert_rows.unsplit_rated_event_id,
        cast(null as {{ dbt.type_string() }}) as balance_id,
        cast(null as {{ dbt.type_string() }}) as balance_segment_id,
        period_alert_rows.value_credit_type_id,
        cast(0 as decimal(38, 12)) as starting_value,
        {% for column in reported_columns %}period_alert_rows.{{ column }},
        {% endfor %}period_alert_rows.value_change
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
        alerts.threshold,
        -- a remaining amount is in its segment's credit type (a custom pricing unit or fiat)
        balances.credit_type_id
    from alerts
    inner join balances
        on alerts.customer_id = balances.customer_id
        and (alerts.contract_id is null or alerts.contract_id = balances.contract_id)
        and (alerts.balance_id is null or alerts.balance_id = balances.balance_id)
    where alerts.alert_type = 'LOW_BALANCE'
),

segment_floors as (
    -- the least a segment's remaining amount can fall to: its amount less the sum of the
    -- positive amounts it covered
    select
        balance_segment_id,
        sum(case when amount > 0 then amount else 0 end) as covered_ceiling
    from {{ rated_event_parts }}
    where balance_segment_id is not null
    group by balance_segment_id
),

reachable_segments as (
    -- the (alert, segment) pairs whose floor reaches the threshold: no other pair can fire
    select low_balance_segments.*
    from low_balance_segments
    inner join segment_floors
        on low_balance_segments.balance_segment_id = segment_floors.balance_segment_id
    where low_balance_segments.segment_amount - segment_floors.covered_ceiling <= low_balance_segments.threshold
),

low_balance_events as (
    -- what each segment covered, rated event by rated event: its remaining amount goes down
    -- (a rated event has at most one part per segment, and every column but the split ones is
    -- the whole rated event's)
    select
        reachable_segments.alert_id,
        reachable_segments.balance_segment_id as scope_id,
        rated_event_parts.unsplit_rated_event_id,
        reachable_segments.balance_id,
        reachable_segments.balance_segment_id,
        reachable_segments.credit_type_id as value_credit_type_id,
        reachable_segments.segment_amount as starting_value,
        {% for column in reported_columns %}rated_event_parts.{{ column }},
        {% endfor %}-rated_event_parts.amount as value_change
    from reachable_segments
    inner join {{ rated_event_parts }}
        on reachable_segments.balance_segment_id = rated_event_parts.balance_segment_id
),

watched_events as (
    select * from period_alert_events
    union all
    select * from low_balance_events
),

day_changes as (
    -- each (alert, scope)'s rated events cut by UTC day of event time, the first key of the
    -- rated events' order, so a day's rated events follow each other in that order: what the
    -- day changes the value by, and its changes toward the threshold alone (the most the day
    -- can move the value that way)
    select
        watched_events.alert_id,
        watched_events.scope_id,
        {{ dbt.date_trunc('day', 'watched_events.event_timestamp') }} as event_day,
        min(alerts.alert_type) as alert_type,
        min(alerts.threshold) as threshold,
        min(watched_events.starting_value) as starting_value,
        sum(watched_events.value_change) as day_change,
        sum(
            case
                when alerts.alert_type = 'LOW_BALANCE' and watched_events.value_change < 0 then watched_events.value_change
                when alerts.alert_type <> 'LOW_BALANCE' and watched_events.value_change > 0 then watched_events.value_change
                else 0
            end
        ) as day_change_toward
    from watched_events
    inner join alerts on watched_events.alert_id = alerts.alert_id
    group by watched_events.alert_id, watched_events.scope_id, {{ dbt.date_trunc('day', 'watched_events.event_timestamp') }}
),

day_starts as (
    -- the value when each day starts: a running sum over days, a few rows per scope
    select
        day_changes.*,
        day_changes.starting_value + coalesce(sum(day_changes.day_change) over (
            partition by day_changes.alert_id, day_changes.scope_id
            order by day_changes.event_day
            rows between unbounded preceding and 1 preceding
        ), 0) as value_at_day_start,
        row_number() over (
            partition by day_changes.alert_id, day_changes.scope_id order by day_changes.event_day
        ) = 1 as is_first_day
    from day_changes
),

candidate_days as (
    -- the days that can hold the trigger, the first rated event whose value reaches the
    -- threshold: every rated event before it did not reach it, so its day starts short of the
    -- threshold (unless it is the scope's first day, which starts at the starting value), and
    -- the day's changes toward the threshold reach it. Usually one day per scope: the rated
    -- events of every other day are not sorted
    select
        alert_id,
        scope_id,
        event_day,
        value_at_day_start,
        is_first_day
    from day_starts
    where (is_first_day or not {{ alert_reaches('value_at_day_start') }})
        and {{ alert_reaches('value_at_day_start + day_change_toward') }}
),

candidate_events as (
    select
        watched_events.*,
        candidate_days.event_day,
        candidate_days.value_at_day_start,
        candidate_days.is_first_day
    from watched_events
    inner join candidate_days
        on watched_events.alert_id = candidate_days.alert_id
        and watched_events.scope_id = candidate_days.scope_id
        and {{ dbt.date_trunc('day', 'watched_events.event_timestamp') }} = candidate_days.event_day
),

running_values as (
    select
        candidate_events.*,
        candidate_events.value_at_day_start + sum(candidate_events.value_change) over day_order as value_after,
        row_number() over day_order as day_row
    from candidate_events
    window day_order as (
        partition by candidate_events.alert_id, candidate_events.scope_id, candidate_events.event_day
        order by {{ rated_event_order | indent(8) }}
        rows between unbounded preceding and current row
    )
),

reached as (
    -- the rated events that reach the threshold when the one before them did not (or that are
    -- the scope's first): only such rows can be the trigger
    select
        running_values.*,
        running_values.value_after - running_values.value_change as value_before,
        alerts.customer_id,
        alerts.alert_name,
        alerts.alert_type,
        alerts.threshold
    from running_values
    inner join alerts on running_values.alert_id = alerts.alert_id
    where {{ alert_reaches('running_values.value_after', 'alerts.alert_type', 'alerts.threshold') }}
        and (
            (running_values.is_first_day and running_values.day_row = 1)
            or not {{ alert_reaches('running_values.value_after - running_values.value_change', 'alerts.alert_type', 'alerts.threshold') }}
        )
),

first_reached as (
    select
        reached.*,
        row_number() over (
            partition by reached.alert_id, reached.scope_id order by reached.event_day, reached.day_row
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
    order by
        customer_id,
        alert_id,
        billing_period_start,
        balance_segment_id
)

select * from final
