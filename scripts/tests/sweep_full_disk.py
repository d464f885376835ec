"""ops-sweep-full-disk: a sweep whose --out fills its file system, or stops taking lines.

The results go to a 64 KiB tmpfs mounted in a temporary directory (needs root: skipped with
the reason otherwise). The disk fills partway through. The sweep must stop with a clear
error naming the file and the reason, exit 4 (an environment error, not 1, "a seed
failed"), print no traceback, leave a file that ends with a complete line, and count in its
summary exactly the seeds whose lines are in the file. Once there is room again, the resume
command it printed must finish the sweep: every seed once.

First, with the real simulator and the chunks a sweep sizes itself (hundreds of seeds a
process, more lines than a pipe holds), a write that fails partway must end the sweep at
once, exit 4, with the simulators still running killed (not waited for: they would block on
a pipe nobody reads): --out - into /dev/full, a FIFO whose reader goes away, and (root) the
full tmpfs.
usage: sweep_full_disk.py SOURCE_ROOT SIMULATOR"""
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesim  # noqa: E402
from sweeps import fifo_reader_that_leaves, skip  # noqa: E402

root, sim = sys.argv[1], sys.argv[2]
SEEDS = 1000
checked = []


def stops(what, out, stdout=subprocess.DEVNULL):
    """A sweep of the real simulator, default chunks, whose writes to out fail partway:
    it must end by itself, exit 4, with no traceback."""
    argv = [os.path.join(root, "scripts", "sweep"), "--sim", sim, "--seeds", "3000",
            "--jobs", "2", "--quiet", "--out", out]
    child = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        stderr = child.communicate(timeout=120)[1]
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)  # the sweep and its simulators
        child.wait()
        sys.exit(f"{what}: the sweep still ran after 120 s (waiting for a simulator that "
                 "blocks on a full pipe?)")
    assert child.returncode == 4, f"{what}: exit {child.returncode}\n{stderr}"
    assert "Traceback" not in stderr and "cannot write" in stderr, stderr
    checked.append(what)


with open("/dev/full", "w") as full:
    stops("--out - into /dev/full", "-", stdout=full)
with tempfile.TemporaryDirectory() as tmp:
    fifo, reader = fifo_reader_that_leaves(tmp)
    stops("a FIFO whose reader goes away", fifo)
    reader.join()

with tempfile.TemporaryDirectory() as tmp:
    disk = os.path.join(tmp, "disk")
    os.mkdir(disk)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", disk],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        skip("ops-sweep-full-disk", f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        fake = fakesim.make(tmp)
        out = os.path.join(disk, "results.jsonl")
        argv = [os.path.join(root, "scripts", "sweep"), "--sim", fake, "--seeds", str(SEEDS),
                "--jobs", "2", "--chunk", "16", "--allow-missing-scenarios", "--quiet",
                "--out", out]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=tmp)
        assert done.returncode == 4, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        assert "No space left on device" in done.stderr and "results.jsonl" in done.stderr, \
            done.stderr
        with open(out, "rb") as f:
            raw = f.read()
        assert raw and raw.endswith(b"\n"), f"the file ends with half a line: {raw[-80:]!r}"
        lines = [json.loads(line) for line in raw.splitlines()]
        counted = int(re.search(r"^sweep: (\d+) seeds", done.stdout, re.M)[1])
        assert counted == len(lines), \
            f"the summary counts {counted} seeds, the file holds {len(lines)} lines"
        assert 0 < counted < SEEDS, counted
        resume = re.search(r"^sweep: resume with: (.*)$", done.stdout, re.M)
        assert resume, done.stdout
        subprocess.run(["mount", "-o", "remount,size=4m", disk], check=True)
        again = subprocess.run(shlex.split(resume[1]), capture_output=True, text=True,
                               timeout=300, cwd=tmp)
        assert again.returncode == 0, f"resume exited {again.returncode}\n{again.stderr}"
        with open(out) as f:
            seeds = sorted(json.loads(line)["seed"] for line in f)
        assert seeds == list(range(SEEDS)), f"{len(seeds)} lines after the resume"
        os.unlink(out)
        subprocess.run(["mount", "-o", "remount,size=64k", disk], check=True)
        stops("a full disk", out)
    finally:
        subprocess.run(["umount", disk])
print(f"ops-sweep-full-disk: ok (the disk filled after {counted} of {SEEDS} seeds: exit 4, "
      "no half line, resumed to every seed; the real simulator's sweep ended at once, exit 4, "
      "for " + ", ".join(checked) + ")")
