"""ops-sim-memory: the simulator computes the memory a configuration needs before it
allocates anything, and refuses more than --memory-max with the figure.

--clients-max 1048576 --replicas 6 is within the documented ranges but needs gigabytes:
it must be refused (exit 2) with the amount and --memory-max named, and the refusal must
cost no memory (the process's peak resident size stays small). The estimate must bound
what a run really uses (its peak resident size, measured by the kernel), and not by a wide
margin; --memory-max takes sizes and 'none'.
usage: sim_memory.py SIMULATOR"""
import re
import subprocess
import sys

sim = sys.argv[1]
MiB = 1 << 20
PEAK = r'''
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(done.stderr)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
'''


def peak(*argv):
    """(exit status, peak resident bytes, standard error) of one run of the simulator."""
    done = subprocess.run([sys.executable, "-c", PEAK, sim, *argv], capture_output=True,
                          text=True, timeout=600)
    status, rss = done.stdout.split()
    return int(status), int(rss), done.stderr


def dry_run(*argv):
    done = subprocess.run([sim, *argv, "--dry-run"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (argv, done.stderr)
    return int(re.search(r"at most (\d+) bytes", done.stdout)[1]), done.stdout


status, rss, stderr = peak("--seed", "0", "--clients-max", "1048576", "--replicas", "6")
assert status == 2, f"exit {status}: {stderr}"
assert re.search(r"needs up to \d+\.\d GiB of memory \(\d+ bytes", stderr), stderr
assert "above --memory-max" in stderr and "raise --memory-max" in stderr, stderr
assert rss < 64 * MiB, f"the refusal used {rss / MiB:.0f} MiB: it allocated first"
status, _, stderr = peak("--seed", "0", "--swarm", "off", "--clients-max", "1048576",
                         "--replicas", "6", "--memory-max", "4G")
assert status == 2 and "above --memory-max 4.0 GiB" in stderr, stderr

sanitized = b"libasan" in subprocess.run(["ldd", sim], capture_output=True).stdout
slack = 1.35 if sanitized else 1.0  # ASan's shadow memory and allocator on top
# What the process holds before a run allocates anything (the binary, libc, a sanitizer's
# runtime): the peak of the smallest run.
tiny = ["--swarm", "off", "--faults", "off", "--clients-max", "1", "--clients", "1", "--ops",
        "1", "--replicas", "1"]
status, base, stderr = peak("--seed", "1", *tiny)
assert status == 0, stderr
# The first configuration writes most of what it allocates (large tables and trailers, every
# block of its checkpoints): its use must come near the estimate, not only below it.
for config, written in (
        (["--swarm", "off", "--faults", "off", "--clients-max", "32768", "--replicas", "1",
          "--ops", "40", "--checkpoint-interval", "20", "--block-size", "512"], True),
        (["--swarm", "off", "--clients", "65536", "--clients-max", "4096", "--ops", "8000",
          "--checkpoint-interval", "100", "--faults", "off", "--replicas", "1"], False)):
    estimate, _ = dry_run(*config)
    status, rss, stderr = peak("--seed", "1", *config)
    assert status == 0, stderr
    used = rss - base
    assert used <= estimate * slack + 4 * MiB, \
        f"{config}: used {used / MiB:.1f} MiB, above the estimate {estimate / MiB:.1f} MiB"
    assert not written or used >= estimate * 0.5, \
        f"{config}: the estimate {estimate / MiB:.1f} MiB is far above the use {used / MiB:.1f}"
    status, _, stderr = peak("--seed", "1", *config, "--memory-max", str(estimate - 1))
    assert status == 2 and "above --memory-max" in stderr, stderr

_, text = dry_run("--memory-max", "none", "--clients-max", "1048576")
assert "--memory-max none" in text, text
for bad in ("10X", "0", "-5", "99999999999999999999T"):
    done = subprocess.run([sim, "--memory-max", bad, "--dry-run"], capture_output=True,
                          text=True)
    assert done.returncode == 2 and "--memory-max needs a size" in done.stderr, (bad, done.stderr)
print(f"ops-sim-memory: ok (refused before allocating; estimates bound the measured peaks"
      f"{' under ASan' if sanitized else ''})")
