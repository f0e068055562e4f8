-- One row per row of the published fct_event_outcomes: what earlier green builds recorded, as they
-- recorded it (no rows on a fresh warehouse). A view: the history is read, never copied.
{{ recorded_rows('fct_event_outcomes') }}
