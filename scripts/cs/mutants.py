"""The mutant catalogue (core/mutants/NAME.patch, one deliberate bug each) and
scripts/mutants, which builds each mutant and reports what catches it.

The production sources hold no mutant code. A mutant is built from a scratch copy of
the source tree with its patch applied (BUILD_ROOT/NAME/src), configured once into
BUILD_ROOT/NAME/build and rebuilt incrementally: a file is rewritten in the copy only
when its content changed, so ninja recompiles only what differs.
"""

import argparse
import concurrent.futures
import os
import shutil
import statistics
import sys
import tempfile
import time

from . import ROOT, builds, checkout, jsonl, killers, outputs, process, signatures
from .exits import ENVIRONMENT, FAILED, OK

PATCH_DIR = os.path.join(ROOT, "core", "mutants")


class MutantError(Exception):
    """A patch that is missing, does not apply, or a tree that cannot be copied."""


def catalogue():
    """The mutant names, sorted: every core/mutants/*.patch."""
    try:
        names = os.listdir(PATCH_DIR)
    except OSError as error:
        raise MutantError(f"cannot list {PATCH_DIR}: {error}") from None
    return sorted(name[:-len(".patch")] for name in names if name.endswith(".patch"))


def patch_path(name):
    return os.path.join(PATCH_DIR, name + ".patch")


def description(name):
    """The patch's first line without the 'Mutant NAME: ' prefix."""
    with open(patch_path(name), encoding="utf-8") as f:
        first = f.readline().strip()
    prefix = f"Mutant {name}: "
    return first[len(prefix):] if first.startswith(prefix) else first


def patched_files(name):
    """{relative path: patched bytes} for the files the patch of `name` changes."""
    path = patch_path(name)
    if not os.path.isfile(path):
        raise MutantError(f"unknown mutant {name!r}: no {os.path.relpath(path, ROOT)}")
    with tempfile.TemporaryDirectory(prefix="mutant-") as scratch:
        touched = checkout.git_run("apply", "--numstat", path)
        if touched.returncode != 0:
            raise MutantError(f"{name}: the patch cannot be read: {touched.stderr.strip()}")
        files = [line.split("\t", 2)[2] for line in touched.stdout.splitlines() if line]
        for f in files:
            os.makedirs(os.path.dirname(os.path.join(scratch, f)), exist_ok=True)
            shutil.copyfile(os.path.join(ROOT, f), os.path.join(scratch, f))
        applied = checkout.git_run("apply", path, cwd=scratch)
        if applied.returncode != 0:
            raise MutantError(f"{name}: the patch no longer applies to the sources: "
                              f"{applied.stderr.strip()}")
        result = {}
        for f in files:
            with open(os.path.join(scratch, f), "rb") as handle:
                result[f] = handle.read()
        return result


def check_applies(name):
    """Raises MutantError unless the patch of `name` applies to the current sources."""
    patched_files(name)


def scratch_tree(name, build_root):
    """BUILD_ROOT/NAME/src: the sources with the patch of `name` applied; returns its path."""
    tree = os.path.join(build_root, name, "src")
    checkout.mirror(tree, checkout.source_files(), replaced=patched_files(name))
    return tree


def build(name, build_root, targets, who="mutants"):
    """Builds `targets` of mutant `name` (a release build, builds.MUTANT); returns the
    build directory. Raises MutantError when the patch does not apply, builds.BuildError
    when a tool is missing or meson or ninja fails (a mutant that does not compile)."""
    tree = scratch_tree(name, build_root)
    directory = os.path.join(build_root, name, "build")
    return builds.build(directory, builds.MUTANT, targets, who, source=tree)


# ---- scripts/mutants ----

NO_FUZZ = False
CHUNK = 4  # seeds per simulator process: small, so the first killing seed is found early


def fuzz_targets():
    return sorted(f[:-2] for f in os.listdir(os.path.join(ROOT, "fuzz"))
                  if f.startswith("fuzz_") and f.endswith(".c"))


def build_for_hunt(name, build_root):
    """Builds the simulator and the replay drivers of one mutant; returns the build dir."""
    targets = [builds.SIMULATOR] + ([] if NO_FUZZ else
                                    [f"fuzz/{t}_replay" for t in fuzz_targets()])
    return build(name, build_root, targets)


def abort_name(stderr, returncode):
    """A crash is named as scripts/sweep names it (cs.signatures)."""
    return signatures.abort_signature(stderr, process.exit_status(returncode))


