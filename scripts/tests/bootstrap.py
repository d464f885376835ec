"""ops-bootstrap: `scripts/sweep`, the first command a newcomer runs, installs what its
build needs when it is missing, and says so.

The sweep runs with a PATH on which meson and ninja are absent (every other program of
the machine is there), and with stand-ins for apt-get and dpkg-query (this test installs
and uninstalls nothing on the machine): dpkg-query says meson and ninja-build are not
installed; apt-get 'installs' them by putting the real programs back on that PATH. The
sweep must run scripts/setup build, which must call apt-get install for both, then
configure and build the simulator and run the seeds. With an apt-get that installs
nothing, the sweep must stop with exit 4 and say which tool is still missing.
usage: bootstrap.py SOURCE_ROOT"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

root = sys.argv[1]
HIDDEN = {"meson", "ninja", "apt-get", "dpkg-query", "sudo"}
DPKG_QUERY = """#!/bin/sh
for package; do :; done
case $package in
meson | ninja-build) [ -e "%(bin)s/meson" ] || exit 1 ;;
esac
printf 'install ok installed'
"""
APT_GET = """#!/bin/sh
echo "$*" >>"%(log)s"
[ "$1" = install ] || exit 0
[ "%(works)s" = yes ] || exit 0
for package; do
    case $package in
    meson) ln -s "%(meson)s" "%(bin)s/meson" ;;
    ninja-build) ln -s "%(ninja)s" "%(bin)s/ninja" ;;
    esac
done
"""


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, stat.S_IRWXU)


def machine_without_meson(tmp, works):
    """A bin directory with every program of this machine except meson and ninja."""
    bin_ = os.path.join(tmp, "bin")
    os.makedirs(bin_)
    for directory in ("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"):
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            target = os.path.join(bin_, name)
            if name not in HIDDEN and not os.path.lexists(target):
                os.symlink(os.path.join(directory, name), target)
    log = os.path.join(tmp, "apt-get.log")
    values = {"bin": bin_, "log": log, "works": "yes" if works else "no",
              "meson": shutil.which("meson"), "ninja": shutil.which("ninja")}
    write(os.path.join(bin_, "dpkg-query"), DPKG_QUERY % values)
    write(os.path.join(bin_, "apt-get"), APT_GET % values)
    write(os.path.join(bin_, "sudo"), '#!/bin/sh\nexec "$@"\n')
    return bin_, log


def sweep(tmp, bin_, *extra):
    env = {"PATH": bin_, "HOME": tmp, "LANG": "C.UTF-8"}
    out = os.path.join(tmp, "r.jsonl")
    done = subprocess.run([os.path.join(root, "scripts", "sweep"), "--seeds", "4", "--jobs",
                           "1", "--build-dir", os.path.join(tmp, "build"), "--quiet",
                           "--allow-missing-scenarios", "--out", out, *extra],
                          capture_output=True, text=True, timeout=900, env=env)
    return done, out


assert shutil.which("meson") and shutil.which("ninja"), "meson or ninja is not installed here"
with tempfile.TemporaryDirectory() as tmp:
    bin_, log = machine_without_meson(tmp, works=True)
    done, out = sweep(tmp, bin_)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr[-3000:]}"
    assert "sweep: meson, ninja missing: installing with scripts/setup build" in done.stderr, \
        done.stderr
    assert "sweep: installed meson, ninja" in done.stderr, done.stderr
    with open(log) as f:
        calls = f.read().splitlines()
    install = [c for c in calls if c.startswith("install")]
    assert install and "meson" in install[0].split() and "ninja-build" in install[0].split(), \
        calls
    with open(out) as f:
        assert len([json.loads(line) for line in f]) == 4, "the seeds did not run"

with tempfile.TemporaryDirectory() as tmp:
    bin_, log = machine_without_meson(tmp, works=False)
    done, out = sweep(tmp, bin_)
    assert done.returncode == 4, f"exit {done.returncode}\n{done.stderr}"
    assert "meson, ninja still missing after scripts/setup build" in done.stderr, done.stderr
print("ops-bootstrap: ok (meson and ninja installed through scripts/setup build and apt-get, "
      "the simulator built, 4 seeds run; a failed install is exit 4)")
