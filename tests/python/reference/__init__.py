"""Independent reference rater, written from docs/billing-rules.md alone (never from models/ or
macros/).

Differential tests compare its output with the dbt marts; see `rater.rate_folder`.
"""
