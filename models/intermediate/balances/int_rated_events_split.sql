-- One row per part of a rated event that balance segments covered (rules 4.9): a part per
-- segment that covered some of the row (in segment rank order) and the uncovered remainder,
-- OVERAGE, last. A rated event no segment covered is one whole part: it has no row here, and
-- int_rated_events takes it from int_rated_events_priced as it is, so the split's windows and joins
-- see only the covered minority of the history. Part k's quantity is
-- R(q * S_k / a) - R(q * S_(k-1) / a), with q and a the whole row's quantity and amount and
-- S_k the amount of parts 1..k, so the parts add up to exactly the whole. R(q * S / a) is computed exactly on scaled integers for every amount that
-- fits decimal(38, 12), never through a rounded product (which would lose tiny quantities).
-- noqa: disable=LT02
{%- set limb = "cast(1000000000000 as " ~ big_integer_type() ~ ")" %}
{%- set wide_amount = "cast('1000000000000000000000000' as " ~ big_integer_type() ~ ")" %}
with

all_rated as (
    select * from {{ ref('int_rated_events_priced') }}
),

covered as (
    select * from {{ ref('int_rated_events_covered') }}
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

rated as (
    -- only the rated events some segment covered, with the total it covered
    select
        all_rated.*,
        covered_totals.covered_amount as covered_total
    from all_rated
    inner join covered_totals on all_rated.rated_event_id = covered_totals.rated_event_id
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
    -- the remainder, when the segments did not cover the whole amount
    select
        rated.rated_event_id,
        cast(null as {{ dbt.type_string() }}) as segment_id,
        rated.amount - rated.covered_total as part_amount,
        null as part_order
    from rated
    where rated.amount - rated.covered_total <> 0
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
    -- R(q * S / a) is found on the absolute scaled integers Q, S and A, then signed; S <= A
    -- because every part has the sign of the whole row. The last part's running quantity is the
    -- whole quantity, with nothing to divide.
    select
        cumulative.*,
        rated.quantity as whole_quantity,
        cumulative.part_count = 1 or cumulative.amount_through_part = rated.amount as is_last_part,
        {{ integer_sign('rated.quantity') }} * {{ integer_sign('cumulative.amount_through_part') }} * {{ integer_sign('rated.amount') }} as result_sign,
        abs({{ scaled_integer('rated.quantity') }}) as scaled_quantity,
        abs({{ scaled_integer('cumulative.amount_through_part') }}) as scaled_through,
        abs({{ scaled_integer('rated.amount') }}) as scaled_amount
    from cumulative
    inner join rated on cumulative.rated_event_id = rated.rated_event_id
),

narrow_quotients as (
    -- A below 10^24 (amounts below 10^12 credit units): the product's 10^12-base limbs divided
    -- by A in three steps that stay within 128 bits (see scaled_multiply_divide)
    select
        rated_event_id,
        part_order,
        {{ scaled_multiply_divide('scaled_quantity', 'scaled_through', 'scaled_amount') }} as quotient
    from split
    where not is_last_part
        and scaled_amount < {{ wide_amount }}
),

wide_dividends as (
    -- A of 10^24 and above: Q * S written as seven carried limbs d0..d6 of base L = 10^12
    -- (Q and S have four limbs each, the top one below 100), for the long division below
    select
        rated_event_id,
        part_order,
        scaled_amount,
        {{ big_divide('scaled_amount', limb) }} as amount_high,
        scaled_amount % {{ limb }} as amount_low,
        {%- for place in range(4) %}
        {{ big_divide('scaled_quantity', "cast('1" ~ "0" * (12 * place) ~ "' as " ~ big_integer_type() ~ ")") }} % {{ limb }} as quantity_limb_{{ place }},
        {{ big_divide('scaled_through', "cast('1" ~ "0" * (12 * place) ~ "' as " ~ big_integer_type() ~ ")") }} % {{ limb }} as through_limb_{{ place }}{{ "," if not loop.last }}
        {%- endfor %}
    from split
    where not is_last_part
        and scaled_amount >= {{ wide_amount }}
),

wide_products as (
    select
        rated_event_id,
        part_order,
        scaled_amount,
        amount_high,
        amount_low,
        {%- for place in range(7) %}
        {%- set terms = [] %}
        {%- for i in range(4) %}{% if 0 <= place - i < 4 %}
        {%- do terms.append("quantity_limb_" ~ i ~ " * through_limb_" ~ (place - i)) %}
        {%- endif %}{% endfor %}
        {{ terms | join(" + ") }} as product_limb_{{ place }}{{ "," if not loop.last }}
        {%- endfor %}
    from wide_dividends
),

wide_steps_7 as (
    -- carry the convolution so that every limb is below L; nothing is left above d6
    select
        wide_products.*,
        {%- set carry = namespace(expression="0") %}
        {%- for place in range(7) %}
        (product_limb_{{ place }} + {{ carry.expression }}) % {{ limb }} as digit_{{ place }},
        {%- set carry.expression = big_divide("product_limb_" ~ place ~ " + " ~ carry.expression, limb, small_quotient=true) %}
        {%- endfor %}
        cast(0 as {{ big_integer_type() }}) as raw_remainder_7
    from wide_products
),

{#- Long division of d6..d0 by A, one limb per step from the top, with A = Ah * L + Al. The
    running remainder r (below A) times L does not fit 128 bits, so each step estimates the
    quotient digit as r // Ah and forms the next remainder as (r % Ah) * L + d - (r // Ah) * Al,
    which is below A. As A >= L^2, the estimate is the digit or one too many; one too many shows
    as a negative remainder, which one added A corrects (carried into the next step). -#}
{%- for place in range(6, -1, -1) %}
{%- set remainder = "(raw_remainder_" ~ (place + 1) ~ " + case when raw_remainder_" ~ (place + 1)
    ~ " < 0 then scaled_amount else 0 end)" %}
wide_steps_{{ place }} as (
    select
        wide_steps_{{ place + 1 }}.*,
        {{ big_divide(remainder, 'amount_high') }} as digit_estimate_{{ place }},
        ({{ remainder }} % amount_high) * {{ limb }} + digit_{{ place }}
        - {{ big_divide(remainder, 'amount_high') }} * amount_low as raw_remainder_{{ place }}
    from wide_steps_{{ place + 1 }}
),

{% endfor -%}

wide_quotients as (
    -- quotient digits 4..6 are 0, as Q * S / A <= Q < L^4; then half up on the last remainder
    select
        rated_event_id,
        part_order,
        {%- for place in range(4) %}
        (digit_estimate_{{ place }} - case when raw_remainder_{{ place }} < 0 then 1 else 0 end)
        * cast('1{{ "0" * (12 * place) }}' as {{ big_integer_type() }}) +
        {%- endfor %}
        case
            when raw_remainder_0 + case when raw_remainder_0 < 0 then scaled_amount else 0 end
                >= scaled_amount - (raw_remainder_0 + case when raw_remainder_0 < 0 then scaled_amount else 0 end)
                then 1
            else 0
        end as quotient
    from wide_steps_0
),

quotients as (
    select * from narrow_quotients
    union all
    select * from wide_quotients
),

running_quantities as (
    select
        split.rated_event_id,
        split.segment_id,
        split.part_order,
        split.part_amount,
        split.part_count,
        case
            when split.is_last_part then split.whole_quantity
            else {{ from_scaled_integer('split.result_sign * quotients.quotient') }}
        end as quantity_through_part
    from split
    left join quotients
        on split.rated_event_id = quotients.rated_event_id
        and split.part_order = quotients.part_order
),

final as (
    select
        rated_event_id,
        segment_id,
        part_order,
        part_count,
        part_amount,
        quantity_through_part - coalesce(
            lag(quantity_through_part) over (
                partition by rated_event_id order by part_order asc nulls last
            ),
            0
        ) as part_quantity
    from running_quantities
)

select * from final
