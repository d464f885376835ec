"""Automatic mutation testing of the core: how many single-point bugs does the testbed kill?

Enumerates the source-level mutants of core/src/{table,codec,trailer,header}.c (the
operators are listed by --list-operators), samples them reproducibly, and for each one:
builds it (an incremental release build per worker: only the mutated file recompiles),
then runs
  1. the simulator on seeds 1..--seeds (default 200), stopping at the first failure;
  2. unless the simulator killed it: the fuzz corpus replay (meson suite 'fuzz');
  3. unless one of those killed it: the core unit tests (meson suite 'core').
With --corpus-replay DIR, step 2 replays the fuzz_sim inputs in DIR (e.g. a campaign's
corpus) through the mutant's fuzz_sim_replay instead. With --independent, every killer
runs on every mutant, and each one's verdict is recorded (to compare the killers).
Each mutant is classified as compile_error, killed_sim (with the seed and the check),
killed_fuzz, killed_unit, or survived. A survivor whose object file is byte-identical
to the original's is flagged "object_identical" (equivalent by construction); survivors
listed in core/mutants/equivalent.txt (key, then a reason) are "equivalent".

Results go to JSON Lines (--out, one object per mutant), then a summary table per file.
Exit status: 0 when the kill rates reach the goals (--goal-sim, --goal-all), 1 below
them, 2 usage, 4 build or environment error.

Python 3 standard library only.
"""

import argparse
import concurrent.futures
import os
import sys
import threading
import time

from . import ROOT, builds, checkout, jsonl, killers, mutation, outputs
from . import mutant_records as records
from .exits import ENVIRONMENT, FAILED, OK, USAGE

DEFAULT_FILES = ["core/src/table.c", "core/src/codec.c", "core/src/trailer.c",
                 "core/src/header.c"]
HEADERS = ["core/include/vsr.h", "core/include/client_sessions.h", "core/src/table.h",
           "core/src/aegis_internal.h"]
SIM = builds.SIMULATOR

