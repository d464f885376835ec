"""Fuzzing against sweeping on equal CPU time: fuzz_sim under libFuzzer and a seed sweep of
the simulator, each from an empty start, compared by the core's coverage and mutant kills.

A measurement, not a test: it takes about an hour of one core with the defaults, and its
numbers are whatever they come out to be. The phases, each with progress lines on standard
error:

  build     in BUILD_ROOT/ (default build-fvs/): libfuzzer/ (fuzz_sim with clang
            -fsanitize=fuzzer,address,undefined, as scripts/fuzz builds it), release/
            (the simulator as scripts/sweep runs it, and fuzz_sim_replay), coverage/
            (clang source-based coverage of the simulator and fuzz_sim_replay, -O2 -g, as
            scripts/coverage instruments its replay drivers).
  fuzz      fuzz_sim from an EMPTY corpus directory, one process, with the target's
            dictionary and max_len (corpus/fuzz_sim.dict, fuzz/fuzz_sim.options) and
            libFuzzer -seed=--fuzz-seed, until its CPU time (user + system, read from
            /proc while it runs, then from wait4) reaches --budget; a crash is kept in
            OUT/fuzz-artifacts/ and libFuzzer restarts on the same corpus with what is
            left of the budget. Executions: the sum of its stat::number_of_executed_units.
  sweep     the release simulator on seeds 0, 1, 2, ..., one process at a time (chunks of
            seeds, single seeds at the end), until its CPU time reaches the fuzzer's.
  coverage  the fuzzer's corpus through the coverage build's fuzz_sim_replay, the sweep's
            seeds through the coverage build's simulator (all of them, or the first
            --coverage-seeds, or as many first seeds as --coverage-max-seconds of CPU
            replays: said in the output); line and branch coverage of core/src/*.c
            (llvm-cov export), each file and in total, and what one side reaches alone.
  mutants   scripts/mutate on its sample (--mutants, --mutant-seed) with --independent:
            each mutant built once and judged by both killers, the sweep's seeds
            0..K-1 (K = the seeds the sweep ran, at most --mutant-seeds) through the
            mutant's simulator and the fuzzer's corpus through the mutant's
            fuzz_sim_replay (--corpus-replay). Killed/total for each side (mutants that
            do not compile are left out), the mutants only one side kills, and the
            sweep's kills within as many seeds as the corpus holds inputs.

Everything runs pinned to one CPU (the mutant phase to --jobs CPUs). Results: one JSON
object per metric and line on standard output (name, value, unit, side, ...), then the
table on standard error; both, with the corpus, the seed list, the coverage reports and
scripts/mutate's results, under --out-dir.

Exit status: 0 done, 1 a phase failed (the message says which), 2 usage (an --out-dir
that holds an earlier run, without --force), 4 an --out-dir or --build-root that cannot be
written (checked before any work: a file standing there, a read-only directory).
Python 3 standard library only.
"""

import argparse
import json
import math
import os
import re
import shutil
import signal
import sys
import time

from . import ROOT, builds, checkout, mutant_records, outputs, process, results, signatures
from .exits import ENVIRONMENT, FAILED, OK, USAGE

SIM = builds.SIMULATOR
REPLAY = "fuzz/fuzz_sim_replay"
FUZZER = "fuzz/fuzz_sim"
COVERAGE_FLAGS = "-fprofile-instr-generate -fcoverage-mapping"
PROGRESS_EVERY = 30.0  # seconds between progress lines of a long phase
SIDES = ("fuzz", "sweep")

EPILOG = """\
examples:
  scripts/fuzz-vs-sweep                         # 600 s each, 40 mutants: about an hour
  scripts/fuzz-vs-sweep --budget 20 --mutants 4 --out-dir /tmp/fvs-smoke   # a smoke run
  scripts/fuzz-vs-sweep --budget 600 --mutants 0 > coverage-only.jsonl

Reproduce a run: the same --budget, --fuzz-seed, --mutants, --mutant-seed and
--mutant-seeds on the same commit; the CPU time both sides get is measured, so the
counts differ a little from run to run, and more on another machine.
"""


class Failure(Exception):
    """A phase that could not be done: the message says what and where to look."""


def stop_on(signum, _frame):
    """SIGTERM, SIGHUP: said, and the running child ended, like a failure of the phase."""
    raise Failure(f"stopped by signal {signal.Signals(signum).name}")