def run_chunk(sim, first, last, timeout):
    """Runs seeds first..last; returns (failing seed or None, details). A crash (an
    assertion abort) takes the rest of the chunk with it: the seed after the last one
    printed is the one that crashed."""
    verdict = killers.simulate(sim, first, last, timeout=timeout, abort_name=abort_name)
    if verdict is None:
        return None, None
    return verdict["seed"], {"check": verdict["check"], "ops": verdict.get("op")}


def sim_hunt(sim, seeds, seconds, jobs):
    """The lowest failing seed in 1..seeds, searching in order with `jobs` processes."""
    start = time.monotonic()
    chunks = [(a, min(a + CHUNK - 1, seeds)) for a in range(1, seeds + 1, CHUNK)]
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        pending = {}
        next_chunk = 0
        results = {}
        while next_chunk < len(chunks) or pending:
            while next_chunk < len(chunks) and len(pending) < jobs:
                if time.monotonic() - start > seconds:
                    break
                chunk = chunks[next_chunk]
                pending[pool.submit(run_chunk, sim, *chunk, seconds)] = next_chunk
                next_chunk += 1
            if not pending:
                break
            done, _ = concurrent.futures.wait(pending, return_when="FIRST_COMPLETED")
            for future in done:
                results[pending.pop(future)] = future.result()
            # The answer is the first chunk (in order) with a failure, once all before it ran.
            for index in range(len(chunks)):
                if index not in results:
                    break
                seed, details = results[index]
                if seed is not None:
                    for future in pending:
                        future.cancel()
                    return {"seed": seed, "seconds": round(time.monotonic() - start, 3),
                            **details}
    return None


def fuzz_replay(directory):
    """The first fuzz target whose corpora make the replay driver fail, or None."""
    for target in fuzz_targets():
        driver = os.path.join(directory, "fuzz", f"{target}_replay")
        inputs = [p for p in (os.path.join(ROOT, "corpus", target),
                              os.path.join(ROOT, "corpus", "regressions", target))
                  if os.path.isdir(p)]
        if not inputs:
            continue
        done = process.run([driver] + inputs, errors="replace")
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            return {"target": target, "exit": done.returncode,
                    "message": lines[-1][:160] if lines else ""}
    return None