EPILOG = """\
examples:
  scripts/mutate --list | head                      # the population, one key a line
  scripts/mutate --sample 40 --seed 1               # a reproducible sample of 40
  scripts/mutate --jobs 2 --out mutants-all.jsonl   # the whole population
  scripts/mutate --shard 3/8 --out part3.jsonl      # one machine's share
  scripts/mutate --summary mutants-all.jsonl        # the table of an earlier run
  scripts/mutate --only sim --sample 100            # the simulator alone
  scripts/mutate --key 'core/src/table.c|cs_order_build|literal|0|1|3' --out one.jsonl
  scripts/mutate --only sim,fuzz --independent --seeds 0..1999 \
      --corpus-replay fuzz-out/fuzz_sim-libfuzzer/work   # both killers on every mutant

The key of a mutant is FILE|FUNCTION|OPERATOR|ORIGINAL|REPLACEMENT|OCCURRENCE: it
survives unrelated edits (no line number). core/mutants/equivalent.txt lists reviewed
equivalent mutants, one per line: the key, a tab, and the reason.
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/mutate", description=__doc__.split("\n\n")[0], epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", default=",".join(DEFAULT_FILES), metavar="F,F",
                        help="comma-separated C files to mutate, sources of the core "
                             "(core/src/*.c; default: table, codec, trailer and header)")
    parser.add_argument("--operators", default=",".join(mutation.OPERATORS), metavar="OP,OP",
                        help="operators to use (default: all; see --list-operators)")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="a reproducible sample of N mutants (default: every mutant)")
    parser.add_argument("--seed", type=int, default=1, metavar="S",
                        help="the sample's seed (default 1)")
    parser.add_argument("--key", action="append", default=[], metavar="KEY",
                        help="only the mutant with this key (repeatable; see --list): "
                             "to rerun a survivor")
    parser.add_argument("--shard", metavar="I/N", help="only the mutants whose index is I mod N")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="J",
                        help="workers, each with its own incremental build (default: cores)")
    parser.add_argument("--seeds", default="200", metavar="K|A..B",
                        help="simulator seeds 1..K, or A..B, per mutant (default 200)")
    parser.add_argument("--sim-arg", action="append", default=[], metavar="ARG",
                        help="extra simulator argument (repeatable)")
    parser.add_argument("--only", metavar="KILLER[,KILLER]",
                        help="run only these killers: sim, fuzz, unit (for comparing them)")
    parser.add_argument("--independent", action="store_true",
                        help="run every killer on every mutant, not only until one kills "
                             "it; each verdict goes to the result's 'verdicts'")
    parser.add_argument("--corpus-replay", metavar="DIR",
                        help="the fuzz killer replays the fuzz_sim inputs in DIR through "
                             "the mutant's fuzz_sim_replay (instead of the meson suite "
                             "'fuzz' on the project's corpora)")
    parser.add_argument("--timeout", type=float, default=120, metavar="S",
                        help="seconds per killer per mutant before it counts as a hang "
                             "(killed, check 'timeout'; default 120)")
    parser.add_argument("--build-root", default=os.path.join(ROOT, "build-mutate"),
                        metavar="DIR", help="worker builds (default build-mutate/)")
    parser.add_argument("--out", default="mutate-results.jsonl", metavar="FILE",
                        help="JSON Lines results, one record per mutant as it is judged; "
                             "checked and locked before any build, emptied when the first "
                             "mutant starts (default mutate-results.jsonl)")
    parser.add_argument("--resume", action="store_true",
                        help="skip mutants already in --out and append the rest; every "
                             "line is checked first (a malformed one refuses the file, "
                             "which is left as it was), then half a last line is cut off")
    parser.add_argument("--goal-sim", type=float, default=0, metavar="PCT",
                        help="fail (exit 1) when the simulator kills less than PCT%% of the "
                             "behaviour-changing mutants (default 0: no goal)")
    parser.add_argument("--goal-all", type=float, default=0, metavar="PCT",
                        help="fail when everything together kills less than PCT%%")
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--list-operators", action="store_true",
                        help="print the operators and exit")
    parser.add_argument("--summary", metavar="FILE",
                        help="print the summary table of an earlier --out file and exit "
                             "(lines that are not records are said and skipped; a file "
                             "with none is an error, exit 4)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    args.files = [f for f in args.files.split(",") if f]
    args.operators = [o for o in args.operators.split(",") if o]
    unknown = [o for o in args.operators if o not in mutation.OPERATORS]
    if unknown:
        parser.error(f"unknown operator(s) {', '.join(unknown)}; "
                     f"known: {', '.join(mutation.OPERATORS)}")
    sources = {f for f in checkout.source_files() if f.startswith("core/src/")
               and f.endswith(".c")}
    for i, f in enumerate(args.files):
        relative = os.path.normpath(os.path.relpath(os.path.abspath(f), ROOT)
                                    if os.path.isabs(f) else f)
        if relative not in sources:
            parser.error(f"--files {outputs.shown(f)}: not a C source of the core (one of "
                         f"{', '.join(sorted(sources))})")
        args.files[i] = relative
    if args.sample is not None and args.sample < 1:
        parser.error("--sample must be at least 1")
    try:
        if ".." in args.seeds:
            first, last = (int(x) for x in args.seeds.split(".."))
        else:
            first, last = 1, int(args.seeds)
    except ValueError:
        parser.error("--seeds takes K (seeds 1..K) or A..B")
    if first < 0 or last < first:
        parser.error(f"--seeds {args.seeds}: need 0 <= A <= B (or K >= 1)")
    args.seed_first, args.seed_last = first, last
    known = ("sim", "fuzz", "unit")
    args.killers = known
    if args.only is not None:
        chosen = [k for k in args.only.split(",") if k]
        unknown = [k for k in chosen if k not in known]
        if unknown or not chosen:
            parser.error(f"--only: unknown killer(s) {', '.join(unknown) or '(none)'}; "
                         f"known: {', '.join(known)}")
        args.killers = tuple(k for k in known if k in chosen)
    if args.corpus_replay is not None:
        if not os.path.isdir(args.corpus_replay):
            parser.error(f"--corpus-replay: no directory {args.corpus_replay}")
        args.corpus_replay = os.path.abspath(args.corpus_replay)
    if args.jobs < 1 or args.timeout <= 0:
        parser.error("--jobs and --timeout must be positive")
    args.shard_index, args.shard_count = 0, 1
    if args.shard:
        try:
            index, count = (int(x) for x in args.shard.split("/"))
        except ValueError:
            parser.error("--shard takes I/N, e.g. 0/4")
        if count < 1 or not 0 <= index < count:
            parser.error(f"--shard {args.shard}: I must be in 0..N-1")
        args.shard_index, args.shard_count = index, count
    for goal in (args.goal_sim, args.goal_all):
        if not 0 <= goal <= 100:
            parser.error("goals are percentages in 0..100")
    return args


# ---- the population ----

def population(args):
    headers = []
    for h in HEADERS:
        path = os.path.join(ROOT, h)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                headers.append(f.read())
    result = []
    for f in args.files:
        with open(os.path.join(ROOT, f), encoding="utf-8") as handle:
            result += [m for m in mutation.mutants_of(f, handle.read(), headers)
                       if m.operator in args.operators]
    if args.key:
        known = {m.key() for m in result}
        unknown = [k for k in args.key if k not in known]
        if unknown:
            raise MutateError(f"--key: no such mutant {unknown[0]!r} (scripts/mutate --list "
                              "prints the keys)")
        result = [m for m in result if m.key() in args.key]
    selected = mutation.sample(result, args.sample, args.seed)
    return mutation.shard(selected, args.shard_index, args.shard_count), len(result)


# ---- one worker: a scratch tree and an incremental build ----

class MutateError(Exception):
    """Stops scripts/mutate (exit 4 unless said): the message says why."""

    def __init__(self, message, status=ENVIRONMENT):
        super().__init__(message)
        self.status = status


class Worker:
    """One scratch copy of the sources with its own incremental release build: applies one
    mutant at a time, rebuilds (only the mutated file recompiles), asks the killers."""

    def __init__(self, number, args):
        self.args = args
        self.root = os.path.join(args.build_root, f"worker-{number}")
        self.tree = os.path.join(self.root, "src")
        self.build = os.path.join(self.root, "build")
        self.originals = {}
        self.objects = {}
        self.tests = {}
        self.targets = []

    def prepare(self):
        """Copies the sources (corpus included: the fuzz replay reads it from the tree),
        configures once, builds the unmutated targets and records their objects."""
        checkout.mirror(self.tree, checkout.source_files(include_all=True))
        for f in self.args.files:
            with open(os.path.join(ROOT, f), "rb") as handle:
                self.originals[f] = handle.read()
        with builds.locked(self.build):
            builds.configure(self.build, builds.MUTANT, "mutate", source=self.tree)
            self.tests = builds.tests(self.build)
            self.targets = [SIM] + sorted({t for suite in ("core", "fuzz")
                                           for test in self.tests.get(suite, [])
                                           for t in test["targets"]})
            builds.run(["ninja", "-C", self.build, *self.targets], "the unmutated build")
        for f in self.args.files:
            self.objects[f] = builds.objects_of(self.build, f)
            if not self.objects[f]:
                raise MutateError(f"no object file for {f} in {self.build}")
        # A killer that fails without a mutant would kill every mutant: refuse to start.
        for verdict in (self.simulate(), self.fuzz(), self.unit()):
            if verdict is not None:
                raise MutateError(f"the unmutated build already fails ({verdict['check']}); "
                                  f"fix that first ({self.build})")

    def restore(self, path):
        checkout.write_if_changed(os.path.join(self.tree, path), self.originals[path])

    def evaluate(self, mutant):
        """The verdict on one mutant, as a dict for the JSON Lines."""
        started = time.monotonic()
        result = mutant.as_dict()
        source = self.originals[mutant.file].decode()
        checkout.write_if_changed(os.path.join(self.tree, mutant.file),
                                  mutant.apply(source).encode())
        try:
            built, _ = builds.rebuild(self.build, self.targets)
            if not built:
                result.update(status="compile_error", by=None)
                return result
            result["object_identical"] = builds.objects_of(self.build, mutant.file) == \
                self.objects[mutant.file]
            verdict = None
            judges = {"sim": self.simulate, "fuzz": self.fuzz, "unit": self.unit}
            verdicts = {}
            for killer in self.args.killers:
                if verdict is not None and not self.args.independent:
                    break
                verdicts[killer] = judges[killer]()
                verdict = verdict or verdicts[killer]
            if self.args.independent:
                result["verdicts"] = verdicts
            if verdict is None:
                result.update(status="survived", by=None)
            else:
                result.update(status="killed_" + verdict["by"], **verdict)
            return result
        finally:
            self.restore(mutant.file)
            result["seconds"] = round(time.monotonic() - started, 3)

    def simulate(self):
        """The first failing seed of --seeds, or None."""
        return killers.simulate(os.path.join(self.build, SIM), self.args.seed_first,
                                self.args.seed_last, self.args.sim_arg, self.args.timeout)

    def fuzz(self):
        """The fuzz killer: the meson suite 'fuzz', or the --corpus-replay inputs."""
        if self.args.corpus_replay is None:
            return killers.suite(self.tests.get("fuzz", []), "fuzz", self.args.timeout,
                                 self.build)
        return killers.corpus_replay(os.path.join(self.build, "fuzz", "fuzz_sim_replay"),
                                     self.args.corpus_replay, self.args.timeout)

    def unit(self):
        """The core's unit tests (the meson suite 'core')."""
        return killers.suite(self.tests.get("core", []), "unit", self.args.timeout, self.build)


