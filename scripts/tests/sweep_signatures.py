"""ops-sweep-signatures: scripts/sweep names and groups failures without the seed and
without line numbers.

A stand-in simulator (it speaks `--seeds A..B --stride K --json` and `--dry-run`) fails
some seeds with a check signature and aborts on others the way the project's binaries do:
a CS_ASSERT (assertion failed: EXPR in FUNCTION at FILE:LINE), an assertion printed by a
build from before assertions named their function, AddressSanitizer and UBSan reports.
The sweep must record every seed (the seeds after an abort in the same process run
again), name each abort by file, function and expression (never the line: the same
assertion at another line is the same signature), group the failures most frequent first
(ties: smallest seed), show the smallest seed of each group and record "sweep" and "run".
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
if "--dry-run" in args:
    sys.exit(0)
first, last = map(int, args[args.index("--seeds") + 1].split(".."))
stride = int(args[args.index("--stride") + 1])
ABORTS = {
    40: "assertion failed: slot <  count in client_sessions_put at ../../work/x/core/src/table.c:123\n",
    41: "assertion failed: slot < count in client_sessions_put at /elsewhere/core/src/table.c:987\n",
    42: "sim assertion failed: r->op == s->config.ops in sim_replica_final_check at ../sim/replica.c:7\n",
    43: "assertion failed: slot < count at ../core/src/table.c:123\n",
    44: ("==9==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000011\n"
         "    #0 0x7f00 in __interceptor_memcpy (/lib/libasan.so.8+0x1)\n"
         "    #1 0x5500 in client_sessions_decode ../core/src/codec.c:88:5\n"
         "    #2 0x5501 in main ../sim/main.c:400:3\n"),
    45: ("../core/src/codec.c:12:9: runtime error: signed integer overflow: 2147483647 + 1 "
         "cannot be represented in type 'int'\n"
         "    #0 0x5500 in cs_hash ../core/src/codec.c:12:9\n"),
}
for seed in range(first, last + 1, stride):
    if seed in ABORTS:
        sys.stdout.flush()
        sys.stderr.write(ABORTS[seed])
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
TABLE = "assert:core/src/table.c:client_sessions_put:slot < count"
ABORTS = {40: TABLE, 41: TABLE,
          42: "assert:sim/replica.c:sim_replica_final_check:r->op == s->config.ops",
          43: "assert:core/src/table.c:slot < count",
          44: "asan:heap-buffer-overflow@core/src/codec.c:client_sessions_decode",
          45: "ubsan:signed-integer-overflow@core/src/codec.c:cs_hash"}


def expected_signature(seed):
    if seed in ABORTS:
        return ABORTS[seed]
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
        assert not re.search(r":\d+$", got or ""), f"signature {got!r} ends in a line number"
        assert str(line["seed"]) not in (got or "x"), f"signature {got!r} holds the seed"
        assert line["sweep"]["selection"] == "--from 0 --to 59", line["sweep"]
        assert line["run"]["shard"] == "0/1", line["run"]
    for seed in ABORTS:
        abort = next(line for line in lines if line["seed"] == seed)
        assert abort["outcome"] == "abort" and abort["exit_code"] == 134, abort

    # The summary: most frequent signature first, smallest seed first within each.
    groups = {}
    for seed in range(60):
        if expected_signature(seed):
            groups.setdefault(expected_signature(seed), []).append(seed)
    order = sorted(groups, key=lambda s: (-len(groups[s]), groups[s][0]))
    printed = re.findall(r"^  (\S.*?): (\d+) seeds: (0x[0-9a-f]+)", done.stdout, re.M)
    assert [p[0] for p in printed] == order, f"summary order {printed}, expected {order}"
    for signature, count, smallest in printed:
        assert int(count) == len(groups[signature]), (signature, count)
        assert int(smallest, 16) == groups[signature][0], (signature, smallest)
    assert f"scripts/repro 0x3 --sim {fake} --minimize" in done.stdout, done.stdout
print(f"ops-sweep-signatures: ok ({', '.join(f'{s} x{len(groups[s])}' for s in order)})")
