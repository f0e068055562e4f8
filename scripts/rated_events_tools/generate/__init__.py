"""Generate a realistic raw input folder (rules section 3) for the rated events warehouse.

The story: an AI and cloud platform bills its customers for LLM tokens, GPU hours, API requests,
storage and active seats. Customers sit on a "standard" or an "enterprise" rate card, under
contracts with monthly, quarterly, weekly and nth-of-month billing; some have prepaid or postpaid
commits, credits and negotiated overrides. A small, known fraction of the events is bad on
purpose (one kind per error code of rules section 6, plus duplicates, late arrivals and events that
arrive after `--as-of`).

Every event's `transaction_id` starts with a tag naming what it was generated to be (`evt-`
normal, `dup-` sent twice, `late-`, `odd-ts-`, `after-as-of-`, `malformed-`, `future-`,
`too-old-`, `no-customer-`, `no-contract-`, `no-rate-`, `bad-value-`, `finalized-`), so the
warehouse's outcomes can be checked against the intent.

Events are built set-based in DuckDB (one thread, explicit ordering), so the same arguments
give byte-identical files.
"""

from .cli import main, parse_args
from .folder import add_day, generate

__all__ = ["add_day", "generate", "main", "parse_args"]
