"""ops-repro-minimize: scripts/repro --minimize shrinks a real failure. The core is built with
the mutant evict_tie_slot (ties within 3 commits evict the lower slot), which fails seed 1 at
op 10 of 2000 with decision.evictee; the minimal command must fail the same way with no more
ops than the op that failed. --report must print the Markdown bug report.
usage: repro_minimize.py SOURCE_ROOT BUILD_ROOT"""
import json
import os
import re
import shlex
import subprocess
import sys

root, build_root = sys.argv[1], sys.argv[2]
script = os.path.join(root, "scripts", "repro")
mutant = ["--mutant", "evict_tie_slot", "--build-root", build_root]

# Builds the mutant (and reruns seed 1), then takes the first seed the mutant fails with
# decision.evictee: seed 1 today, whatever a change to the workload makes it tomorrow.
built = subprocess.run([script, "1", *mutant], capture_output=True, text=True, timeout=600)
assert built.returncode in (0, 1), f"repro exited {built.returncode}\n{built.stderr[-3000:]}"
sim = os.path.join(build_root, "evict_tie_slot", "build", "sim", "client-sessions-sim")
sweep = subprocess.run([sim, "--seeds", "1..64", "--json"], capture_output=True, text=True,
                       timeout=120)
failing = [r for r in map(json.loads, sweep.stdout.splitlines())
           if (r.get("failure") or {}).get("signature") == "decision.evictee"]
assert failing, "the mutant evict_tie_slot fails no seed of 1..64 with decision.evictee"
seed, failed_at = failing[0]["seed"], failing[0]["failure"]["op"]
repro = [script, hex(seed), *mutant]

done = subprocess.run([*repro, "--minimize"], capture_output=True, text=True, timeout=600)
assert done.returncode == 1, f"repro exited {done.returncode}\n{done.stdout}\n{done.stderr}"
assert "signature decision.evictee kept" in done.stderr, done.stderr
fields = dict(re.findall(r"^(before|minimal|shrink|again): +(.*)$", done.stdout, re.M))
assert set(fields) == {"before", "minimal", "shrink", "again"}, done.stdout
minimal = shlex.split(fields["minimal"])
ops = int(minimal[minimal.index("--ops") + 1])
assert ops <= failed_at < 2000, f"--ops {ops}: expected at most {failed_at}\n{done.stdout}"

# The minimal command, as printed, fails the same way (relative to the source root).
rerun = subprocess.run([*minimal, "--json"], cwd=root, capture_output=True, text=True,
                       timeout=60)
result = json.loads(rerun.stdout.splitlines()[-1])
assert rerun.returncode == 1 and result["failure"]["signature"] == "decision.evictee", result
assert result["config"]["ops"] == ops, result["config"]
assert result["reproduce"].split(" ", 1)[1] == fields["minimal"].split(" ", 1)[1], \
    "the simulator's own reproduce line differs from the minimal command"

report = subprocess.run([*repro, "--report"], capture_output=True, text=True, timeout=600)
assert report.returncode == 1, report.stderr
markdown = report.stdout
for needle in [f"## Simulator failure `decision.evictee` (seed {seed:#x})",
               f"| seed | `0x{seed:016x}` |", "| signature | `decision.evictee` |",
               "mutant evict_tie_slot", "```sh", fields["minimal"], "### Configuration",
               f"| ops | 2000 | **{ops}** |", "### Last"]:
    assert needle in markdown, f"report lacks {needle!r}:\n{markdown}"
assert re.search(r"\| commit \| `([0-9a-f]{40}|unknown)", markdown), markdown
assert "FAIL decision.evictee" in markdown, "the trace's last lines are missing"
print(f"ops-repro-minimize: ok: seed {seed:#x}: {fields['shrink']}")
