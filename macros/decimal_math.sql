{#- Exact decimal arithmetic (rules 8). Money and quantities are decimal(38, 12) everywhere; a
    product or quotient is rounded half away from zero to 12 places (R) where it is stored.
    DuckDB's decimal(38, 12) * decimal(38, 12) overflows from 10^14 and DECIMAL / DECIMAL returns
    DOUBLE, so both are done on the scaled integers (value * 10^12 as a 128-bit integer). -#}

{% macro money_type() %}{{ return('decimal(38, 12)') }}{% endmacro %}

{#- value (decimal(38, 12)) -> value * 10^12 as an exact 128-bit integer -#}
{% macro scaled_integer(value) %}
    {{- return(adapter.dispatch('scaled_integer', 'rated_events')(value)) -}}
{% endmacro %}

{% macro default__scaled_integer(value) %}
    (cast(trunc(cast({{ value }} as decimal(38, 12))) as hugeint) * 1000000000000
        + cast((cast({{ value }} as decimal(38, 12)) - trunc(cast({{ value }} as decimal(38, 12)))) * 1000000000000 as hugeint))
{% endmacro %}

{#- value * 10^12 as a 128-bit integer -> decimal(38, 12), exactly -#}
{% macro from_scaled_integer(scaled) %}
    {{- return(adapter.dispatch('from_scaled_integer', 'rated_events')(scaled)) -}}
{% endmacro %}

{% macro default__from_scaled_integer(scaled) %}
    (cast({{ scaled }} as decimal(38, 0)) * cast('0.000000000001' as decimal(13, 12)))
{% endmacro %}

{#- R(a * b). Most factors are small: below 10^7 each, the engine's exact decimal product
    (24 decimals, below 10^14) rounded half away from zero to 12 places is R, about 2.5x faster on
    DuckDB than the scaled-integer path (128-bit divisions are slow there); larger factors take
    exact_decimal_multiply. -#}
{% macro decimal_multiply(a, b) %}
    {{- return(adapter.dispatch('decimal_multiply', 'rated_events')(a, b)) -}}
{% endmacro %}

{% macro default__decimal_multiply(a, b) %}
    case
        when abs({{ a }}) < 10000000 and abs({{ b }}) < 10000000
            then cast(cast({{ a }} as decimal(38, 12)) * cast({{ b }} as decimal(38, 12)) as decimal(38, 12))
        else {{ exact_decimal_multiply(a, b) }}
    end
{% endmacro %}

{#- Spark: the engine's decimal product is exact only under the session setting
    allowPrecisionLoss=false (with true it keeps 6 decimals), so Spark never relies on it: every
    product takes the exact scaled-integer path. -#}
{% macro spark__decimal_multiply(a, b) %}
    {{ exact_decimal_multiply(a, b) }}
{% endmacro %}

{#- R(a * b) for any factors. With A, B the absolute scaled integers and h/l their integer and
    fraction parts: A*B / 10^12 = A*Bh + Ah*Bl + Al*Bl / 10^12, where only the last term needs
    rounding. -#}
{% macro exact_decimal_multiply(a, b) %}
    {{ from_scaled_integer(
        integer_sign(a) ~ " * " ~ integer_sign(b) ~ " * "
        ~ scaled_multiply("abs(" ~ scaled_integer(a) ~ ")", "abs(" ~ scaled_integer(b) ~ ")")
    ) }}
{% endmacro %}

{#- The same on non-negative scaled integers (column names on hot paths, so that each scaled
    integer is computed once per row rather than once per use in the expression). -#}
{% macro scaled_multiply(big_a, big_b) %}
    {%- set unit = "cast(1000000000000 as " ~ big_integer_type() ~ ")" -%}
    {%- set below_10_19 = "cast('10000000000000000000' as " ~ big_integer_type() ~ ")" -%}
    case
        -- both below 10^19: A*B stays below 10^38 (128 bits, 38 digits), so one rounding division suffices
        when {{ big_a }} < {{ below_10_19 }} and {{ big_b }} < {{ below_10_19 }}
            then {{ big_divide(big_a ~ " * " ~ big_b ~ " + " ~ big_divide(unit, "2"), unit) }}
        else
            {{ big_a }} * {{ big_divide(big_b, unit) }}
            + {{ big_divide(big_a, unit) }} * ({{ big_b }} % {{ unit }})
            + {{ big_divide("(" ~ big_a ~ " % " ~ unit ~ ") * (" ~ big_b ~ " % " ~ unit ~ ") + " ~ big_divide(unit, "2"), unit) }}
    end
{% endmacro %}

{#- R(a / b) by long division of the absolute scaled integers: the whole quotient, then the
    twelve decimals in two steps of six digits (the last one rounded half up), so that no
    intermediate overflows; then the sign (scaled_divide says how large divisors are handled). -#}
{% macro decimal_divide(a, b) %}
    {{ from_scaled_integer(
        integer_sign(a) ~ " * " ~ integer_sign(b) ~ " * "
        ~ scaled_divide("abs(" ~ scaled_integer(a) ~ ")", "abs(" ~ scaled_integer(b) ~ ")")
    ) }}
{% endmacro %}

{% macro scaled_divide(big_a, big_b) %}
    {#- One division while the dividend is below 10^25 (values below 10^13), the common case:
        each 128-bit division is slow on DuckDB. Otherwise the long division: two steps of six
        digits while the divisor is below 10^32 (amounts below 10^20); beyond,
        four steps of three digits, which stay within 128 bits for divisors below 1.7 * 10^35
        (amounts below 10^23; larger ones stop the build with an overflow, never a wrong number). -#}
    {%- set million = "cast(1000000 as " ~ big_integer_type() ~ ")" -%}
    {%- set first_rest = "((" ~ big_a ~ " % " ~ big_b ~ ") * " ~ million ~ ")" -%}
    case
        -- the common case in one division: 2 * A * 10^12 + B stays below 10^38
        when {{ big_a }} < cast('10000000000000000000000000' as {{ big_integer_type() }})
            and {{ big_b }} < cast('10000000000000000000000000000000000000' as {{ big_integer_type() }}) then
            {{ big_divide(big_a ~ " * cast(2000000000000 as " ~ big_integer_type() ~ ") + " ~ big_b, "(2 * " ~ big_b ~ ")") }}
        when {{ big_b }} < cast('100000000000000000000000000000000' as {{ big_integer_type() }}) then
            {{ big_divide(big_a, big_b) }} * {{ million }} * {{ million }}
            + {{ big_divide(first_rest, big_b) }} * {{ million }}
            + {{ big_divide("(" ~ first_rest ~ " % " ~ big_b ~ ") * " ~ million ~ " * 2 + " ~ big_b, "(2 * " ~ big_b ~ ")") }}
        else
            {%- set rest = namespace(expression="(" ~ big_a ~ " % " ~ big_b ~ ")") %}
            {{ big_divide(big_a, big_b) }} * cast(1000000000000 as {{ big_integer_type() }})
            {%- for place in [9, 6, 3, 0] %}
            + {{ big_divide("(" ~ rest.expression ~ ") * 1000", big_b) }} * cast('1{{ '0' * place }}' as {{ big_integer_type() }})
            {%- set rest.expression = "((" ~ rest.expression ~ ") * 1000 % " ~ big_b ~ ")" %}
            {%- endfor %}
            + case when {{ rest.expression }} * 2 >= {{ big_b }} then 1 else 0 end
    end
{% endmacro %}

{#- Round a decimal to `places` (0-12, may be a column) decimals by a product's rounding method
    (rules 4.7): ROUND_UP towards +infinity, ROUND_DOWN towards -infinity, ROUND_HALF_UP halves
    away from zero. Done on scaled integers: DuckDB's round() needs a constant precision. -#}
{% macro round_to_places(value, places, method) %}
    {%- set scaled = scaled_integer(value) -%}
    {%- set grid = "cast('1' || repeat('0', 12 - cast(" ~ places ~ " as integer)) as " ~ big_integer_type() ~ ")" -%}
    {%- set whole = big_divide(scaled, grid) -%}
    {%- set rest = "(" ~ scaled ~ " % " ~ grid ~ ")" -%}
    {{ from_scaled_integer(
        "(case " ~ method
        ~ " when 'ROUND_UP' then " ~ whole ~ " + case when " ~ rest ~ " > 0 then 1 else 0 end"
        ~ " when 'ROUND_DOWN' then " ~ whole ~ " - case when " ~ rest ~ " < 0 then 1 else 0 end"
        ~ " else " ~ whole ~ " + case when abs(" ~ rest ~ ") * 2 >= " ~ grid ~ " then " ~ integer_sign(scaled) ~ " else 0 end"
        ~ " end) * " ~ grid
    ) }}
{% endmacro %}

{#- x limited to [lower, upper]; a null bound is unbounded on that side. -#}
{% macro clamp(value, lower, upper) %}
    case
        when {{ lower }} is not null and {{ value }} < {{ lower }} then {{ lower }}
        when {{ upper }} is not null and {{ value }} > {{ upper }} then {{ upper }}
        else {{ value }}
    end
{% endmacro %}

{#- Whether a period total lies in a VOLUME tier (lower, upper]: a total exactly on a boundary
    belongs to the lower tier; a null bound is unbounded on that side. -#}
{% macro in_volume_tier(total, lower, upper) -%}
    ({{ lower }} is null or {{ total }} > {{ lower }})
    and ({{ upper }} is null or {{ total }} <= {{ upper }})
{%- endmacro %}

{#- round(P / A) for P = Q * S, all non-negative scaled integers given as column names, without
    forming P (it can exceed 128 bits): long division of P written in base B = 10^12 limbs,
    P = Qh*Sh*B^2 + (Qh*Sl + Ql*Sh)*B + Ql*Sl. Exact, and within 128 bits, for Q and S below
    10^38 and A below 10^24 (amounts below 10^12); int_rated_events_split divides larger A. -#}
{% macro scaled_multiply_divide(big_q, big_s, big_a) %}
    {%- set base = "cast(1000000000000 as " ~ big_integer_type() ~ ")" -%}
    {%- set q_high = big_divide(big_q, base) -%}
    {%- set q_low = "(" ~ big_q ~ " % " ~ base ~ ")" -%}
    {%- set s_high = big_divide(big_s, base) -%}
    {%- set s_low = "(" ~ big_s ~ " % " ~ base ~ ")" -%}
    {%- set top = "(" ~ q_high ~ " * " ~ s_high ~ ")" -%}
    {%- set middle = "(" ~ q_high ~ " * " ~ s_low ~ " + " ~ q_low ~ " * " ~ s_high ~ ")" -%}
    {%- set low = "(" ~ q_low ~ " * " ~ s_low ~ ")" -%}
    {%- set second = "((" ~ top ~ " % " ~ big_a ~ ") * " ~ base ~ " + " ~ middle ~ ")" -%}
    {%- set third = "((" ~ second ~ " % " ~ big_a ~ ") * " ~ base ~ " + " ~ low ~ ")" -%}
    (
        {{ big_divide(top, big_a) }} * {{ base }} * {{ base }}
        + {{ big_divide(second, big_a) }} * {{ base }}
        + {{ big_divide(third, big_a) }}
        + case when ({{ third }} % {{ big_a }}) * 2 >= {{ big_a }} then 1 else 0 end
    )
{% endmacro %}

{#- The exact 128-bit (DuckDB hugeint) or 38-digit (Spark decimal(38, 0)) integer type of the
    scaled-integer arithmetic above; every intermediate stays below 10^38. -#}
{% macro big_integer_type() %}
    {{- return(adapter.dispatch('big_integer_type', 'rated_events')()) -}}
{% endmacro %}

{% macro default__big_integer_type() %}{{ return('hugeint') }}{% endmacro %}

{% macro spark__big_integer_type() %}{{ return('decimal(38, 0)') }}{% endmacro %}

{#- Integer quotient of two big integers, truncated towards zero (divisor positive). Spark's
    `div` returns a 64-bit integer and its decimal `/` has too few digits, so the quotient is
    estimated in floating point and corrected on the exact remainder: each round leaves an
    error about 10^-16 of the last, three rounds reach +-1, a last step fixes that. -#}
{% macro big_divide(dividend, divisor, small_quotient=false) %}
    {{- return(adapter.dispatch('big_divide', 'rated_events')(dividend, divisor, small_quotient)) -}}
{% endmacro %}

{% macro default__big_divide(dividend, divisor, small_quotient) %}(({{ dividend }}) // ({{ divisor }})){% endmacro %}

{#- small_quotient: the caller knows the quotient is below 2^63, where Spark's `div` is exact -#}
{% macro spark__big_divide(dividend, divisor, small_quotient) %}
    {%- if small_quotient -%}
        {{- return('cast((' ~ dividend ~ ') div (' ~ divisor ~ ') as decimal(38, 0))') -}}
    {%- endif -%}
    {%- set big = 'decimal(38, 0)' -%}
    {%- set a = 'abs(' ~ dividend ~ ')' -%}
    {%- set b = '(' ~ divisor ~ ')' -%}
    {%- set estimate = "cast(cast(" ~ a ~ " - big_quotient * " ~ b ~ " as double) / cast(" ~ b ~ " as double) as " ~ big ~ ")" -%}
    (case when {{ dividend }} < 0 then -1 else 1 end * aggregate(
        sequence(1, 3),
        cast(cast(cast({{ a }} as double) / cast({{ b }} as double) as {{ big }}) as {{ big }}),
        (big_quotient, big_round) -> cast(big_quotient + {{ estimate }} as {{ big }}),
        big_quotient -> cast(big_quotient
            - case when {{ a }} - big_quotient * {{ b }} < 0 then 1 else 0 end
            + case when {{ a }} - big_quotient * {{ b }} >= {{ b }} then 1 else 0 end as {{ big }})
    ))
{% endmacro %}

{#- The sign of a number as an integer (-1, 0, 1); Spark's sign() returns a double. -#}
{% macro integer_sign(value) %}
    {{- return(adapter.dispatch('integer_sign', 'rated_events')(value)) -}}
{% endmacro %}

{% macro default__integer_sign(value) %}sign({{ value }}){% endmacro %}

{% macro spark__integer_sign(value) %}cast(signum({{ value }}) as integer){% endmacro %}

{#- Spark: value * 10^12 read off the decimal's text, whose digits are always those of the
    scaled integer: 12 decimals, or below 10^-6 (Java's scientific form, `5.00000E-7`) the
    digits before the exponent. -#}
{% macro spark__scaled_integer(value) %}
    cast(replace(substring_index(cast(cast({{ value }} as decimal(38, 12)) as string), 'E', 1), '.', '') as decimal(38, 0))
{% endmacro %}

{#- A product's conversion (rules 4.7) of a value already split into its sign and its scaled
    integer: R(value x factor) for MULTIPLY, R(value / factor) for DIVIDE, else `unconverted`.
    For models that convert many values by a factor whose scaled integer they computed once. -#}
{% macro scaled_conversion(operation, sign, scaled_value, scaled_factor, unconverted) %}
    case {{ operation }}
        when 'MULTIPLY'
            then {{ from_scaled_integer(sign ~ ' * ' ~ scaled_multiply(scaled_value, scaled_factor)) }}
        when 'DIVIDE'
            then {{ from_scaled_integer(sign ~ ' * ' ~ scaled_divide(scaled_value, scaled_factor)) }}
        else {{ unconverted }}
    end
{% endmacro %}
