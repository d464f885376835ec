"""ops-deploy-files: the deployment files parse and say what the sweep needs.

Every YAML file parses (PyYAML); the GitHub workflows, the Kubernetes Job and the
ClusterFuzzLite files have the fields that make them work; the shell scripts pass
`bash -n`; the Slurm script, run with a stand-in scripts/sweep, passes the pinned seed base
and writes one file per array task.
usage: deploy_files.py SOURCE_ROOT"""
import glob
import os
import re
import stat
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("python3-yaml is missing (scripts/setup installs it): skipped")
    sys.exit(77)

root = sys.argv[1]


def path(*parts):
    return os.path.join(root, *parts)


def load(*parts):
    with open(path(*parts)) as f:
        return yaml.safe_load(f)


def bash_n(text, name):
    done = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
    assert done.returncode == 0, f"{name}: bash -n: {done.stderr}"


def steps(job):
    return job.get("steps") or []


def uses(job, action):
    return [s for s in steps(job) if str(s.get("uses", "")).startswith(action)]


yaml_files = (glob.glob(path(".github", "workflows", "*.yml")) +
              glob.glob(path("deploy", "k8s", "*.yaml")) +
              [path(".clusterfuzzlite", "project.yaml")])
for name in yaml_files:
    with open(name) as f:
        assert isinstance(yaml.safe_load(f), dict), f"{name} is not a YAML mapping"

# --- GitHub Actions: the nightly sweep ---
nightly = load(".github", "workflows", "nightly.yml")
triggers = nightly.get("on", nightly.get(True))  # YAML 1.1 reads a bare `on` as true
assert "schedule" in triggers and "workflow_dispatch" in triggers, triggers
jobs = nightly["jobs"]
shards = jobs["sweep"]["strategy"]["matrix"]["shard"]
assert shards == list(range(len(shards))) and len(shards) >= 2, shards
assert jobs["sweep"]["strategy"]["fail-fast"] is False
run = next(s for s in steps(jobs["sweep"]) if "scripts/sweep" in s.get("run", ""))
assert "${{ strategy.job-total }}" in run["env"]["SHARD"], run["env"]
assert "needs.plan.outputs.seed-base" in run["env"]["SEED_BASE"], run["env"]
assert '--shard "$SHARD"' in run["run"] and '--seed-base "$SEED_BASE"' in run["run"]
plan = next(s for s in steps(jobs["plan"]) if s.get("id") == "pin")
assert "$GITHUB_SHA" in plan["run"] and "date -u +%F" in plan["run"], plan["run"]
assert uses(jobs["sweep"], "actions/upload-artifact")
report = jobs["report"]
assert set(report["needs"]) >= {"sweep"} and "cancelled()" in report["if"], report
download = uses(report, "actions/download-artifact")[0]["with"]
assert download["merge-multiple"] is True and download["pattern"] == "shard-*", download
made = next(s for s in steps(report) if "scripts/report" in s.get("run", ""))
assert "--fail-on-failure" in made["run"] and "report.html" in made["run"], made["run"]
upload = uses(report, "actions/upload-artifact")[0]
assert "report.html" in upload["with"]["path"] and "always()" in upload["if"], upload
for job in jobs.values():
    for step in steps(job):
        bash_n(re.sub(r"\$\{\{[^}]*\}\}", "X", step.get("run", "")), f"nightly.yml {step}")

# --- GitHub Actions: ClusterFuzzLite ---
cflite = load(".github", "workflows", "cflite.yml")
triggers = cflite.get("on", cflite.get(True))
crons = [entry["cron"] for entry in triggers["schedule"]]
assert "pull_request" in triggers, triggers
modes = {}
for name, job in cflite["jobs"].items():
    build = uses(job, "google/clusterfuzzlite/actions/build_fuzzers@v1")
    fuzz = uses(job, "google/clusterfuzzlite/actions/run_fuzzers@v1")
    assert build and fuzz, f"cflite.yml job {name} does not build and run the fuzzers"
    assert build[0]["with"]["language"] == "c", build
    modes[fuzz[0]["with"]["mode"]] = (job, fuzz[0]["with"])
    for cron in re.findall(r"github\.event\.schedule == '([^']+)'", job.get("if", "")):
        assert cron in crons, f"job {name} waits for a schedule {cron!r} that is not in on:"
