"""ops-sim-inject: fault injection never silently does nothing. --inject-bit-flip that
cannot happen for some seed (the op past --ops, the replica above the replica count the
swarm may draw, no checkpoint before the run ends) is refused before anything runs, with
the reason; one that can happen does (a bit flip, detected). A run where it still did not
happen fails with inject.missed (ops-sim-inject-missed, in C).
usage: sim_inject.py SIMULATOR"""
import json
import subprocess
import sys

sim = sys.argv[1]


def run(*argv):
    return subprocess.run([sim, *argv], capture_output=True, text=True, timeout=120)


for argv, reason in [
        (["--inject-bit-flip", "1:0", "--ops", "1"], "the first checkpoint is at op up to"),
        (["--inject-bit-flip", "1:0", "--ops", "1", "--swarm", "off"],
         "the first checkpoint is at op 64"),
        (["--inject-bit-flip", "30:0", "--ops", "20", "--checkpoint-interval", "8"],
         "op 30 is past --ops 20"),
        (["--inject-bit-flip", "10:3", "--seeds", "0..40", "--ops", "100",
          "--checkpoint-interval", "8"], "replica 3 is not below --replicas 1"),
        (["--inject-bit-flip", "10:3", "--replicas", "3", "--checkpoint-interval", "8"],
         "replica 3 is not below --replicas 3")]:
    done = run(*argv, "--json")
    assert done.returncode == 2, f"{argv}: exit {done.returncode}\n{done.stdout[:300]}"
    assert done.stdout == "", f"{argv}: a seed ran"
    assert "cannot happen" in done.stderr and reason in done.stderr, (argv, done.stderr)

done = run("--seed", "3", "--swarm", "off", "--faults", "off", "--ops", "100",
           "--inject-bit-flip", "70:1", "--json")
assert done.returncode == 0, done.stdout + done.stderr
counts = json.loads(done.stdout)["counts"]
assert counts["bit_flips"] >= 1 and counts["corruptions_detected"] >= 1, counts
done = run("--seeds", "0..20", "--ops", "700", "--inject-bit-flip", "650:0", "--json")
assert done.returncode in (0, 1), done.stderr
results = [json.loads(line) for line in done.stdout.splitlines()]
assert len(results) == 21 and all(r["counts"]["bit_flips"] >= 1 for r in results), \
    [(r["seed"], r["counts"]["bit_flips"]) for r in results]
print("ops-sim-inject: ok (5 impossible injections refused; possible ones happen and are "
      "detected)")
