"""This checkout: git, the files a build needs, and scratch copies of the sources (the
mutant builds of scripts/mutants, scripts/repro --mutant and scripts/mutate).

  git(*argv)              git in this checkout: its output, or None (no git, not a
                          checkout, an error)
  git_run(*argv, cwd=)    git anywhere: the process.Result (for `git apply`'s message)
  source_files()          the files of the checkout a build needs
  mirror(tree, files)     makes `tree` hold exactly these files (a scratch copy kept in
                          step with the sources, rewriting only what changed, so that
                          ninja rebuilds only that)
  write_if_changed()      one file of such a copy
"""

import os
import shutil

from . import ROOT, process

# Not needed to build: kept out of the scratch copies.
SKIP_PREFIXES = ("corpus/", "docs/", ".github/", "deploy/")


def git_run(*argv, cwd=ROOT, text=True):
    """git ARGV in cwd; a process.Result (returncode None and the reason in stderr when git
    cannot be run)."""
    try:
        return process.run(["git", *argv], cwd=cwd, text=text,
                           errors="replace" if text else None)
    except OSError as error:
        return process.Result(["git", *argv], None, "" if text else b"", str(error))


def git(*argv):
    """git's output in this checkout, stripped, or None (no git, not a checkout, an error)."""
    done = git_run(*argv)
    return done.stdout.strip() if done.returncode == 0 else None


def source_files(include_all=False):
    """The files of the checkout that a build needs, relative to ROOT (with include_all,
    the corpora and docs too: what the test suites read from the source tree)."""
    done = git_run("ls-files", "-z", "--cached", "--others", "--exclude-standard", text=False)
    if done.returncode == 0:
        files = [f for f in os.fsdecode(done.stdout).split("\0") if f]
    else:
        files = []
        for directory, dirs, names in os.walk(ROOT):
            dirs[:] = [d for d in dirs if not d.startswith((".git", "build"))]
            files += [os.path.relpath(os.path.join(directory, n), ROOT) for n in names]
    return sorted(f for f in files if (include_all or not f.startswith(SKIP_PREFIXES))
                  and os.path.isfile(os.path.join(ROOT, f)))


def write_if_changed(path, content):
    """Writes content to path unless it already holds exactly that; True when written."""
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


def mirror(tree, files, replaced=None):
    """Makes the directory `tree` hold exactly `files` (relative to ROOT) with the checkout's
    content, or replaced[f] for the files in `replaced`; files of the tree not in the list
    are removed. Only what differs is written."""
    replaced = replaced or {}
    wanted = set()
    for f in files:
        wanted.add(f)
        if f in replaced:
            content = replaced[f]
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
