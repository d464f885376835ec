"""The project's operations tooling: scripts/sweep, repro, report, mutants, mutate and
fuzz-vs-sweep are thin executables over these modules (Python 3 standard library only).

  exits       the exit statuses of every command, one table
  process     child processes: in their own session, killed as a group, with timeouts
  checkout    git, the files a build needs, scratch copies of the sources
  builds      tools a command needs (installed by scripts/setup when missing), the
              release, debug (ASan+UBSan) and mutant builds, and the one way to build
  seeds       seed parsing, seed bases (number, random, nightly, revision), shards, the
              seeds a sweep hands out
  signatures  failure signatures from the simulator's output and from aborts
  results     result lines: validating, reading with bounds, writing under a lock
  simulator   what the simulator says about itself (--params-json), shell quoting
  mutants     the mutant catalogue (core/mutants/NAME.patch) and scripts/mutants
  mutation    source-level mutants of C files: enumerate, key, apply
  killers     what judges a mutant: the simulator, a corpus replay, a meson suite
  mutant_records  scripts/mutate's results: reading them back, the summary table
  sweep, repro, report, mutate, fuzz_vs_sweep   the commands themselves
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
