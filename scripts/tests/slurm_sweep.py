#!/usr/bin/env python3
"""ops-slurm: deploy/slurm/sweep.sbatch on a real single-node Slurm cluster.

Starts munged, slurmctld and slurmd on this machine with a minimal configuration generated
in a temporary directory (the node is this host; private ports, private munge socket), then:
  1. submits the real sweep.sbatch as an array of 3 shards, waits for them, merges the
     shards and checks that the union equals the unsharded sweep of the same seeds
     (durations aside);
  2. submits it again with more seeds, cancels one running shard with scancel once it has
     written results, and checks that `scripts/sweep --resume` completes that shard's file
     to exactly what an uninterrupted shard gives;
and tears everything down. Needs root and Debian's slurmctld, slurmd, slurm-client and
munge (apt-get install them; scripts/setup does not, see its --help); without them it is skipped (exit 77) with the reason.

usage: slurm_sweep.py SOURCE_ROOT SIMULATOR"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import sweeps
from sweeps import comparable, first_difference, free_port, read_lines as read, run_sweep

root, sim = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SBATCH = os.path.join(root, "deploy", "slurm", "sweep.sbatch")
SWEEP = os.path.join(root, "scripts", "sweep")
SIM_ARGS = ["--ops", "150"]
TOOLS = ["munged", "munge", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo"]


def skip(reason):
    sweeps.skip("ops-slurm", reason)


def wait_for(what, predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


class Cluster:
    """munged + slurmctld + slurmd, all under one temporary directory."""

    def __init__(self, directory):
        self.dir = directory
        self.host = socket.gethostname().split(".")[0]
        self.conf = os.path.join(directory, "slurm.conf")
        self.socket = os.path.join(directory, "munge", "munge.sock")
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.pids = []

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def start(self):
        for sub in ("munge", "state", "spool", "log"):
            os.makedirs(self.path(sub), exist_ok=True)
        os.chmod(self.path("munge"), 0o700)
        key = self.path("munge", "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        subprocess.run(["munged", "--force", f"--socket={self.socket}", f"--key-file={key}",
                        f"--log-file={self.path('log', 'munged.log')}",
                        f"--pid-file={self.path('munge', 'munged.pid')}",
                        f"--seed-file={self.path('munge', 'munged.seed')}"], check=True)
        self.pids.append(self.path("munge", "munged.pid"))
        with open(self.conf, "w") as f:
            f.write(f"""ClusterName=csops{os.getpid()}
