"""scripts/sweep: the project's main job. Runs the simulator on many seeds, on every core.

Results go to a JSON Lines file (one object per seed, as printed by
`client-sessions-sim --json`, plus lines the sweep writes for seeds whose process died or
hung), then a summary: totals, failures grouped by their signature with the commands that
reproduce each, and scenario coverage.
"""

import argparse
import contextlib
import json
import math
import os
import re
import selectors
import shlex
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

from . import ROOT, builds, jsonl, outputs, process, results, seeds, signatures, simulator
from .exits import COVERAGE, ENVIRONMENT, FAILED, OK, USAGE

HOST = socket.gethostname()
DEFAULT_SECONDS = 60
DEFAULT_SEED_TIMEOUT = 60.0
MAX_PARALLEL_SHARDS = 1 << 16
STDERR_KEPT = 1 << 20
# What makes result lines part of one sweep (scripts/report groups by the same fields).
SWEEP_KEY = ("seed_base", "seed_base_spec", "selection", "sim_args")

EPILOG = """\
seed selection:
  --seeds N            N seeds from --seed-base (default 0)
  --from A --to B      seeds A..B inclusive
  --time S             stop starting seeds after S seconds (combines with the above;
                       alone: open-ended from --seed-base)
  no selection at all  --time 60: the default sweep, about a minute
  --seed-base B        B is a number, or one of:
    random             a fresh random base (printed and recorded)
    nightly            from the commit and the date: sha256("COMMIT DATE"), COMMIT =
                       git HEAD, DATE = today (UTC); recorded as nightly:DATE@COMMIT
    nightly:DATE[@REV] the nightly of another date (YYYY-MM-DD) and revision: a rerun
    REV                any git revision: sha256(COMMIT)
  each JSON line records "sweep": {"seed_base", "seed_base_spec", "commit", "date",
  "selection", "sim_args", "sim" (with --sim)}: rerun with the same selection and
  --seed-base SPEC.

before the first seed:
  the tools the build needs (meson, ninja, a C compiler) are installed with
  'scripts/setup build' when missing (apt-get; GNU parallel with 'scripts/setup
  parallel' for --parallel-hosts), the release simulator is built, and the simulator
  checks the --sim-arg flags against every configuration the seeds can draw (and the
  memory a run needs against its --memory-max): a bad flag stops the sweep before any
  seed, never partway through the range. --sim-arg never carries a flag that selects
  seeds (--seed, --seeds, --stride, --entropy), changes the output the sweep reads
  (--json, --quiet, --trace) or a mode (--check-determinism, --bench, --bench-seconds,
  --params-json, --dry-run, --help, --version), in any form (--seed=5, --see 5, -h).
  A sweep that ran no seed at all (a --time too short) is an error (exit 2).

the results file:
  --out FILE is checked, opened and locked before the build: a second sweep given the
  same file refuses at once (exit 4) and names the process that holds it; a missing
  directory, a read-only file system or a FIFO that nobody reads is refused before any
  seed. FILE is emptied when the seeds start. Every line is written whole as soon as its
  seed is done; a write that fails (a full disk) is taken back, so FILE ends with a
  complete line, and the sweep stops (exit 4) with the command that resumes. A FIFO, a
  device (/dev/null) or /dev/stdout is written through as a stream (with standard output
  the summary goes to standard error); a stream cannot be resumed.
  --resume FILE        continue an interrupted sweep: the seeds already in FILE are
                       skipped and the rest appended, so that FILE ends as an
                       uninterrupted sweep's would (durations aside). Give the same
                       selection and --seed-base (the interrupted sweep prints the
                       exact command); FILE must hold only that sweep's lines. Every
                       line is checked first: a file with a malformed line or a line of
                       another sweep is refused (exit 2) and left as it was; then half a
                       last line (a kill mid-write) is cut off. Duplicate seed lines and
                       lines of another commit are reported once.
  SIGINT or SIGTERM    stops the sweep: the simulators are killed, the summary so far
                       and the command that resumes are printed, exit 130 / 143. A
                       simulator that either signal stops (scancel and a kill of the
                       whole process tree reach every process) is not a result: the
                       sweep stops the same way.

hung seeds:
  --seed-timeout S     a seed that gives no result for S seconds (default 60) is a
                       failure with the signature 'timeout' and its reproduce command;
                       its simulator is killed and the rest of its chunk runs again.

sharding across machines (a deterministic share; shards of a range are disjoint
and their union is the unsharded sweep):
  --shard I/N          seeds whose index in the selection is I modulo N
  otherwise, from the environment:
    SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN, default 0) and SLURM_ARRAY_TASK_COUNT
    JOB_COMPLETION_INDEX (Kubernetes indexed Job) with --shard-count N
                         or JOB_COMPLETION_COUNT
  --shard-count N without JOB_COMPLETION_INDEX (or --parallel-hosts), a count below 1 or
  above 2^64 - 1, and a shard that holds no seed of the selection are errors (exit 2):
  a machine must never run the whole range believing it runs its share.
  concatenate the shards' --out files for the whole sweep.
  --parallel-hosts FILE  run every shard with GNU parallel: FILE has one ssh login a
                       line (':' is this machine, 'N/login' runs N shards at once there,
                       '#' starts a comment); one shard per slot unless --shard-count N.
                       Remote hosts need this checkout at the same path (or
                       --remote-root DIR), and with --sim PATH that binary at PATH;
                       a login may be a whole ssh command ('ssh -p 2222 user@host').
                       A line that is none of these is an error naming the line.
                       The shards' JSON Lines come back to --out.

exit status:
  0    every seed passed and every scenario kind happened at least once
  1    a seed failed (check failure, abort, timeout, nondeterminism)
  2    usage error (including simulator flags the simulator rejects, a refused --resume
       file, and a sweep that ran no seed)
  3    no failure, but a scenario kind never happened (use --allow-missing-scenarios
       for deliberately narrow sweeps)
  4    build or environment error (a missing tool that could not be installed, a
       locked or unwritable --out, a full disk)
  130, 143  interrupted by SIGINT, SIGTERM (the summary so far and the resume command
       are printed)

examples:
  scripts/sweep                                    # about a minute on all cores
  scripts/sweep --seeds 100000 --seed-base random  # nightly
  scripts/sweep --from 0 --to 9999 --shard 3/8     # machine 3 of 8
  scripts/sweep --seeds 200000 --seed-base nightly --parallel-hosts hosts.txt
  scripts/sweep --seeds 100000 --resume sweep-results.jsonl   # after an interruption
  scripts/report sweep-results.jsonl -o report.html
"""


