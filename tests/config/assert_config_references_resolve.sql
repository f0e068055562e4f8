-- Every reference between configuration objects names an object that exists.
{% set references = [
    ('stg_raw__products', 'product_id', 'billable_metric_id', 'stg_raw__billable_metrics', 'billable_metric_id'),
    ('stg_raw__rates', 'line_number', 'rate_card_id', 'stg_raw__rate_cards', 'rate_card_id'),
    ('stg_raw__rates', 'line_number', 'product_id', 'stg_raw__products', 'product_id'),
    ('stg_raw__contracts', 'contract_id', 'customer_id', 'stg_raw__customers', 'customer_id'),
    ('stg_raw__contracts', 'contract_id', 'rate_card_id', 'stg_raw__rate_cards', 'rate_card_id'),
    ('stg_raw__overrides', 'override_id', 'contract_id', 'stg_raw__contracts', 'contract_id'),
    ('stg_raw__override_specifiers', 'override_id', 'product_id', 'stg_raw__products', 'product_id'),
    ('stg_raw__commits', 'commit_id', 'contract_id', 'stg_raw__contracts', 'contract_id'),
    ('stg_raw__commits', 'commit_id', 'product_id', 'stg_raw__products', 'product_id'),
    ('stg_raw__credits', 'credit_id', 'contract_id', 'stg_raw__contracts', 'contract_id'),
] %}
{#- references that may be absent (a product without a metric is not rated from events) -#}
{% set optional_references = [
    ('stg_raw__products', 'billable_metric_id'),
    ('stg_raw__override_specifiers', 'product_id'),
    ('stg_raw__commits', 'product_id'),
] %}
{% set problems_sql %}
    {% for model_name, name_column, reference_column, target_model, target_column in references %}
    select '{{ model_name }} {{ name_column }} ' || cast(child.{{ name_column }} as varchar)
        || ': {{ reference_column }} ' || coalesce(child.{{ reference_column }}, '<missing>')
        || ' not found in {{ target_model }}' as problem
    from {{ ref(model_name) }} as child
    left join {{ ref(target_model) }} as parent on child.{{ reference_column }} = parent.{{ target_column }}
    where parent.{{ target_column }} is null
        {%- if (model_name, reference_column) in optional_references %}
        and child.{{ reference_column }} is not null
        {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% endset %}
{{ assert_no_config_problems(problems_sql) }}