SlurmctldHost={self.host}
SlurmUser=root
SlurmdUser=root
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
AuthInfo=socket={self.socket}
CredType=cred/munge
StateSaveLocation={self.path('state')}
SlurmdSpoolDir={self.path('spool')}
SlurmctldPidFile={self.path('slurmctld.pid')}
SlurmdPidFile={self.path('slurmd.pid')}
SlurmctldLogFile={self.path('log', 'slurmctld.log')}
SlurmdLogFile={self.path('log', 'slurmd.log')}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
KillWait=5
NodeName={self.host} CPUs={os.cpu_count() or 1} State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")
        subprocess.run(["slurmctld", "-f", self.conf, "-i"], check=True, env=self.env)
        self.pids.append(self.path("slurmctld.pid"))
        subprocess.run(["slurmd", "-f", self.conf], check=True, env=self.env)
        self.pids.append(self.path("slurmd.pid"))
        if not wait_for("the node", self.node_idle, 60):
            self.show_logs()
            raise RuntimeError("the Slurm node did not become idle within 60 s")

    def node_idle(self):
        done = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True,
                              env=self.env)
        return done.returncode == 0 and done.stdout.strip() == "idle"

    def run(self, *argv):
        # From the checkout, as sweep.sbatch says to submit it (SLURM_SUBMIT_DIR is the repo).
        return subprocess.run(list(argv), capture_output=True, text=True, env=self.env,
                              check=True, cwd=root).stdout

    def jobs(self, job):
        """'JOBID_TASK STATE' lines of a job's array tasks still in the queue."""
        done = subprocess.run(["squeue", "-h", "-r", "-j", job, "-o", "%i %T"],
                              capture_output=True, text=True, env=self.env)
        return [line.split() for line in done.stdout.splitlines() if line.strip()]

    def wait_job(self, job, seconds):
        if not wait_for("the job", lambda: not self.jobs(job), seconds):
            self.show_logs()
            raise AssertionError(f"job {job} still queued after {seconds} s: {self.jobs(job)}")

    def show_logs(self):
        for name in ("slurmctld.log", "slurmd.log", "munged.log"):
            path = self.path("log", name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    print(f"--- {name} (tail)\n" + "".join(f.readlines()[-15:]))

    def stop(self):
        subprocess.run(["scancel", "--user", "root"], capture_output=True, env=self.env)
        for pidfile in reversed(self.pids):
            try:
                with open(pidfile) as f:
                    pid = int(f.read().strip())
                os.kill(pid, signal.SIGTERM)
                wait_for("exit", lambda: not os.path.exists(f"/proc/{pid}"), 15)
            except (OSError, ValueError):
                pass


def sweep(out, *extra):
    return run_sweep(root, sim, out, "--seed-base", "0", *(f"--sim-arg={a}" for a in SIM_ARGS),
                     *extra)[1]


def submit(cluster, tmp, name, seeds):
    results = os.path.join(tmp, name)
    os.makedirs(results)
    job = cluster.run(
        "sbatch", "--parsable", "--array=0-2", "--cpus-per-task=1", "--time=10:00",
        f"--output={os.path.join(tmp, name + '-%A_%a.log')}",
        f"--export=ALL,SEED_BASE=0,SEEDS={seeds},RESULTS={results},SIM={sim},"
        f"SIM_ARGS={' '.join(SIM_ARGS)}", SBATCH).strip().split(";")[0]
    return job, results


def main():
    if os.geteuid() != 0:
        skip("needs root to start munged, slurmctld and slurmd")
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing:
        skip(f"not installed: {', '.join(missing)} (apt-get install slurmctld slurmd "
             "slurm-client munge)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ops-slurm-") as tmp:
        cluster = Cluster(os.path.join(tmp, "cluster"))
        try:
            try:
                cluster.start()
            except (OSError, subprocess.CalledProcessError, RuntimeError) as error:
                skip(f"Slurm could not start here: {error}")
            # 1. Three shards through the real sbatch script; their union is the sweep.
            seeds = 240
            job, results = submit(cluster, tmp, "sharded", seeds)
            cluster.wait_job(job, 300)
            shards = sorted(os.listdir(results))
            if len(shards) != 3:
                show_job_logs(tmp, "sharded")
            assert shards == ["shard-0.jsonl", "shard-1.jsonl", "shard-2.jsonl"], shards
            merged = [line for shard in shards for line in read(os.path.join(results, shard))]
            whole = sweep(os.path.join(tmp, "whole.jsonl"), "--seeds", str(seeds))
            assert len(merged) == seeds, f"{len(merged)} of {seeds} seeds in the shards"
            assert comparable(merged) == comparable(whole), "the shards' union differs"
            for line in merged:
                shard = line["run"]["shard"]
                assert shard == f"{line['seed'] % 3}/3", (line["seed"], shard)
            # 2. scancel one running shard; --resume completes its file.
            seeds = 3000
            job, results = submit(cluster, tmp, "cancelled", seeds)
            victim = os.path.join(results, "shard-1.jsonl")

            def has_results():
                try:
                    return os.path.getsize(victim) > 0
                except OSError:
                    return False
            assert wait_for("results", has_results, 120), "shard 1 wrote nothing in 120 s"
            cluster.run("scancel", f"{job}_1")
            assert wait_for("cancel", lambda: all(t[0] != f"{job}_1" for t in cluster.jobs(job)),
                            60), f"{job}_1 survived scancel"
            kept = len(read_tolerant(victim))
            cluster.run("scancel", job)  # the other shards are not needed
            cluster.wait_job(job, 60)
            expected = sweep(os.path.join(tmp, "shard1.jsonl"), "--seeds", str(seeds),
                             "--shard", "1/3")
            assert 0 < kept < len(expected), \
                f"the cancelled shard kept {kept} of {len(expected)} seeds: nothing to resume"
            sweep(victim, "--seeds", str(seeds), "--shard", "1/3", "--resume", victim)
            resumed = read(victim)
            assert len({line["seed"] for line in resumed}) == len(resumed), "duplicate seeds"
            assert comparable(resumed) == comparable(expected), \
                "the resumed shard differs from an uninterrupted one: " + \
                first_difference(comparable(resumed), comparable(expected))
            print(f"ops-slurm: ok: 3 shards of 240 seeds equal the unsharded sweep; shard 1 of "
                  f"{seeds} seeds cancelled after {kept} results and resumed to "
                  f"{len(resumed)} ({time.monotonic() - started:.0f} s)")
        finally:
            cluster.stop()
    return 0


def show_job_logs(tmp, name):
    """The tasks' own output, for a failure's report."""
    for log in sorted(f for f in os.listdir(tmp) if f.startswith(name + "-")):
        with open(os.path.join(tmp, log), errors="replace") as f:
            print(f"--- {log} (tail)\n" + "".join(f.readlines()[-20:]))


def read_tolerant(path):
    """The complete lines of a file a killed process may have cut short."""
    with open(path) as f:
        lines = []
        for line in f:
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                pass
        return lines


if __name__ == "__main__":
    sys.exit(main())