def say(message):
    print(f"fuzz-vs-sweep: {message}", file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/fuzz-vs-sweep", description=__doc__, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=600, metavar="SECONDS",
                        help="CPU seconds of libFuzzer; the sweep gets what it used "
                             "(default 600)")
    parser.add_argument("--fuzz-seed", type=int, default=1, metavar="S",
                        help="libFuzzer's -seed (default 1; a restart after a crash uses "
                             "S+1, S+2, ...)")
    parser.add_argument("--mutants", type=int, default=40, metavar="N",
                        help="mutants in the sample (scripts/mutate --sample; default 40; "
                             "0: no mutant phase)")
    parser.add_argument("--mutant-seed", type=int, default=1, metavar="S",
                        help="the sample's seed (scripts/mutate --seed; default 1)")
    parser.add_argument("--mutant-seeds", type=int, default=10000, metavar="K",
                        help="at most the sweep's first K seeds per mutant (default 10000)")
    parser.add_argument("--coverage-seeds", type=int, metavar="M",
                        help="replay only the sweep's first M seeds for coverage (default: "
                             "all, unless that takes more than --coverage-max-seconds)")
    parser.add_argument("--coverage-max-seconds", type=float, default=900, metavar="S",
                        help="CPU seconds the sweep's coverage replay may take; past that, "
                             "the first seeds that fit, said in the output (default 900)")
    parser.add_argument("--jobs", type=int, default=1, metavar="J",
                        help="mutant builds and runs in parallel (the mutant phase only; "
                             "default 1)")
    parser.add_argument("--out-dir", default=os.path.join(ROOT, "fuzz-out", "fuzz-vs-sweep"),
                        metavar="DIR", help="corpus, seed list, coverage reports, results "
                                            "(default fuzz-out/fuzz-vs-sweep/; must be "
                                            "empty or absent unless --force)")
    parser.add_argument("--force", action="store_true",
                        help="empty --out-dir first when it holds an earlier run")
    parser.add_argument("--build-root", default=os.path.join(ROOT, "build-fvs"),
                        metavar="DIR", help="build directories (default build-fvs/)")
    args = parser.parse_args(argv)
    if not (math.isfinite(args.budget) and args.budget > 0):
        parser.error("--budget must be a positive number of seconds")
    if args.mutants < 0:
        parser.error("--mutants must be 0 or more")
    if args.mutant_seeds < 1:
        parser.error("--mutant-seeds must be at least 1")
    if args.coverage_seeds is not None and args.coverage_seeds < 1:
        parser.error("--coverage-seeds must be at least 1")
    if not (math.isfinite(args.coverage_max_seconds) and args.coverage_max_seconds > 0):
        parser.error("--coverage-max-seconds must be positive")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.fuzz_seed < 0:
        parser.error("--fuzz-seed must be 0 or more")
    args.out_dir = os.path.abspath(args.out_dir)
    args.build_root = os.path.abspath(args.build_root)
    return args


# ---- processes ----

def run_quiet(command, what, env=None, log=None):
    """One step (llvm-profdata, llvm-cov): its output, or Failure with the end of it."""
    return process.step(command, what, env=env, log=log, cwd=ROOT, error=Failure)


def pin(cpus):
    """Pins this process (and so every child) to `cpus` CPUs: the last ones allowed."""
    allowed = sorted(os.sched_getaffinity(0))
    chosen = set(allowed[-cpus:])
    os.sched_setaffinity(0, chosen)
    return sorted(chosen)


# ---- builds ----

def build_all(args, log):
    missing = builds.missing_tools(("meson", "ninja", "clang", "llvm-profdata", "llvm-cov",
                                    "git"))
    if missing:
        raise Failure(f"{', '.join(missing)} missing: scripts/setup installs them")

    def build(directory, options, targets, env_extra):
        env = dict(os.environ, **env_extra)
        builds.build(directory, options, targets, "fuzz-vs-sweep", env=env, log=log, say=say)

    clang = {"CC": "clang", "CXX": "clang++"}
    common = ["-Dtests=false", "-Dbench=false"]
    dirs = {name: os.path.join(args.build_root, name)
            for name in ("libfuzzer", "release", "coverage")}
    say(f"building {FUZZER} (libFuzzer, ASan+UBSan) in {dirs['libfuzzer']}")
    build(dirs["libfuzzer"], [*common, "-Dfuzzing=libfuzzer", "-Dbuildtype=debugoptimized"],
          [FUZZER], clang)
    say(f"building {SIM} and {REPLAY} (release) in {dirs['release']}")
    build(dirs["release"], [*common, "--buildtype=release"], [SIM, REPLAY], {})
    say(f"building {SIM} and {REPLAY} (coverage) in {dirs['coverage']}")
    # meson runs what it compiles while it configures: no profiles from that.
    build(dirs["coverage"],
          [*common, "-Dbuildtype=debugoptimized", f"-Dc_args={COVERAGE_FLAGS}",
           f"-Dc_link_args={COVERAGE_FLAGS}"],
          [SIM, REPLAY], {**clang, "LLVM_PROFILE_FILE": "/dev/null"})
    return dirs


# ---- fuzz ----

def fuzz_options():
    """-dict and -max_len as scripts/fuzz passes them for fuzz_sim."""
    options = []
    dictionary = os.path.join(ROOT, "corpus", "fuzz_sim.dict")
    if os.path.isfile(dictionary):
        options.append(f"-dict={dictionary}")
    try:
        with open(os.path.join(ROOT, "fuzz", "fuzz_sim.options"), encoding="utf-8") as f:
            match = re.search(r"^max_len\s*=\s*(\d+)", f.read(), re.M)
        if match:
            options.append(f"-max_len={match[1]}")
    except OSError:
        pass
    return options


