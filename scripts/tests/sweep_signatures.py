"""ops-sweep-signatures: scripts/sweep names and groups failures without the seed.

A stand-in simulator (it speaks `--seeds A..B --stride K --json`) fails some seeds with a
check signature and aborts on one with an assertion, as the core's assert does. The sweep
must record every seed (the seeds after the abort in the same process are run again),
name the abort assert:FILE:LINE, group the failures most frequent first (ties: smallest
seed), show the smallest seed of each group and record the "sweep" and "run" fields.
usage: sweep_signatures.py SOURCE_ROOT"""
import json
import os
import re
import stat
import subprocess
import sys
import tempfile

root = sys.argv[1]
FAKE = r'''#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
first, last = map(int, args[args.index("--seeds") + 1].split(".."))
stride = int(args[args.index("--stride") + 1])
for seed in range(first, last + 1, stride):
    if seed == 40:
        sys.stdout.flush()
        sys.stderr.write("assertion failed: slot < count at ../../work/x/core/src/table.c:123\n")
        sys.stderr.flush()
        os.abort()
    signature = ("decision.slot" if seed % 7 == 3 else
                 "checkpoint.trailer" if seed % 11 == 5 else None)
    line = {"seed": seed, "seed_hex": f"0x{seed:016x}",
            "outcome": "fail" if signature else "ok", "exit_code": 1 if signature else 0,
            "scenarios": {"evictions": seed % 3, "crashes": 1}, "trace_hash": f"{seed:032x}",
            "duration_ms": 1.0}
    if signature:
        line["failure"] = {"signature": signature, "op": 10, "replica": 0,
                           "message": f"seed {seed} differs"}
        line["reproduce"] = f"sim --seed 0x{seed:016x}"
    print(json.dumps(line), flush=True)
sys.exit(0)
'''


def expected_signature(seed):
    if seed == 40:
        return "assert:core/src/table.c:123"
    return "decision.slot" if seed % 7 == 3 else "checkpoint.trailer" if seed % 11 == 5 else None


with tempfile.TemporaryDirectory() as tmp:
    fake = os.path.join(tmp, "fake-sim")
    with open(fake, "w") as f:
        f.write(FAKE)
    os.chmod(fake, stat.S_IRWXU)
    out = os.path.join(tmp, "results.jsonl")
    done = subprocess.run([os.path.join(root, "scripts", "sweep"), "--sim", fake, "--from", "0",
                           "--to", "59", "--jobs", "2", "--chunk", "6", "--quiet",
                           "--allow-missing-scenarios", "--out", out],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, f"sweep exited {done.returncode}\n{done.stderr}"
    lines = [json.loads(line) for line in open(out)]
    seeds = sorted(line["seed"] for line in lines)
    assert seeds == list(range(60)), f"seeds recorded: {seeds}"
    for line in lines:
        want = expected_signature(line["seed"])
        got = (line.get("failure") or {}).get("signature")
        assert got == want, f"seed {line['seed']}: signature {got!r}, expected {want!r}"
        assert str(line["seed"]) not in (got or "x"), f"signature {got!r} holds the seed"
        assert line["sweep"]["selection"] == "--from 0 --to 59", line["sweep"]
        assert line["run"]["shard"] == "0/1", line["run"]
    abort = next(line for line in lines if line["seed"] == 40)
    assert abort["outcome"] == "abort" and abort["exit_code"] == 134, abort

    # The summary: most frequent signature first, smallest seed first within each.
    groups = {}
    for seed in range(60):
        if expected_signature(seed):
            groups.setdefault(expected_signature(seed), []).append(seed)
    order = sorted(groups, key=lambda s: (-len(groups[s]), groups[s][0]))
    printed = re.findall(r"^  (\S+): (\d+) seeds: (0x[0-9a-f]+)", done.stdout, re.M)
    assert [p[0] for p in printed] == order, f"summary order {printed}, expected {order}"
    for signature, count, smallest in printed:
        assert int(count) == len(groups[signature]), (signature, count)
        assert int(smallest, 16) == groups[signature][0], (signature, smallest)
    assert "scripts/repro 0x3 --minimize" in done.stdout, done.stdout
print(f"ops-sweep-signatures: ok ({', '.join(f'{s} x{len(groups[s])}' for s in order)})")
