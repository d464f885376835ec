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
  sanitizer_report(stderr, tree, build)  the first AddressSanitizer, LeakSanitizer or
                                UBSan report in stderr: (what it says, its first frame,
                                files relative to the source tree), or None
  sanitizer_abort(tree, build)  an abort_name for simulate() and suite() that names a
                                sanitizer report "sanitizer|FRAME|WHAT" (split_sanitizer()
                                reads it back), any other death as short_abort does

SANITIZER_ENV is the environment a sanitized build runs in: every report stops the process
with a non-zero exit and, for UBSan, a stack trace.
"""

import os
import re
import signal
import tempfile

from . import process, results

SANITIZER_ENV = {
    "ASAN_OPTIONS": "halt_on_error=1:abort_on_error=0:exitcode=86:detect_leaks=1:"
                    "print_summary=1:symbolize=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:exitcode=87:print_summary=1",
}
SANITIZER_MARK = "sanitizer|"

# The first line of a report, and a frame of its stack trace.
REPORT = re.compile(r"(ERROR: (?:AddressSanitizer|LeakSanitizer): .*|runtime error: .*)$")
FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-fA-F]+ in (\S+)(?: (\S+))?")
UBSAN_PLACE = re.compile(r"^(\S+?):(\d+)(?::\d+)?: runtime error: ")
RUNTIME_FRAMES = ("__asan", "__interceptor", "__ubsan", "__sanitizer", "__lsan", "___interceptor")


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


def _place(location, tree, build):
    """file:line of a frame's location (file:line:column, or (module+offset)), the file
    (relative to the directory `build` when not absolute) relative to `tree` when it is
    inside it; None for a location without a line."""
    match = re.match(r"^(.+?):(\d+)(?::\d+)?$", location or "")
    if not match:
        return None
    path = match[1]
    if tree:
        full = os.path.normpath(os.path.join(build or tree, path))
        top = os.path.normpath(tree) + os.sep
        if full.startswith(top):
            path = full[len(top):]
    return f"{path}:{match[2]}"


def sanitizer_report(stderr, tree=None, build=None):
    """(what, frame) of the first sanitizer report in stderr, or None. what is the report's
    first line from ERROR: or runtime error: on; frame is the first frame of its stack
    outside the sanitizer runtime: "FUNCTION FILE:LINE" (FILE relative to tree), or only the
    function or the place when the other is not known."""
    lines = stderr.splitlines()
    for index, line in enumerate(lines):
        found = REPORT.search(line)
        if not found:
            continue
        what = re.sub(r" (?:on address|at pc|bp|sp) 0x[0-9a-fA-F]+", "",
                      found[1].replace("ERROR: ", "", 1))[:200]
        ubsan = UBSAN_PLACE.match(line)
        fallback = _place(f"{ubsan[1]}:{ubsan[2]}", tree, build) if ubsan else None
        for later in lines[index + 1:index + 80]:
            if later.startswith("SUMMARY:"):
                break
            frame = FRAME.match(later)
            if not frame:
                continue
            function, location = frame[1], frame[2]
            if function.startswith(RUNTIME_FRAMES) or "libasan" in (location or "") or \
                    "libubsan" in (location or ""):
                continue
            place = _place(location, tree, build)
            return what, f"{function} {place}" if place else function
        return what, fallback or "unknown frame"
    return None


def sanitizer_abort(tree=None, build=None):
    """An abort_name: a sanitizer report as SANITIZER_MARK + "FRAME|WHAT", else short_abort."""
    def name(stderr, code):
        report = sanitizer_report(stderr, tree, build)
        if report is None:
            return short_abort(stderr, code)
        what, frame = report
        return f"{SANITIZER_MARK}{frame}|{what}"
    return name


def split_sanitizer(check):
    """(frame, what) of a check made by sanitizer_abort (after any "TEST:" prefix), or None."""
    where = check.find(SANITIZER_MARK) if isinstance(check, str) else -1
    if where < 0:
        return None
    frame, _, what = check[where + len(SANITIZER_MARK):].partition("|")
    return frame, what


def simulate(sim, first, last, sim_args=(), timeout=None, abort_name=short_abort, env=None):
    """The first failing seed of first..last, or None. A process that dies without a verdict
    fails at the seed after the last it reported, named by abort_name(stderr, returncode);
    one that is still running after `timeout` seconds fails with the check 'timeout'."""
    command = [sim, "--seeds", f"{first}..{last}", "--json", *sim_args]
    # Standard error to a file: a sanitizer's report may be larger than a pipe holds.
    with tempfile.TemporaryFile() as err:
        child = process.spawn(command, stdout=process.PIPE, stderr=err, errors="replace",
                              env=env)
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


SKIPPED = 77  # a meson test's exit status for "skipped"


def suite(tests, by, timeout, cwd, abort_name=short_abort, env=None):
    """The first of `tests` (builds.tests()[SUITE]) that fails, or None; each may take at
    most min(timeout, its own timeout or 60) seconds; one that exits 77 is skipped, as
    meson counts it (copy-paths-no-avx without qemu-x86_64). env: variables set on top of
    each test's own environment."""
    for test in tests:
        done = process.run(test["cmd"], cwd=test["workdir"] or cwd,
                           env=dict(test["env"], **(env or {})),
                           errors="replace", timeout=min(timeout, test["timeout"] or 60))
        if done.timed_out:
            return {"by": by, "check": f"{test['name']}:timeout"}
        if done.returncode == SKIPPED:  # as meson counts it: the test cannot run here
            continue
        if done.returncode != 0:
            return {"by": by,
                    "check": f"{test['name']}:{abort_name(done.stderr, done.returncode)}"}
    return None
