"""Where a command writes, checked before any work: a run must not build, sweep or
mutate for an hour and then find that it cannot keep what it made.

  check_file(path, what)   an output file: its kind, or OutputError naming the reason
                           (a directory, a missing directory, a read-only file system, no
                           permission)
  open_stream(path, what)  a FIFO or a device opened for writing; a FIFO that nobody
                           reads is an OutputError at once, not a write that blocks
  check_dir(path, what)    an output directory (created later): OutputError when a file
                           stands there or it cannot be created or written
  same_as_stdout(path)     True when path is the command's standard output (/dev/stdout)
  write_text(path, text)   a whole file: a regular file (or a new one) through a synced
                           temporary file renamed into place, so that an error leaves it as
                           it was; a device, a FIFO or a symlink is written through, never
                           replaced
  shown(path)              a path as text that can be printed and put in a page, even
                           when it is not UTF-8

Kinds: "missing", "regular", "fifo", "char" (a character device such as /dev/null),
"block", "socket". A symlink is followed: its target's kind.
"""

import errno
import os
import stat
import tempfile

from .exits import ENVIRONMENT


class OutputError(Exception):
    """An output that cannot be written; the message names it and the reason."""

    def __init__(self, message, status=ENVIRONMENT):
        super().__init__(message)
        self.status = status


def shown(text):
    """A path (or any text) as text that can be printed and encoded as UTF-8: bytes that
    were not UTF-8 (surrogate escapes of the command line, or \\udcNN read back from JSON)
    become \\xNN, any other lone surrogate \\uNNNN."""
    if isinstance(text, bytes):
        return text.decode("utf-8", "backslashreplace")
    text = str(text)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def reason(error):
    """The words of an OSError, never 'None'."""
    return error.strerror or (errno.errorcode.get(error.errno) if error.errno else None) \
        or str(error)


KIND_NAMES = {"regular": "regular file", "fifo": "FIFO", "char": "character device",
              "block": "block device", "socket": "socket", "directory": "directory",
              "missing": "missing file", "other": "special file"}


def kind_of(mode):
    for test, name in ((stat.S_ISREG, "regular"), (stat.S_ISFIFO, "fifo"),
                       (stat.S_ISCHR, "char"), (stat.S_ISBLK, "block"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "directory")):
        if test(mode):
            return name
    return "other"


def kind(path):
    """The kind of what path names (a symlink followed), or "missing"."""
    try:
        return kind_of(os.stat(path).st_mode)
    except FileNotFoundError:
        return "missing"


def _directory_problem(directory):
    """Why files cannot be created in `directory`, or None."""
    try:
        info = os.stat(directory)
    except FileNotFoundError:
        return f"the directory {shown(directory)} does not exist"
    except OSError as error:
        return f"{shown(directory)}: {reason(error)}"
    if not stat.S_ISDIR(info.st_mode):
        return f"{shown(directory)} is not a directory"
    try:  # the real test: ACLs, read-only mounts and quotas all answer here
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=directory)
    except OSError as error:
        return f"cannot create files in {shown(directory)}: {reason(error)}"
    os.close(fd)
    os.unlink(probe)
    return None


def check_file(path, what):
    """The kind of the output file `path` (see the module), after checking that it can be
    written; OutputError naming the reason when it cannot."""
    name = f"{what} {shown(path)}"
    if os.path.islink(path) and not os.path.exists(path):
        raise OutputError(f"{name} is a symlink to {shown(os.readlink(path))}, which does "
                          "not exist: not followed")
    found = kind(path)
    if found == "directory":
        raise OutputError(f"{name} is a directory, not a file")
    if found == "missing":
        problem = _directory_problem(os.path.dirname(os.path.abspath(path)))
        if problem:
            raise OutputError(f"cannot write {name}: {problem}")
        return found
    if found == "fifo":
        # Opened only when written (open_stream): a probe here would end its reader's
        # input before the first line.
        if not os.access(path, os.W_OK):
            raise OutputError(f"cannot write {name}: permission denied")
        return found
    if found in ("socket", "other"):
        raise OutputError(f"{name} is a {found}, not a file")
    try:  # opened for writing, neither truncated nor written
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError as error:
        raise OutputError(f"cannot write {name}: {reason(error)}") from None
    return found


def check_dir(path, what):
    """Checks that the output directory `path` exists and can be written, or can be made
    (its nearest existing parent can be written); OutputError otherwise."""
    name = f"{what} {shown(path)}"
    found = kind(path)
    if found == "directory":
        problem = _directory_problem(path)
        if problem:
            raise OutputError(f"cannot write {name}: {problem}")
        return
    if found != "missing":
        raise OutputError(f"{name} is a {'file' if found == 'regular' else found}, not a "
                          "directory: remove it or give another")
    parent = os.path.dirname(os.path.abspath(path))
    while kind(parent) == "missing":
        parent = os.path.dirname(parent)
    if kind(parent) != "directory":
        raise OutputError(f"cannot make {name}: {shown(parent)} is not a directory")
    problem = _directory_problem(parent)
    if problem:
        raise OutputError(f"cannot make {name}: {problem}")


def open_stream(path, what):
    """A descriptor open for writing on a FIFO or a device, never blocking for ever: a FIFO
    that nobody reads is an OutputError at once."""
    name = f"{what} {shown(path)}"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise OutputError(f"{name} is a FIFO that nobody reads: start its reader first, "
                              "or write to a file") from None
        raise OutputError(f"cannot write {name}: {reason(error)}") from None
    os.set_blocking(fd, True)
    return fd


def same_as_stdout(path):
    """True when path is the file this process's standard output is (/dev/stdout,
    /proc/self/fd/1, or the file stdout was redirected to)."""
    try:
        out, there = os.fstat(1), os.stat(path)
    except OSError:
        return False
    return (out.st_dev, out.st_ino) == (there.st_dev, there.st_ino)


def write_text(path, text, what):
    """Writes text (UTF-8) to path; see the module. OutputError when it cannot."""
    data = text.encode("utf-8")
    name = f"{what} {shown(path)}"
    try:
        if os.path.islink(path) or kind(path) not in ("regular", "missing"):
            fd = (os.open(path, os.O_WRONLY | os.O_TRUNC) if kind(path) == "regular"
                  else open_stream(path, what))
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
            return
        directory = os.path.dirname(os.path.abspath(path))
        fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=directory)
        try:
            _write_all(fd, data)
            os.fsync(fd)
            os.fchmod(fd, 0o644 & ~_umask())
        except BaseException:
            os.close(fd)
            os.unlink(temporary)
            raise
        os.close(fd)
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(f"cannot write {name}: {reason(error)}") from None


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