class SweepError(Exception):
    """Stops the sweep with an exit status and a message."""

    def __init__(self, message, status=ENVIRONMENT):
        super().__init__(message)
        self.status = status


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/sweep", description="Run the simulator over many seeds on every core.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, metavar="N", help="number of seeds")
    parser.add_argument("--from", dest="first", metavar="A", help="first seed (with --to)")
    parser.add_argument("--to", dest="last", metavar="B", help="last seed, inclusive")
    parser.add_argument("--time", type=float, metavar="S", help="time budget in seconds")
    parser.add_argument("--jobs", type=int, metavar="J",
                        help="parallel simulator processes (default: all cores)")
    parser.add_argument("--shard", metavar="I/N", help="run shard I of N")
    parser.add_argument("--shard-count", type=int, metavar="N",
                        help="shard count for JOB_COMPLETION_INDEX or --parallel-hosts")
    parser.add_argument("--seed-base", default="0", metavar="B",
                        help="first seed for --seeds/--time: a number (default 0), "
                             "'random', 'nightly[:DATE[@REV]]' or a git revision")
    parser.add_argument("--parallel-hosts", metavar="FILE",
                        help="run the shards over these ssh logins with GNU parallel")
    parser.add_argument("--remote-root", metavar="DIR", default=ROOT,
                        help="with --parallel-hosts: this checkout's path on the hosts")
    parser.add_argument("--out", metavar="FILE",
                        help="JSON Lines results, locked while written (default "
                             "sweep-results.jsonl; '-': standard output, and the summary "
                             "goes to standard error)")
    parser.add_argument("--resume", metavar="FILE",
                        help="skip the seeds already in FILE (an interrupted sweep with the "
                             "same selection) and append the rest to it")
    parser.add_argument("--seed-timeout", type=float, metavar="S",
                        help=f"a seed without a result after S seconds fails with the "
                             f"signature 'timeout' (default {DEFAULT_SEED_TIMEOUT:g})")
    parser.add_argument("--sim", metavar="PATH",
                        help="simulator binary (default: build-release/..., built if needed)")
    parser.add_argument("--build-dir", metavar="DIR",
                        help="release build directory (default build-release)")
    parser.add_argument("--chunk", type=int, metavar="K",
                        help="seeds per simulator process (default: sized by what is "
                             f"left, {seeds.CHUNK_MIN} to {seeds.CHUNK_MAX}, so that the "
                             "workers end together)")
    parser.add_argument("--sim-arg", action="append", default=[], metavar="ARG",
                        help="extra simulator argument for every seed (repeatable), "
                             "e.g. --sim-arg=--swarm --sim-arg=off")
    parser.add_argument("--allow-missing-scenarios", action="store_true",
                        help="do not fail when a scenario kind never happened")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    args = parser.parse_args(argv)
    try:
        validate(args)
    except ValueError as error:
        parser.error(str(error))
    return args


# Simulator flags that --sim-arg must not carry: the sweep chooses the seeds and reads the
# simulator's JSON itself, and a mode flag makes it something other than a run of a seed.
SIM_FLAGS_REFUSED = {
    "seed": "selection", "seeds": "selection", "stride": "selection", "entropy": "selection",
    "json": "output", "quiet": "output", "trace": "output",
    "check-determinism": "mode", "bench": "mode", "bench-seconds": "mode",
    "params-json": "mode", "dry-run": "mode", "help": "mode", "version": "mode",
}
WHY_REFUSED = {
    "selection": "the sweep selects the seeds itself (--seeds, --from/--to, --time, "
                 "--seed-base, --shard)",
    "output": "the sweep reads the simulator's --json lines itself (a trace of one seed: "
              "scripts/repro SEED)",
    "mode": "it makes the simulator do something other than run a seed",
}


def refused_sim_arg(arg):
    """Why the --sim-arg `arg` is refused, or None. A long flag counts in every form the
    simulator may take it: --flag, --flag=value, and an abbreviation (--see, --dry) as
    getopt_long accepts; short options (-h) are refused too."""
    if re.fullmatch(r"-[A-Za-z?].*", arg):
        return "a short option; give the simulator's long flags (--name)"
    match = re.fullmatch(r"--([^=]+)(=.*)?", arg, re.S)
    if not match:
        return None
    name = match[1]
    hits = sorted(flag for flag in SIM_FLAGS_REFUSED if flag.startswith(name))
    if not hits:
        return None
    flag = name if name in SIM_FLAGS_REFUSED else hits[0]
    return f"--{flag}: {WHY_REFUSED[SIM_FLAGS_REFUSED[flag]]}"