DESCRIPTION = """\
Builds the core with each deliberate bug of the mutant catalogue and reports what catches it.

For every mutant (core/mutants/NAME.patch, listed in core/mutants/README.md): a release
build of a scratch copy of the sources with the patch applied (BUILD_ROOT/NAME/src, built
incrementally into BUILD_ROOT/NAME/build; meson, ninja and a C compiler are installed with
scripts/setup build when missing), then
  - the simulator over seeds 1, 2, 3, ... on every core until the first seed that fails
    (a check, or an assertion that aborts), within --seeds and --time;
  - the fuzz corpora replay (corpus/<target>/ and corpus/regressions/<target>/) through
    each target's replay driver.
A mutant is killed when either catches it. Prints a table, writes JSON Lines (one object
per mutant, then a summary object) to --out, and exits 1 if any mutant survives.
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/mutants", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=1000,
                        help="most seeds tried per mutant (default 1000)")
    parser.add_argument("--time", type=float, default=120,
                        help="most seconds of simulation per mutant (default 120)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="simulator processes at once (default: every core)")
    parser.add_argument("--only", metavar="NAME[,NAME]",
                        help="comma-separated mutant names (default: the whole catalogue)")
    parser.add_argument("--no-fuzz", action="store_true", help="skip the fuzz corpora replay")
    parser.add_argument("--build-root", default=os.path.join(ROOT, "build-mutants"),
                        help="where the per-mutant builds go (default build-mutants/)")
    parser.add_argument("--check", action="store_true",
                        help="only check that every patch still applies to the sources")
    parser.add_argument("--out", default="mutants-report.jsonl",
                        help="JSON Lines report, one line per mutant as it is judged, then "
                             "a summary line; checked before any build (default "
                             "mutants-report.jsonl)")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.time <= 0 or args.jobs < 1:
        parser.error("--seeds, --time and --jobs must be positive")
    if args.only is not None:
        args.only = args.only.split(",")
        if not all(args.only):
            parser.error(f"--only {','.join(args.only)!r}: an empty mutant name (give NAME or "
                         "NAME,NAME; without --only, the whole catalogue)")
    return args, parser


def judge(name, number, count, args):
    """The row of one mutant: built, hunted by the simulator, replayed through the corpora."""
    print(f"mutants: [{number}/{count}] {name}: building", file=sys.stderr, flush=True)
    directory = build_for_hunt(name, args.build_root)
    print(f"mutants: [{number}/{count}] {name}: simulating", file=sys.stderr, flush=True)
    sim = sim_hunt(builds.simulator(directory), args.seeds, args.time, args.jobs)
    fuzz = None if args.no_fuzz else fuzz_replay(directory)
    row = {"mutant": name, "killed": bool(sim or fuzz),
           "by": "sim" if sim else ("fuzz" if fuzz else None),
           "check": sim["check"] if sim else (f"fuzz:{fuzz['target']}" if fuzz else None),
           "seed": sim["seed"] if sim else None,
           "ops": sim["ops"] if sim else None,
           "seconds": sim["seconds"] if sim else None,
           "sim": sim, "fuzz": fuzz}
    verdict = f"killed by {row['check']}" if row["killed"] else "SURVIVED"
    print(f"mutants: [{number}/{count}] {name}: {verdict}", file=sys.stderr, flush=True)
    return row


def main(argv):
    args, parser = parse_args(argv)
    global NO_FUZZ
    NO_FUZZ = args.no_fuzz
    try:
        names = catalogue()
        if args.check:
            for name in names:
                check_applies(name)
            print(f"mutants: all {len(names)} patches apply")
            return OK
    except MutantError as error:
        return fail(str(error))
    if args.only is not None:
        unknown = [n for n in args.only if n not in names]
        if unknown:
            parser.error(f"unknown mutant(s) {', '.join(unknown)}; known: {', '.join(names)}")
        names = [n for n in names if n in args.only]

    rows = []
    writer = None
    try:
        writer = jsonl.Writer(args.out, "--out")  # before any build, emptied once it starts
        writer.start_fresh()
        for number, name in enumerate(names, 1):
            row = judge(name, number, len(names), args)
            rows.append(row)
            writer.write(row)
        summary = summarize(rows, args)
        writer.write(summary)
    except MutantError as error:
        return fail(str(error))
    except builds.BuildError as error:
        return fail(f"building {name} failed: {error}")
    except (jsonl.Locked, jsonl.WriteError, outputs.OutputError) as error:
        return fail(str(error))
    finally:
        if writer is not None:
            writer.close()
    print(f"mutants: JSON Lines in {outputs.shown(args.out)}", file=sys.stderr)
    if summary["survivors"]:
        print(f"mutants: survivors: {', '.join(summary['survivors'])}", file=sys.stderr)
        return FAILED
    return OK


def summarize(rows, args):
    """Prints the kill table; returns the summary line."""
    print(f"{'mutant':32} {'killed':6} {'by':5} {'check':34} {'seed':>5} {'ops':>6} "
          f"{'wall s':>7}  fuzz")
    for row in rows:
        fuzz = row["fuzz"]["target"] if row["fuzz"] else "-"
        print(f"{row['mutant']:32} {'yes' if row['killed'] else 'NO':6} {row['by'] or '-':5} "
              f"{(row['check'] or '-')[:34]:34} {row['seed'] or '-':>5} "
              f"{row['ops'] if row['ops'] is not None else '-':>6} "
              f"{row['seconds'] if row['seconds'] is not None else '-':>7}  {fuzz}")
    seeds = [row["seed"] for row in rows if row["seed"] is not None]
    summary = {"summary": True, "mutants": len(rows),
               "killed": sum(row["killed"] for row in rows),
               "survivors": [row["mutant"] for row in rows if not row["killed"]],
               "killed_by_sim": len(seeds),
               "median_seeds_to_kill": statistics.median(seeds) if seeds else None,
               "max_seeds_to_kill": max(seeds) if seeds else None,
               "seeds_budget": args.seeds, "time_budget_s": args.time}
    print(f"killed {summary['killed']}/{summary['mutants']}; by the simulator "
          f"{summary['killed_by_sim']}, median seeds to kill {summary['median_seeds_to_kill']}, "
          f"max {summary['max_seeds_to_kill']}")
    return summary


def fail(message, status=ENVIRONMENT):
    print(f"mutants: {message}", file=sys.stderr)
    return status
