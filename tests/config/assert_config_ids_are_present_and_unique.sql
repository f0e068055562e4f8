-- Every configuration object has an id, and ids are unique within their file.
{% set id_columns = [
    ('stg_raw__customers', 'customer_id'),
    ('stg_raw__billable_metrics', 'billable_metric_id'),
    ('stg_raw__products', 'product_id'),
    ('stg_raw__rate_cards', 'rate_card_id'),
    ('stg_raw__contracts', 'contract_id'),
    ('stg_raw__overrides', 'override_id'),
    ('stg_raw__commits', 'commit_id'),
    ('stg_raw__credits', 'credit_id'),
] %}
{% set problems_sql %}
    {% for model_name, id_column in id_columns %}
    select '{{ model_name }} line ' || cast(line_number as varchar) || ': missing id' as problem
    from {{ ref(model_name) }}
    where {{ is_blank(id_column) }}
    union all
    select '{{ model_name }}: duplicate id ' || {{ id_column }} || ' on lines '
        || string_agg(cast(line_number as varchar), ', ' order by line_number) as problem
    from {{ ref(model_name) }}
    where {{ id_column }} is not null
    group by {{ id_column }}
    having count(*) > 1
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    union all
    select 'balance segment id ' || coalesce(segment_id, '<missing>') || ' is missing or not unique' as problem
    from (
        select segment_id from {{ ref('stg_raw__commit_access_segments') }}
        union all
        select segment_id from {{ ref('stg_raw__credit_access_segments') }}
    ) as segments
    group by segment_id
    having segment_id is null or count(*) > 1
{% endset %}
{{ assert_no_config_problems(problems_sql) }}
