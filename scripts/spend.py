"""`scripts/spend.py`: a thin entry point (try `--help`); the code is
rated_events_tools.spend."""

import sys

from rated_events_tools.spend import main

if __name__ == "__main__":
    sys.exit(main())
