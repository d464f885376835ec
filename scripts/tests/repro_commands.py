"""ops-repro-commands: every command a failure prints reruns that failure as printed.

A sweep run with --sim PATH (here a stand-in simulator in a directory whose name has a
space and a quote) prints, for each failure, a reproduce command and scripts/repro lines;
run as printed (split the way a shell splits them), they must reach that same simulator,
with the same flags, never the default build. The same holds for the reproduce command
recorded for a seed whose simulator aborted, and for scripts/report's repro lines.
usage: repro_commands.py SOURCE_ROOT"""
import html
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesim  # noqa: E402

root = sys.argv[1]

with tempfile.TemporaryDirectory() as tmp:
    where = os.path.join(tmp, "dir with 'space")
    fake = fakesim.make(where, "fake sim", behaviour={
        3: "fail:decision.slot", 5: "abort:assertion failed: a < b in f at ../core/src/x.c:9"})
    out = os.path.join(tmp, "r.jsonl")
    done = subprocess.run([os.path.join(root, "scripts", "sweep"), "--sim", fake, "--from", "0",
                           "--to", "9", "--jobs", "1", "--sim-arg=--swarm", "--sim-arg=off",
                           "--quiet", "--allow-missing-scenarios", "--out", out],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    lines = {line["seed"]: line for line in map(json.loads, open(out))}
    abort = shlex.split(lines[5]["reproduce"])
    assert abort == [fake, "--seed", "0x0000000000000005", "--swarm", "off"], abort
    assert shlex.split(lines[3]["reproduce"])[0] == fake, lines[3]["reproduce"]

    traced = re.search(r"^    with a trace: (.*)$", done.stdout, re.M)[1]
    shrink = re.search(r"^    shrink it: +(.*)$", done.stdout, re.M)[1]
    argv = shlex.split(traced)
    assert argv[:2] == ["scripts/repro", "0x3"] and argv[2:4] == ["--sim", fake], argv
    assert argv[4:] == ["--swarm", "off"], argv
    assert shlex.split(shrink) == argv + ["--minimize"], shrink
    before = len(fakesim.invocations(fake))
    env = dict(os.environ, REPRO_BUILD_DIR=os.path.join(tmp, "must-not-be-built"))
    rerun = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=120, env=env)
    assert rerun.returncode == 1, f"repro exited {rerun.returncode}\n{rerun.stderr}"
    calls = fakesim.invocations(fake)[before:]
    assert any(c[0] == fake and "--trace" in c and c[c.index("--seed") + 1] ==
               "0x0000000000000003" and "--swarm" in c for c in calls), calls
    assert not os.path.exists(env["REPRO_BUILD_DIR"]), "repro built its own simulator"

    report = os.path.join(tmp, "r.html")
    done = subprocess.run([os.path.join(root, "scripts", "report"), out, "-o", report],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with open(report) as f:
        page = html.unescape(f.read())
    shrinks = re.findall(r"shrink it: <code>(.*?)</code>", page)
    assert shrinks and all(shlex.split(s)[2:4] == ["--sim", fake] for s in shrinks), shrinks
print("ops-repro-commands: ok (reproduce and repro lines rerun the --sim simulator, quoted)")