assert set(modes) == {"code-change", "batch", "prune"}, modes
job, settings = modes["code-change"]
assert "pull_request" in job["if"] and 60 <= int(settings["fuzz-seconds"]) <= 600, settings
assert "schedule" in modes["batch"][0]["if"], modes["batch"][0]

# --- ClusterFuzzLite build files ---
assert load(".clusterfuzzlite", "project.yaml")["language"] == "c"
with open(path(".clusterfuzzlite", "Dockerfile")) as f:
    docker = f.read()
assert re.search(r"^FROM gcr\.io/oss-fuzz-base/base-builder", docker, re.M), docker
assert re.search(r"^COPY \. \$SRC/client-sessions$", docker, re.M), docker
assert re.search(r"^COPY \.clusterfuzzlite/build\.sh \$SRC/$", docker, re.M), docker
with open(path(".clusterfuzzlite", "build.sh")) as f:
    build_sh = f.read()
bash_n(build_sh, "build.sh")
assert os.stat(path(".clusterfuzzlite", "build.sh")).st_mode & stat.S_IXUSR
assert "$SRC/client-sessions/fuzz/oss-fuzz/build.sh" in build_sh
assert os.path.exists(path("fuzz", "oss-fuzz", "build.sh")), "fuzz/oss-fuzz/build.sh is missing"

# --- Kubernetes: an Indexed Job ---
job = load("deploy", "k8s", "sweep-job.yaml")
assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job", job
spec = job["spec"]
assert spec["completionMode"] == "Indexed", spec
container = spec["template"]["spec"]["containers"][0]
env = {e["name"]: e["value"] for e in container["env"]}
assert int(env["SHARDS"]) == spec["completions"] == spec["parallelism"], (env, spec)
assert spec["template"]["spec"]["restartPolicy"] == "Never"
script = container["args"][0]
bash_n(script, "sweep-job.yaml")
assert '--shard-count "$SHARDS"' in script and "$JOB_COMPLETION_INDEX" in script, script
assert '--seed-base "$SEED_BASE"' in script, script
assert any(v["mountPath"] == "/results" for v in container["volumeMounts"])

# --- Slurm: an array job, run once with a stand-in scripts/sweep ---
with open(path("deploy", "slurm", "sweep.sbatch")) as f:
    sbatch = f.read()
bash_n(sbatch, "sweep.sbatch")
array = re.search(r"^#SBATCH --array=(\d+)-(\d+)$", sbatch, re.M)
assert array, "no #SBATCH --array=A-B line"
with tempfile.TemporaryDirectory() as tmp:
    os.makedirs(os.path.join(tmp, "scripts"))
    fake = os.path.join(tmp, "scripts", "sweep")
    with open(fake, "w") as f:
        f.write('#!/bin/sh\nprintf "%s\\n" "$@" > "$SUBMIT/args"\nexit 1\n')
    os.chmod(fake, stat.S_IRWXU)
    environment = {**os.environ, "SUBMIT": tmp, "SLURM_SUBMIT_DIR": tmp,
                   "SLURM_ARRAY_JOB_ID": "77", "SLURM_ARRAY_TASK_ID": "3",
                   "SLURM_ARRAY_TASK_COUNT": "16", "SLURM_CPUS_PER_TASK": "4",
                   "SEED_BASE": "nightly:2025-01-01@" + "a" * 40, "SIM_ARGS": "--swarm off",
                   "TMPDIR": tmp}
    done = subprocess.run(["bash", path("deploy", "slurm", "sweep.sbatch")], env=environment,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1, f"the task's status must be the sweep's: {done.returncode}"
    args = open(os.path.join(tmp, "args")).read().split("\n")
    assert args[args.index("--seed-base") + 1] == environment["SEED_BASE"], args
    assert args[args.index("--out") + 1] == f"{tmp}/sweep-results/77/shard-3.jsonl", args
    assert args[args.index("--jobs") + 1] == "4" and "--sim-arg=off" in args, args
    unpinned = {k: v for k, v in environment.items() if k != "SEED_BASE"}
    done = subprocess.run(["bash", path("deploy", "slurm", "sweep.sbatch")], env=unpinned,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "SEED_BASE" in done.stderr, done.stderr
print(f"ops-deploy-files: ok ({len(yaml_files)} YAML files, {len(shards)} GitHub shards, "
      f"{spec['completions']} Kubernetes indexes, Slurm array {array[1]}-{array[2]})")