def last_status(log):
    """libFuzzer's last '#N ... cov: ... ft: ... corp: ...' line, tidied."""
    try:
        with open(log, "rb") as f:
            f.seek(max(0, os.path.getsize(log) - 8192))
            tail = f.read().decode(errors="replace")
    except OSError:
        return ""
    lines = [line for line in tail.splitlines() if re.match(r"#\d+\s", line)]
    return " ".join(lines[-1].split()[:13]) if lines else ""


def fuzz(args, fuzzer, out):
    corpus = os.path.join(out, "corpus")
    artifacts = os.path.join(out, "fuzz-artifacts")
    os.makedirs(corpus)
    os.makedirs(artifacts)
    used, executions, crashes, restarts = 0.0, 0, [], 0
    say(f"fuzz: {FUZZER} from an empty corpus ({corpus}) for {args.budget:g} CPU seconds")
    while args.budget - used > 0.5:
        log = os.path.join(out, f"fuzz-{restarts}.log")
        before = set(os.listdir(artifacts))
        command = [fuzzer, *fuzz_options(), f"-seed={args.fuzz_seed + restarts}",
                   "-print_final_stats=1", f"-artifact_prefix={artifacts}/", "-timeout=10",
                   "-rss_limit_mb=2048",
                   # Wall time only as a backstop: the CPU budget stops it (SIGINT).
                   f"-max_total_time={int(10 * (args.budget - used)) + 60}", corpus]
        with open(log, "wb") as log_file:
            child = process.spawn(command, stdout=log_file, stderr=process.STDOUT, cwd=out)
        interrupted = False
        next_progress = time.monotonic() + PROGRESS_EVERY
        try:
            while not process.exited(child.pid):
                cpu = process.cpu_of(child.pid)
                if cpu is None:
                    break
                left = args.budget - used - cpu
                if left <= 0 and not interrupted:
                    os.kill(child.pid, signal.SIGINT)  # final stats, then exit 72
                    interrupted = True
                if time.monotonic() >= next_progress:
                    say(f"fuzz: {used + cpu:.0f}/{args.budget:g} CPU s  {last_status(log)}")
                    next_progress += PROGRESS_EVERY
                time.sleep(0.05 if 0 < left < 1 else min(0.25, max(left / 4, 0.05)))
        except BaseException:
            process.kill_group(child)
            process.reap(child)
            raise
        cpu = process.reap(child)
        used += cpu
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        units = re.findall(r"^stat::number_of_executed_units:\s*(\d+)", text, re.M)
        if units:
            executions += int(units[-1])
        else:  # no final stats: the last status line's count
            counts = re.findall(r"^#(\d+)\s", text, re.M)
            executions += int(counts[-1]) if counts else 0
        found = sorted(set(os.listdir(artifacts)) - before)
        if interrupted and child.returncode == 72:
            break
        if not found:
            raise Failure(f"libFuzzer exited with status {child.returncode} before the "
                          f"budget ({used:.1f} of {args.budget:g} CPU s) and saved no "
                          f"input: see {log}")
        # fuzz_sim's failed check names the simulator's: "[signature] at op N".
        check = re.search(r"^\s*\[([^\]\s]+)\] at op \d+", text, re.M)
        signature = check[1] if check else signatures.abort_signature(text, None)
        for name in found:
            crashes.append({"artifact": os.path.join(artifacts, name),
                            "signature": signature, "log": log})
            say(f"fuzz: libFuzzer saved {name} ({crashes[-1]['signature']}); restarting "
                f"on the same corpus for the {args.budget - used:.0f} CPU s left")
        restarts += 1
    inputs = sorted(n for n in os.listdir(corpus) if not n.startswith("."))
    if not inputs:
        raise Failure(f"the fuzzer left no input in {corpus}")
    say(f"fuzz: done: {used:.2f} CPU s, {executions} executions, {len(inputs)} corpus inputs, "
        f"{len(crashes)} crash(es)")
    return {"cpu": used, "executions": executions, "corpus": corpus, "inputs": len(inputs),
            "crashes": crashes, "restarts": restarts}


# ---- sweep ----

def run_seeds(sim, first, last, env_extra=None):
    """The simulator on seeds first..last with --json, to completion. Returns (CPU seconds,
    seeds reported, failures: [(seed, signature)], the seed it died on (the first seed not
    reported) or None, returncode)."""
    command = [sim, "--seeds", f"{first}..{last}", "--json"]
    env = dict(os.environ)
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    env.update(env_extra or {})
    stderr_path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"fvs-sim-{os.getpid()}.err")
    with open(stderr_path, "w+b") as stderr:
        child = process.spawn(command, stdout=process.PIPE, stderr=stderr, env=env)
        reported, failures, last_seen = 0, [], first - 1
        try:
            for line in child.stdout:
                if not line.startswith(b"{"):
                    continue
                reported += 1
                if b'"outcome":"ok"' in line:
                    continue
                result = results.parse_simulator_line(line) or {}
                last_seen = result.get("seed", last_seen)
                failure = result.get("failure") or {}
                failures.append((last_seen, failure.get("signature", result.get("outcome"))))
            child.stdout.close()
        except BaseException:
            process.kill_group(child)
            process.reap(child)
            raise
        cpu = process.reap(child)
        stderr.seek(0)
        text = stderr.read().decode(errors="replace")
    os.unlink(stderr_path)
    died = None
    if reported < last - first + 1:
        if child.returncode == USAGE:
            raise Failure(f"the simulator refused {' '.join(command)}:\n{text[-2000:]}")
        died = first + reported
        failures.append((died, signatures.abort_signature(text, process.exit_status(
            child.returncode))))
    return cpu, reported, failures, died, child.returncode


