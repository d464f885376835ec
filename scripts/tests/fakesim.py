"""A stand-in client-sessions-sim for the ops tests: it speaks the flags scripts/sweep and
scripts/repro use (--seeds A..B --stride K --json, --seed S, --trace FILE, --dry-run) and
does, per seed, what the test asks: pass, fail a check, abort with a message on standard
error, hang, sleep, or exit with a usage error. Every invocation is appended to a log.

    make(directory, name, behaviour={seed: action}, delay=0.0) -> path
actions: "ok", "fail:SIGNATURE", "abort:STDERR TEXT", "hang", "usage"."""
import json
import os
import stat

PROGRAM = r'''#!/usr/bin/env python3
import json, os, sys, time
SPEC = json.loads(%(spec)r)
args = sys.argv[1:]
with open(SPEC["log"], "a", errors="surrogateescape") as log:
    log.write(json.dumps([sys.argv[0]] + args) + "\n")
if "--dry-run" in args or "--params-json" in args:
    sys.exit(0)
def flag(name, default=None):
    return args[args.index(name) + 1] if name in args else default
if "--seeds" in args:
    first, last = (int(x, 0) for x in flag("--seeds").split(".."))
    seeds = range(first, last + 1, int(flag("--stride", "1")))
else:
    seeds = [int(flag("--seed", "0"), 0)]
trace = open(flag("--trace"), "w") if flag("--trace") else None
worst = 0
for seed in seeds:
    action = SPEC["behaviour"].get(str(seed), "ok")
    time.sleep(SPEC["delay"])
    if action == "hang":
        with open(SPEC["log"] + ".hung", "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(3600)
    if action.startswith("abort:"):
        sys.stdout.flush()
        sys.stderr.write(action[6:] + "\n")
        sys.stderr.flush()
        os.abort()
    if action == "usage":
        sys.stderr.write(f"fake-sim: invalid configuration for seed {seed:#018x}\n")
        sys.exit(2)
    signature = action[5:] if action.startswith("fail:") else None
    line = {"seed": seed, "seed_hex": f"0x{seed:016x}", "outcome": "fail" if signature else "ok",
            "exit_code": 1 if signature else 0, "scenarios": {"evictions": 1},
            "trace_hash": f"{seed:032x}", "duration_ms": 1.0}
    if signature:
        import shlex
        line["failure"] = {"signature": signature, "op": 3, "replica": 0, "message": "differs"}
        line["reproduce"] = shlex.join([sys.argv[0], "--seed", f"0x{seed:016x}"])
        worst = 1
    if trace:
        trace.write(f"config seed=0x{seed:016x} ops=10\nstep 1 FAIL {signature}\n")
    if "--json" in args and SPEC["raw"]:  # as a C program prints it: argv's bytes as they are
        sys.stdout.buffer.write(json.dumps(line, ensure_ascii=False).encode(
            "utf-8", "surrogateescape") + b"\n")
        sys.stdout.flush()
    elif "--json" in args:
        print(json.dumps(line), flush=True)
    else:
        print(("FAIL" if signature else "ok") + f" seed=0x{seed:016x}", flush=True)
sys.exit(worst)
'''


def make(directory, name="fake-sim", behaviour=None, delay=0.0, raw=False):
    """Writes the stand-in as directory/name (directories created); returns its path. Its
    invocations go to path + '.log' (one JSON argv a line), hung pids to path + '.log.hung'.
    With raw, its JSON carries the bytes of its command line as they are (as the C
    simulator's does), not as JSON escapes."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    spec = {"behaviour": {str(k): v for k, v in (behaviour or {}).items()}, "delay": delay,
            "log": os.fsdecode(path) + ".log", "raw": raw}
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(PROGRAM % {"spec": json.dumps(spec)})
    os.chmod(path, stat.S_IRWXU)
    return path


def invocations(path):
    try:
        with open(path + ".log") as f:
            return [json.loads(line) for line in f]
    except FileNotFoundError:
        return []