# ---- the run ----

def resume(args, writer):
    """The records already in --out (--resume): every line checked first; a file with a
    malformed line is refused (exit 2) and left as it was, half a last line cut off."""
    out = outputs.shown(args.out)

    def check(number, text, partial):
        if not text.strip():
            return
        _, reason = records.parse(text)
        if reason and partial:
            raise jsonl.Malformed(reason)
        if reason:
            raise MutateError(f"--resume: {out}: line {number}: {reason}; remove it and "
                              "resume again (the file was not changed)", USAGE)

    lines = writer.resume(check)
    if writer.tail:
        what, number, size = writer.tail
        print(f"mutate: {out}: line {number}, without its newline, " +
              (f"was half a line ({size} bytes): cut off" if what == "cut" else
               "completed"), file=sys.stderr)
    return [records.parse(text)[0] for _, text in lines if text.strip()]


def run_all(args, selected, total, reviewed, writer, previous):
    """Judges the mutants of `selected` not in `previous`; returns the new records."""
    done_keys = {record["key"] for record in previous}
    todo = [m for m in selected if m.key() not in done_keys]
    if not args.quiet:
        print(f"mutate: {total} mutants in {', '.join(args.files)}; {len(selected)} selected"
              f"{f' (sample {args.sample}, seed {args.seed})' if args.sample else ''}"
              f"{f', shard {args.shard}' if args.shard else ''}; {len(todo)} to run on "
              f"{args.jobs} workers", file=sys.stderr, flush=True)
    workers = [Worker(number, args) for number in range(min(args.jobs, max(len(todo), 1)))]
    with concurrent.futures.ThreadPoolExecutor(len(workers)) as pool:
        list(pool.map(lambda w: w.prepare(), workers))
    if not args.resume:
        writer.start_fresh()
    lock = threading.Lock()
    queue = list(reversed(todo))
    started = time.monotonic()
    made, errors = [], []
    interrupted = threading.Event()

    def work(worker):
        while not interrupted.is_set():
            with lock:
                if not queue:
                    return
                mutant = queue.pop()
            result = worker.evaluate(mutant)
            records.classify_equivalent(result, reviewed)
            with lock:
                if interrupted.is_set():
                    return
                try:
                    writer.write(result)
                except jsonl.WriteError as error:
                    errors.append(MutateError(f"{error}; the verdict on {mutant.key()} is not "
                                              "in it (rerun with --resume once there is "
                                              "room)"))
                    interrupted.set()
                    return
                made.append(result)
                if not args.quiet:
                    elapsed = time.monotonic() - started
                    rate = len(made) / max(elapsed, 1e-9)
                    left = (len(todo) - len(made)) / max(rate, 1e-9)
                    print(f"mutate: {len(made)}/{len(todo)} {result['status']:<13} "
                          f"{mutant.describe()} (ETA {left:.0f}s)", file=sys.stderr,
                          flush=True)

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
    except KeyboardInterrupt:
        interrupted.set()
        print("mutate: interrupted; finishing the mutants under way (rerun with --resume)",
              file=sys.stderr, flush=True)
        for thread in threads:
            thread.join()
        raise
    if errors:
        raise errors[0]
    return made


