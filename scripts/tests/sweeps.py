"""What the sweep tests share: running scripts/sweep, comparing results without their
timing fields, and what the cluster tests need to start their daemons."""

import json
import os
import socket
import subprocess
import sys
import threading


def skip(test, reason):
    """Skips the test (meson's status 77) and says why: never silently."""
    print(f"{test}: SKIPPED: {reason}")
    sys.exit(77)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def run_sweep(root, sim, out, *extra, timeout=600):
    """scripts/sweep with this simulator into out; returns (the process, its lines)."""
    done = subprocess.run([os.path.join(root, "scripts", "sweep"), "--sim", sim,
                           "--allow-missing-scenarios", "--quiet", "--out", out, *extra],
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode in (0, 1), f"sweep {extra} exited {done.returncode}\n{done.stderr}"
    return done, read_lines(out)


def comparable(lines):
    """The lines sorted by seed, without the timing fields (duration_ms, run) and without
    the commit: someone may commit between two sweeps when this runs in a working tree."""
    rows = []
    for line in lines:
        line = dict(line)
        line.pop("duration_ms", None)
        line.pop("run", None)
        line["sweep"] = {k: v for k, v in line.get("sweep", {}).items() if k != "commit"}
        rows.append(line)
    return sorted(rows, key=lambda line: line["seed"])


def first_difference(a, b):
    for x, y in zip(a, b):
        if x != y:
            keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
            return f"seed {x['seed']:#x}: {keys}"
    return f"{len(a)} lines against {len(b)}"


def fifo_reader_that_leaves(directory, size=4096):
    """A FIFO in directory and a started thread that opens it, reads `size` bytes and
    closes it (a reader that goes away): (its path, the thread)."""
    fifo = os.path.join(directory, "fifo")
    os.mkfifo(fifo)

    def read_a_little():
        with open(fifo, "rb") as f:
            f.read(size)

    reader = threading.Thread(target=read_a_little, daemon=True)
    reader.start()
    return fifo, reader
