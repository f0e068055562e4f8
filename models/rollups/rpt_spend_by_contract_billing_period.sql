-- One row per (contract, billing period, fiat credit type) with rated events: the usage
-- invoice's rated spend in fiat (its status says whether the period is finalized); no time grain
-- beyond the period.
{{ spend_rollup(
    none,
    [
        'customer_id',
        'contract_id',
        'invoice_id',
        'billing_period_start',
        'billing_period_end',
        'status',
    ],
    status='all',
) }}