def sweep(args, sim, target, out):
    say(f"sweep: {SIM} on seeds 0, 1, 2, ... for {target:.2f} CPU seconds")
    used, seed, failures, died_on = 0.0, 0, [], []
    next_progress = time.monotonic() + PROGRESS_EVERY
    while used < target:
        left = target - used
        per_seed = used / seed if seed else None
        # Chunks of about 3 s while far from the end, single seeds at the end.
        count = 64 if per_seed is None else max(1, min(int(3 / per_seed) or 1,
                                                       int(0.8 * left / per_seed)))
        cpu, reported, failed, died, _ = run_seeds(sim, seed, seed + count - 1)
        used += cpu
        failures += failed
        if died is not None:  # the rest of the chunk never ran
            died_on.append(died)
            seed = died + 1
        else:
            seed += count
        if time.monotonic() >= next_progress:
            say(f"sweep: {used:.0f}/{target:.0f} CPU s, {seed} seeds, {len(failures)} failed")
            next_progress += PROGRESS_EVERY
    with open(os.path.join(out, "sweep-seeds.txt"), "w", encoding="utf-8") as f:
        f.write(f"seeds 0..{seed - 1} ({seed} seeds) of {os.path.relpath(sim, ROOT)}, "
                f"each: {SIM} --seed S\n")
    with open(os.path.join(out, "sweep-failures.jsonl"), "w", encoding="utf-8") as f:
        for s, signature in failures:
            f.write(json.dumps({"seed": s, "signature": signature}) + "\n")
    say(f"sweep: done: {used:.2f} CPU s, {seed} seeds (0..{seed - 1}), "
        f"{len(failures)} failed")
    return {"cpu": used, "seeds": seed, "failures": failures, "died_on": died_on}


# ---- coverage ----

def replay_sweep_coverage(args, sim, sweep_result, profiles):
    """The coverage simulator on seeds 0..M-1 (less the seeds the sweep's simulator died on,
    whose abort would lose a process's profile); returns (M, why M is less than the sweep's
    seeds or None, CPU seconds)."""
    seeds, skip = sweep_result["seeds"], set(sweep_result["died_on"])
    env = {"LLVM_PROFILE_FILE": os.path.join(profiles, "sweep-%p.profraw")}

    def ranges(first, end, size):
        """first..end-1 in runs of at most `size` seeds, around the seeds in skip."""
        while first < end:
            last = min(first + size, end) - 1
            stop = min((s for s in skip if first <= s <= last), default=None)
            if stop is None:
                yield first, last
                first = last + 1
            else:
                if stop > first:
                    yield first, stop - 1
                first = stop + 1

    def replay(first, end, size):
        cpu = 0.0
        for a, b in ranges(first, end, size):
            used, _, _, died, _ = run_seeds(sim, a, b, env)
            cpu += used
            if died is not None:
                raise Failure(f"the coverage simulator died on seed {died}, which the "
                              f"sweep's simulator ran to its end (the builds differ)")
        return cpu

    probe = min(seeds, 500)
    total = replay(0, probe, probe)
    per_seed = total / probe
    wanted, why = seeds, None
    if args.coverage_seeds is not None and args.coverage_seeds < seeds:
        wanted, why = args.coverage_seeds, "--coverage-seeds"
    if wanted * per_seed > args.coverage_max_seconds:
        wanted = max(probe, int(args.coverage_max_seconds / per_seed))
        why = (f"all {seeds} seeds would take about {seeds * per_seed:.0f} CPU s, more "
               f"than --coverage-max-seconds {args.coverage_max_seconds:g}")
    say(f"coverage: sweep seeds 0..{wanted - 1} through the coverage simulator, about "
        f"{wanted * per_seed:.0f} CPU s" + (f" ({why})" if why else ""))
    if skip:
        say(f"coverage: without the seeds the sweep's simulator died on: "
            f"{', '.join(map(str, sorted(skip)))}")
    seed = probe
    next_progress = time.monotonic() + PROGRESS_EVERY
    while seed < wanted:
        end = min(seed + 20000, wanted)
        total += replay(seed, end, 20000)
        seed = end
        if time.monotonic() >= next_progress:
            say(f"coverage: {seed}/{wanted} seeds, {total:.0f} CPU s")
            next_progress += PROGRESS_EVERY
    return wanted, why, total


def export(binary, profdata, sources, fmt):
    return run_quiet(["llvm-cov", "export", f"-format={fmt}", f"-instr-profile={profdata}",
                      binary, *sources], "llvm-cov export")


