-- Every alert of the optional alerts.jsonl can be evaluated (docs block `alert_triggers`):
-- a unique id, a known type, a non-negative decimal threshold, a customer, contract, product
-- and balance that exist and belong together, and only the fields its type takes. Each
-- problem names the alert's line.
{% set problems_sql %}
    select 'alerts line ' || cast(line_number as {{ dbt.type_string() }})
        || ' (' || coalesce(alert_id, 'no id') || '): ' || issue as problem
    from (
        select
            alerts.alert_id,
            alerts.line_number,
            case
                when {{ is_blank('alerts.alert_id') }} then 'missing id'
                when alerts.id_count > 1 then 'duplicate id ' || alerts.alert_id
                when alerts.alert_type not in ('SPEND_THRESHOLD_REACHED', 'USAGE_THRESHOLD_REACHED', 'LOW_BALANCE')
                    or alerts.alert_type is null
                    then 'alert_type must be SPEND_THRESHOLD_REACHED, USAGE_THRESHOLD_REACHED or LOW_BALANCE'
                when alerts.threshold is null or alerts.threshold < 0
                    then 'threshold must be a non-negative decimal, got ' || coalesce(alerts.threshold_text, 'none')
                when customers.customer_id is null
                    then 'customer_id ' || coalesce(alerts.customer_id, '<missing>') || ' not found in customers.jsonl'
                when alerts.contract_id is not null and contracts.contract_id is null
                    then 'contract_id ' || alerts.contract_id || ' not found in contracts.jsonl'
                when alerts.contract_id is not null and contracts.customer_id <> alerts.customer_id
                    then 'contract ' || alerts.contract_id || ' belongs to customer ' || contracts.customer_id
                when alerts.alert_type = 'USAGE_THRESHOLD_REACHED' and alerts.product_id is null
                    then 'USAGE_THRESHOLD_REACHED needs a product_id'
                when alerts.alert_type <> 'USAGE_THRESHOLD_REACHED' and alerts.product_id is not null
                    then 'product_id is for USAGE_THRESHOLD_REACHED only'
                when alerts.product_id is not null and products.product_id is null
                    then 'product_id ' || alerts.product_id || ' not found in products.jsonl'
                when alerts.alert_type <> 'LOW_BALANCE' and alerts.balance_id is not null
                    then 'balance_id is for LOW_BALANCE only'
                when alerts.balance_id is not null and balances.balance_id is null
                    then 'balance_id ' || alerts.balance_id || ' is no commit or credit of customer '
                        || alerts.customer_id || coalesce(' on contract ' || alerts.contract_id, '')
                when alerts.alert_type = 'LOW_BALANCE' and alerts.has_property_filters
                    then 'property_filters are for spend and usage alerts only'
            end as issue
        from (
            select
                stg_alerts.*,
                count(*) over (partition by stg_alerts.alert_id) as id_count
            from {{ ref('stg_billing__alerts') }} as stg_alerts
        ) as alerts
        left join {{ ref('stg_billing__customers') }} as customers on alerts.customer_id = customers.customer_id
        left join {{ ref('stg_billing__contracts') }} as contracts on alerts.contract_id = contracts.contract_id
        left join {{ ref('stg_billing__products') }} as products on alerts.product_id = products.product_id
        left join (
            select
                balance_contracts.balance_id,
                balance_contracts.contract_id,
                balance_owners.customer_id
            from (
                select commit_id as balance_id, contract_id from {{ ref('stg_billing__commits') }}
                union all
                select credit_id as balance_id, contract_id from {{ ref('stg_billing__credits') }}
            ) as balance_contracts
            inner join {{ ref('stg_billing__contracts') }} as balance_owners
                on balance_contracts.contract_id = balance_owners.contract_id
        ) as balances
            on alerts.balance_id = balances.balance_id
            and alerts.customer_id = balances.customer_id
            and (alerts.contract_id is null or alerts.contract_id = balances.contract_id)
    ) as checked
    where issue is not null

    union all
    select 'alerts ' || alert_id || ' property filter ' || cast(filter_index as {{ dbt.type_string() }})
        || ': ' || case
            when {{ is_blank('property_name') }} then 'name is required'
            else 'exists must be true, false or null'
        end as problem
    from {{ ref('stg_billing__alert_property_filters') }}
    where {{ is_blank('property_name') }}
        or (exists_text is not null and exists_text not in ('true', 'false'))
{% endset %}
{{ assert_no_config_problems(problems_sql) }}
