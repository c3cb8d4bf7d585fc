"""`python -m pipelines` is the `ecrcost` command."""

import sys

from pipelines.cli import main

sys.exit(main())
