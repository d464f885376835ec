"""Code shared by the project's scripts (scripts/sweep, repro, mutants, report, ...).

Python 3 standard library only. Each executable in scripts/ puts scripts/ on sys.path
and imports from here, so that nothing is written twice.
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