def validate(args):
    for arg in args.sim_arg:
        why = refused_sim_arg(arg)
        if why:
            raise ValueError(f"--sim-arg {arg!r} is refused ({why}); nothing ran")
    if (args.first is None) != (args.last is None):
        raise ValueError("--from and --to go together")
    if args.first is not None and args.seeds is not None:
        raise ValueError("use --seeds N or --from A --to B, not both")
    if args.first is not None:
        try:
            args.first, args.last = seeds.parse_seed(args.first), seeds.parse_seed(args.last)
        except ValueError as error:
            raise ValueError(f"bad seed '{error}' (decimal or 0x hex, below 2^64)") from None
        if args.first > args.last:
            raise ValueError("--from must not be above --to")
    if args.seeds is not None and args.seeds < 1:
        raise ValueError("--seeds must be at least 1")
    if args.time is not None and not (math.isfinite(args.time) and args.time > 0):
        raise ValueError("--time must be a positive number of seconds")
    args.seed_timeout_given = args.seed_timeout is not None
    if args.seed_timeout is None:
        args.seed_timeout = DEFAULT_SEED_TIMEOUT
    if not (math.isfinite(args.seed_timeout) and args.seed_timeout > 0):
        raise ValueError("--seed-timeout must be a positive number of seconds")
    args.jobs_given, args.build_dir_given = args.jobs is not None, args.build_dir is not None
    args.jobs = args.jobs if args.jobs_given else os.cpu_count() or 1
    args.build_dir = args.build_dir or os.path.join(ROOT, "build-release")
    args.chunk_given = args.chunk is not None
    if args.jobs < 1 or (args.chunk_given and args.chunk < 1):
        raise ValueError("--jobs and --chunk must be at least 1")
    if args.resume:
        if args.out not in (None, args.resume):
            raise ValueError("--resume FILE appends to FILE: no other --out")
        if args.parallel_hosts:
            raise ValueError("--resume does not work with --parallel-hosts (the hosts cannot "
                             "see FILE): resume each shard with --shard I/N instead")
        found = outputs.kind(args.resume)
        if found == "missing":
            raise ValueError(f"--resume {outputs.shown(args.resume)}: no such file (a new "
                             "sweep writes --out FILE)")
        if found == "directory":
            raise ValueError(f"--resume {outputs.shown(args.resume)} is a directory, not a "
                             "results file")
        if found != "regular":
            raise ValueError(f"--resume {outputs.shown(args.resume)} is a "
                             f"{outputs.KIND_NAMES[found]}, not a results file: a sweep can "
                             "only resume a regular file")
        args.out = args.resume
    args.out = args.out or "sweep-results.jsonl"
    if args.sim is not None and not os.access(args.sim, os.X_OK):
        raise ValueError(f"--sim {args.sim} is not an executable")
    args.seed_base_given = args.seed_base
    args.seed_base, args.seed_base_spec, args.commit, args.date = seeds.seed_base(args.seed_base)
    if args.seeds is not None and args.seed_base + args.seeds - 1 > seeds.U64_MAX:
        raise ValueError("--seed-base + --seeds runs past the last seed, 2^64 - 1")
    if args.first is None and args.seeds is None and args.time is None:
        args.time = DEFAULT_SECONDS
    if args.parallel_hosts:
        if args.shard:
            raise ValueError("--parallel-hosts runs every shard itself: no --shard")
        if args.out == "-":
            raise ValueError("--parallel-hosts needs --out FILE")
        args.hosts = read_hosts(args.parallel_hosts)
        if args.shard_count is not None and not 1 <= args.shard_count <= MAX_PARALLEL_SHARDS:
            raise ValueError(f"--shard-count with --parallel-hosts is one GNU parallel job a "
                             f"shard: 1..{MAX_PARALLEL_SHARDS}")
        args.shards = args.shard_count or sum(slots for _, slots in args.hosts)
        args.shard_index, args.shard_count, args.shard_source = 0, 1, None
    else:
        args.shard_index, args.shard_count, args.shard_source = seeds.shard_from(
            args.shard, args.shard_count)
    if args.resume and args.out == "-":
        raise ValueError("--resume needs a file")
    total = selection_size(args)
    if total is not None and args.parallel_hosts and args.shards > total:
        raise ValueError(f"{args.shards} shards for {total} seeds: some would run nothing; "
                         "give a smaller --shard-count")
    if total is not None and args.shard_index >= total:
        raise ValueError(f"shard {args.shard_index}/{args.shard_count} of {total} seeds holds "
                         "no seed: a sweep that runs nothing checks nothing; use fewer "
                         "shards")
    args.summary_to_stderr = args.out == "-" or outputs.same_as_stdout(args.out)
    args.selection = seeds.selection(args.first, args.last, args.seeds, args.time)
    args.record = {"seed_base": args.seed_base, "seed_base_spec": args.seed_base_spec,
                   "commit": args.commit, "date": args.date, "selection": args.selection,
                   "sim_args": args.sim_arg}
    if args.sim:
        args.record["sim"] = os.path.abspath(args.sim)


def selection_size(args):
    """How many seeds the selection holds (before sharding), or None for --time alone."""
    if args.first is not None:
        return args.last - args.first + 1
    return args.seeds


def make_seeds(args, done=()):
    start = args.first if args.first is not None else args.seed_base
    if args.first is not None:
        total_all = args.last - args.first + 1
    elif args.seeds is not None:
        total_all = args.seeds
    else:
        total_all = seeds.U64_MAX - start + 1  # open-ended, bounded by --time
    return seeds.Seeds(start, total_all, args.shard_index, args.shard_count,
                       args.chunk if args.chunk_given else None, seconds=args.time,
                       done=done, bounded=args.first is not None or args.seeds is not None,
                       jobs=args.jobs)


# ---- commands a person runs next ----

def script_path():
    path = os.path.join(ROOT, "scripts", "sweep")
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else path


