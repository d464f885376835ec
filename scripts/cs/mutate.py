"""Automatic mutation testing of the core: how many single-point bugs does the testbed kill?

Enumerates the source-level mutants of core/src/{table,codec,trailer,header,checksum}.c
(the operators are listed by --list-operators), samples them reproducibly, and for each one:
builds it (an incremental release build per worker: only the mutated file recompiles),
then runs, until one of them kills it:
  1. the simulator on seeds 1..--seeds (default 200), stopping at the first failure;
  2. the same seeds on the worker's ASan+UBSan build of the mutant (-O2 -g, built on the
     first mutant that gets this far);
  3. the fuzz corpus replay (meson suite 'fuzz');
  4. the core unit tests (meson suite 'core');
  5. the core unit tests on the ASan+UBSan build.
With --corpus-replay DIR, step 3 replays the fuzz_sim inputs in DIR (e.g. a campaign's
corpus) through the mutant's fuzz_sim_replay instead. With --independent, every release
killer runs on every mutant, and each one's verdict is recorded (to compare the killers);
the sanitized ones (2, 5) run when none of them killed it.
Each mutant is classified as compile_error, killed_sim (with the seed and the check),
killed_fuzz, killed_unit, killed_sanitizer, not_selected or survived:
  killed_sanitizer  an ASan, LeakSanitizer or UBSan report in step 2 or 5 ("by" says
                    which); "check" is the report's first frame (function file:line)
                    and "sanitizer" what it says. Sanitizer options: halt on the first
                    report, a non-zero exit (ASan 86, UBSan 87), UBSan stack traces. A
                    sanitized run that fails without a report is killed_sim or killed_unit
                    with "build": "sanitized".
  not_selected      a survivor in code this CPU never runs, with the reason: the mutated
                    place is not compiled here (an #error put there compiles away: an #if
                    leaves it out, as the ARMv8 path on x86-64), or the mutant is in a
                    function of a checksum path of core/src/checksum.c (aesni_, vaes_,
                    vaes256_, armv8_, portable_; their selectors NAME_detect and
                    NAME_available included) that `mutants_differential --paths` says
                    this CPU does not run, and the mutant's own build says the same. The
                    unit tests force every implementation the CPU has
                    (vsr_checksum_with, the header paths one by one), so only survivors
                    get this class. scripts/cross/aarch64-check runs the unit tests of
                    the ARMv8 path under qemu; it is not a killer of this engine.
  equivalent        a survivor is equivalent only with evidence the engine checked: its
                    object file is byte-identical to the original's, or it is listed in
                    core/mutants/equivalent.txt (key, a tab, the reason) and its
                    differential check passed: mutants_differential (everything the
                    public API answers over a fixed workload), built with the mutant under
                    ASan+UBSan, prints the digests the unmutated sanitized build printed.
                    When the unit tests judge, that program already ran in their
                    sanitized suite (mutants-differential: --check against the expected
                    digests, the original's), and is not run twice: the record says
                    "differential_checked_by": "mutants-differential".
                    The record says "evidence": object_identical or differential; a
                    listed entry the evidence does not bear out is refused ("evidence":
                    "refused: WHY", said during the run and in the summary) and judged
                    as any mutant: a kill, or a survivor.

Results go to JSON Lines (--out, one object per mutant), then a summary table per file
(the simulator's share counts its kills on both builds). Exit status: 0 when the kill
rates reach the goals (--goal-sim, --goal-all), 1 below them, 2 usage, 4 build or
environment error.

Python 3 standard library only.
"""

import argparse
import concurrent.futures
import fcntl
import os
import sys
import threading
import time

from . import ROOT, builds, checkout, jsonl, killers, mutation, outputs, process
from . import mutant_records as records
from .exits import ENVIRONMENT, FAILED, OK, USAGE

DEFAULT_FILES = ["core/src/table.c", "core/src/codec.c", "core/src/trailer.c",
                 "core/src/header.c", "core/src/checksum.c"]
