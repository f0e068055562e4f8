-- One row per rated event after commits and credits (SPEC 4.9): a rated event covered by
-- balance segments splits into its covered parts (in segment rank order) and the uncovered
-- remainder, OVERAGE, last. Part k's quantity is R(q * S_k / a) - R(q * S_(k-1) / a), with q and
-- a the whole row's quantity and amount and S_k the amount of parts 1..k, so parts add up to
-- exactly the whole (computed exactly on scaled integers, never through a rounded product). `rated_event_id` of a part adds its segment to the whole row's id.
with

rated as (
    select * from {{ ref('int_usage_rated') }}
),

covered as (
    select * from {{ ref('int_rated_usage_covered') }}
),

segments as (
    select * from {{ ref('int_balance_segments') }}
),

covered_totals as (
    select
        rated_event_id,
        sum(covered_amount) as covered_amount
    from covered
    group by rated_event_id
),

parts as (
    select
        covered.rated_event_id,
        covered.segment_id,
        covered.covered_amount as part_amount,
        segments.segment_rank as part_order
    from covered
    inner join segments on covered.segment_id = segments.segment_id
    union all
    -- the remainder; also the whole row when nothing covered it
    select
        rated.rated_event_id,
        cast(null as {{ dbt.type_string() }}) as segment_id,
        rated.amount - coalesce(covered_totals.covered_amount, 0) as part_amount,
        null as part_order
    from rated
    left join covered_totals on rated.rated_event_id = covered_totals.rated_event_id
    where rated.amount - coalesce(covered_totals.covered_amount, 0) <> 0
        or covered_totals.rated_event_id is null
),

cumulative as (
    select
        parts.*,
        sum(part_amount) over (
            partition by rated_event_id
            order by part_order asc nulls last
            rows between unbounded preceding and current row
        ) as amount_through_part,
        count(*) over (partition by rated_event_id) as part_count
    from parts
),

split as (
    -- R(q * S_k / a) on the absolute scaled integers (see scaled_multiply_divide)
    select
        cumulative.*,
        rated.quantity as whole_quantity,
        rated.amount as whole_amount,
        sign(rated.quantity) * sign(cumulative.amount_through_part) * sign(rated.amount) as result_sign,
        abs({{ scaled_integer('rated.quantity') }}) as scaled_quantity,
        abs({{ scaled_integer('cumulative.amount_through_part') }}) as scaled_through,
        abs({{ scaled_integer('rated.amount') }}) as scaled_amount
    from cumulative
    inner join rated on cumulative.rated_event_id = rated.rated_event_id
),

exact_range as (
    -- long division is exact and overflow-free for amounts below 10^14 credit units; beyond
    -- that, R(R(q * S) / a) differs from it by less than 10^-26 and is used instead
    select
        split.*,
        scaled_amount < cast('100000000000000000000000000' as hugeint)
        and scaled_through < cast('100000000000000000000000000' as hugeint) as is_exact_range,
        -- beyond that range: R(q * S) first, as a scaled integer, divided by a below
        case
            when scaled_amount >= cast('100000000000000000000000000' as hugeint)
                or scaled_through >= cast('100000000000000000000000000' as hugeint)
                -- inputs guarded too: DuckDB may evaluate the branch on every row
                then {{ scaled_multiply(
                    "case when scaled_amount >= cast('100000000000000000000000000' as hugeint)"
                    ~ " or scaled_through >= cast('100000000000000000000000000' as hugeint)"
                    ~ " then scaled_quantity else 0 end",
                    'scaled_through'
                ) }}
        end as scaled_product
    from split
),

split_through as (
    select
        exact_range.*,
        case
            when part_count = 1 or amount_through_part = whole_amount then whole_quantity
            when is_exact_range then {{ from_scaled_integer(
                "result_sign * " ~ scaled_multiply_divide(
                    'case when is_exact_range then scaled_quantity else 0 end',
                    'case when is_exact_range then scaled_through else 0 end',
                    'case when is_exact_range then scaled_amount else 1 end'
                )
            ) }}
            else {{ from_scaled_integer('result_sign * ' ~ scaled_divide('scaled_product', 'scaled_amount')) }}
        end as quantity_through_part
    from exact_range
),

split_quantities as (
    select
        split_through.*,
        quantity_through_part - coalesce(
            lag(quantity_through_part) over (
                partition by rated_event_id order by part_order asc nulls last
            ),
            0
        ) as part_quantity
    from split_through
),

final as (
    select
        case
            when split_quantities.part_count = 1 then rated.rated_event_id
            else {{ hash_id(['rated.rated_event_id', "coalesce(split_quantities.segment_id, 'OVERAGE')"]) }}
        end as rated_event_id,
        rated.rated_event_id as unsplit_rated_event_id,
        rated.transaction_id,
        rated.customer_id,
        rated.contract_id,
        rated.invoice_id,
        rated.billing_period_start,
        rated.billing_period_end,
        rated.finalized_at,
        rated.is_finalized,
        rated.event_type,
        rated.event_timestamp,
        rated.received_at,
        rated.billable_metric_id,
        rated.product_id,
        rated.component,
        rated.tier_index,
        -- a single part's running quantity is the whole quantity already
        split_quantities.part_quantity as quantity,
        rated.unit_price,
        split_quantities.part_amount as amount,
        rated.credit_type_id,
        coalesce(segments.coverage, 'OVERAGE') as coverage,
        segments.balance_id,
        split_quantities.segment_id as balance_segment_id,
        rated.pricing_group_values,
        rated.presentation_group_values,
        rated.properties,
        rated.status,
        rated.event_id,
        rated.source_file,
        rated.source_row
    from split_quantities
    inner join rated on split_quantities.rated_event_id = rated.rated_event_id
    left join segments on split_quantities.segment_id = segments.segment_id
)

select * from final
