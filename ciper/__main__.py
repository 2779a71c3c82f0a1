"""`python -m ciper --preset ... --set ... --out ...`: one run (ciper/run.py)."""

import sys

from ciper.run import main

sys.exit(main())