HEADERS = ["core/include/vsr.h", "core/include/client_sessions.h", "core/src/table.h",
           "core/src/aegis_internal.h", "core/include/vsr_checksum_impl.h"]
SIM = builds.SIMULATOR
DIFFERENTIAL = "core/mutants/mutants_differential"
REPLAY = "fuzz/fuzz_sim_replay"
SUITES = {"unit": "core", "fuzz": "fuzz"}  # the meson suite each of these killers runs
DIFFERENTIAL_TEST = "mutants-differential"  # its meson test: DIFFERENTIAL --check EXPECTED
EXPECTED_DIGEST = "core/mutants/differential.expected"
# The sanitized killers run slower than the release ones: their time limit is this many
# times --timeout.
SANITIZED_SLOWER = 3

# Functions of core/src/checksum.c that belong to one checksum path, by name prefix
# (longest first), and the line of `mutants_differential --paths` that says whether this
# CPU runs it. A path's selectors (NAME_detect, NAME_available) belong to it too: they run
# here, but a surviving mutant of one that still gives this CPU's answer (checked with the
# mutant's own --paths) differs only on a CPU that has the path.
CHECKSUM_PATHS = (("vaes256_", "headers vaes256x2"), ("vaes_", "headers vaes512x4"),
                  ("aesni_", "impl aesni"), ("armv8_", "impl armv8"),
                  ("portable_", "impl portable"))

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