def sweep_argv(args, resume=None):
    """The scripts/sweep command that runs this sweep again (exactly: the seed base is the
    resolved spec), with --resume FILE when given."""
    argv = [script_path(), *args.selection.split(), "--seed-base", args.seed_base_spec]
    if args.shard_count > 1:
        argv += ["--shard", f"{args.shard_index}/{args.shard_count}"]
    if args.jobs_given:
        argv += ["--jobs", str(args.jobs)]
    if args.chunk_given:
        argv += ["--chunk", str(args.chunk)]
    if args.seed_timeout_given:
        argv += ["--seed-timeout", f"{args.seed_timeout:g}"]
    if args.sim:
        argv += ["--sim", os.path.abspath(args.sim)]
    elif args.build_dir_given:
        argv += ["--build-dir", args.build_dir]
    argv += [f"--sim-arg={a}" for a in args.sim_arg]
    if args.allow_missing_scenarios:
        argv.append("--allow-missing-scenarios")
    if args.quiet:
        argv.append("--quiet")
    if resume:
        argv += ["--resume", resume]
    return argv


def repro_argv(args, seed):
    """scripts/repro SEED with everything the sweep ran it with (--sim, simulator flags)."""
    argv = ["scripts/repro", f"0x{seed:x}"]
    if args.sim:
        argv += ["--sim", os.path.abspath(args.sim)]
    return argv + list(args.sim_arg)


# ---- the simulator's answers ----

def check_sim_args(sim, args):
    """Asks the simulator whether the --sim-arg flags hold for every seed (sums, injection,
    memory), once, before any seed runs."""
    start = args.first if args.first is not None else args.seed_base
    try:
        done = process.run([sim, "--dry-run", "--seed", str(start), *args.sim_arg],
                           timeout=120, errors="replace")
    except OSError as error:
        raise SweepError(f"cannot run the simulator {sim}: {error}") from None
    if done.timed_out:
        raise SweepError(f"the simulator {sim} did not answer --dry-run in 120 s")
    if done.returncode == 0:
        return
    if "'--dry-run'" in done.stderr:
        print(f"sweep: {sim} has no --dry-run (an older build): its flags are checked "
              "per seed", file=sys.stderr)
        return
    message = done.stderr.strip() or f"exit status {done.returncode}"
    status = USAGE if done.returncode == USAGE else ENVIRONMENT
    raise SweepError(f"the simulator rejects the flags {shlex.join(args.sim_arg) or '(none)'}"
                     f" before any seed ran:\n{message}", status)


def simulator_env():
    env = dict(os.environ)
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")  # functions for ubsan signatures
    return env


# ---- running ----

