"""ops-sim-overrides: a simulator override that does not fit every seed's swarm draw is
refused once, before any seed runs, with the reason; a range never stops partway.

--p-crash 990 leaves room for the other step faults only in some seeds' draws: the
simulator must exit 2 with no result line, naming the rule and the sum; scripts/sweep must
refuse it before the first seed (an empty results file). An override that fits every draw
runs the whole range. If a simulator does stop partway anyway (a stand-in that exits 2 at
one seed), the sweep names that seed, prints what it did and the command that resumes.
The swarm's ranges that the check relies on (--params-json) must hold every
configuration the swarm really draws.
usage: sim_overrides.py SOURCE_ROOT SIMULATOR"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesim  # noqa: E402

root, sim = sys.argv[1], os.path.abspath(sys.argv[2])
sweep = os.path.join(root, "scripts", "sweep")


def run(*argv, timeout=120):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


done = run(sim, "--seeds", "0..300", "--ops", "20", "--p-crash", "990", "--json")
assert done.returncode == 2, f"exit {done.returncode}: {done.stderr}"
assert done.stdout == "", f"seeds ran before the refusal:\n{done.stdout[:500]}"
assert "p-crash + p-bit-flip + p-pause + p-scrub > 1000" in done.stderr, done.stderr
assert "can reach 1070" in done.stderr and "--p-crash 990" in done.stderr, done.stderr
# The same for one seed whose own draw would have fitted: the answer does not depend on it.
done = run(sim, "--seed", "0", "--ops", "20", "--p-duplicate", "900", "--json")
assert done.returncode == 2 and "p-duplicate + p-stale" in done.stderr, done.stderr
# Overrides that fit every draw run every seed.
done = run(sim, "--seeds", "0..150", "--ops", "20", "--p-crash", "900", "--json")
assert done.returncode in (0, 1), done.stderr
assert len(done.stdout.splitlines()) == 151, "not every seed ran"
done = run(sim, "--seeds", "0..50", "--ops", "20", "--p-crash", "990", "--faults", "off",
           "--quiet")
assert done.returncode in (0, 1), done.stderr

with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "r.jsonl")
    done = run(sweep, "--sim", sim, "--from", "0", "--to", "300", "--sim-arg=--ops",
               "--sim-arg=20", "--sim-arg=--p-crash", "--sim-arg=990", "--quiet",
               "--allow-missing-scenarios", "--out", out)
    assert done.returncode == 2, f"sweep exited {done.returncode}\n{done.stderr}"
    assert "rejects the flags --ops 20 --p-crash 990 before any seed ran" in done.stderr, \
        done.stderr
    assert not os.path.exists(out) or os.path.getsize(out) == 0, "seeds ran"
    # A scrub rate that leaves no progress, refused by the simulator up front, is refused
    # by the sweep before any seed, swarm on or off.
    for swarm in ([], ["--sim-arg=--swarm", "--sim-arg=off"]):
        done = run(sweep, "--sim", sim, "--seeds", "10", "--sim-arg=--p-scrub",
                   "--sim-arg=1000", *swarm, "--quiet", "--allow-missing-scenarios",
                   "--out", out)
        assert done.returncode == 2, f"sweep exited {done.returncode}\n{done.stderr}"
        assert "rejects the flags" in done.stderr and "--p-scrub 1000" in done.stderr, \
            done.stderr
        assert not os.path.exists(out) or os.path.getsize(out) == 0, "seeds ran"

    # A simulator that stops partway (exit 2 at seed 7): the sweep names the seed.
    fake = fakesim.make(tmp, behaviour={7: "usage"})
    done = run(sweep, "--sim", fake, "--from", "0", "--to", "19", "--jobs", "1", "--chunk",
               "5", "--quiet", "--allow-missing-scenarios", "--out", out)
    assert done.returncode == 2, done.stderr
    assert "refused seed 0x7" in done.stderr, done.stderr
    assert "resume with:" in done.stdout and "--resume" in done.stdout, done.stdout

# The swarm's ranges hold what it draws.
table = json.loads(run(sim, "--params-json").stdout)
params = {p["flag"]: p for p in table["params"]}
drawn = run(sim, "--seeds", "0..1499", "--ops", "1", "--json", timeout=300)
assert drawn.returncode == 0, drawn.stderr
outside = []
for line in drawn.stdout.splitlines():
    config = json.loads(line)["config"]
    for flag, p in params.items():
        if flag == "ops":
            continue  # overridden here
        if not p["swarm_min"] <= config[flag] <= p["swarm_max"]:
            outside.append(f"seed {json.loads(line)['seed']}: {flag} {config[flag]} not in "
                           f"{p['swarm_min']}..{p['swarm_max']}")
assert not outside, "\n".join(outside[:10])
print(f"ops-sim-overrides: ok (refused up front; 1500 seeds' draws inside the swarm's "
      f"ranges of {len(params)} parameters)")
