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
  outputs     an output checked before any work; whole files written without replacing a
              device, a FIFO or a symlink; text that is not UTF-8 made printable
  jsonl       results files: written whole line by line under a lock, resumed (every line
              checked before half a last line is cut)
  results     what a result line is (validate), a simulator's line read
  aggregate   scripts/report's numbers, aggregated while the lines stream past
  simulator   what the simulator says about itself (--params-json), shell quoting
  mutants     the mutant catalogue (core/mutants/NAME.patch) and scripts/mutants
  mutation    source-level mutants of C files: enumerate, key, apply
  killers     what judges a mutant: the simulator, a corpus replay, a meson suite
  mutant_records  scripts/mutate's results: reading them back, the summary table
  sweep, repro, report, mutate, fuzz_vs_sweep, bench_report   the commands themselves
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
