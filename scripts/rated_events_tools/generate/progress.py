"""Progress on stderr while the generator works: one line per build step, then a tqdm bar
while the events are written (shown on a terminal only, so logs stay clean)."""

from __future__ import annotations

import sys

from tqdm import tqdm


class Progress:
    def __init__(self, total: int) -> None:
        self.total = max(total, 1)
        self.bar: tqdm | None = None
        self.done = 0

    def step(self, label: str) -> None:
        sys.stderr.write(f"{label}...\n")
        sys.stderr.flush()

    def show(self, done: int) -> None:
        """`done` rows of `total` are written (a running count, as write_events reports it)."""
        if self.bar is None:
            self.bar = tqdm(
                total=self.total,
                unit=" rows",
                unit_scale=True,
                file=sys.stderr,
                disable=not sys.stderr.isatty(),
                leave=True,
            )
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