class Sweep:
    def __init__(self, args, sim, writer, previous=()):
        self.args, self.sim, self.writer = args, sim, writer
        # Reentrant: the signal handler (interrupt) runs in the main thread, which may hold
        # it while it records a line (--parallel-hosts).
        self.lock = threading.RLock()
        self.results = list(previous)
        self.done = len(self.results)
        self.failed = sum(r["outcome"] != "ok" for r in self.results)
        self.resumed = self.done
        self.started = time.monotonic()
        self.processes = set()
        self.halted = False   # no more seeds; what is running is killed and not recorded
        self.stopping = None  # the signal that interrupted the sweep
        self.seeds = None
        self.env = simulator_env()

    def record(self, result, annotate=True):
        with self.lock:
            if annotate:
                result["sweep"] = self.args.record
                result["run"] = {"shard": f"{self.args.shard_index}/{self.args.shard_count}",
                                 "host": HOST,
                                 "elapsed_s": round(time.monotonic() - self.started, 3)}
            try:
                self.writer.write(result)
            except jsonl.WriteError as error:
                raise SweepError(f"{error}; the line of seed 0x{result['seed']:x} is not in "
                                 "it and not counted") from None
            self.results.append(compact(result))
            self.done += 1
            self.failed += result.get("outcome") != "ok"

    def interrupt(self, signum):
        """SIGINT/SIGTERM: hand out no more seeds and kill the running simulators; what
        they reported is kept, the seeds they did not finish stay to be resumed."""
        if self.stopping is None:
            self.stopping = signum
        self.halt()

    def halt(self):
        if self.halted:
            return
        self.halted = True
        if self.seeds:
            self.seeds.stop()
        with self.lock:
            processes = list(self.processes)
        for child in processes:
            # GNU parallel (and the shard sweeps it runs) stop on SIGTERM, killing their
            # own simulators; a simulator is killed outright.
            process.kill_group(child, signal.SIGTERM if child.args[0] == "parallel"
                               else signal.SIGKILL)

    def command(self, first, count, stride):
        last = first + (count - 1) * stride
        return [self.sim, "--seeds", f"{first}..{last}", "--stride", str(stride), "--json",
                *self.args.sim_arg]

    def run_chunk(self, seeds_, chunk):
        first, count, stride = chunk
        expected = [first + i * stride for i in range(count)]
        try:  # its own session: a terminal's ^C reaches the sweep, which stops it
            child = process.spawn(self.command(first, count, stride), stdout=process.PIPE,
                                  stderr=process.PIPE, env=self.env)
        except OSError as error:
            raise SweepError(f"cannot run the simulator {self.sim}: {error}") from None
        with self.lock:
            self.processes.add(child)
        if self.halted:
            process.kill_group(child)
        try:
            reported, timed_out, stderr = self.collect(child)
        finally:
            with self.lock:
                self.processes.discard(child)
        if self.halted:
            return  # interrupted: the unfinished seeds are not results
        if not timed_out and -child.returncode in STOP_SIGNALS:
            # Stopped from outside, not failed: scancel, or a kill of the whole process
            # tree, signals every process at once, and the simulator may die before the
            # sweep handles its own copy of the signal. Stop as if the sweep had it.
            name = signal.Signals(-child.returncode).name
            print(f"sweep: the simulator of seeds from 0x{first:x} was stopped by {name}: "
                  f"stopping the sweep", file=sys.stderr)
            self.interrupt(-child.returncode)
            return
        missing = [seed for seed in expected if seed not in reported]
        if not missing:
            return
        if timed_out:
            self.record(self.timeout_result(missing[0], stderr))
        elif child.returncode == USAGE:
            raise SweepError(f"the simulator refused seed 0x{missing[0]:x} (exit 2):\n"
                             f"{stderr.strip()}", USAGE)
        else:  # the process died at the first missing seed; the rest never ran
            self.record(self.abort_result(missing[0], child.returncode, stderr))
        for run in runs(missing[1:], stride):
            seeds_.give_back(run)

    def collect(self, child):
        """Records each result line as the simulator prints it. Returns (the seeds
        reported, whether a seed timed out, the end of its standard error)."""
        timeout = self.args.seed_timeout
        selector = selectors.DefaultSelector()
        selector.register(child.stdout, selectors.EVENT_READ, "out")
        selector.register(child.stderr, selectors.EVENT_READ, "err")
        pending, stderr, reported = b"", bytearray(), set()
        deadline = time.monotonic() + timeout
        timed_out = False
        try:
            while selector.get_map() and not self.halted:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                for key, _ in selector.select(min(left, 0.25)):
                    data = os.read(key.fd, 1 << 16)
                    if not data:
                        selector.unregister(key.fileobj)
                    elif key.data == "err":
                        stderr += data
                        del stderr[:max(0, len(stderr) - STDERR_KEPT)]
                    else:
                        *lines, pending = (pending + data).split(b"\n")
                        for raw in lines:
                            result = results.parse_simulator_line(raw)
                            if result is not None:
                                reported.add(result["seed"])
                                self.record(result)
                                deadline = time.monotonic() + timeout
        finally:
            # Stopped before the end of its output (a timeout, a halt, or an error such as a
            # result that cannot be written): the simulator is killed, not waited for, since
            # with nobody reading its lines it would block on a full pipe.
            unread = bool(selector.get_map())
            selector.close()
            if unread or self.halted:
                process.kill_group(child)
            child.wait()
            child.stdout.close()
            child.stderr.close()
        return reported, timed_out, stderr.decode(errors="replace")

    def reproduce(self, seed):
        return simulator.command([self.sim, "--seed", f"0x{seed:016x}", *self.args.sim_arg])

    def abort_result(self, seed, returncode, stderr):
        code = process.exit_status(returncode)
        return {"seed": seed, "seed_hex": f"0x{seed:016x}", "outcome": "abort", "exit_code": code,
                "failure": {"signature": signatures.abort_signature(stderr, code),
                            "message": stderr[-2000:]},
                "reproduce": self.reproduce(seed)}

    def timeout_result(self, seed, stderr):
        message = (f"no result after {self.args.seed_timeout:g} s (--seed-timeout): the "
                   "simulator was killed")
        if stderr.strip():
            message += "; its standard error ended with:\n" + stderr[-1500:]
        return {"seed": seed, "seed_hex": f"0x{seed:016x}", "outcome": "timeout",
                "exit_code": None,
                "failure": {"signature": signatures.TIMEOUT, "message": message},
                "reproduce": self.reproduce(seed)}

    def worker(self, seeds_, errors):
        try:
            while not self.halted:
                chunk = seeds_.take()
                if chunk is None:
                    return
                started = time.monotonic()
                self.run_chunk(seeds_, chunk)
                seeds_.ran(chunk[1], time.monotonic() - started)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            self.halt()


def runs(seeds_, stride):
    """Chunks (first, count, stride) of consecutive (by stride) seeds."""
    out = []
    for seed in seeds_:
        if out and out[-1][0] + out[-1][1] * stride == seed:
            out[-1][1] += 1
        else:
            out.append([seed, 1])
    return [(first, count, stride) for first, count in out]


def compact(result):
    """What the summary needs, so a long sweep does not keep every line in memory."""
    keep = {key: result.get(key) for key in ("seed", "outcome", "reproduce", "scenarios")}
    failure = result.get("failure")
    if isinstance(failure, dict):
        keep["signature"] = failure.get("signature", "?")
    return keep


def progress(sweep, seeds_, final=False):
    elapsed = max(time.monotonic() - sweep.started, 1e-9)
    rate = (sweep.done - sweep.resumed) / elapsed
    if seeds_.total is not None and rate > 0:
        left = max(seeds_.total - len(seeds_.done) - (sweep.done - sweep.resumed), 0)
        eta = f"{left / rate:.0f}s"
    elif seeds_.deadline:
        eta = f"{max(seeds_.deadline - time.monotonic(), 0):.0f}s"
    else:
        eta = "?"
    total = f"/{seeds_.total}" if seeds_.total is not None else ""
    line = (f"sweep: {sweep.done}{total} seeds, {sweep.failed} failures, "
            f"{rate:.1f} seeds/s, ETA {eta}")
    if sys.stderr.isatty():
        sys.stderr.write("\r" + line + ("\n" if final else "   "))
    else:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


def open_writer(args):
    """The --out file, checked, opened and locked (not emptied yet); SweepError (exit 4)
    when it cannot be written or another sweep holds it."""
    try:
        return jsonl.Writer(args.out, "--out")
    except (jsonl.Locked, outputs.OutputError) as error:
        raise SweepError(str(error)) from None