def main(argv):
    args = parse_args(argv)
    if args.list_operators:
        print(mutation.__doc__.split("\n\n")[1])
        return OK
    try:
        reviewed = records.read_equivalents()
    except records.EquivalentsError as error:
        return fail(str(error))
    if args.summary:
        return summary(args.summary, reviewed)
    try:
        selected, total = population(args)
    except MutateError as error:
        return fail(str(error), USAGE)
    if args.list:
        for m in selected:
            print(f"{m.key()}\tline {m.line}")
        return OK
    writer = None
    try:
        writer = jsonl.Writer(args.out, "--out")  # before any build
        if args.resume and writer.stream:
            raise MutateError(f"--resume needs a regular file: --out {writer.name} is a "
                              f"{outputs.KIND_NAMES[writer.kind]}", USAGE)
        previous = resume(args, writer) if args.resume else []
        builds.ensure_tools("mutate")
        made = run_all(args, selected, total, reviewed, writer, previous)
    except (builds.BuildError, jsonl.Locked, outputs.OutputError) as error:
        return fail(str(error))
    except MutateError as error:
        return fail(str(error), error.status)
    finally:
        if writer is not None:
            writer.close()
    keys = {m.key() for m in selected}
    sim_pct, all_pct = records.summarize([r for r in previous + made if r["key"] in keys],
                                         reviewed, first_seed=args.seed_first)
    print(f"results: {outputs.shown(args.out)}")
    below = []
    if args.goal_sim and (sim_pct is None or sim_pct < args.goal_sim):
        below.append(f"simulator {sim_pct if sim_pct is not None else 0:.1f}% < {args.goal_sim}%")
    if args.goal_all and (all_pct is None or all_pct < args.goal_all):
        below.append(f"everything {all_pct if all_pct is not None else 0:.1f}% < {args.goal_all}%")
    if below:
        print("mutate: below the goal: " + "; ".join(below), file=sys.stderr)
        return FAILED
    return OK


def summary(path, reviewed):
    """--summary FILE: the table of an earlier run; malformed lines are said and skipped, a
    file with no result at all is an error (exit 4)."""
    malformed = []
    try:
        found = records.read(path, malformed)
    except OSError as error:
        return fail(f"--summary {outputs.shown(path)}: {outputs.reason(error)}")
    except records.Unreadable as error:
        return fail(f"--summary: {error}")
    if not found:
        return fail(f"--summary: {outputs.shown(path)} is empty")
    for number, reason in malformed[:20]:
        print(f"mutate: {outputs.shown(path)}:{number}: skipped, {reason}", file=sys.stderr)
    if len(malformed) > 20:
        print(f"mutate: and {len(malformed) - 20} more malformed lines", file=sys.stderr)
    records.summarize(found, reviewed)
    return OK


def fail(message, status=ENVIRONMENT):
    print(f"mutate: {message}", file=sys.stderr)
    return status
