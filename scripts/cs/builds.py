"""Builds: the tools a command needs (installed by scripts/setup when missing), the one
place that says how the release, repro (debug, ASan+UBSan) and mutant builds are configured,
and the one way every command configures and builds (build), rebuilds a scratch tree
incrementally (rebuild), lists a build's tests (tests) and reads its object files
(objects_of).
"""

import contextlib
import fcntl
import json
import os
import shutil
import sys

from . import ROOT, process

SETUP = os.path.join(ROOT, "scripts", "setup")

# meson setup options of each kind of build.
RELEASE = ["--buildtype=release"]
REPRO = ["--buildtype=debug", "-Db_sanitize=address,undefined", "-Db_lundef=false"]
MUTANT = ["--buildtype=release", "-Dbench=false", "-Dtests=true"]
# The mutant build again under ASan+UBSan, with debug information so that a report names
# the function and line (-O2, inlined frames included): what only a sanitizer sees.
MUTANT_SANITIZED = ["--buildtype=debugoptimized", "-Dbench=false", "-Dtests=true",
                    "-Db_sanitize=address,undefined", "-Db_lundef=false"]

SIMULATOR = "sim/client-sessions-sim"


class BuildError(process.StepFailed):
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
        # In the command's session: apt-get through sudo may ask for a password.
        done = process.run([SETUP, group], stdin=None, stdout=sys.stderr, stderr=None,
                           own_session=False)
    except OSError as error:
        raise BuildError(f"cannot run scripts/setup: {error}") from None
    still = missing_tools(tools)
    if done.returncode != 0 or still:
        raise BuildError(f"{', '.join(still or missing)} still missing after scripts/setup "
                         f"{group} (exit {done.returncode}); install "
                         f"{', '.join(still or missing)} and rerun")
    print(f"{who}: installed {', '.join(missing)}", file=sys.stderr, flush=True)


def run(command, what, env=None, log=None):
    """Runs a build step quietly (its output appended to the file `log` when given); on
    failure the BuildError shows its last output."""
    return process.step(command, what, env=env, log=log, cwd=ROOT, error=BuildError)


@contextlib.contextmanager
def locked(directory):
    """Holds the build directory's lock (created if needed) inside the block."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, ".build.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def configure(directory, options, who, source=ROOT, say=None, env=None, log=None):
    """meson setup of `directory` from `source`, unless it is configured already (the tools
    installed first when missing)."""
    ensure_tools(who)
    if not os.path.exists(os.path.join(directory, "build.ninja")):
        if say:
            say(f"configuring {directory}")
        run(["meson", "setup", directory, source, *options], "meson setup", env, log)


def build(directory, options, targets, who, source=ROOT, say=None, env=None, log=None):
    """Configures `directory` from `source` with `options` unless it is configured already,
    then builds `targets` with ninja (in the environment `env`, output appended to `log`),
    and checks that each target is there. One build at a time per directory (shards that
    share a machine must not configure it twice at once). Returns the directory."""
    with locked(directory):
        configure(directory, options, who, source, say, env, log)
        run(["ninja", "-C", directory, *targets], "the build", env, log)
    for target in targets:
        if not os.path.exists(os.path.join(directory, target)):
            raise BuildError(f"the build in {directory} did not make {target}")
    return directory


def rebuild(directory, targets):
    """ninja on a configured build: (True, "") when it built, (False, its output) when it
    did not (a mutant that does not compile: a verdict, not an error)."""
    try:
        done = process.run(["ninja", "-C", directory, *targets], stdout=process.PIPE,
                           stderr=process.STDOUT, errors="replace")
    except OSError as error:
        raise BuildError(f"cannot run ninja: {error}") from None
    return done.returncode == 0, done.stdout


def tests(directory):
    """{suite: [test]} of a configured build (meson introspect), each test with cmd, env
    (this environment with the test's own on top), workdir, timeout and the build targets
    (paths relative to the build) it depends on."""
    try:
        done = process.run(["meson", "introspect", directory, "--tests", "--targets"],
                           errors="replace")
    except OSError as error:
        raise BuildError(f"cannot run meson: {error}") from None
    try:
        if done.returncode != 0:
            raise ValueError(done.stderr.strip()[-500:])
        info = json.loads(done.stdout)
        outputs = {t["id"]: [os.path.relpath(f, directory) for f in t["filename"]]
                   for t in info["targets"]}
        suites = {}
        for test in info["tests"]:
            suite = test["suite"][0].split(":")[-1]
            env = dict(os.environ)
            env.update(test.get("env") or {})
            targets = [f for dependency in test.get("depends", [])
                       for f in outputs.get(dependency, [])]
            suites.setdefault(suite, []).append(
                {"name": test["name"], "cmd": test["cmd"], "env": env,
                 "workdir": test.get("workdir"), "timeout": test.get("timeout"),
                 "targets": targets})
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise BuildError(f"meson introspect {directory} did not list its tests: "
                         f"{error}") from None
    return suites


def objects_of(directory, path):
    """The bytes of every object file compiled from the source `path` (core/src/table.c ->
    the objects named src_table.c.o under DIRECTORY/core/)."""
    name = "src_" + os.path.basename(path) + ".o"
    found = []
    top = os.path.join(directory, os.path.dirname(os.path.dirname(path)))
    for where, _, names in os.walk(top):
        if name in names:
            with open(os.path.join(where, name), "rb") as f:
                found.append(f.read())
    return found


def object_targets(directory, path):
    """The ninja targets (paths relative to DIRECTORY) of the object files objects_of reads."""
    name = "src_" + os.path.basename(path) + ".o"
    top = os.path.join(directory, os.path.dirname(os.path.dirname(path)))
    return sorted(os.path.relpath(os.path.join(where, name), directory)
                  for where, _, names in os.walk(top) if name in names)


def simulator(directory):
    return os.path.join(directory, SIMULATOR)


def release_simulator(directory, who):
    """build-release (or directory): the simulator the sweep runs; built if needed."""
    say = (lambda message: print(f"{who}: {message} (release)", file=sys.stderr, flush=True))
    return simulator(build(directory, RELEASE, [SIMULATOR], who, say=say))


def repro_simulator(directory, who, say=None):
    """build-repro (or directory): debug, -O0, ASan+UBSan; built if needed."""
    return simulator(build(directory, REPRO, [SIMULATOR], who, say=say))
