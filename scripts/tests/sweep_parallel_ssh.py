#!/usr/bin/env python3
"""ops-sweep-parallel-ssh: `scripts/sweep --parallel-hosts FILE` through GNU parallel over real
ssh to this machine.

Starts a private sshd on 127.0.0.1 (a free port, host and client keys made for the run, in a
temporary directory), writes a hosts file whose one login is a whole ssh command with two
slots, and checks that the two shards that ran over ssh give the same JSON Lines as the
unsharded sweep (durations aside), and that sshd saw the logins. Needs root and Debian's
openssh-server and GNU parallel (scripts/setup installs them); without them it is skipped
(exit 77) with the reason.

usage: sweep_parallel_ssh.py SOURCE_ROOT SIMULATOR"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import sweeps
from sweeps import comparable, free_port, run_sweep

root, sim = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SEEDS = 120
SSHD = "/usr/sbin/sshd"


def skip(reason):
    sweeps.skip("ops-sweep-parallel-ssh", reason)


def sweep(out, *extra):
    return run_sweep(root, sim, out, "--seeds", str(SEEDS), "--seed-base", "0",
                     "--sim-arg=--ops", "--sim-arg=100", *extra, timeout=300)


def main():
    if os.geteuid() != 0:
        skip("needs root to start a private sshd")
    missing = [tool for tool in (SSHD, "ssh", "ssh-keygen", "parallel") if not shutil.which(tool)]
    if missing:
        skip(f"not installed: {', '.join(missing)} (scripts/setup installs openssh-server and "
             "parallel)")
    with tempfile.TemporaryDirectory(prefix="ops-ssh-") as tmp:
        for name in ("host_key", "client_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                            os.path.join(tmp, name)], check=True)
        shutil.copyfile(os.path.join(tmp, "client_key.pub"), os.path.join(tmp, "authorized"))
        port, log, pidfile = free_port(), os.path.join(tmp, "sshd.log"), os.path.join(tmp, "pid")
        with open(os.path.join(tmp, "sshd_config"), "w") as f:
            f.write(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp}/host_key\n"
                    f"PidFile {pidfile}\nAuthorizedKeysFile {tmp}/authorized\n"
                    "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
                    "LogLevel INFO\n")
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation directory
        started = subprocess.run([SSHD, "-f", os.path.join(tmp, "sshd_config"), "-E", log],
                                 capture_output=True, text=True)
        if started.returncode != 0:
            skip(f"sshd could not start here: {started.stderr.strip()}")
        try:
            login = (f"ssh -p {port} -i {tmp}/client_key -o StrictHostKeyChecking=no "
                     f"-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes "
                     "root@127.0.0.1")
            probe = subprocess.run(login.split() + ["true"], capture_output=True, text=True,
                                   timeout=30)
            if probe.returncode != 0:
                skip(f"ssh to the private sshd failed: {probe.stderr.strip()}")
            hosts = os.path.join(tmp, "hosts")
            with open(hosts, "w") as f:
                f.write(f"# two shards over ssh to this machine\n2/{login}\n")
            _, whole = sweep(os.path.join(tmp, "whole.jsonl"), "--jobs", "2")
            sharded_run, sharded = sweep(os.path.join(tmp, "sharded.jsonl"), "--jobs", "1",
                                         "--parallel-hosts", hosts)
            assert "2 shards on 1 hosts" in sharded_run.stdout, sharded_run.stdout
            assert comparable(whole) == comparable(sharded), \
                "the shards that ran over ssh differ from the unsharded sweep"
            assert sorted({line["run"]["shard"] for line in sharded}) == ["0/2", "1/2"]
            with open(log) as f:
                accepted = f.read().count("Accepted publickey for root")
            assert accepted >= 3, f"sshd accepted {accepted} logins: the shards did not use ssh"
        finally:
            try:
                with open(pidfile) as f:
                    os.kill(int(f.read()), signal.SIGTERM)
                time.sleep(0.2)
            except (OSError, ValueError):
                pass
    print(f"ops-sweep-parallel-ssh: ok ({SEEDS} seeds, 2 shards over ssh to 127.0.0.1:{port} "
          f"equal the unsharded sweep; {accepted} ssh logins)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
