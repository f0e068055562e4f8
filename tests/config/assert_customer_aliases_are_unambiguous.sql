-- An ingest alias listed by two customers could resolve to either: bad configuration (rules 8).
{% set problems_sql %}
    select 'ingest alias ' || ingest_alias || ' is listed by customers '
        || {{ ordered_text_agg('customer_id', "', '", distinct=true) }} as problem
    from {{ ref('stg_billing__customer_ingest_aliases') }}
    group by ingest_alias
    having count(distinct customer_id) > 1
{% endset %}
{{ assert_no_config_problems(problems_sql) }}
