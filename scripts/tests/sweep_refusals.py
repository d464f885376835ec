"""ops-sweep-refusals: a sweep that cannot run what it was asked refuses before any seed
runs (exit 2, one clear line, the simulator never started), and one that ran nothing is an
error, never a pass.

  --sim-arg     every selection, output or mode flag of the simulator (--seed, --seeds,
                --stride, --entropy, --json, --quiet, --trace, --check-determinism,
                --bench, --bench-seconds, --params-json, --dry-run, --help, --version),
                as --flag, --flag=value, an abbreviation getopt_long would take, or -h
  shards        --shard-count without JOB_COMPLETION_INDEX, 0 or -1; --shard with a count
                past 2^64 - 1; a shard that holds no seed of the selection; while
                JOB_COMPLETION_INDEX with --shard-count runs its share
  no seeds      --time so short that no seed starts
  hosts         a --parallel-hosts line GNU parallel would misread ('garbage///', a
                host group, two logins on one line, an ssh command that is not there)
usage: sweep_refusals.py SOURCE_ROOT"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesim  # noqa: E402

root = sys.argv[1]
sweep = os.path.join(root, "scripts", "sweep")
failures = []
ENV = {k: v for k, v in os.environ.items()
       if not k.startswith(("SLURM_", "JOB_COMPLETION_"))}


def run(fake, out, *extra, env=None):
    # In the directory of --out: a flag that got through (--trace t.txt) writes there.
    return subprocess.run([sweep, "--sim", fake, "--allow-missing-scenarios", "--quiet",
                           "--out", out, *extra], capture_output=True, text=True,
                          timeout=120, env=env or ENV, cwd=os.path.dirname(out))


def refused(tmp, label, *extra, contains, status=2, env=None):
    """The sweep must exit `status` with `contains` in its one-line error, before the
    simulator ran and without creating --out."""
    fake = fakesim.make(os.path.join(tmp, label.replace(" ", "_").replace("/", "_")))
    out = os.path.join(tmp, f"out-{len(os.listdir(tmp))}.jsonl")
    done = run(fake, out, *extra, env=env)
    problems = []
    if done.returncode != status:
        problems.append(f"exit {done.returncode}, expected {status}")
    if contains not in done.stderr:
        problems.append(f"no {contains!r} in the message")
    if "Traceback" in done.stderr or "This should not happen" in done.stderr:
        problems.append("a traceback or GNU parallel's own error")
    if fakesim.invocations(fake):
        problems.append(f"the simulator ran {len(fakesim.invocations(fake))} times")
    if os.path.exists(out):
        problems.append("--out was created")
    if problems:
        failures.append(f"{label}: {'; '.join(problems)}\n{done.stderr[-600:]}")


with tempfile.TemporaryDirectory() as tmp:
    flags = [["--seed", "5"], ["--seed=5"], ["--seeds", "1..2"], ["--seeds=1..2"],
             ["--stride", "2"], ["--entropy", "/dev/null"], ["--json"], ["--quiet"],
             ["--trace", "t.txt"], ["--check-determinism"], ["--bench"],
             ["--bench-seconds", "1"], ["--params-json"], ["--dry-run"], ["--help"],
             ["--version"], ["-h"], ["--see", "5"], ["--dry"], ["--vers"],
             ["--swarm", "off", "--stride=3"]]
    for argv in flags:
        refused(tmp, f"--sim-arg {' '.join(argv)}", "--seeds", "20",
                *[f"--sim-arg={a}" for a in argv], contains="is refused")

    refused(tmp, "--shard-count 3 alone", "--seeds", "20", "--shard-count", "3",
            contains="JOB_COMPLETION_INDEX")
    refused(tmp, "--shard-count 0", "--seeds", "20", "--shard-count", "0",
            contains="at least 1")
    refused(tmp, "--shard-count -1", "--seeds", "20", "--shard-count", "-1",
            contains="at least 1")
    refused(tmp, "--shard-count 0 with an index", "--seeds", "20", "--shard-count", "0",
            contains="at least 1", env={**ENV, "JOB_COMPLETION_INDEX": "0"})
    refused(tmp, "--shard 1/2^64", "--seeds", "20", "--shard", "1/18446744073709551616",
            contains="2^64-1")
    refused(tmp, "--shard 5/8 of 3 seeds", "--seeds", "3", "--shard", "5/8",
            contains="holds no seed")
    fake = fakesim.make(os.path.join(tmp, "k8s"))
    out = os.path.join(tmp, "k8s.jsonl")
    done = run(fake, out, "--seeds", "30", "--shard-count", "3",
               env={**ENV, "JOB_COMPLETION_INDEX": "1"})
    if done.returncode != 0:
        failures.append(f"JOB_COMPLETION_INDEX=1 --shard-count 3: exit {done.returncode}\n"
                        f"{done.stderr}")
    else:
        with open(out) as f:
            lines = [json.loads(line) for line in f]
        if sorted(line["seed"] for line in lines) != list(range(1, 30, 3)) or \
                {line["run"]["shard"] for line in lines} != {"1/3"}:
            failures.append("JOB_COMPLETION_INDEX=1 --shard-count 3 ran the wrong seeds")
    fake = fakesim.make(os.path.join(tmp, "wide"))
    done = run(fake, os.path.join(tmp, "wide.jsonl"), "--seeds", "5", "--shard",
               "1/18446744073709551615")
    if done.returncode != 0 or "seeds (0x1..0x1" not in done.stdout:
        failures.append(f"--shard 1/(2^64-1): exit {done.returncode}\n{done.stdout}"
                        f"{done.stderr}")

    fake = fakesim.make(os.path.join(tmp, "time"))
    out = os.path.join(tmp, "time.jsonl")
    done = run(fake, out, "--time", "1e-9")
    if done.returncode != 2 or "no seed ran" not in done.stderr:
        failures.append(f"--time 1e-9: exit {done.returncode}, expected 2 with 'no seed "
                        f"ran'\n{done.stderr}")

    for label, text, contains in [
            ("garbage///", "garbage///\n", "is not an ssh login"),
            ("a host group", "@group/host\n", "is not an ssh login"),
            ("two logins on a line", "host1,host2\n", "is not an ssh login"),
            ("no such ssh", "no-such-ssh-command -p 22 user@host\n", "not an executable"),
            ("no slots", "0/host\n", "has no slots")]:
        hosts = os.path.join(tmp, f"hosts-{len(os.listdir(tmp))}")
        with open(hosts, "w") as f:
            f.write("# a comment\n:\n" + text)
        refused(tmp, f"--parallel-hosts {label}", "--seeds", "20", "--parallel-hosts",
                hosts, contains=contains)
if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"ops-sweep-refusals: ok ({len(flags)} simulator flags, 6 shard specifications, "
      "--time 1e-9 and 5 host lines refused; a Kubernetes shard and a 2^64-1 stride run)")
