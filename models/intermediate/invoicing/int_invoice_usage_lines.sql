-- One row per USAGE invoice line: (usage invoice, product, pricing group values) with the
-- period quantity after rounding and its amount, computed from PERIOD AGGREGATES, not from the
-- rated events (SPEC 5), so that the two can reconcile. The period is cut into stretches of
-- constant effective rate (a rate or override change mid-period starts a new stretch); each
-- stretch is priced through the tiers from the period-to-date quantity where it starts to where
-- it ends, the last one up to the rounded period total.
with

targets as (
    select * from {{ ref('int_usage_event_rating_targets') }}
    where target_status = 'RATED'
),

events as (
    select * from {{ ref('int_usage_events_customer_resolved') }}
),

matched as (
    select * from {{ ref('int_usage_events_metric_matched') }}
),

products as (
    select * from {{ ref('stg_raw__products') }}
),

effective_rates as (
    select * from {{ ref('int_usage_rates_effective') }}
),

price_tiers as (
    select * from {{ ref('int_price_tiers') }}
),

unit_events as (
    select
        targets.invoice_id,
        targets.contract_id,
        targets.product_id,
        targets.pricing_group_values,
        targets.billing_period_start,
        matched.aggregation_type,
        matched.aggregation_value,
        matched.aggregation_value_text,
        effective_rates.pricing_id,
        effective_rates.multiplier,
        effective_rates.credit_type_id,
        row_number() over (
            partition by
                targets.contract_id, targets.product_id, targets.pricing_group_values,
                targets.billing_period_start
            order by targets.event_timestamp, events.transaction_id, targets.received_at
        ) as event_sequence
    from targets
    inner join events on targets.event_id = events.event_id
    inner join matched
        on targets.event_id = matched.event_id
        and targets.billable_metric_id = matched.billable_metric_id
    inner join effective_rates
        on targets.event_id = effective_rates.event_id
        and targets.contract_id = effective_rates.contract_id
        and targets.product_id = effective_rates.product_id
),

stretch_starts as (
    select
        unit_events.*,
        case
            when lag(pricing_id) over unit_order = pricing_id and lag(multiplier) over unit_order = multiplier
                then 0
            else 1
        end as starts_stretch
    from unit_events
    window unit_order as (
        partition by contract_id, product_id, pricing_group_values, billing_period_start
        order by event_sequence
    )
),

numbered as (
    select
        stretch_starts.*,
        sum(starts_stretch) over (
            partition by contract_id, product_id, pricing_group_values, billing_period_start
            order by event_sequence
            rows between unbounded preceding and current row
        ) as stretch_number
    from stretch_starts
),

stretches as (
    select
        invoice_id,
        contract_id,
        product_id,
        pricing_group_values,
        billing_period_start,
        stretch_number,
        min(pricing_id) as pricing_id,
        min(multiplier) as multiplier,
        min(credit_type_id) as credit_type_id,
        min(aggregation_type) as aggregation_type,
        max(event_sequence) as last_event_sequence
    from numbered
    group by invoice_id, contract_id, product_id, pricing_group_values, billing_period_start, stretch_number
),

stretch_aggregates as (
    -- the period-to-date aggregate at each stretch's end: every event of the unit up to it
    select
        stretches.invoice_id,
        stretches.contract_id,
        stretches.product_id,
        stretches.pricing_group_values,
        stretches.billing_period_start,
        stretches.stretch_number,
        stretches.pricing_id,
        stretches.multiplier,
        stretches.credit_type_id,
        stretches.aggregation_type,
        cast(count(*) as decimal(38, 12)) as event_count,
        cast(sum(unit_events.aggregation_value) as decimal(38, 12)) as value_sum,
        max(unit_events.aggregation_value) as value_max,
        max_by(unit_events.aggregation_value, unit_events.event_sequence) as value_latest,
        cast(count(distinct unit_events.aggregation_value_text) as decimal(38, 12)) as distinct_values
    from stretches
    inner join unit_events
        on stretches.contract_id = unit_events.contract_id
        and stretches.product_id = unit_events.product_id
        and stretches.pricing_group_values = unit_events.pricing_group_values
        and stretches.billing_period_start = unit_events.billing_period_start
        and stretches.last_event_sequence >= unit_events.event_sequence
    group by
        stretches.invoice_id,
        stretches.contract_id,
        stretches.product_id,
        stretches.pricing_group_values,
        stretches.billing_period_start,
        stretches.stretch_number,
        stretches.pricing_id,
        stretches.multiplier,
        stretches.credit_type_id,
        stretches.aggregation_type
),

period_to_date as (
    select
        stretch_aggregates.*,
        case aggregation_type
            when 'COUNT' then event_count
            when 'SUM' then value_sum
            when 'MAX' then value_max
            when 'LATEST' then value_latest
            when 'UNIQUE' then distinct_values
        end as aggregate_at_end
    from stretch_aggregates
),

converted as (
    select
        period_to_date.*,
        products.rounding_method,
        products.rounding_decimal_places,
        case products.conversion_operation
            when 'MULTIPLY' then {{ decimal_multiply('period_to_date.aggregate_at_end', 'products.conversion_factor') }}
            when 'DIVIDE' then {{ decimal_divide('period_to_date.aggregate_at_end', 'products.conversion_factor') }}
            else period_to_date.aggregate_at_end
        end as quantity_at_end
    from period_to_date
    inner join products on period_to_date.product_id = products.product_id
),

stretch_ranges as (
    select
        converted.*,
        coalesce(lag(quantity_at_end) over unit_stretches, cast(0 as decimal(38, 12))) as quantity_at_start,
        stretch_number = max(stretch_number) over (
            partition by contract_id, product_id, pricing_group_values, billing_period_start
        ) as is_last_stretch
    from converted
    window unit_stretches as (
        partition by contract_id, product_id, pricing_group_values, billing_period_start
        order by stretch_number
    )
),

rounded as (
    -- the last stretch runs up to the rounded period total (SPEC 4.7)
    select
        stretch_ranges.*,
        case
            when is_last_stretch and rounding_method is not null
                then {{ round_to_places('quantity_at_end', 'rounding_decimal_places', 'rounding_method') }}
            else quantity_at_end
        end as priced_to
    from stretch_ranges
),

priced as (
    select
        rounded.invoice_id,
        rounded.contract_id,
        rounded.product_id,
        rounded.pricing_group_values,
        rounded.credit_type_id,
        rounded.is_last_stretch,
        rounded.priced_to,
        {{ decimal_multiply(
            clamp('rounded.priced_to', 'price_tiers.lower_bound', 'price_tiers.upper_bound')
            ~ ' - ' ~ clamp('rounded.quantity_at_start', 'price_tiers.lower_bound', 'price_tiers.upper_bound'),
            decimal_multiply('price_tiers.price', 'rounded.multiplier')
        ) }} as tier_amount
    from rounded
    inner join price_tiers on rounded.pricing_id = price_tiers.pricing_id
),

final as (
    select
        invoice_id,
        contract_id,
        product_id,
        pricing_group_values,
        min(credit_type_id) as credit_type_id,
        max(case when is_last_stretch then priced_to end) as quantity,
        sum(tier_amount) as amount
    from priced
    group by invoice_id, contract_id, product_id, pricing_group_values
)

select * from final
