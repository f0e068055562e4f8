-- One row per USAGE invoice line: (usage invoice, product, pricing group values, credit type)
-- with the period quantity rated in that credit type after rounding and its amount, computed
-- from PERIOD AGGREGATES, not from the rated events (rules 5), so that the two can reconcile.
-- The period is cut into stretches of constant effective rate (a rate or override change
-- mid-period starts a new stretch, and with it maybe a new credit type); each stretch is priced
-- from the period-to-date quantity where it starts to where it ends, the last one up to the
-- rounded period total: through the tiers (FLAT, TIERED), or V(end) - V(start) under VOLUME
-- (`volume_tiers`). A line adds up the stretches in its credit type: their spans are its
-- quantity, their amounts its amount, R(amount x fiat_per_credit) its fiat amount. The unit's events and their aggregation
-- values are read from int_rating_targets_accumulated (one row per RATED target), which
-- has them side by side already, with the flag of each UNIQUE value's first sighting; its
-- running quantities are not used here.
with

accumulated as (
    select * from {{ ref('int_rating_targets_accumulated') }}
),

periods as (
    select * from {{ ref('int_contract_billing_periods') }}
),

products as (
    select * from {{ ref('stg_billing__products') }}
),

effective_rates as (
    select * from {{ ref('int_rating_targets_overrides_applied') }}
),

price_tiers as (
    select * from {{ ref('int_price_tiers') }}
),

unit_events as (
    select
        periods.invoice_id,
        accumulated.contract_id,
        accumulated.product_id,
        accumulated.pricing_group_values,
        accumulated.billing_period_start,
        accumulated.aggregation_type,
        accumulated.aggregation_value,
        accumulated.is_first_sighting,
        effective_rates.pricing_id,
        effective_rates.rate_type,
        effective_rates.multiplier,
        effective_rates.credit_type_id,
        effective_rates.fiat_credit_type_id,
        effective_rates.fiat_per_credit,
        row_number() over unit_order as event_sequence,
        -- a change of rate, multiplier or credit type starts a stretch (on the same sort as the
        -- sequence); the credit type is the list rate's, which can change under one OVERWRITE
        case
            when lag(effective_rates.pricing_id) over unit_order = effective_rates.pricing_id
                and lag(effective_rates.multiplier) over unit_order = effective_rates.multiplier
                and lag(effective_rates.credit_type_id) over unit_order = effective_rates.credit_type_id
                then 0
            else 1
        end as starts_stretch
    from accumulated
    inner join effective_rates
        on accumulated.event_id = effective_rates.event_id
        and accumulated.contract_id = effective_rates.contract_id
        and accumulated.product_id = effective_rates.product_id
    inner join periods
        on accumulated.contract_id = periods.contract_id
        and accumulated.billing_period_start = periods.billing_period_start
    window unit_order as (
        partition by
            accumulated.contract_id, accumulated.product_id, accumulated.pricing_group_values,
            accumulated.billing_period_start
        order by accumulated.event_timestamp, accumulated.transaction_id, accumulated.received_at
    )
),

numbered as (
    select
        unit_events.*,
        sum(starts_stretch) over (
            partition by contract_id, product_id, pricing_group_values, billing_period_start
            order by event_sequence
            rows between unbounded preceding and current row
        ) as stretch_number
    from unit_events
),

stretches as (
    -- each stretch's own events: counted, summed, their maximum, the latest value (the unit's
    -- latest value at a stretch's end is its own last event's: a stretch is never empty) and
    -- the UNIQUE values seen first
    select
        invoice_id,
        contract_id,
        product_id,
        pricing_group_values,
        billing_period_start,
        stretch_number,
        min(pricing_id) as pricing_id,
        min(rate_type) as rate_type,
        min(multiplier) as multiplier,
        min(credit_type_id) as credit_type_id,
        min(fiat_credit_type_id) as fiat_credit_type_id,
        min(fiat_per_credit) as fiat_per_credit,
        min(aggregation_type) as aggregation_type,
        count(*) as stretch_event_count,
        sum(aggregation_value) as stretch_value_sum,
        max(aggregation_value) as stretch_value_max,
        max_by(aggregation_value, event_sequence) as stretch_value_latest,
        -- UNIQUE: each value counts from the stretch it first appears in, the stretch of its
        -- first sighting in the ordering key (flagged by the running aggregate, which sorted
        -- the unit's values once already: no second read of the events here)
        count(case when aggregation_type = 'UNIQUE' and is_first_sighting then 1 end) as new_value_count
    from numbered
    group by invoice_id, contract_id, product_id, pricing_group_values, billing_period_start, stretch_number
),