Killers, in order: the simulator (release), the simulator on an ASan+UBSan build of the
mutant, the fuzz corpora, the unit tests, the unit tests on the ASan+UBSan build. A
sanitizer report is a kill of its own class, killed_sanitizer, named by its first frame.
A survivor is equivalent only with evidence: an object file identical to the original's,
or an entry in equivalent.txt whose differential check passes (mutants_differential built
with the mutant under ASan+UBSan prints the unmutated digests); an entry without it is
refused, and the run says why. A survivor in code this CPU never runs is not_selected:
an #error placed there compiles away (an #if leaves it out), or it is in a function of a
checksum path that `mutants_differential --paths` says this CPU does not run (the
mutant's build saying the same). core/mutants/README.md has the details.
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/mutate", description=__doc__.split("\n\n")[0], epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", default=",".join(DEFAULT_FILES), metavar="F,F",
                        help="comma-separated C files to mutate, sources of the core "
                             "(core/src/*.c; default: table, codec, trailer, header and "
                             "checksum)")
    parser.add_argument("--operators", default=",".join(mutation.OPERATORS), metavar="OP,OP",
                        help="operators to use (default: all; see --list-operators)")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="a reproducible sample of N mutants, stratified by file: each "
                             "file gets its share, and at least 3 (default: every mutant)")
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
    parser.add_argument("--timeout", type=float, default=30, metavar="S",
                        help="seconds per killer per mutant before it counts as a hang "
                             "(killed, check 'timeout'; default 30, about 30 times what the "
                             "unmutated killers take here; three times as long on the "
                             "sanitized build)")
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
    parser.add_argument("--equivalents", default=records.EQUIVALENTS, metavar="FILE",
                        help="the reviewed equivalent mutants, KEY<TAB>REASON a line "
                             "(default core/mutants/equivalent.txt)")
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
    """One scratch copy of the sources with its own incremental release build, and (made
    on the first mutant that needs it) its sanitized twin (ASan+UBSan) from the same tree:
    applies one mutant at a time, rebuilds (only the mutated file recompiles), asks the
    killers."""

    def __init__(self, number, args):
        self.args = args
        self.root = os.path.join(args.build_root, f"worker-{number}")
        self.tree = os.path.join(self.root, "src")
        self.build = os.path.join(self.root, "build")
        self.sanitized = os.path.join(self.root, "sanitized")
        self.originals = {}
        self.objects = {}
        self.tests = {}
        self.targets = []
        self.paths = {}
        self.sanitized_ready = False
        self.sanitized_tests = {}
        self.sanitized_targets = []
        self.sanitized_objects = {}
        self.sanitized_unit_passing = set()  # unit tests the unmutated sanitized build passes
        self.traps = {}  # function: whether a trap at its start fires (never_run_here)
        self.paths_checked = {}  # mutant key: whether its build selects the original's paths
        self.compiled = {}  # mutant key: whether the mutated place is compiled here
        self.digest = None
        self.expected_digest = None

    def targets_for(self, tests, suites):
        """The simulator, the differential program, and what the meson suites of the killers
        among `suites` run (unit: the suite core; fuzz: the suite fuzz): a mutant rebuilds
        only what judges it."""
        chosen = [SUITES[k] for k in suites if k in self.args.killers]
        return [SIM, DIFFERENTIAL] + sorted(
            {t for suite in chosen for test in tests.get(suite, []) for t in test["targets"]}
            - {SIM, DIFFERENTIAL})

    def hold(self):
        """Takes the worker's lock for the rest of this process: two runs given the same
        --build-root never mutate one tree at once (the second waits, and says so)."""
        os.makedirs(self.root, exist_ok=True)
        self.lock = open(os.path.join(self.root, ".worker.lock"), "w")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"mutate: {self.root} is in use by another run; waiting for it",
                  file=sys.stderr, flush=True)
            fcntl.flock(self.lock, fcntl.LOCK_EX)

    def prepare(self):
        """Copies the sources (corpus included: the fuzz replay reads it from the tree),
        configures once, builds the unmutated targets and records their objects."""
        self.hold()
        checkout.mirror(self.tree, checkout.source_files(include_all=True))
        for f in self.args.files:
            with open(os.path.join(ROOT, f), "rb") as handle:
                self.originals[f] = handle.read()
        with builds.locked(self.build):
            builds.configure(self.build, builds.MUTANT, "mutate", source=self.tree)
            self.tests = builds.tests(self.build)
            self.targets = self.targets_for(self.tests, ("unit", "fuzz"))
            if self.args.corpus_replay is not None and "fuzz" in self.args.killers:
                self.targets.append(REPLAY)
            builds.run(["ninja", "-C", self.build, *self.targets], "the unmutated build")
        for f in self.args.files:
            self.objects[f] = builds.objects_of(self.build, f)
            if not self.objects[f]:
                raise MutateError(f"no object file for {f} in {self.build}")
        self.paths = checksum_paths(os.path.join(self.build, DIFFERENTIAL))
        # A killer that fails without a mutant would kill every mutant: refuse to start.
        judges = {"sim": self.simulate, "fuzz": self.fuzz, "unit": self.unit}
        for verdict in (judges[killer]() for killer in self.args.killers):
            if verdict is not None:
                raise MutateError(f"the unmutated build already fails ({verdict['check']}); "
                                  f"fix that first ({self.build})")

    def prepare_sanitized(self):
        """The sanitized twin, from the unmutated tree: configured and built once, its
        objects recorded, its simulator and the differential program run without a mutant
        (which must pass: the digest is what a mutant's is compared with); its unit tests
        are run unmutated when one fails on a mutant (confirm_unit)."""
        with builds.locked(self.sanitized):
            builds.configure(self.sanitized, builds.MUTANT_SANITIZED, "mutate",
                             source=self.tree)
            self.sanitized_tests = builds.tests(self.sanitized)
            self.sanitized_targets = self.targets_for(self.sanitized_tests, ("unit",))
            builds.run(["ninja", "-C", self.sanitized, *self.sanitized_targets],
                       "the unmutated sanitized build")
        for f in self.args.files:
            self.sanitized_objects[f] = builds.objects_of(self.sanitized, f)
        # The simulator first, unmutated (seconds); the unit suite (half a minute here) is
        # run unmutated only for a test that fails on a mutant (confirm_unit).
        for verdict in (self.simulate(sanitized=True),) if "sim" in self.args.killers else ():
            if verdict is not None:
                raise MutateError(f"the unmutated sanitized build already fails "
                                  f"({verdict['check']}); fix that first ({self.sanitized})")
        self.digest, problem = self.differential()
        with open(os.path.join(self.tree, EXPECTED_DIGEST), errors="replace") as f:
            self.expected_digest = f.read()
        if problem:
            raise MutateError(f"the unmutated sanitized build's differential program "
                              f"{problem} ({self.sanitized})")
        self.sanitized_ready = True

    def restore(self, path):
        checkout.write_if_changed(os.path.join(self.tree, path), self.originals[path])

    def evaluate(self, mutant):
        """The verdict on one mutant, as a dict for the JSON Lines."""
        started = time.monotonic()
        result = mutant.as_dict()
        source = self.originals[mutant.file].decode()
        mutated = mutant.apply(source).encode()
        checkout.write_if_changed(os.path.join(self.tree, mutant.file), mutated)
        try:
            built, _ = builds.rebuild(self.build, self.targets)
            if not built:
                result.update(status="compile_error", by=None)
                return result
            result["object_identical"] = builds.objects_of(self.build, mutant.file) == \
                self.objects[mutant.file]
            verdict = self.judge(mutant, mutated, result)
            if verdict is None:
                self.evidence(mutant, mutated, result)
            elif verdict.get("sanitizer"):
                result.update(status="killed_sanitizer", **verdict)
            else:
                result.update(status="killed_" + verdict["by"], **verdict)
            return result
        finally:
            self.restore(mutant.file)
            result["seconds"] = round(time.monotonic() - started, 3)

    def judge(self, mutant, mutated, result):
        """The killers in order until one kills: each release killer, and after the
        simulator and after the unit tests the same killer on the sanitized build (built
        for the first mutant that gets that far). With --independent every release
        killer's verdict is recorded, and the sanitized ones run when none killed.
        A mutant whose release object is the original's links the original's programs,
        which passed every release killer in prepare(): those are not run again (the
        record says "release": "not run: the object is the original's")."""
        judges = {"sim": self.simulate, "fuzz": self.fuzz, "unit": self.unit}
        again = [k for k in self.args.killers if k in ("sim", "unit")]
        verdict = None
        if result.get("object_identical"):
            result["release"] = "not run: the object is the original's"
            if self.args.independent:
                result["verdicts"] = {k: None for k in self.args.killers}
            if not self.compiled_here(mutant):
                return None  # nor in the sanitized build: evidence() says so
            stages = [(k, True) for k in again]
        elif self.args.independent:
            verdicts = {k: judges[k]() for k in self.args.killers}
            result["verdicts"] = verdicts
            verdict = next((v for v in verdicts.values() if v is not None), None)
            stages = [(k, True) for k in again]
        else:
            stages = []
            for killer in self.args.killers:
                stages.append((killer, False))
                if killer in again:
                    stages.append((killer, True))
        for killer, sanitized in stages:
            if verdict is not None:
                break
            unreached = sanitized and self.never_run_here(mutant)
            if unreached:
                result["sanitized"] = "not run: " + unreached
                continue
            if sanitized:
                if not self.build_sanitized(mutant, mutated, result):
                    continue
                verdict = judges[killer](sanitized=True)
                if verdict is not None:
                    if killer == "unit":
                        self.confirm_unit(mutant, mutated, verdict["check"].split(":", 1)[0])
                    verdict = sanitized_verdict(verdict)
                elif killer == "unit" and self.unit_checks_differential():
                    result["differential_checked_by"] = DIFFERENTIAL_TEST
            else:
                verdict = judges[killer]()
        return verdict

    def build_sanitized(self, mutant, mutated, result):
        """Builds the mutant on the sanitized twin (once per mutant): True when it built
        and its object differs from the unmutated sanitized one's (so there is something
        to run). result["sanitized"] says which: built, object_identical, does not build."""
        if "sanitized" in result:
            return result["sanitized"] == "built"
        if not self.sanitized_ready:
            self.restore(mutant.file)
            self.prepare_sanitized()
            checkout.write_if_changed(os.path.join(self.tree, mutant.file), mutated)
        built, _ = builds.rebuild(self.sanitized, self.sanitized_targets)
        if not built:
            result["sanitized"] = "does not build"
        elif builds.objects_of(self.sanitized, mutant.file) == \
                self.sanitized_objects[mutant.file]:
            result["sanitized"] = "object_identical"
        else:
            result["sanitized"] = "built"
        return result["sanitized"] == "built"

    def evidence(self, mutant, mutated, result):
        """A survivor: the evidence an equivalence needs, and whether this CPU runs it.
        "differential": "same" or how it differs, the mutant's differential program under
        the sanitizers against the unmutated one's (not run when the sanitized object is the
        original's). status not_selected, with "not_selected" saying why, when the mutant is
        in a checksum path this CPU does not run, or in code an #if leaves out here."""
        result.update(status="survived", by=None)
        if result.get("object_identical") and not self.compiled_here(mutant):
            # The sanitized build leaves it out too (the same #if): nothing could reach it.
            why = "not compiled for this target (an #if leaves the mutated code out)"
            result.update(status="not_selected", not_selected=why, sanitized="not run: " + why,
                          differential="not run: " + why)
            return
        unreached = self.never_run_here(mutant)
        if unreached:
            result["sanitized"] = "not run: " + unreached
            result["differential"] = "not run: " + unreached
        elif result.get("differential_checked_by"):
            # The sanitized unit suite passed, and in it the same program under the same
            # build compared its digest with the expected one, which is the original's.
            result["differential"] = "same"
        elif self.build_sanitized(mutant, mutated, result):
            digest, problem = self.differential()
            if problem:
                result["differential"] = f"differs: {problem}"
            elif digest != self.digest:
                mine = dict(line.rsplit(" ", 2)[0:2] for line in digest.splitlines()
                            if line.startswith("section "))
                theirs = dict(line.rsplit(" ", 2)[0:2] for line in self.digest.splitlines()
                              if line.startswith("section "))
                parts = sorted(name[len("section "):] for name in set(mine) | set(theirs)
                               if mine.get(name) != theirs.get(name))
                result["differential"] = f"differs: sections {', '.join(parts) or 'digest'}"
            else:
                result["differential"] = "same"
        elif result["sanitized"] == "object_identical":
            result["differential"] = "not run: the sanitized object is the original's"
        else:
            result["differential"] = f"not run: the sanitized build {result['sanitized']}"
        why = None
        if mutant.file == "core/src/checksum.c":
            path = checksum_path_of(mutant.function)
            if path and self.paths.get(path) == "unavailable" and \
                    checksum_paths(os.path.join(self.build, DIFFERENTIAL)) == self.paths:
                why = (f"in {mutant.function}, of the checksum path {path.split(' ', 1)[1]}, "
                       "which this CPU does not run, and the mutant's build says so too "
                       "(mutants_differential --paths)")
        if why:
            result.update(status="not_selected", not_selected=why)

    def never_run_here(self, mutant):
        """Why the mutated function never runs on this CPU, or None. It must be a function
        of a checksum path that this CPU does not run (mutants_differential --paths, of the
        unmutated build and of the mutant's), other than the path's selectors (NAME_detect,
        NAME_available: they run here to answer), and a __builtin_trap() put at the start
        of its body must fire under none of the release killers (checked once per function:
        trapped()). Its mutants then get no sanitized run, which could not reach them."""
        function = mutant.function
        if mutant.file != "core/src/checksum.c" or not function or \
                function.endswith(("_detect", "_available")):
            return None
        path = checksum_path_of(function)
        if not path or self.paths.get(path) != "unavailable":
            return None
        if self.trapped(mutant.file, function):
            return None
        if mutant.key() not in self.paths_checked:
            self.paths_checked[mutant.key()] = \
                checksum_paths(os.path.join(self.build, DIFFERENTIAL)) == self.paths
        if not self.paths_checked[mutant.key()]:
            return None
        return (f"{function} never runs on this CPU (the path {path.split(' ', 1)[1]} is not "
                "selected, and a trap at the start of its body fired under no release "
                "killer)")

    def trapped(self, path, function):
        """Whether a __builtin_trap() at the start of `function`'s body (in the unmutated
        file) fires under the release killers, or the trap cannot be placed. Once per
        function and worker; the mutant under way is put back after."""
        if function in self.traps:
            return self.traps[function]
        original = self.originals[path].decode()
        at = mutation.body_start(original, function)
        where = os.path.join(self.tree, path)
        with open(where, "rb") as f:
            current = f.read()
        fired = True
        if at is not None:
            checkout.write_if_changed(where, (original[:at] + " __builtin_trap(); " +
                                              original[at:]).encode())
            try:
                built, _ = builds.rebuild(self.build, self.targets)
                judges = {"sim": self.simulate, "fuzz": self.fuzz, "unit": self.unit}
                fired = not built or any(judges[k]() is not None for k in self.args.killers)
            finally:
                checkout.write_if_changed(where, current)
                builds.rebuild(self.build, self.targets)
        self.traps[function] = fired
        return fired

    def confirm_unit(self, mutant, mutated, name):
        """A sanitized unit test `name` failed on `mutant`: it counts as a kill only if the
        unmutated sanitized build passes it, which is checked once per test (restoring the
        sources, rebuilding, running that test) and refuses the run otherwise."""
        if name in self.sanitized_unit_passing:
            return
        self.restore(mutant.file)
        try:
            built, _ = builds.rebuild(self.sanitized, self.sanitized_targets)
            tests = [t for t in self.sanitized_tests.get("core", []) if t["name"] == name]
            failed = not built or not tests or killers.suite(
                tests, "unit", self.args.timeout * SANITIZED_SLOWER, self.sanitized,
                env=killers.SANITIZER_ENV) is not None
        finally:
            checkout.write_if_changed(os.path.join(self.tree, mutant.file), mutated)
        if failed:
            raise MutateError(f"the unmutated sanitized build already fails the unit test "
                              f"{name}; fix that first ({self.sanitized})")
        self.sanitized_unit_passing.add(name)

    def unit_checks_differential(self):
        """Whether the sanitized unit suite runs the differential program with --check
        against the expected digests (which the unmutated sanitized build's output was
        found equal to): then a mutant that passes that suite has the original's digest."""
        return self.digest == self.expected_digest and any(
            test["name"] == DIFFERENTIAL_TEST and "--check" in test["cmd"]
            for test in self.sanitized_tests.get("core", []))

    def compiled_here(self, mutant):
        """Whether the mutated place is compiled for this target: an #error put there stops
        the compile unless the preprocessor leaves that code out (asked once a mutant)."""
        key = mutant.key()
        if key not in self.compiled:
            self.compiled[key] = self.compile_marked(mutant)
        return self.compiled[key]

    def compile_marked(self, mutant):
        where = min(start for start, _, _ in mutant.edits)
        source = self.originals[mutant.file]
        text = source.decode()
        marked = (text[:where] + "\n#error mutate: compiled here\n" + text[where:]).encode()
        path = os.path.join(self.tree, mutant.file)
        checkout.write_if_changed(path, marked)
        try:
            targets = builds.object_targets(self.build, mutant.file)
            compiled, _ = builds.rebuild(self.build, targets)
            return not compiled
        finally:
            self.restore(mutant.file)

    def simulate(self, sanitized=False):
        """The first failing seed of --seeds, or None."""
        if sanitized:
            return killers.simulate(os.path.join(self.sanitized, SIM), self.args.seed_first,
                                    self.args.seed_last, self.args.sim_arg,
                                    self.args.timeout * SANITIZED_SLOWER,
                                    abort_name=killers.sanitizer_abort(self.tree, self.sanitized),
                                    env=dict(os.environ, **killers.SANITIZER_ENV))
        return killers.simulate(os.path.join(self.build, SIM), self.args.seed_first,
                                self.args.seed_last, self.args.sim_arg, self.args.timeout)

    def fuzz(self):
        """The fuzz killer: the meson suite 'fuzz', or the --corpus-replay inputs."""
        if self.args.corpus_replay is None:
            return killers.suite(self.tests.get("fuzz", []), "fuzz", self.args.timeout,
                                 self.build)
        return killers.corpus_replay(os.path.join(self.build, REPLAY),
                                     self.args.corpus_replay, self.args.timeout)

    def unit(self, sanitized=False):
        """The core's unit tests (the meson suite 'core')."""
        if sanitized:
            return killers.suite(self.sanitized_tests.get("core", []), "unit",
                                 self.args.timeout * SANITIZED_SLOWER, self.sanitized,
                                 abort_name=killers.sanitizer_abort(self.tree, self.sanitized),
                                 env=killers.SANITIZER_ENV)
        return killers.suite(self.tests.get("core", []), "unit", self.args.timeout, self.build)

    def differential(self):
        """(the sanitized differential program's output, None), or (None, what went
        wrong)."""
        done = process.run([os.path.join(self.sanitized, DIFFERENTIAL)],
                           env=dict(os.environ, **killers.SANITIZER_ENV), errors="replace",
                           timeout=self.args.timeout * SANITIZED_SLOWER)
        if done.timed_out:
            return None, "timed out"
        if done.returncode != 0:
            report = killers.sanitizer_report(done.stderr, self.tree, self.sanitized)
            return None, (f"exit {done.returncode}" +
                          (f", {report[1]}: {report[0]}" if report else ""))
        return done.stdout, None


