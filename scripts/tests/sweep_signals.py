"""ops-sweep-signals: SIGTERM and SIGINT sent to a real sweep of the real simulator.

The sweep must stop, print the summary of what it did and the exact command that
resumes, and leave a results file that holds a line for every seed the summary counts
(each written as soon as it was known), nothing half-written. Running the printed resume
command must skip those seeds and append the rest, so that the file ends with exactly
the lines of an uninterrupted run of the same seeds (durations and timing aside).
The same holds when the signal reaches the simulators and not (or not first) the sweep,
as when Slurm's scancel or a kill of the whole process tree signals every process at once:
a simulator stopped by SIGTERM or SIGINT is not a result (no "abort" line for its seed);
the sweep stops as if it had the signal itself.
usage: sweep_signals.py SOURCE_ROOT SIMULATOR"""
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

root, sim = sys.argv[1], os.path.abspath(sys.argv[2])
SEEDS, OPS = 400, 100


def children(pid):
    """The processes whose parent is pid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def signal_simulators(process, signum):
    """Sends signum to the sweep's running simulators, not to the sweep: at least one."""
    deadline = time.monotonic() + 30
    while True:
        pids = children(process.pid)
        if pids:
            break
        assert time.monotonic() < deadline, "no simulator running to signal"
        time.sleep(0.001)
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def interrupted_sweep(tmp, signum, name, target="sweep"):
    out = os.path.join(tmp, f"{name}.jsonl")
    argv = [os.path.join(root, "scripts", "sweep"), "--sim", sim, "--seeds", str(SEEDS),
            "--seed-base", "1000", "--jobs", "2", "--chunk", "16", "--sim-arg=--ops",
            f"--sim-arg={OPS}", "--allow-missing-scenarios", "--quiet", "--out", out]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=tmp)
    deadline = time.monotonic() + 120
    while True:  # let it write some lines, then interrupt it mid-sweep
        assert process.poll() is None, \
            f"{name}: the sweep ended before it could be interrupted\n{process.communicate()}"
        assert time.monotonic() < deadline, "the sweep wrote too little"
        if os.path.exists(out) and os.path.getsize(out) > 20 * 1000:
            break
        time.sleep(0.01)
    if target == "sweep":
        process.send_signal(signum)
    else:
        signal_simulators(process, signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, \
        f"{name}: exit {process.returncode}\n{stdout}\n{stderr}"
    assert f"interrupted by {signal.Signals(signum).name}" in stdout, stdout
    counted = int(re.search(r"^sweep: (\d+) seeds", stdout, re.M)[1])
    with open(out, "rb") as f:
        raw = f.read()
    assert raw.endswith(b"\n"), f"{name}: a half-written last line"
    lines = [json.loads(line) for line in raw.splitlines()]
    assert len(lines) == counted, f"{name}: the summary counts {counted}, the file holds {len(lines)}"
    assert len({line["seed"] for line in lines}) == len(lines), f"{name}: duplicated seeds"
    assert 0 < counted < SEEDS, f"{name}: {counted} seeds before the signal"
    resume = re.search(r"^sweep: resume with: (.*)$", stdout, re.M)
    assert resume, stdout
    command = shlex.split(resume[1])
    assert command[-2:] == ["--resume", out], command
    again = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp)
    assert again.returncode == 0, f"{name}: the resume exited {again.returncode}\n{again.stderr}"
    assert f"({counted} from {out}" in again.stdout, again.stdout
    with open(out) as f:
        return counted, [json.loads(line) for line in f]


with tempfile.TemporaryDirectory() as tmp:
    whole = subprocess.run([sim, "--seeds", f"1000..{1000 + SEEDS - 1}", "--ops", str(OPS),
                            "--json"], capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr
    reference = {}
    for line in whole.stdout.splitlines():
        line = json.loads(line)
        line.pop("duration_ms")
        reference[line["seed"]] = json.dumps(line, sort_keys=True)
    report = []
    for signum, name, target in ((signal.SIGTERM, "term", "sweep"),
                                 (signal.SIGINT, "int", "sweep"),
                                 (signal.SIGTERM, "term-simulators", "simulators")):
        counted, lines = interrupted_sweep(tmp, signum, name, target)
        seeds = sorted(line["seed"] for line in lines)
        assert seeds == list(range(1000, 1000 + SEEDS)), f"{name}: seeds after the resume"
        records = {json.dumps(line["sweep"], sort_keys=True) for line in lines}
        assert len(records) == 1, f"{name}: the resumed lines are another sweep: {records}"
        for line in lines:
            mine = {k: v for k, v in line.items() if k not in ("duration_ms", "run", "sweep")}
            assert json.dumps(mine, sort_keys=True) == reference[line["seed"]], \
                f"{name}: seed {line['seed']} differs from an uninterrupted run"
        report.append(f"{name}: {counted} before the signal")
print(f"ops-sweep-signals: ok ({SEEDS} seeds; {'; '.join(report)}; resumed to the "
      "uninterrupted results)")
