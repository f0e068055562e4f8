-- The model has exactly `expected` rows (a one-row model stays one row).
{% test row_count_is(model, expected) %}
select count(*) as row_count
from {{ model }}
having count(*) <> {{ expected }}
{% endtest %}
