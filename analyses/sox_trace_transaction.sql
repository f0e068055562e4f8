-- Who asks: auditors (SOX): one usage event followed from its raw record to the invoice lines
-- it ended on — raw copies, outcome, rated events, line items, invoices (macro
-- trace_transaction; scripts/trace.py prints the same as tables).
-- Run: .venv/bin/dbt show --profiles-dir . --select sox_trace_transaction --limit 100 \
--          --vars '{trace_transaction_id: "evt-..."}'
{{ trace_transaction(var('trace_transaction_id', 'k7-e2')) }}
