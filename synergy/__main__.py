import sys

from synergy.cli import main

sys.exit(main())
