"""The mutant catalogue: core/mutants/NAME.patch, one deliberate bug each.

The production sources hold no mutant code. A mutant is built from a scratch copy of
the source tree with its patch applied (BUILD_ROOT/NAME/src), configured once into
BUILD_ROOT/NAME/build and rebuilt incrementally: a file is rewritten in the copy only
when its content changed, so ninja recompiles only what differs.
"""

import os
import shutil
import subprocess
import tempfile

from . import ROOT

PATCH_DIR = os.path.join(ROOT, "core", "mutants")
# Not needed to build: kept out of the scratch copies.
SKIP_PREFIXES = ("corpus/", "docs/", ".github/", "deploy/")


class MutantError(Exception):
    """A patch that is missing, does not apply, or a tree that cannot be copied."""


def catalogue():
    """The mutant names, sorted: every core/mutants/*.patch."""
    try:
        names = os.listdir(PATCH_DIR)
    except OSError as error:
        raise MutantError(f"cannot list {PATCH_DIR}: {error}") from None
    return sorted(name[:-len(".patch")] for name in names if name.endswith(".patch"))


def patch_path(name):
    return os.path.join(PATCH_DIR, name + ".patch")


def description(name):
    """The patch's first line without the 'Mutant NAME: ' prefix."""
    with open(patch_path(name), encoding="utf-8") as f:
        first = f.readline().strip()
    prefix = f"Mutant {name}: "
    return first[len(prefix):] if first.startswith(prefix) else first


def source_files(include_all=False):
    """The files of the checkout that a build needs, relative to ROOT (with include_all,
    the corpora and docs too: what the test suites read from the source tree)."""
    try:
        listed = subprocess.run(
            ["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True, check=True).stdout.decode().split("\0")
        files = [f for f in listed if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for directory, dirs, names in os.walk(ROOT):
            dirs[:] = [d for d in dirs if not d.startswith((".git", "build"))]
            files += [os.path.relpath(os.path.join(directory, n), ROOT) for n in names]
    return sorted(f for f in files if (include_all or not f.startswith(SKIP_PREFIXES))
                  and os.path.isfile(os.path.join(ROOT, f)))


def patched_files(name):
    """{relative path: patched bytes} for the files the patch of `name` changes."""
    path = patch_path(name)
    if not os.path.isfile(path):
        raise MutantError(f"unknown mutant {name!r}: no {os.path.relpath(path, ROOT)}")
    with tempfile.TemporaryDirectory(prefix="mutant-") as scratch:
        touched = subprocess.run(["git", "apply", "--numstat", path], cwd=ROOT,
                                 capture_output=True, text=True)
        if touched.returncode != 0:
            raise MutantError(f"{name}: the patch cannot be read: {touched.stderr.strip()}")
        files = [line.split("\t", 2)[2] for line in touched.stdout.splitlines() if line]
        for f in files:
            os.makedirs(os.path.dirname(os.path.join(scratch, f)), exist_ok=True)
            shutil.copyfile(os.path.join(ROOT, f), os.path.join(scratch, f))
        applied = subprocess.run(["git", "apply", path], cwd=scratch,
                                 capture_output=True, text=True)
        if applied.returncode != 0:
            raise MutantError(f"{name}: the patch no longer applies to the sources: "
                              f"{applied.stderr.strip()}")
        result = {}
        for f in files:
            with open(os.path.join(scratch, f), "rb") as handle:
                result[f] = handle.read()
        return result


def check_applies(name):
    """Raises MutantError unless the patch of `name` applies to the current sources."""
    patched_files(name)


def write_if_changed(path, content):
    try:
        with open(path, "rb") as f:
            if f.read() == content:
                return False
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content)
    return True


def scratch_tree(name, build_root):
    """BUILD_ROOT/NAME/src: the sources with the patch of `name` applied; returns its path."""
    patched = patched_files(name)
    tree = os.path.join(build_root, name, "src")
    wanted = set()
    for f in source_files():
        wanted.add(f)
        if f in patched:
            content = patched[f]
        else:
            with open(os.path.join(ROOT, f), "rb") as handle:
                content = handle.read()
        target = os.path.join(tree, f)
        if write_if_changed(target, content):
            shutil.copymode(os.path.join(ROOT, f), target)
    for directory, _, names in os.walk(tree):
        for n in names:
            f = os.path.relpath(os.path.join(directory, n), tree)
            if f not in wanted:
                os.remove(os.path.join(directory, n))
    return tree


def build(name, build_root, targets, buildtype="release"):
    """Builds `targets` of mutant `name`; returns the build directory.

    Raises MutantError when the patch does not apply, subprocess.CalledProcessError
    when meson or ninja fails (a mutant that does not compile)."""
    tree = scratch_tree(name, build_root)
    directory = os.path.join(build_root, name, "build")
    if not os.path.exists(os.path.join(directory, "build.ninja")):
        subprocess.run(["meson", "setup", directory, tree, f"--buildtype={buildtype}",
                        "-Dbench=false", "-Dtests=true"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    subprocess.run(["ninja", "-C", directory, *targets], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return directory