def core_name(path):
    return "core/" + path.split("/core/", 1)[-1]


def coverage_of(binary, profraws, name, cov_dir):
    """{file: {lines, branches}} of core/src, the covered line numbers and functions."""
    profdata = os.path.join(cov_dir, f"{name}.profdata")
    run_quiet(["llvm-profdata", "merge", "-sparse", *profraws, "-o", profdata],
              "llvm-profdata merge")
    sources = sorted(os.path.join(ROOT, "core", "src", f)
                     for f in os.listdir(os.path.join(ROOT, "core", "src")) if f.endswith(".c"))
    data = json.loads(export(binary, profdata, sources, "text"))["data"][0]
    lcov = export(binary, profdata, sources, "lcov")
    with open(os.path.join(cov_dir, f"{name}.lcov"), "w", encoding="utf-8") as f:
        f.write(lcov)
    run_quiet(["llvm-cov", "show", "-format=html", f"-output-dir={os.path.join(cov_dir, name)}",
               f"-instr-profile={profdata}", "-show-branches=count", binary, *sources],
              "llvm-cov show")
    files = {}
    for entry in data["files"]:
        summary = entry["summary"]
        # Headers with no code of their own (assert.h's macro counts where it expands).
        if "/core/src/" not in entry["filename"] or not summary["lines"]["count"]:
            continue
        files[core_name(entry["filename"])] = {
            "lines": (summary["lines"]["covered"], summary["lines"]["count"]),
            "branches": (summary["branches"]["covered"], summary["branches"]["count"])}
    with open(os.path.join(cov_dir, f"{name}.json"), "w", encoding="utf-8") as f:
        json.dump(files, f, indent=1, sort_keys=True)
    lines, current = {}, None
    for line in lcov.splitlines():
        if line.startswith("SF:"):
            current = core_name(line[3:]) if "/core/src/" in line else None
            if current:
                lines[current] = set()
        elif line.startswith("DA:") and current:
            number, count = line[3:].split(",")[:2]
            if int(count) > 0:
                lines[current].add(int(number))
    functions = {(core_name(f["filenames"][0]), f["name"].split(":")[-1])
                 for f in data["functions"]
                 if f["count"] > 0 and "/core/src/" in f["filenames"][0]}
    return {"files": files, "lines": lines, "functions": functions}


def coverage(args, dirs, fuzz_result, sweep_result, out):
    cov_dir = os.path.join(out, "coverage")
    profiles = os.path.join(cov_dir, "profraw")
    os.makedirs(profiles)
    replay = os.path.join(dirs["coverage"], REPLAY)
    say(f"coverage: the corpus ({fuzz_result['inputs']} inputs) through the coverage "
        f"{REPLAY}")
    env = dict(os.environ, LLVM_PROFILE_FILE=os.path.join(profiles, "fuzz-%p.profraw"))
    with open(os.path.join(cov_dir, "fuzz-replay.log"), "w+b") as log:
        child = process.spawn([replay, "--quiet", fuzz_result["corpus"]], env=env, stdout=log,
                              stderr=process.STDOUT)
        try:
            fuzz_cpu = process.reap(child)
        except BaseException:
            process.kill_group(child)
            raise
        log.seek(0)
        text = log.read().decode(errors="replace")
    if child.returncode != 0:
        raise Failure(f"the coverage {REPLAY} failed on the corpus (exit "
                      f"{child.returncode}): an input the fuzzer kept fails in this "
                      f"build:\n{text[-2000:]}")
    say(f"coverage: corpus replayed, {fuzz_cpu:.1f} CPU s")
    replayed, why, sweep_cpu = replay_sweep_coverage(
        args, os.path.join(dirs["coverage"], SIM), sweep_result, profiles)
    say(f"coverage: {replayed} sweep seeds replayed, {sweep_cpu:.0f} CPU s")
    result = {}
    for side, binary in (("fuzz", replay), ("sweep", os.path.join(dirs["coverage"], SIM))):
        raws = [os.path.join(profiles, n) for n in sorted(os.listdir(profiles))
                if n.startswith(side + "-")]
        if not raws:
            raise Failure(f"no profile from the {side} side in {profiles}")
        result[side] = coverage_of(binary, raws, side, cov_dir)
    result["sweep_replayed"], result["sweep_subset"] = replayed, why
    # The same build on both sides: what a run costs without the fuzzer's instrumentation.
    result["cpu_per_run"] = {"fuzz": fuzz_cpu / fuzz_result["inputs"],
                             "sweep": sweep_cpu / replayed}
    return result


# ---- mutants ----

def time_unmutated(command):
    started = time.monotonic()
    done = process.run(command)
    if done.returncode != 0:
        raise Failure(f"the unmutated build already fails: {' '.join(command)}\n"
                      f"{done.stderr.decode(errors='replace')[-2000:]}")
    return time.monotonic() - started


