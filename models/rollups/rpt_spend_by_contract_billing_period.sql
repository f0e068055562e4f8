-- One row per (contract, billing period, credit type) with rated events: the usage invoice's
-- rated spend (its status says whether the period is finalized); no time grain beyond the period.
{{ spend_rollup(
    none,
    [
        'customer_id',
        'contract_id',
        'invoice_id',
        'billing_period_start',
        'billing_period_end',
        'status',
        'credit_type_id',
    ],
    status='all',
) }}
