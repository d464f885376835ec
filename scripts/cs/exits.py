"""The exit statuses of every operations command (sweep, repro, report, mutants, mutate,
fuzz-vs-sweep), one table for all of them. A command's --help says which it uses.

  0    OK           done; nothing failed
  1    FAILED       done, and it found what it looks for: a seed that failed, a mutant
                    that survived, a kill rate below its goal, a failed seed in a report
                    with --fail-on-failure, a phase of a measurement that failed
  2    USAGE        a bad flag or value, or an input file that is refused (another
                    sweep's results, a malformed line to fix first); nothing was changed
  3    COVERAGE     (sweep) no failure, but a scenario kind never happened
  4    ENVIRONMENT  a tool or a build, a file that cannot be read, an output that cannot
                    be written (a missing directory, a read-only file system, a full
                    disk, a FIFO without a reader), a results file locked by another
                    process
  128+N             stopped by signal N (130 SIGINT, 143 SIGTERM): what was done is kept
  77   SKIPPED      (tests only) skipped, with the reason printed
"""

import os
import signal
import sys

OK = 0
FAILED = 1
USAGE = 2
COVERAGE = 3
ENVIRONMENT = 4
SKIPPED = 77


def interrupted(signum):
    """The status of a command stopped by signal signum (SIGINT: 130)."""
    return 128 + int(signum)


INTERRUPTED_SIGINT = interrupted(signal.SIGINT)


def run(main, argv):
    """How every command starts and ends: main(argv)'s status; ^C is 130 (the command's
    own handlers have stopped its children by then); a closed standard output (a pipe into
    `head`) is ENVIRONMENT without a traceback. Text that came from bytes which are not
    UTF-8 (a path given on the command line) is printed as those bytes again, so that a
    printed command names the same file."""
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(errors="surrogateescape")
    try:
        return main(argv)
    except KeyboardInterrupt:
        return INTERRUPTED_SIGINT
    except BrokenPipeError:
        # Nothing more can be written there; keep Python from failing again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ENVIRONMENT
