"""Child processes, run the one way every command runs them.

Each child starts in its own session (a process group of its own): a terminal's ^C, or a
signal to the command, reaches only the command, which then stops its children as whole
groups, never leaving a grandchild behind. A timeout kills the group. Standard input is
/dev/null unless given.

  spawn(argv, ...)          a Popen in its own session
  kill_group(process)       SIGKILL (or another signal) to its whole group
  run(argv, timeout=...)    to completion: a Result (status, output, timed_out)
  step(argv, what)          one step of a job (a build, a tool): its output, or StepFailed
  watchdog(process, S)      kills the group after S seconds (a context manager)
  exit_status(returncode)   Popen's returncode as a shell's $? (a signal N: 128 + N)
  cpu_of(pid), exited(pid), reap(process), reap_usage(process)   CPU time of a child
                            while it runs, and once it has exited (wait4: CPU, peak RSS)
"""

import contextlib
import os
import signal
import subprocess
import threading

DEVNULL = subprocess.DEVNULL
PIPE = subprocess.PIPE
STDOUT = subprocess.STDOUT


class Result:
    """What a finished child left: returncode (Popen's: -N for signal N), status (a
    shell's $?), stdout and stderr (None unless captured), timed_out."""

    __slots__ = ("argv", "returncode", "stdout", "stderr", "timed_out")

    def __init__(self, argv, returncode, stdout, stderr, timed_out=False):
        self.argv, self.returncode = argv, returncode
        self.stdout, self.stderr, self.timed_out = stdout, stderr, timed_out

    @property
    def status(self):
        return exit_status(self.returncode)

    @property
    def ok(self):
        return self.returncode == 0 and not self.timed_out


class StepFailed(Exception):
    """A step run by step() that could not be started or exited non-zero; the message has
    the command and the end of its output."""


def step(argv, what, env=None, log=None, cwd=None, error=StepFailed):
    """Runs one step of a job to completion, quietly: its output (standard output and error
    together) is appended to the file `log` when given, and returned. Raises `error`
    (StepFailed or a subclass) when it cannot be started or fails."""
    try:
        done = run(argv, cwd=cwd, stdout=PIPE, stderr=STDOUT, env=env, errors="replace")
    except OSError as problem:
        raise error(f"{what}: cannot run {argv[0]}: {problem}") from None
    if log:
        with open(log, "a", encoding="utf-8", errors="replace") as f:
            f.write(f"$ {' '.join(argv)}\n{done.stdout}")
    if done.returncode != 0:
        raise error(f"{what} failed (exit {done.status}): {' '.join(argv)}\n"
                    f"{done.stdout[-4000:]}")
    return done.stdout


def exit_status(returncode):
    """A shell's $? for Popen's returncode: 134 for SIGABRT (-6), else the code."""
    if returncode is None:
        return None
    return returncode if returncode >= 0 else 128 - returncode


def spawn(argv, stdin=DEVNULL, stdout=None, stderr=None, env=None, cwd=None, text=False,
          errors=None, own_session=True):
    """Starts argv in a session of its own (own_session=False: in the command's, for a child
    that may ask the terminal, such as sudo's password prompt). OSError when it cannot be
    started."""
    return subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, env=env, cwd=cwd,
                            text=text or errors is not None, errors=errors,
                            start_new_session=own_session)


def kill_group(process, signum=signal.SIGKILL):
    """Sends signum to the process group of a child started by spawn()."""
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def run(argv, timeout=None, stdin=DEVNULL, stdout=PIPE, stderr=PIPE, env=None, cwd=None,
        text=False, errors=None, input=None, own_session=True):
    """Runs argv to completion (its output captured unless stdout/stderr are given). After
    `timeout` seconds its whole group is killed and the Result says timed_out. Whatever
    stops the caller (^C, an exception) kills the group first. OSError when argv cannot
    be started."""
    if input is not None:
        stdin = PIPE
    process = spawn(argv, stdin=stdin, stdout=stdout, stderr=stderr, env=env, cwd=cwd,
                    text=text, errors=errors, own_session=own_session)
    stop = (lambda: kill_group(process)) if own_session else process.kill
    timed_out = False
    try:
        try:
            out, err = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            stop()
            out, err = process.communicate()
    except BaseException:
        stop()
        process.wait()
        raise
    return Result(argv, process.returncode, out, err, timed_out)


@contextlib.contextmanager
def watchdog(process, seconds):
    """Kills the group of `process` once `seconds` have passed inside the block (None: never).
    Yields an object whose `fired` says whether it did."""
    state = type("Watchdog", (), {"fired": False})()

    def fire():
        state.fired = True
        kill_group(process)

    timer = threading.Timer(seconds, fire) if seconds is not None else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        yield state
    finally:
        if timer:
            timer.cancel()


def cpu_of(pid):
    """User + system CPU seconds of a live process, from /proc (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def exited(pid):
    """True once the child has exited (not reaped yet: reap() collects its CPU time)."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def reap_usage(process):
    """Waits for a Popen; sets its returncode and returns its resource usage (wait4: CPU
    times, ru_maxrss in KiB)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage


def reap(process):
    """Waits for a Popen; sets its returncode and returns its CPU seconds."""
    usage = reap_usage(process)
    return usage.ru_utime + usage.ru_stime
