-- Field values that the rating rules depend on are present and in their allowed sets.
{% set problems_sql %}
    select 'billable_metrics ' || coalesce(billable_metric_id, '?') || ': ' || issue as problem
    from (
        select
            billable_metric_id,
            case
                when aggregation_type not in ('COUNT', 'SUM', 'MAX', 'LATEST', 'UNIQUE') or aggregation_type is null
                    then 'aggregation_type must be COUNT, SUM, MAX, LATEST or UNIQUE'
                when aggregation_type <> 'COUNT' and {{ is_blank('aggregation_key') }}
                    then 'aggregation_key is required for ' || aggregation_type
            end as issue
        from {{ ref('stg_billing__billable_metrics') }}
    ) as metrics
    where issue is not null

    union all
    select 'products ' || coalesce(product_id, '?') || ': ' || issue as problem
    from (
        select
            product_id,
            case
                when conversion_operation is not null and conversion_operation not in ('MULTIPLY', 'DIVIDE')
                    then 'quantity_conversion.operation must be MULTIPLY or DIVIDE'
                when conversion_operation is not null and (conversion_factor is null or conversion_factor <= 0)
                    then 'quantity_conversion.conversion_factor must be a positive decimal'
                when rounding_method is not null and rounding_method not in ('ROUND_UP', 'ROUND_DOWN', 'ROUND_HALF_UP')
                    then 'quantity_rounding.rounding_method must be ROUND_UP, ROUND_DOWN or ROUND_HALF_UP'
                when rounding_method is not null
                    and (not {{ regexp_like("coalesce(rounding_decimal_places_text, '')", '^[0-9]+$') }}
                        or rounding_decimal_places not between 0 and 12)
                    then 'quantity_rounding.decimal_places must be an integer from 0 to 12'
            end as issue
        from {{ ref('stg_billing__products') }}
    ) as products
    where issue is not null

    union all
    select 'contracts ' || coalesce(contract_id, '?') || ': ' || issue as problem
    from (
        select
            contract_id,
            case
                when starting_at is null then 'starting_at is missing or not RFC 3339'
                when has_ending_before and ending_before is null then 'ending_before is not RFC 3339'
                when ending_before <= starting_at then 'ending_before is not after starting_at'
                when schedule_frequency not in ('MONTHLY', 'QUARTERLY', 'ANNUAL', 'WEEKLY') or schedule_frequency is null
                    then 'usage_statement_schedule.frequency must be MONTHLY, QUARTERLY, ANNUAL or WEEKLY'
                when schedule_day not in ('FIRST_OF_MONTH', 'CONTRACT_START', 'CUSTOM_DATE')
                    then 'usage_statement_schedule.day must be FIRST_OF_MONTH, CONTRACT_START or CUSTOM_DATE'
                when schedule_day = 'CUSTOM_DATE' and billing_anchor_at is null
                    then 'CUSTOM_DATE needs an RFC 3339 billing_anchor_date'
                when multiplier_override_prioritization not in ('LOWEST_MULTIPLIER', 'EXPLICIT')
                    then 'multiplier_override_prioritization must be LOWEST_MULTIPLIER or EXPLICIT'
            end as issue
        from {{ ref('stg_billing__contracts') }}
    ) as contracts
    where issue is not null

    union all
    select 'overrides ' || coalesce(override_id, '?') || ': ' || issue as problem
    from (
        select
            override_id,
            case
                when {{ list_length('override_specifiers') }} = 0 then 'an override needs at least one specifier'
                when starting_at is null then 'starting_at is missing or not RFC 3339'
                when has_ending_before and ending_before is null then 'ending_before is not RFC 3339'
                when priority_text is not null and priority is null then 'priority is not a number'
                when ending_before <= starting_at then 'ending_before is not after starting_at'
                when override_type = 'MULTIPLIER' and (multiplier is null or multiplier < 0)
                    then 'MULTIPLIER override needs a non-negative multiplier'
                when override_type = 'OVERWRITE' and overwrite_rate_type = 'FLAT' and overwrite_price is null
                    then 'OVERWRITE with a FLAT rate needs a price'
                when override_type = 'OVERWRITE' and overwrite_rate_type in ('TIERED', 'VOLUME')
                    and {{ list_length('overwrite_tiers') }} = 0
                    then 'OVERWRITE with a ' || overwrite_rate_type || ' rate needs tiers'
                when override_type = 'OVERWRITE'
                    and (overwrite_rate_type not in ('FLAT', 'TIERED', 'VOLUME') or overwrite_rate_type is null)
                    then 'OVERWRITE needs overwrite_rate.rate_type FLAT, TIERED or VOLUME'
                when override_type not in ('MULTIPLIER', 'OVERWRITE') or override_type is null
                    then 'type must be MULTIPLIER or OVERWRITE'
            end as issue
        from {{ ref('stg_billing__overrides') }}
    ) as overrides
    where issue is not null

    union all
    select 'commits ' || coalesce(commit_id, '?') || ': type must be PREPAID or POSTPAID' as problem
    from {{ ref('stg_billing__commits') }}
    where commit_type not in ('PREPAID', 'POSTPAID') or commit_type is null

    union all
    select balance_kind || ' ' || coalesce(balance_id, '?') || ': priority is not a number' as problem
    from (
        select 'commits' as balance_kind, commit_id as balance_id, priority, priority_text
        from {{ ref('stg_billing__commits') }}
        union all
        select 'credits' as balance_kind, credit_id as balance_id, priority, priority_text
        from {{ ref('stg_billing__credits') }}
    ) as balances
    where priority_text is not null and priority is null

    union all
    select 'commits ' || commit_id || ' invoice schedule item ' || cast(item_index as {{ dbt.type_string() }})
        || ': needs a non-negative amount and an RFC 3339 timestamp' as problem
    from {{ ref('stg_billing__commit_invoice_schedule_items') }}
    where amount is null or amount < 0 or scheduled_at is null

    union all
    select 'rates line ' || cast(line_number as {{ dbt.type_string() }}) || ': entitled must be true or false' as problem
    from {{ ref('stg_billing__rates') }}
    where entitled_text is not null and entitled_text not in ('true', 'false')

    union all
    select 'billable_metrics ' || billable_metric_id || ' property filter ' || cast(filter_index as {{ dbt.type_string() }})
        || ': exists must be true, false or null' as problem
    from {{ ref('stg_billing__billable_metric_property_filters') }}
    where exists_text is not null and exists_text not in ('true', 'false')

    union all
    select 'balance segment ' || coalesce(segment_id, '?') || ': ' || issue as problem
    from (
        select
            segment_id,
            case
                when amount is null or amount < 0 then 'amount must be a non-negative decimal'
                when starting_at is null or ending_before is null then 'starting_at and ending_before must be RFC 3339'
                when ending_before <= starting_at then 'ending_before is not after starting_at'
            end as issue
        from (
            select segment_id, amount, starting_at, ending_before from {{ ref('stg_billing__commit_access_segments') }}
            union all
            select segment_id, amount, starting_at, ending_before from {{ ref('stg_billing__credit_access_segments') }}
        ) as segments
    ) as checked_segments
    where issue is not null
{% endset %}
{{ assert_no_config_problems(problems_sql) }}
