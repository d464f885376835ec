"""JSON Lines files that a long run appends to (scripts/sweep --out, scripts/mutate --out),
written so that nothing is lost and nothing refused is touched.

  Writer(path, what)
      opens the output after outputs.check_file(): a regular file (or a new one) is opened
      without truncating and locked (flock, exclusive, without waiting: Locked names the
      process that holds it); Writer.start_fresh() empties it when the run begins (a run
      that stops before, at a usage error, leaves an earlier file as it was). Standard
      output ("-"), a FIFO or a character device is written through as a stream (no lock,
      nothing read back). Every line goes to the kernel whole, with os.write, as soon as it is known;
      a write that fails (a full disk) takes back the part of the line it wrote, so the
      file always ends with a complete line, and raises WriteError.
  Writer.resume(check)
      for appending to a file that holds lines already: reads it and hands every complete
      line to check(number, bytes, partial=False), which raises to refuse the file; only
      when all of them pass, a last line without its newline (a writer killed mid-line) is
      checked with partial=True: a line check() accepts is completed with its newline, one
      it finds Malformed (half a line) is cut off, and any other refusal (a whole line of
      another run) refuses the file. A refused file is left byte for byte as it was.
      Returns the accepted lines; Writer.tail says what was done to the last one.
"""

import errno
import fcntl
import json
import os

from . import outputs


class Locked(Exception):
    """Another process holds the output file's lock."""


class Malformed(Exception):
    """Raised by a resume check: the line is not a record (on the last line of a file
    without its newline: half a line, cut off)."""


class WriteError(Exception):
    """A line could not be written; the file still ends with the last complete line."""


def dumps(record):
    return json.dumps(record, separators=(",", ":")) + "\n"


def lock_holder(path):
    """The pid that holds a lock on path (from /proc/locks), or None."""
    try:
        inode = os.stat(path).st_ino
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            for entry in f:
                fields = entry.split()
                if "->" in fields:
                    continue
                if len(fields) >= 6 and fields[5].rsplit(":", 1)[-1] == str(inode):
                    return int(fields[4])
    except (OSError, ValueError):
        pass
    return None


class Writer:
    """See the module."""

    def __init__(self, path, what="--out"):
        self.path, self.what = path, what
        self.fd = None
        self.tail = None  # the resume's verdict on a last line without its newline
        if path == "-":
            self.kind, self.stream = "stdout", True
            self.fd = 1
            return
        self.kind = outputs.check_file(path, what)
        self.stream = self.kind not in ("regular", "missing")
        if self.stream:
            self.fd = outputs.open_stream(path, what)
            return
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise outputs.OutputError(f"cannot write {what} {outputs.shown(path)}: "
                                      f"{outputs.reason(error)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                holder = lock_holder(path)
                raise Locked(f"{outputs.shown(path)} is being written by another process"
                             + (f" (pid {holder})" if holder else "")
                             + f"; wait for it to finish, or write to another {what}") \
                    from None
            raise outputs.OutputError(f"cannot lock {what} {outputs.shown(path)}: "
                                      f"{outputs.reason(error)}") from None
        self.fd = fd
        os.lseek(fd, 0, os.SEEK_END)

    def start_fresh(self):
        """Empties a regular file (a new run's output); nothing for a stream."""
        if not self.stream:
            os.ftruncate(self.fd, 0)
            os.lseek(self.fd, 0, os.SEEK_SET)

    @property
    def name(self):
        return "standard output" if self.path == "-" else outputs.shown(self.path)

    def resume(self, check):
        """See the module: [(line number, bytes)] of the complete lines, all accepted."""
        assert not self.stream, "resume needs a regular file"
        os.lseek(self.fd, 0, os.SEEK_SET)
        chunks = []
        while True:
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        data = b"".join(chunks)
        cut = data.rfind(b"\n") + 1
        lines = []
        for number, text in enumerate(data[:cut].split(b"\n")[:-1], 1):
            check(number, text, False)
            lines.append((number, text))
        tail = data[cut:]
        if tail:
            number = len(lines) + 1
            try:
                check(number, tail, True)
                accepted = True
            except Malformed:
                accepted = False
            os.lseek(self.fd, 0, os.SEEK_END)
            if accepted:
                self._write_all(b"\n")
                lines.append((number, tail))
                self.tail = ("completed", number, len(tail))
            else:
                os.ftruncate(self.fd, cut)
                self.tail = ("cut", number, len(tail))
        os.lseek(self.fd, 0, os.SEEK_END)
        return lines

    def write(self, record):
        self.write_bytes(dumps(record).encode())

    def write_bytes(self, data):
        """One line, whole or not at all (WriteError)."""
        start = None if self.stream else os.lseek(self.fd, 0, os.SEEK_END)
        try:
            self._write_all(data)
        except OSError as error:
            if start is not None:
                try:  # take back what part of the line reached the file
                    os.ftruncate(self.fd, start)
                except OSError:
                    pass
            raise WriteError(f"cannot write {self.what} {self.name}: "
                             f"{outputs.reason(error)}") from None

    def _write_all(self, data):
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def close(self):
        """Closes the file (releasing the lock); never raises."""
        if self.fd is not None and self.fd > 2:
            try:
                os.close(self.fd)
            except OSError:
                pass
        self.fd = None
