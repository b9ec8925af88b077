"""``python -m jarvis`` runs the command line."""

import sys

from jarvis.cli import main

sys.exit(main())