class Previous:
    """What a --resume file holds, checked line by line (see read_previous)."""

    def __init__(self, args):
        self.args = args
        self.mine = {key: args.record[key] for key in SWEEP_KEY}
        self.results, self.seen = [], {}
        self.duplicates = []      # (seed, line number, first line number)
        self.differing = []       # duplicates whose outcome or trace hash differ
        self.commits = {}         # another commit -> lines that carry it
        self.date = None

    def check(self, number, text, partial):
        args = self.args
        if not text.strip():
            return
        try:
            line = json.loads(text)
        except ValueError:
            line = None
        reason = results.validate(line) if line is not None else "not JSON"
        if reason:
            if partial:
                raise jsonl.Malformed(reason)
            raise SweepError(f"--resume {outputs.shown(args.out)}: line {number} is malformed "
                             f"({reason}); remove it and resume again (the file was not "
                             "changed)", USAGE)
        record = line.get("sweep") or {}
        theirs = {key: record.get(key) for key in SWEEP_KEY}
        if theirs != self.mine:
            differ = ", ".join(f"{k} {theirs[k]!r} (this sweep: {self.mine[k]!r})"
                               for k in SWEEP_KEY if theirs[k] != self.mine[k])
            raise SweepError(f"--resume {outputs.shown(args.out)}: line {number} is from "
                             f"another sweep: {differ}; give the same selection, --seed-base "
                             "and --sim-arg (the file was not changed)", USAGE)
        if record.get("date") and self.date is None:
            self.date = record["date"]  # the sweep's date is when it started
        if record.get("commit") and args.commit and record["commit"] != args.commit:
            self.commits[record["commit"]] = self.commits.get(record["commit"], 0) + 1
        seed = line["seed"]
        if seed in self.seen:
            first_number, first = self.seen[seed]
            self.duplicates.append((seed, number, first_number))
            if (line.get("outcome"), line.get("trace_hash")) != first:
                self.differing.append(seed)
            return
        self.seen[seed] = (number, (line.get("outcome"), line.get("trace_hash")))
        self.results.append(compact(line))

    def warn(self, writer):
        """What the sweep says once about the file, before it resumes."""
        out = outputs.shown(self.args.out)
        for commit, count in self.commits.items():
            print(f"sweep: warning: {count} line(s) of {out} were written at commit {commit}, "
                  f"this is {self.args.commit}", file=sys.stderr)
        if self.duplicates:
            shown = ", ".join(f"0x{seed:x} (line {number}, first on line {first})"
                              for seed, number, first in self.duplicates[:5])
            more = (f" and {len(self.duplicates) - 5} more" if len(self.duplicates) > 5
                    else "")
            print(f"sweep: warning: {out} holds {len(self.duplicates)} duplicate line(s) of "
                  f"seeds it already has: {shown}{more}; each seed counts once (its first "
                  "line), the file keeps them all", file=sys.stderr)
            if self.differing:
                print(f"sweep: warning: {len(self.differing)} of those duplicates differ from "
                      f"their seed's first line in outcome or trace hash (nondeterminism, or "
                      f"lines of two builds): "
                      f"{', '.join(f'0x{s:x}' for s in self.differing[:8])}", file=sys.stderr)
        if writer.tail:
            what, number, size = writer.tail
            if what == "cut":
                print(f"sweep: {out}: line {number}, without its newline, was half a line "
                      f"({size} bytes, a writer killed mid-line): cut off", file=sys.stderr)
            else:
                print(f"sweep: {out}: line {number} had no newline: completed",
                      file=sys.stderr)


def read_previous(args, writer):
    """The compact results already in the --resume file, each seed once. SweepError (exit 2)
    when it holds a line that is malformed or belongs to another sweep: the file is then
    left as it was. Only an accepted file loses half a last line (see jsonl.Writer)."""
    previous = Previous(args)
    writer.resume(previous.check)
    if previous.date:
        args.record["date"] = previous.date
    previous.warn(writer)
    return previous.results


def run(args, sim, writer, previous):
    sweep = Sweep(args, sim, writer, previous)
    seeds_ = sweep.seeds = make_seeds(args, done={r["seed"] for r in previous})
    if previous:
        print(f"sweep: resuming {args.out}: {len(previous)} seeds done, skipped",
              file=sys.stderr)
    errors = []
    threads = [threading.Thread(target=sweep.worker, args=(seeds_, errors), daemon=True)
               for _ in range(args.jobs)]
    with handle_signals(sweep):
        for thread in threads:
            thread.start()
        interval = 0.5 if sys.stderr.isatty() else 10.0
        last = time.monotonic()
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=0.1)
            if not args.quiet and time.monotonic() - last >= interval:
                progress(sweep, seeds_)
                last = time.monotonic()
        if not args.quiet:
            progress(sweep, seeds_, final=True)
    for error in errors:
        if isinstance(error, SweepError):
            error.sweep = sweep
        raise error
    return sweep


# The signals that stop a sweep (and that stop, not fail, a simulator: see run_chunk).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def handle_signals(sweep):
    def handler(signum, _frame):
        sweep.interrupt(signum)
    old = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


# ---- GNU parallel: shards across hosts ----

# One ssh login as GNU parallel takes it, the subset a sweep uses: ':' (this machine), or
# [ssh command ][user@]host[:port], host a name, an IPv4 address or [an IPv6 address].
LOGIN = re.compile(r"(?:(?P<command>\S(?:.*\S)?)\s+)?(?:[^\s@,/:]+@)?"
                   r"(?:[A-Za-z0-9_][-A-Za-z0-9._]*|\[[0-9A-Fa-f:.]+\])(?::\w+)?")
LOGIN_FORMS = ("':' for this machine, [user@]host[:port], 'N/LOGIN' for N shards at once "
               "there, or a whole ssh command such as 'ssh -p 2222 user@host'")


