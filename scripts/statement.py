"""`scripts/statement.py`: a thin entry point (try `--help`); the code is
rated_events_tools.statement."""

import sys

from rated_events_tools.statement import main

if __name__ == "__main__":
    sys.exit(main())