def mutants(args, dirs, fuzz_result, sweep_result, out):
    cap = min(args.mutant_seeds, sweep_result["seeds"])
    sim = os.path.join(dirs["release"], SIM)
    replay = os.path.join(dirs["release"], REPLAY)
    # A killer that takes ten times as long as on the unmutated build is a hang.
    slowest = max(time_unmutated([sim, "--seeds", f"0..{cap - 1}", "--quiet"]),
                  time_unmutated([replay, "--quiet", fuzz_result["corpus"]]))
    timeout = max(120, round(10 * slowest))
    results = os.path.join(out, "mutants.jsonl")
    command = [os.path.join(ROOT, "scripts", "mutate"), "--sample", str(args.mutants),
               "--seed", str(args.mutant_seed), "--jobs", str(args.jobs),
               "--only", "sim,fuzz", "--independent", "--seeds", f"0..{cap - 1}",
               "--corpus-replay", fuzz_result["corpus"], "--timeout", str(timeout),
               "--build-root", os.path.join(args.build_root, "mutate"), "--out", results]
    shown = [os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in command]
    say(f"mutants: {' '.join(shown)}")
    with open(os.path.join(out, "mutate-summary.txt"), "w", encoding="utf-8") as summary:
        done = process.run(command, stdout=summary, stderr=None)
    if done.returncode not in (0, 1):  # 1: below a goal, and there is none here
        raise Failure(f"scripts/mutate failed (exit {done.returncode}); see its messages above")
    try:
        records = {record["key"]: record for record in mutant_records.read(results)}
    except (OSError, mutant_records.Unreadable) as error:
        raise Failure(f"scripts/mutate's results cannot be read: {error}") from None
    if len(records) != args.mutants:
        raise Failure(f"scripts/mutate judged {len(records)} of {args.mutants} mutants "
                      f"({results})")
    built = [r for r in records.values() if r["status"] != "compile_error"]
    for r in built:
        if set(r.get("verdicts", {})) != {"sim", "fuzz"}:
            raise Failure(f"{results}: a result without both verdicts: {r['key']}")
    killed = {side: [r for r in built if r["verdicts"][k]]
              for side, k in (("fuzz", "fuzz"), ("sweep", "sim"))}
    keys = {side: {r["key"] for r in killed[side]} for side in SIDES}
    same = fuzz_result["inputs"]
    return {
        "sampled": len(records), "built": len(built), "seeds_cap": cap, "timeout": timeout,
        # Known equivalent: an object file identical to the original's, or reviewed in
        # core/mutants/equivalent.txt (scripts/mutate marks both).
        "equivalent": sum(bool(r.get("equivalent")) for r in built),
        "killed": {side: len(killed[side]) for side in SIDES},
        "only": {side: sorted((r for r in built if r["key"] in keys[side] - keys[other]),
                              key=lambda r: (r["file"], r["line"]))
                 for side, other in (("fuzz", "sweep"), ("sweep", "fuzz"))},
        "neither": sum(r["key"] not in keys["fuzz"] | keys["sweep"] for r in built),
        "sweep_within_corpus_size": (sum(r["verdicts"]["sim"]["seed"] < same
                                         for r in killed["sweep"]
                                         if isinstance(r["verdicts"]["sim"].get("seed"), int))
                                     if same <= cap else None),
        "results": results}


# ---- report ----

def pct(covered, count):
    return 100.0 * covered / count if count else 100.0


def metrics(meta, fuzz_result, sweep_result, cov, mut):
    """The results, one dict per metric."""
    common = {"commit": meta["commit"], "budget": meta["budget"]}
    rows = []

    def add(name, value, unit, **extra):
        rows.append({"name": name, "value": value, "unit": unit, **extra, **common})

    add("cpu_seconds", round(fuzz_result["cpu"], 3), "s", side="fuzz")
    add("cpu_seconds", round(sweep_result["cpu"], 3), "s", side="sweep")
    add("runs", fuzz_result["executions"], "executions", side="fuzz")
    add("runs", sweep_result["seeds"], "seeds", side="sweep", first=0,
        last=sweep_result["seeds"] - 1)
    add("corpus_inputs", fuzz_result["inputs"], "inputs", side="fuzz")
    add("failures_found", len(fuzz_result["crashes"]), "inputs", side="fuzz",
        signatures=sorted({c["signature"] for c in fuzz_result["crashes"]}))
    add("failures_found", len(sweep_result["failures"]), "seeds", side="sweep",
        signatures=sorted({s for _, s in sweep_result["failures"]}))
    if cov:
        add("coverage_replayed", fuzz_result["inputs"], "inputs", side="fuzz")
        add("coverage_replayed", cov["sweep_replayed"], "seeds", side="sweep",
            of=sweep_result["seeds"], subset=cov["sweep_subset"])
        for side in SIDES:
            add("coverage_build_cpu_ms_per_run", round(1000 * cov["cpu_per_run"][side], 3),
                "ms", side=side)
        for side in SIDES:
            files = cov[side]["files"]
            for kind in ("lines", "branches"):
                total = [0, 0]
                for name in sorted(files):
                    covered, count = files[name][kind]
                    total[0] += covered
                    total[1] += count
                    add(f"{kind[:-1]}_coverage", round(pct(covered, count), 2), "%",
                        side=side, file=name, covered=covered, count=count)
                add(f"{kind[:-1]}_coverage", round(pct(*total), 2), "%", side=side,
                    file="core/src (total)", covered=total[0], count=total[1])
        for side, other in (("fuzz", "sweep"), ("sweep", "fuzz")):
            only = sum(len(cov[side]["lines"].get(f, set()) - cov[other]["lines"].get(f, set()))
                       for f in cov[side]["lines"])
            add("lines_only_this_side", only, "lines", side=side)
            add("functions_only_this_side",
                len(cov[side]["functions"] - cov[other]["functions"]), "functions", side=side,
                functions=sorted(f"{f}:{n}" for f, n in
                                 cov[side]["functions"] - cov[other]["functions"]))
    if mut:
        for side in SIDES:
            add("mutants_killed", mut["killed"][side], "mutants", side=side,
                of=mut["built"], pct=round(pct(mut["killed"][side], mut["built"]), 1),
                sampled=mut["sampled"], mutant_seed=meta["mutant_seed"],
                **({"seeds": f"0..{mut['seeds_cap'] - 1}"} if side == "sweep" else
                   {"inputs": fuzz_result["inputs"]}))
            add("mutants_killed_only_this_side", len(mut["only"][side]), "mutants", side=side,
                keys=[r["key"] for r in mut["only"][side]])
        add("mutants_killed_by_neither", mut["neither"], "mutants", of=mut["built"],
            known_equivalent=mut["equivalent"])
        if mut["sweep_within_corpus_size"] is not None:
            add("mutants_killed_within_corpus_size", mut["sweep_within_corpus_size"], "mutants",
                side="sweep", seeds=f"0..{fuzz_result['inputs'] - 1}", of=mut["built"])
    return rows


