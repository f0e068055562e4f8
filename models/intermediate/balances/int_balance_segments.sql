-- One row per access-schedule segment of a contract's prepaid commits, postpaid commits and
-- credits (rules 4.9), with what it applies to and its one global rank within the contract:
-- priority (nulls last); credits, then prepaid, then postpaid commits; fewer applicable
-- products ("every product" after any explicit list); earlier ending_before; earlier
-- starting_at; segment id. A segment is in its commit's or credit's credit type (null = the
-- fiat type of its contract's rate card) and pays only for rated rows of that type; the rank
-- spans every credit type.
with

commits as (
    select * from {{ ref('stg_billing__commits') }}
),

commit_segments as (
    select * from {{ ref('stg_billing__commit_access_segments') }}
),

credits as (
    select * from {{ ref('stg_billing__credits') }}
),

credit_segments as (
    select * from {{ ref('stg_billing__credit_access_segments') }}
),

products as (
    select * from {{ ref('stg_billing__products') }}
),

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

rate_cards as (
    select * from {{ ref('stg_billing__rate_cards') }}
),

balances as (
    select
        commit_id as balance_id,
        contract_id,
        commit_type as balance_type,
        product_id as invoice_product_id,
        credit_type_id,
        has_applicable_product_ids,
        applicable_product_ids,
        has_applicable_product_tags,
        applicable_product_tags,
        priority
    from commits
    union all
    select
        credit_id as balance_id,
        contract_id,
        'CREDIT' as balance_type,
        product_id as invoice_product_id,
        credit_type_id,
        has_applicable_product_ids,
        applicable_product_ids,
        has_applicable_product_tags,
        applicable_product_tags,
        priority
    from credits
),

segments as (
    select
        commit_id as balance_id,
        segment_id,
        amount,
        starting_at,
        ending_before
    from commit_segments
    union all
    select
        credit_id as balance_id,
        segment_id,
        amount,
        starting_at,
        ending_before
    from credit_segments
),

applicable_counts as (
    -- products of products.jsonl a balance applies to, tags expanded (an empty list adds none)
    select
        balances.balance_id,
        count(distinct products.product_id) as applicable_product_count
    from balances
    left join products
        on (balances.has_applicable_product_ids and {{ list_contains('balances.applicable_product_ids', 'products.product_id') }})
        or (balances.has_applicable_product_tags and {{ list_length(list_intersect('balances.applicable_product_tags', 'products.tags')) }} > 0)
    group by balances.balance_id
),

final as (
    select
        segments.segment_id,
        segments.balance_id,
        balances.contract_id,
        balances.balance_type,
        case balances.balance_type
            when 'CREDIT' then 'CREDIT'
            when 'PREPAID' then 'PREPAID_COMMIT'
            when 'POSTPAID' then 'POSTPAID_COMMIT'
        end as coverage,
        balances.invoice_product_id,
        -- a card missing from rate_cards.jsonl fails the build; USD_CENTS is the rules' default
        coalesce(balances.credit_type_id, rate_cards.fiat_credit_type_id, 'USD_CENTS') as credit_type_id,
        segments.amount,
        segments.starting_at,
        segments.ending_before,
        balances.priority,
        not balances.has_applicable_product_ids and not balances.has_applicable_product_tags as applies_to_every_product,
        balances.has_applicable_product_ids,
        balances.applicable_product_ids,
        balances.has_applicable_product_tags,
        balances.applicable_product_tags,
        applicable_counts.applicable_product_count,
        row_number() over (
            partition by balances.contract_id
            order by
                balances.priority asc nulls last,
                case balances.balance_type when 'CREDIT' then 1 when 'PREPAID' then 2 else 3 end,
                not balances.has_applicable_product_ids and not balances.has_applicable_product_tags,
                applicable_counts.applicable_product_count asc,
                segments.ending_before asc,
                segments.starting_at asc,
                segments.segment_id asc
        ) as segment_rank
    from segments
    inner join balances on segments.balance_id = balances.balance_id
    inner join applicable_counts on segments.balance_id = applicable_counts.balance_id
    left join contracts on balances.contract_id = contracts.contract_id
    left join rate_cards on contracts.rate_card_id = rate_cards.rate_card_id
)

select * from final
