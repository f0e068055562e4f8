-- dim_balances agrees with fct_balance_ledger: each segment's remaining_amount equals its last
-- running balance, and every segment that is not OPEN has nothing left (tolerance 1e-6).
-- Proves the dimension's status and amounts tell the same story as the ledger. Returns the
-- segments that disagree.
with

balances as (
    select * from {{ ref('dim_balances') }}
),

ledger as (
    select * from {{ ref('fct_balance_ledger') }}
),

final_balances as (
    select
        balance_segment_id,
        max_by(running_balance, entry_sequence) as final_running_balance
    from ledger
    group by balance_segment_id
)

select
    balances.balance_segment_id,
    balances.status,
    balances.amount,
    balances.covered_amount,
    balances.remaining_amount,
    final_balances.final_running_balance
from balances
left join final_balances on balances.balance_segment_id = final_balances.balance_segment_id
where final_balances.balance_segment_id is null
    or abs(balances.remaining_amount - final_balances.final_running_balance) > 0.000001
    or (balances.status <> 'OPEN' and abs(balances.remaining_amount) > 0.000001)
