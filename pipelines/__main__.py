"""`python -m ecrcost` runs the `ecrcost` command."""

import sys

from ecrcost.cli import main

sys.exit(main())
