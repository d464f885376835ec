"""Killers: what judges a build with a mutant in it. Each is a leaf: it takes the binaries
or tests to run and a time limit, runs them, and returns a verdict, never reaching back
into the run that asked.

A verdict is None (nothing failed) or a dict with at least "by" (sim, fuzz or unit) and
"check" (how it failed, without seeds, addresses or line numbers):

  simulate(sim, first, last)    the simulator on seeds first..last, stopping at the first
                                failure: "seed", "check" (the simulator's signature, or how
                                the process died), "op"
  corpus_replay(driver, DIR)    a replay driver (fuzz_sim_replay) on every input of DIR:
                                "input" (the first that fails), "check" corpus:...
  suite(tests, by)              the tests of one meson suite (builds.tests()) in order:
                                "check" TEST:how
  short_abort(stderr, code)     how a process died, in one word: assert, sanitizer,
                                signal:NAME, exit:N
"""

import os
import re
import signal
import tempfile

from . import process, results


def short_abort(stderr, code):
    """A short, line-free name for how a process died (code: Popen's returncode)."""
    for line in stderr.splitlines():
        if "assertion failed" in line:
            return "assert"
        if "AddressSanitizer" in line or "runtime error" in line:
            return "sanitizer"
    if code < 0:
        try:
            return f"signal:{signal.Signals(-code).name}"
        except ValueError:
            return f"signal:{-code}"
    return f"exit:{code}"


def simulate(sim, first, last, sim_args=(), timeout=None, abort_name=short_abort):
    """The first failing seed of first..last, or None. A process that dies without a verdict
    fails at the seed after the last it reported, named by abort_name(stderr, returncode);
    one that is still running after `timeout` seconds fails with the check 'timeout'."""
    command = [sim, "--seeds", f"{first}..{last}", "--json", *sim_args]
    # Standard error to a file: a sanitizer's report may be larger than a pipe holds.
    with tempfile.TemporaryFile() as err:
        child = process.spawn(command, stdout=process.PIPE, stderr=err, errors="replace")
        verdict, last_seed = _first_failure(child, first, timeout)
        if verdict is None and child.returncode != 0:
            err.seek(0)
            stderr = err.read().decode(errors="replace")
            verdict = {"by": "sim", "seed": last_seed + 1,
                       "check": abort_name(stderr, child.returncode)}
    return verdict


def _first_failure(child, first, timeout):
    """Reads the simulator's lines until the first failure (the process is then killed) or
    its end: (the verdict of a failure or a timeout, or None; the last seed reported)."""
    last_seed = first - 1
    try:
        with process.watchdog(child, timeout) as dog:
            for line in child.stdout:
                record = results.parse_simulator_line(line)
                if record is None:
                    continue
                last_seed = record["seed"]
                if record.get("outcome") != "ok":
                    failure = record.get("failure") if isinstance(record.get("failure"),
                                                                   dict) else {}
                    return {"by": "sim", "seed": last_seed,
                            "check": failure.get("signature", record.get("outcome")),
                            "op": failure.get("op")}, last_seed
            child.wait()
    finally:
        if child.poll() is None:
            process.kill_group(child)
        child.wait()
        child.stdout.close()
    if dog.fired:
        return {"by": "sim", "seed": last_seed + 1, "check": "timeout"}, last_seed
    return None, last_seed


def corpus_replay(driver, directory, timeout=None):
    """driver (fuzz_sim_replay) on every input of directory: None, or the first input that
    fails and how."""
    done = process.run([driver, directory], timeout=timeout, errors="replace")
    if done.timed_out:
        return {"by": "fuzz", "check": "corpus:timeout"}
    if done.returncode == 0:
        return None
    # Without --quiet the driver names each input before running it: the last is it.
    names = [line[len("replay: "):].rsplit(" (", 1)[0]
             for line in done.stderr.splitlines()
             if line.startswith("replay: ") and line.endswith(" bytes)")]
    # fuzz_sim's failed check names the simulator's failure: "[signature] at op N".
    failure = re.search(r"^\s*\[([^\]\s]+)\] at op \d+", done.stderr, re.M)
    check = failure[1] if failure else short_abort(done.stderr, done.returncode)
    return {"by": "fuzz", "input": os.path.basename(names[-1]) if names else None,
            "check": f"corpus:{check}"}


def suite(tests, by, timeout, cwd):
    """The first of `tests` (builds.tests()[SUITE]) that fails, or None; each may take at
    most min(timeout, its own timeout or 60) seconds."""
    for test in tests:
        done = process.run(test["cmd"], cwd=test["workdir"] or cwd, env=test["env"],
                           errors="replace", timeout=min(timeout, test["timeout"] or 60))
        if done.timed_out:
            return {"by": by, "check": f"{test['name']}:timeout"}
        if done.returncode != 0:
            return {"by": by,
                    "check": f"{test['name']}:{short_abort(done.stderr, done.returncode)}"}
    return None