def table(meta, fuzz_result, sweep_result, cov, mut):
    out = []
    w = 34

    def row(label, fuzz_text, sweep_text):
        out.append(f"{label:<{w}} {fuzz_text:>24} {sweep_text:>24}")

    out.append(f"fuzz_sim under libFuzzer against a seed sweep, equal CPU time "
               f"(commit {meta['commit']}, budget {meta['budget']:g} CPU s)")
    row("", "libFuzzer fuzz_sim", "sweep, release sim")
    row("CPU seconds", f"{fuzz_result['cpu']:.2f}", f"{sweep_result['cpu']:.2f}")
    row("runs", f"{fuzz_result['executions']} execs", f"{sweep_result['seeds']} seeds")
    row("CPU ms per run, fuzzer / release",
        f"{1000 * fuzz_result['cpu'] / max(fuzz_result['executions'], 1):.2f}",
        f"{1000 * sweep_result['cpu'] / max(sweep_result['seeds'], 1):.2f}")
    row("corpus kept", f"{fuzz_result['inputs']} inputs", "-")
    row("failures found", str(len(fuzz_result["crashes"])), str(len(sweep_result["failures"])))
    if cov:
        row("replayed for coverage", f"{fuzz_result['inputs']} inputs",
            f"{cov['sweep_replayed']} seeds" + ("" if cov["sweep_subset"] is None else " *"))
        row("  CPU ms per run, coverage build",
            *(f"{1000 * cov['cpu_per_run'][s]:.2f}" for s in SIDES))
        out.append("core/src coverage (covered/count %)")
        totals = {s: {"lines": [0, 0], "branches": [0, 0]} for s in SIDES}
        for name in sorted(set(cov["fuzz"]["files"]) | set(cov["sweep"]["files"])):
            for kind in ("lines", "branches"):
                cells = []
                for side in SIDES:
                    covered, count = cov[side]["files"].get(name, {}).get(kind, (0, 0))
                    totals[side][kind][0] += covered
                    totals[side][kind][1] += count
                    cells.append(f"{covered}/{count} {pct(covered, count):5.1f}%")
                row(f"  {name} {kind}", *cells)
        for kind in ("lines", "branches"):
            row(f"  total {kind}", *(f"{totals[s][kind][0]}/{totals[s][kind][1]} "
                                     f"{pct(*totals[s][kind]):5.1f}%" for s in SIDES))
        only = {}
        for side, other in (("fuzz", "sweep"), ("sweep", "fuzz")):
            only[side] = sum(len(cov[side]["lines"].get(f, set()) -
                                 cov[other]["lines"].get(f, set())) for f in cov[side]["lines"])
        row("  lines only this side covers", str(only["fuzz"]), str(only["sweep"]))
        for side, other in (("fuzz", "sweep"), ("sweep", "fuzz")):
            names = sorted(f"{n}" for _, n in cov[side]["functions"] - cov[other]["functions"])
            if names:
                out.append(f"  functions only the {side} side reaches: {', '.join(names)}")
        if cov["sweep_subset"]:
            out.append(f"  * the first {cov['sweep_replayed']} of {sweep_result['seeds']} "
                       f"seeds: {cov['sweep_subset']}")
    if mut:
        out.append(f"mutants: scripts/mutate sample of {mut['sampled']} (seed "
                   f"{meta['mutant_seed']}), {mut['built']} built")
        row("  killed", *(f"{mut['killed'][s]}/{mut['built']} "
                          f"{pct(mut['killed'][s], mut['built']):5.1f}%" for s in SIDES))
        row("  killed by this side only", str(len(mut["only"]["fuzz"])),
            str(len(mut["only"]["sweep"])))
        row("  replayed per mutant", f"{fuzz_result['inputs']} inputs",
            f"seeds 0..{mut['seeds_cap'] - 1}")
        if mut["sweep_within_corpus_size"] is not None:
            row(f"  killed within {fuzz_result['inputs']} runs", "-",
                f"{mut['sweep_within_corpus_size']}/{mut['built']}")
        out.append(f"  killed by neither: {mut['neither']} ({mut['equivalent']} of them known "
                   f"equivalent: object file identical, or in core/mutants/equivalent.txt)")
        for side in SIDES:
            for r in mut["only"][side]:
                verdict = r["verdicts"]["fuzz" if side == "fuzz" else "sim"]
                where = (f"input {verdict.get('input')}" if side == "fuzz"
                         else f"seed {verdict.get('seed')}")
                out.append(f"  only {side}: {r['file']}:{r['line']} {r['function']}: "
                           f"{r['operator']} {r['original']!r} -> {r['replacement']!r} "
                           f"({where}, {verdict.get('check')})")
        out.append(f"  per-mutant results: {mut['results']}")
    if cov:
        out.append(f"coverage reports: {os.path.join(meta['out'], 'coverage')}/{{fuzz,sweep}}/"
                   f"index.html")
    return "\n".join(out)


