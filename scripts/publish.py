"""`scripts/publish.py`: a thin entry point (try `--help`); the code is
rated_events_tools.publish."""

import sys

from rated_events_tools.publish import main

if __name__ == "__main__":
    sys.exit(main())