def sanitized_verdict(verdict):
    """A verdict of a sanitized killer: a sanitizer report becomes "sanitizer" (what it
    says) and the check its first frame; any other failure keeps its check and says
    "build": "sanitized"."""
    report = killers.split_sanitizer(verdict.get("check"))
    if report is None:
        return dict(verdict, build="sanitized")
    frame, what = report
    return dict(verdict, check=frame, sanitizer=what)


def checksum_path_of(function):
    """The line of `mutants_differential --paths` for the checksum path that `function` of
    core/src/checksum.c belongs to, or None."""
    for prefix, path in CHECKSUM_PATHS:
        if function and function.startswith(prefix):
            return path
    return None


def checksum_paths(differential):
    """{"impl aesni": "selected", "headers vaes512x4": "unavailable", ...}: what
    `mutants_differential --paths` of the unmutated build says this CPU runs."""
    done = process.run([differential, "--paths"], errors="replace", timeout=60)
    if not done.ok:
        raise MutateError(f"{differential} --paths failed (exit {done.returncode}): "
                          f"{(done.stderr or '').strip()[-300:]}")
    paths = {}
    for line in done.stdout.splitlines():
        name, _, answer = line.rpartition(" ")
        if answer in ("selected", "available", "unavailable"):
            paths[name] = answer
    if not paths:
        raise MutateError(f"{differential} --paths printed no path")
    return paths


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
            try:
                result = worker.evaluate(mutant)
            except MutateError as error:
                with lock:
                    errors.append(error)
                    interrupted.set()
                return
            refused = records.classify_equivalent(result, reviewed)
            with lock:
                if interrupted.is_set():
                    return
                if refused:
                    print(f"mutate: {outputs.shown(args.equivalents)}: {mutant.key()}: refused as "
                          f"equivalent: {refused}", file=sys.stderr, flush=True)
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
                    print(f"mutate: {len(made)}/{len(todo)} {result['status']:<16} "
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
        reviewed = records.read_equivalents(args.equivalents)
    except OSError as error:
        return fail(f"--equivalents {outputs.shown(args.equivalents)}: "
                    f"{outputs.reason(error)}", USAGE)
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