def prepare_out_dir(args):
    """--out-dir and --build-root checked before any work, --out-dir emptied (--force) and
    made; OutputError when they cannot be written."""
    outputs.check_dir(args.out_dir, "--out-dir")
    outputs.check_dir(args.build_root, "--build-root")
    if os.path.isdir(args.out_dir) and os.listdir(args.out_dir):
        if not args.force:
            raise outputs.OutputError(f"--out-dir {outputs.shown(args.out_dir)} holds an "
                                      "earlier run: remove it, give another --out-dir, or "
                                      "--force", USAGE)
        try:
            shutil.rmtree(args.out_dir)
        except OSError as error:
            raise outputs.OutputError(f"--force: cannot empty {outputs.shown(args.out_dir)}: "
                                      f"{outputs.reason(error)}") from None
    try:
        os.makedirs(args.out_dir, exist_ok=True)
    except OSError as error:
        raise outputs.OutputError(f"cannot make --out-dir {outputs.shown(args.out_dir)}: "
                                  f"{outputs.reason(error)}") from None


def main(argv):
    args = parse_args(argv)
    try:
        prepare_out_dir(args)
    except outputs.OutputError as error:
        print(f"fuzz-vs-sweep: {error}", file=sys.stderr)
        return error.status
    out = args.out_dir
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup's SIGHUP stays ignored
            signal.signal(signum, stop_on)
    cpus = pin(1)
    commit = checkout.git("describe", "--always", "--dirty", "--abbrev=12") or "unknown"
    meta = {"commit": commit, "budget": args.budget, "mutant_seed": args.mutant_seed,
            "out": out}
    say(f"commit {commit}; pinned to CPU {cpus[0]}; results in {out}")
    started = time.monotonic()
    try:
        dirs = build_all(args, os.path.join(out, "build.log"))
        fuzz_result = fuzz(args, os.path.join(dirs["libfuzzer"], FUZZER), out)
        sweep_result = sweep(args, os.path.join(dirs["release"], SIM), fuzz_result["cpu"], out)
        cov = coverage(args, dirs, fuzz_result, sweep_result, out)
        mut = None
        if args.mutants:
            pin(args.jobs)
            mut = mutants(args, dirs, fuzz_result, sweep_result, out)
            pin(1)
    except (Failure, builds.BuildError) as error:
        print(f"fuzz-vs-sweep: {error}", file=sys.stderr)
        return FAILED
    except OSError as error:  # a file of the run (a full disk under --out-dir)
        print(f"fuzz-vs-sweep: cannot write {outputs.shown(error.filename or out)}: "
              f"{outputs.reason(error)}", file=sys.stderr)
        return ENVIRONMENT
    except KeyboardInterrupt:
        print("fuzz-vs-sweep: interrupted", file=sys.stderr)
        return 130
    rows = metrics(meta, fuzz_result, sweep_result, cov, mut)
    text = table(meta, fuzz_result, sweep_result, cov, mut)
    try:
        outputs.write_text(os.path.join(out, "results.jsonl"),
                           "".join(json.dumps(r) + "\n" for r in rows), "results")
        outputs.write_text(os.path.join(out, "table.txt"), text + "\n", "the table")
    except outputs.OutputError as error:  # the results still go to standard output
        print(f"fuzz-vs-sweep: {error}", file=sys.stderr)
        status = ENVIRONMENT
    else:
        status = OK
    for r in rows:
        print(json.dumps(r), flush=True)
    print(text, file=sys.stderr, flush=True)
    say(f"done in {time.monotonic() - started:.0f} s")
    return status