stretch_aggregates as (
    -- the period-to-date aggregate at each stretch's end: running totals over the unit's
    -- stretches (a few rows per unit), not over its events
    select
        stretches.invoice_id,
        stretches.contract_id,
        stretches.product_id,
        stretches.pricing_group_values,
        stretches.billing_period_start,
        stretches.stretch_number,
        stretches.pricing_id,
        stretches.rate_type,
        stretches.multiplier,
        stretches.credit_type_id,
        stretches.fiat_credit_type_id,
        stretches.fiat_per_credit,
        stretches.aggregation_type,
        cast(sum(stretches.stretch_event_count) over unit_so_far as decimal(38, 12)) as event_count,
        cast(sum(stretches.stretch_value_sum) over unit_so_far as decimal(38, 12)) as value_sum,
        max(stretches.stretch_value_max) over unit_so_far as value_max,
        stretches.stretch_value_latest as value_latest,
        cast(sum(stretches.new_value_count) over unit_so_far as decimal(38, 12)) as distinct_values
    from stretches
    window unit_so_far as (
        partition by stretches.contract_id, stretches.product_id, stretches.pricing_group_values, stretches.billing_period_start
        order by stretches.stretch_number
        rows between unbounded preceding and current row
    )
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
    -- the last stretch runs up to the rounded period total (rules 4.7)
    select
        stretch_ranges.*,
        case
            when is_last_stretch and rounding_method is not null
                then {{ round_to_places('quantity_at_end', 'rounding_decimal_places', 'rounding_method') }}
            else quantity_at_end
        end as priced_to
    from stretch_ranges
),

stretch_steps as (
    -- each stretch with the price steps of its terms, the step's effective unit price once
    select
        rounded.invoice_id,
        rounded.contract_id,
        rounded.product_id,
        rounded.pricing_group_values,
        rounded.stretch_number,
        rounded.rate_type,
        rounded.credit_type_id,
        rounded.fiat_credit_type_id,
        rounded.fiat_per_credit,
        rounded.quantity_at_start,
        rounded.priced_to,
        price_tiers.lower_bound,
        price_tiers.upper_bound,
        {{ decimal_multiply('price_tiers.price', 'rounded.multiplier') }} as unit_price
    from rounded
    inner join price_tiers on rounded.pricing_id = price_tiers.pricing_id
),

priced_tiers as (
    -- one row per (stretch, price step). Graduated (FLAT, TIERED): the stretch's part in the
    -- step, at its price. VOLUME: V(end) from the tier holding the end, minus V(start) from the
    -- tier holding the start (a tier holds (lower_bound, upper_bound]), V(q) = R(q x p(q)).
    select
        invoice_id,
        contract_id,
        product_id,
        pricing_group_values,
        stretch_number,
        credit_type_id,
        fiat_credit_type_id,
        fiat_per_credit,
        priced_to - quantity_at_start as stretch_quantity,
        case
            when rate_type <> 'VOLUME'
                then {{ decimal_multiply(
                    clamp('priced_to', 'lower_bound', 'upper_bound')
                    ~ ' - ' ~ clamp('quantity_at_start', 'lower_bound', 'upper_bound'),
                    'unit_price'
                ) }}
            else cast(0 as decimal(38, 12))
        end as graduated_amount,
        case
            when rate_type = 'VOLUME'
                and {{ in_volume_tier('priced_to', 'lower_bound', 'upper_bound') }}
                then {{ decimal_multiply('priced_to', 'unit_price') }}
            else cast(0 as decimal(38, 12))
        end as volume_cost_at_end,
        case
            when rate_type = 'VOLUME'
                and {{ in_volume_tier('quantity_at_start', 'lower_bound', 'upper_bound') }}
                then {{ decimal_multiply('quantity_at_start', 'unit_price') }}
            else cast(0 as decimal(38, 12))
        end as volume_cost_at_start
    from stretch_steps
),

priced_stretches as (
    select
        invoice_id,
        contract_id,
        product_id,
        pricing_group_values,
        stretch_number,
        credit_type_id,
        min(fiat_credit_type_id) as fiat_credit_type_id,
        min(fiat_per_credit) as fiat_per_credit,
        min(stretch_quantity) as stretch_quantity,
        sum(graduated_amount + volume_cost_at_end - volume_cost_at_start) as stretch_amount
    from priced_tiers
    group by invoice_id, contract_id, product_id, pricing_group_values, stretch_number, credit_type_id
),

lines as (
    -- a credit type's stretches: their spans add up to the quantity rated in it (all of the
    -- period's rounded quantity when it has one credit type)
    select
        invoice_id,
        contract_id,
        product_id,
        pricing_group_values,
        credit_type_id,
        min(fiat_credit_type_id) as fiat_credit_type_id,
        min(fiat_per_credit) as fiat_per_credit,
        sum(stretch_quantity) as quantity,
        sum(stretch_amount) as amount
    from priced_stretches
    group by invoice_id, contract_id, product_id, pricing_group_values, credit_type_id
),

final as (
    select
        invoice_id,
        contract_id,
        product_id,
        pricing_group_values,
        credit_type_id,
        quantity,
        amount,
        case
            when fiat_per_credit = 1 then amount
            else {{ decimal_multiply('amount', 'fiat_per_credit') }}
        end as fiat_amount,
        fiat_credit_type_id
    from lines
)

select * from final
