"""Builds: the tools a command needs (installed by scripts/setup when missing), and the one
place that says how the release, repro (debug, ASan+UBSan) and mutant builds are configured.
"""

import fcntl
import os
import shutil
import subprocess
import sys

from . import ROOT

SETUP = os.path.join(ROOT, "scripts", "setup")

# meson setup options of each kind of build.
RELEASE = ["--buildtype=release"]
REPRO = ["--buildtype=debug", "-Db_sanitize=address,undefined", "-Db_lundef=false"]
MUTANT = ["--buildtype=release", "-Dbench=false", "-Dtests=true"]

SIMULATOR = "sim/client-sessions-sim"


class BuildError(Exception):
    """A tool that is missing and could not be installed, or a build that failed; the
    message says which, and the caller exits with status 4."""


def c_compiler():
    """The C compiler meson would use ($CC, else cc), or None when it is not there."""
    name = (os.environ.get("CC") or "cc").split()[0]
    return shutil.which(name)


def missing_tools(tools):
    found = {"cc": c_compiler}
    return [t for t in tools if not (found[t]() if t in found else shutil.which(t))]


def ensure_tools(who, tools=("meson", "ninja", "cc"), group="build"):
    """Makes sure `tools` are on PATH. When one is missing, runs `scripts/setup GROUP`
    (apt-get, on Debian) and says so; raises BuildError when that did not help."""
    missing = missing_tools(tools)
    if not missing:
        return
    print(f"{who}: {', '.join(missing)} missing: installing with scripts/setup {group}",
          file=sys.stderr, flush=True)
    try:
        done = subprocess.run([SETUP, group], stdout=sys.stderr)
    except OSError as error:
        raise BuildError(f"cannot run scripts/setup: {error}") from None
    still = missing_tools(tools)
    if done.returncode != 0 or still:
        raise BuildError(f"{', '.join(still or missing)} still missing after scripts/setup "
                         f"{group} (exit {done.returncode}); install "
                         f"{', '.join(still or missing)} and rerun")
    print(f"{who}: installed {', '.join(missing)}", file=sys.stderr, flush=True)


def run(command, what):
    """Runs a build step quietly; on failure shows its last output in the BuildError."""
    try:
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    except OSError as error:
        raise BuildError(f"cannot run {command[0]}: {error}") from None
    if done.returncode != 0:
        raise BuildError(f"{what} failed: {' '.join(command)}\n{done.stdout[-4000:]}")


def build(directory, options, targets, who, source=ROOT, say=None):
    """Configures `directory` from `source` with `options` unless it is configured already,
    then builds `targets` with ninja. One build at a time per directory (shards that share
    a machine must not configure it twice at once). Returns the directory."""
    ensure_tools(who)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, ".build.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(directory, "build.ninja")):
            if say:
                say(f"configuring {directory}")
            run(["meson", "setup", directory, source, *options], "meson setup")
        run(["ninja", "-C", directory, *targets], "the build")
    return directory


def simulator(directory):
    return os.path.join(directory, SIMULATOR)


def release_simulator(directory, who):
    """build-release (or directory): the simulator the sweep runs; built if needed."""
    say = (lambda message: print(f"{who}: {message} (release)", file=sys.stderr, flush=True))
    return simulator(build(directory, RELEASE, [SIMULATOR], who, say=say))


def repro_simulator(directory, who, say=None):
    """build-repro (or directory): debug, -O0, ASan+UBSan; built if needed."""
    return simulator(build(directory, REPRO, [SIMULATOR], who, say=say))
