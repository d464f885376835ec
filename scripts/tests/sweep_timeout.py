"""ops-sweep-timeout: one hung simulator must not hang the sweep. A stand-in simulator
hangs on seed 13; the sweep (--seed-timeout 2) records seed 13 as a failure with the
signature 'timeout' and its reproduce command, kills the hung process, runs the rest of
its chunk again, and finishes with every other seed; a --time sweep whose first seed
hangs ends instead of hanging (a hang fails the test by its timeout).
usage: sweep_timeout.py SOURCE_ROOT"""
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesim  # noqa: E402

root = sys.argv[1]
sweep = os.path.join(root, "scripts", "sweep")

with tempfile.TemporaryDirectory() as tmp:
    fake = fakesim.make(tmp, behaviour={13: "hang", 20: "fail:decision.slot"})
    out = os.path.join(tmp, "r.jsonl")
    started = time.monotonic()
    done = subprocess.run([sweep, "--sim", fake, "--from", "0", "--to", "39", "--jobs", "2",
                           "--chunk", "8", "--seed-timeout", "2", "--allow-missing-scenarios",
                           "--quiet", "--out", out], capture_output=True, text=True, timeout=120)
    took = time.monotonic() - started
    assert done.returncode == 1, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    lines = [json.loads(line) for line in open(out)]
    assert sorted(line["seed"] for line in lines) == list(range(40)), \
        sorted(line["seed"] for line in lines)
    hung = next(line for line in lines if line["seed"] == 13)
    assert hung["outcome"] == "timeout" and hung["failure"]["signature"] == "timeout", hung
    assert "--seed-timeout" in hung["failure"]["message"], hung
    assert shlex.split(hung["reproduce"]) == [fake, "--seed", "0x000000000000000d"], hung
    assert "timeout: 1 seeds: 0xd" in done.stdout, done.stdout
    assert "decision.slot: 1 seeds: 0x14" in done.stdout, done.stdout
    # The seeds after 13 in its chunk (14, 15) ran again, in another process.
    runs = [argv for argv in fakesim.invocations(fake) if "--seeds" in argv]
    assert any(argv[argv.index("--seeds") + 1].startswith("14..") for argv in runs), runs
    with open(fake + ".log.hung") as f:
        pids = [int(p) for p in f.read().split()]
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or \
            open(f"/proc/{pid}/stat").read().split()[2] == "Z", f"hung simulator {pid} alive"

    # --time: a sweep whose first seed hangs still ends instead of hanging (a hang fails the test by its timeout).
    fake2 = fakesim.make(tmp, "fake-hang-first", behaviour={0: "hang"}, delay=0.01)
    started = time.monotonic()
    done = subprocess.run([sweep, "--sim", fake2, "--time", "3", "--jobs", "1",
                           "--seed-timeout", "2", "--allow-missing-scenarios", "--quiet",
                           "--out", os.path.join(tmp, "t.jsonl")],
                          capture_output=True, text=True, timeout=120)
    took2 = time.monotonic() - started
    assert done.returncode == 1 and "timeout: 1 seeds: 0x0" in done.stdout, done.stdout
print(f"ops-sweep-timeout: ok (40 seeds, seed 13 timed out after 2 s; sweeps took "
      f"{took:.1f} s and {took2:.1f} s)")
