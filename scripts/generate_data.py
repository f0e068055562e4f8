"""`scripts/generate_data.py`: a thin entry point (try `--help`); the code is
rated_events_tools.generate."""

import sys

from rated_events_tools.generate import main

if __name__ == "__main__":
    sys.exit(main())
