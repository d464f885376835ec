"""The project's operations tooling: scripts/sweep, repro, report and mutants are thin
executables over these modules (Python 3 standard library only).

  seeds       seed parsing, seed bases (number, random, nightly, revision), shards, the
              seeds a sweep hands out
  signatures  failure signatures from the simulator's output and from aborts
  builds      tools a command needs (installed by scripts/setup when missing), and the
              release, debug (ASan+UBSan) and mutant builds
  results     result lines: validating, reading with bounds, writing under a lock
  simulator   what the simulator says about itself (--params-json), shell quoting
  mutants     the mutant catalogue (core/mutants/NAME.patch) and scripts/mutants
  sweep, repro, report   the commands themselves
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Exit statuses shared by the commands.
EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_COVERAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3, 4
