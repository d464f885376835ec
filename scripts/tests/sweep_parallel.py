"""ops-sweep-parallel: `scripts/sweep --parallel-hosts FILE` with two ':' entries (two shards
on this machine, through GNU parallel) gives the same JSON Lines as the unsharded sweep, up
to order and to the timing fields (duration_ms, run); the nightly seed base is
sha256("COMMIT DATE") and is recorded in every line. A result that cannot be written
(a FIFO whose reader goes away) ends the sweep, exit 4, and GNU parallel and its shards with it:
none is left running.
usage: sweep_parallel.py SOURCE_ROOT SIMULATOR"""
import hashlib
import os
import subprocess
import sys
import tempfile

from sweeps import comparable, fifo_reader_that_leaves, first_difference, run_sweep

root, sim = sys.argv[1], os.path.abspath(sys.argv[2])
commit = "0123456789abcdef0123456789abcdef01234567"  # need not exist: a full id is not resolved
spec = f"nightly:2025-01-01@{commit}"
base = int.from_bytes(hashlib.sha256(f"{commit} 2025-01-01".encode()).digest()[:8], "big") >> 1
SEEDS = 120


def sweep(out, *extra):
    return run_sweep(root, sim, out, "--seeds", str(SEEDS), "--seed-base", spec,
                     "--sim-arg=--ops", "--sim-arg=100", *extra, timeout=300)


with tempfile.TemporaryDirectory() as tmp:
    hosts = os.path.join(tmp, "hosts")
    with open(hosts, "w") as f:
        f.write("# two shards, both on this machine\n:\n:\n")
    whole_run, whole = sweep(os.path.join(tmp, "whole.jsonl"), "--jobs", "2")
    shard_run, sharded = sweep(os.path.join(tmp, "sharded.jsonl"), "--jobs", "1",
                               "--parallel-hosts", hosts)
    assert whole_run.returncode == shard_run.returncode, (whole_run.returncode,
                                                          shard_run.returncode)
    assert "on 2 shards on 1 hosts" in shard_run.stdout, shard_run.stdout
    seeds = sorted(line["seed"] for line in whole)
    assert seeds == list(range(base, base + SEEDS)), f"seeds {seeds[:3]}..., base {base:#x}"
    assert comparable(whole) == comparable(sharded), \
        "sharded and unsharded results differ: " + first_difference(comparable(whole),
                                                                     comparable(sharded))
    shards = sorted({line["run"]["shard"] for line in sharded})
    assert shards == ["0/2", "1/2"], shards
    for line in sharded:
        index = int(line["run"]["shard"].split("/")[0])
        assert (line["seed"] - base) % 2 == index, (line["seed"], line["run"])
        record = line["sweep"]
        assert record["seed_base"] == base and record["seed_base_spec"] == spec, record
        assert record["date"] == "2025-01-01" and record["sim_args"] == ["--ops", "100"], record
        assert record["selection"] == f"--seeds {SEEDS}", record

    fifo, reader = fifo_reader_that_leaves(tmp)
    done = subprocess.run([os.path.join(root, "scripts", "sweep"), "--sim", sim,
                           "--seeds", "100003", "--parallel-hosts", hosts, "--quiet",
                           "--out", fifo], capture_output=True, text=True, timeout=120)
    reader.join()
    assert done.returncode == 4 and "cannot write" in done.stderr, \
        f"exit {done.returncode}: {done.stderr}"
    left = subprocess.run(["pgrep", "-f", "--", "seeds 100003"], capture_output=True,
                          text=True).stdout
    assert not left.strip(), f"left running after the sweep: pids {left.split()}"
print(f"ops-sweep-parallel: ok ({SEEDS} seeds from {base:#x}, 2 shards through GNU parallel "
      "equal the unsharded sweep; a result that cannot be written stops them all)")