def read_hosts(path):
    """[(ssh login, shard slots)] from a --parallel-hosts file; duplicates add up. ValueError
    naming the line for one GNU parallel would misread."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"--parallel-hosts {outputs.shown(path)} is not UTF-8 text") from None
    except OSError as error:
        raise ValueError(f"--parallel-hosts {outputs.shown(path)}: "
                         f"{outputs.reason(error)}") from None
    hosts = {}
    for number, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"(\d+)/(.+)", line)
        slots, login = (int(match[1]), match[2].strip()) if match else (1, line)
        where = f"--parallel-hosts {outputs.shown(path)}:{number}: {line!r}"
        if slots < 1:
            raise ValueError(f"{where} has no slots")
        if login != ":":
            form = LOGIN.fullmatch(login)
            if "," in login or not form:
                raise ValueError(f"{where} is not an ssh login: one a line, {LOGIN_FORMS}")
            command = form["command"]
            if command and not shutil.which(command.split()[0]):
                raise ValueError(f"{where}: the ssh command {command.split()[0]!r} is not "
                                 "an executable on PATH")
        hosts[login] = hosts.get(login, 0) + slots
    if not hosts:
        raise ValueError(f"--parallel-hosts: {outputs.shown(path)} names no host")
    return list(hosts.items())


def all_local(hosts):
    return all(login == ":" for login, _ in hosts)


def shard_command(args, sim):
    """The shell command of one shard; GNU parallel replaces {} with the shard index."""
    argv = ["./scripts/sweep", "--out", "-", "--quiet", "--allow-missing-scenarios",
            "--seed-base", args.seed_base_spec, "--seed-timeout", f"{args.seed_timeout:g}"]
    if args.chunk_given:
        argv += ["--chunk", str(args.chunk)]
    if args.first is not None:
        argv += ["--from", str(args.first), "--to", str(args.last)]
    if args.seeds is not None:
        argv += ["--seeds", str(args.seeds)]
    if args.time is not None:
        argv += ["--time", str(args.time)]
    if args.jobs_given:
        argv += ["--jobs", str(args.jobs)]
    if sim:
        argv += ["--sim", os.path.abspath(sim)]
    elif args.build_dir_given:
        argv += ["--build-dir", args.build_dir]
    argv += [f"--sim-arg={a}" for a in args.sim_arg]
    return (f"cd {shlex.quote(args.remote_root)} && exec "
            + shlex.join(argv) + f" --shard {{}}/{args.shards}")


def run_parallel(args, sim, writer):
    builds.ensure_tools("sweep", ("parallel",), group="parallel")
    seeds_ = make_seeds(args)  # the whole selection: its size, to check what came back
    sweep = Sweep(args, sim, writer)
    sweep.seeds = seeds_
    with tempfile.TemporaryDirectory(prefix="sweep-parallel-") as scratch:
        logins = os.path.join(scratch, "sshlogins")
        with open(logins, "w", encoding="utf-8") as f:
            f.writelines(f"{slots}/{login}\n" for login, slots in args.hosts)
        joblog, errors = os.path.join(scratch, "joblog"), os.path.join(scratch, "stderr")
        # --line-buffer: each shard's lines come back as they are written, not when it ends.
        command = ["parallel", "--sshloginfile", logins, "--joblog", joblog, "--halt", "never",
                   "--line-buffer", shard_command(args, sim), ":::",
                   *map(str, range(args.shards))]
        with open(errors, "w+", encoding="utf-8") as err, handle_signals(sweep):
            child = process.spawn(command, stdout=process.PIPE, stderr=err, text=True)
            with sweep.lock:
                sweep.processes.add(child)
            last = time.monotonic()
            try:
                for line in child.stdout:
                    result = results.parse_simulator_line(line)
                    if result is not None:
                        sweep.record(result, annotate=False)
                    if not args.quiet and time.monotonic() - last >= 10:
                        progress(sweep, seeds_)
                        last = time.monotonic()
            except BaseException:  # a result that cannot be written: parallel and its
                sweep.halt()        # shards are stopped (SIGTERM), not left running
                child.wait()
                raise
            child.wait()
            err.seek(0)
            stderr = err.read()
        if not args.quiet:
            progress(sweep, seeds_, final=True)
        if sweep.stopping is None:
            check_shards(args, joblog, stderr, sweep, seeds_)
    return sweep


def check_shards(args, joblog, stderr, sweep, seeds_):
    """Every shard must have finished with a verdict (0 or 1) and returned all its seeds."""
    try:
        with open(joblog, encoding="utf-8") as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
    except OSError:
        rows = []
    broken = [f"shard {row[-1].rsplit(' ', 1)[-1]} on '{row[1]}': exit {row[6]}, signal {row[7]}"
              for row in rows if len(row) >= 9 and (row[6] not in ("0", "1") or row[7] != "0")]
    if len(rows) != args.shards:
        broken.append(f"{len(rows)} of {args.shards} shards ran")
    if seeds_.total is not None and sweep.done != seeds_.total:
        broken.append(f"{sweep.done} of {seeds_.total} seeds came back")
    if broken:
        sys.stderr.write(stderr[-4000:])
        raise SweepError("parallel shards failed: " + "; ".join(broken))


# ---- summary ----

def summarize(args, sweep, interrupted=None):
    results_ = sweep.results
    elapsed = time.monotonic() - sweep.started
    shard = f", shard {args.shard_index}/{args.shard_count}" if args.shard_count > 1 else ""
    all_seeds = [r["seed"] for r in results_]
    span = f" (0x{min(all_seeds):x}..0x{max(all_seeds):x}{shard})" if all_seeds else ""
    where = (f"{args.shards} shards on {len(args.hosts)} hosts" if args.parallel_hosts
             else f"{args.jobs} jobs")
    fresh = sweep.done - sweep.resumed
    resumed = f" ({sweep.resumed} from {args.out}, {fresh} run now)" if sweep.resumed else ""
    print(f"sweep: {len(results_)} seeds{span}{resumed} in {elapsed:.1f} s on {where}: "
          f"{fresh / max(elapsed, 1e-9):.1f} seeds/s")
    record = args.record
    rerun = shlex.join(sweep_argv(args))
    print(f"  seed base 0x{record['seed_base']:x} ({record['seed_base_spec']}), "
          f"commit {record['commit'] or '?'}; rerun: {rerun}")
    outcomes = {}
    for r in results_:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    print("  outcomes: " + (", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
                            or "none"))
    failures = [r for r in results_ if r["outcome"] != "ok"]
    print_failures(args, failures)
    missing = print_coverage(results_)
    print(f"results: {args.out}")
    if interrupted:
        return interrupted
    if failures:
        return FAILED
    if missing and not args.allow_missing_scenarios:
        print(f"sweep: scenario kinds never seen: {', '.join(missing)}")
        return COVERAGE
    return OK


def group_failures(failures):
    """[(signature, results sorted by seed)], the most frequent signature first."""
    groups = {}
    for r in failures:
        groups.setdefault(r.get("signature", r["outcome"]), []).append(r)
    for group in groups.values():
        group.sort(key=lambda r: r["seed"])
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[1][0]["seed"]))


def print_failures(args, failures):
    if not failures:
        return
    groups = group_failures(failures)
    print(f"failures by first divergence ({len(failures)} seeds, {len(groups)} signatures, "
          "most frequent first):")
    for signature, group in groups:
        shown = " ".join(f"0x{r['seed']:x}" for r in group[:8])
        more = f" (+{len(group) - 8} more)" if len(group) > 8 else ""
        print(f"  {signature}: {len(group)} seeds: {shown}{more}")
        first = group[0]
        repro = repro_argv(args, first["seed"])
        print(f"    reproduce: {first.get('reproduce') or '?'}")
        print(f"    with a trace: {shlex.join(repro)}")
        print(f"    shrink it:    {shlex.join(repro + ['--minimize'])}")


def print_coverage(results_):
    totals, seen_in = {}, {}
    for r in results_:
        for kind, count in (r.get("scenarios") or {}).items():
            totals[kind] = totals.get(kind, 0) + count
            seen_in[kind] = seen_in.get(kind, 0) + (count > 0)
    if not totals:
        return []
    print("scenario coverage (seeds where it happened, events in total):")
    for kind in totals:
        mark = "" if totals[kind] else "   <- never happened"
        print(f"  {kind:<26} {seen_in[kind]:>8} seeds {totals[kind]:>12}{mark}")
    return [kind for kind, total in totals.items() if total == 0]


def next_step(args, writer):
    """What a person runs after a sweep stopped early: the resume command, or why there is
    none."""
    if writer is not None and writer.stream:
        return (f"sweep: the results went to {writer.name}, which cannot be resumed; rerun "
                "with --out FILE to be able to resume")
    if args.parallel_hosts:
        return (f"sweep: the lines so far are in {outputs.shown(args.out)}; --parallel-hosts "
                "cannot resume (run the missing shards with --shard I/N)")
    return f"sweep: resume with: {shlex.join(sweep_argv(args, resume=args.out))}"


def interrupted_note(args, sweep, writer):
    name = signal.Signals(sweep.stopping).name
    left = ""
    if sweep.seeds is not None and sweep.seeds.total is not None:
        left = f", {max(sweep.seeds.total - sweep.done, 0)} of the selection left"
    print(f"sweep: interrupted by {name} after {sweep.done} seeds{left}")
    print(next_step(args, writer))


def main(argv):
    args = parse_args(argv)
    writer = None
    sweep = None
    # With --out - (or /dev/stdout), standard output carries only the JSON Lines.
    summary = sys.stderr if args.summary_to_stderr else sys.stdout
    try:
        writer = open_writer(args)  # before any build: a run must be able to keep its lines
        sim = None
        if args.sim:
            # Remote shards get the same path: it must hold the same binary there.
            sim = os.path.abspath(args.sim)
            check_sim_args(sim, args)
        elif not args.parallel_hosts or all_local(args.hosts):
            sim = builds.release_simulator(args.build_dir, "sweep")
            check_sim_args(sim, args)
        if args.resume:
            previous = read_previous(args, writer)
        else:
            previous = []
            writer.start_fresh()
        sweep = (run_parallel(args, sim, writer) if args.parallel_hosts
                 else run(args, sim, writer, previous))
    except builds.BuildError as error:
        return fail(str(error), ENVIRONMENT)
    except SweepError as error:
        sweep = getattr(error, "sweep", None)
        if sweep is not None:
            with contextlib.redirect_stdout(summary):
                summarize(args, sweep)
                print("sweep: stopped early")
                print(next_step(args, writer))
        return fail(str(error), error.status)
    finally:
        if writer is not None:
            writer.close()
    with contextlib.redirect_stdout(summary):
        if sweep.stopping is not None:
            status = summarize(args, sweep, interrupted=128 + sweep.stopping)
            interrupted_note(args, sweep, writer)
            return status
        status = summarize(args, sweep)
    if not sweep.results:
        why = (f"--time {args.time:g} ended before the first seed started" if args.time
               else "the selection was empty")
        return fail(f"no seed ran: {why}; a sweep that runs nothing checks nothing"
                    + (" (give a longer --time)" if args.time else ""), USAGE)
    return status


def fail(message, status):
    print(f"sweep: {message}", file=sys.stderr)
    return status
