"""ops-cli: every operations script answers --help and rejects bad usage with exit status 2
(input it cannot read: 4), before building or running anything.
usage: cli.py SOURCE_ROOT"""
import concurrent.futures
import os
import subprocess
import sys
import tempfile

root = sys.argv[1]


def run(script, *args):
    done = subprocess.run([os.path.join(root, "scripts", script), *args], capture_output=True,
                          text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


failures = []
checks = []


def expect(status, script, *args, contains=None):
    checks.append((status, script, args, contains))


def check(status, script, args, contains):
    code, output = run(script, *args)
    if code != status or (contains and contains not in output):
        failures.append(f"{script} {' '.join(args)}: exit {code} (expected {status}, "
                        f"text {contains!r})\n{output[-600:]}")


with tempfile.TemporaryDirectory() as tmp:
    hosts, empty = os.path.join(tmp, "hosts"), os.path.join(tmp, "empty.jsonl")
    open(hosts, "w").write(":\n")
    open(empty, "w").close()
    for script in ("sweep", "repro", "report"):
        expect(0, script, "--help", contains="usage")
    expect(2, "sweep", "--seeds", "0")
    expect(2, "sweep", "--from", "5")
    expect(2, "sweep", "--seed-base", "nightly:2025-13-45", contains="not a date")
    expect(2, "sweep", "--seed-base", "no-such-revision-anywhere", contains="git revision")
    expect(2, "sweep", "--parallel-hosts", os.path.join(tmp, "missing"))
    expect(2, "sweep", "--parallel-hosts", hosts, "--shard", "0/2", contains="no --shard")
    expect(2, "sweep", "--parallel-hosts", hosts, "--out", "-")
    # Found in review: NaN never ended a sweep; a base near 2^64 ran past the last seed.
    expect(2, "sweep", "--time", "nan", contains="positive number")
    expect(2, "sweep", "--seed-base", "18446744073709551610", "--seeds", "40",
           contains="past the last seed")
    expect(2, "sweep", "--seed-timeout", "0", contains="--seed-timeout")
    expect(2, "sweep", "--seed-timeout", "inf", contains="--seed-timeout")
    expect(2, "sweep", "--resume", empty, "--out", hosts, contains="no other --out")
    expect(2, "sweep", "--resume", empty, "--parallel-hosts", hosts, contains="--resume does not")
    expect(2, "sweep", "--sim", os.path.join(tmp, "missing"), contains="not an executable")
    expect(2, "sweep", "--resume", os.path.join(tmp, "missing"), contains="no such file")
    expect(0, "setup", "--help", contains="usage")
    expect(2, "setup", "everything")
    expect(2, "repro")
    expect(2, "repro", "0xZZ", contains="bad seed")
    expect(2, "repro", "--swarm", "off", contains="SEED comes before")
    expect(2, "repro", "1", "--mutant", "no_such_mutant", contains="unknown mutant")
    expect(2, "repro", "1", "--trace", "x.txt", contains="set by scripts/repro")
    expect(2, "repro", "1", "--sim", os.path.join(tmp, "missing"))
    expect(2, "repro", "1", "--max-runs", "0")
    expect(2, "report")
    expect(4, "report", os.path.join(tmp, "missing.jsonl"), "-o", os.path.join(tmp, "r.html"))
    expect(4, "report", empty, "-o", os.path.join(tmp, "r.html"), contains="no result lines")
    expect(2, "report", empty, "--max-input-bytes", "0")
    # A measurement of an hour: only its usage is checked here, never a run.
    expect(0, "fuzz-vs-sweep", "--help", contains="usage")
    expect(2, "fuzz-vs-sweep", "--budget", "0", contains="--budget")
    expect(2, "fuzz-vs-sweep", "--budget", "nan", contains="--budget")
    expect(2, "fuzz-vs-sweep", "--mutants", "-1", contains="--mutants")
    expect(2, "fuzz-vs-sweep", "--mutant-seeds", "0", contains="--mutant-seeds")
    expect(2, "mutate", "--seeds", "5..2", contains="--seeds")
    expect(2, "mutate", "--only", "sim,nothing", contains="unknown killer")
    expect(2, "mutate", "--corpus-replay", os.path.join(tmp, "missing"),
           contains="--corpus-replay")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda c: check(*c), checks))

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"ops-cli: ok ({len(checks)} invocations)")
