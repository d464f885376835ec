"""Failure signatures: a stable name for the way a run failed, never the seed, an address
or a line number, so that one bug found by a hundred seeds (over many nights and many
unrelated edits) is one group.

  a check of the simulator   its own name, printed in the JSON result: decision.evictee,
                             checkpoint.trailer, inject.missed, ...
  an assertion               assert:FILE:FUNCTION:EXPRESSION
                             (CS_ASSERT and SIM_ASSERT print all three)
  AddressSanitizer           asan:KIND@FILE:FUNCTION, the first frame in this project
  UndefinedBehaviorSanitizer ubsan:KIND@FILE:FUNCTION (FUNCTION from the stack trace,
                             when UBSAN_OPTIONS has print_stacktrace=1)
  a signal, an exit status   signal:SIGSEGV, exit:N
  a seed that took too long  timeout

Results written before signatures lost their line numbers (assert:core/src/table.c:65)
are still read, grouped and shown as they are; line_based() tells them apart.
"""

import hashlib
import re
import signal

TIMEOUT = "timeout"
EXPRESSION_MAX = 80  # longer expressions are cut and end in a hash of the whole


def source_path(path):
    """core/src/table.c from ../core/src/table.c or /any/checkout/core/src/table.c."""
    match = re.fullmatch(r"(?:.*/)?((?:core|sim|fuzz|testing)/[^/]+(?:/[^/]+)*)", path)
    return match[1] if match else path


def ours(path):
    return source_path(path) != path


def expression(text):
    """An assertion's expression with its whitespace normalised and its length bounded:
    when cut, it ends in '~' and 8 hex digits of sha256 of the whole, so it stays stable
    and distinct."""
    text = " ".join(text.split())
    if len(text) <= EXPRESSION_MAX:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[:EXPRESSION_MAX - 9]}~{digest}"


def ubsan_kind(message):
    """'signed-integer-overflow' from 'signed integer overflow: 2147483647 + 1 cannot ...':
    the words before the first number, quote or colon."""
    words = []
    for word in message.split():
        if re.search(r"[0-9'\"():]", word) or len(words) == 6:
            if word.endswith(":") and not re.search(r"[0-9'\"()]", word[:-1]):
                words.append(word[:-1])
            break
        words.append(word)
    return "-".join(w.lower() for w in words) or "runtime-error"


def first_frame(stderr, after=0):
    """(file, function) of the first stack frame in this project's sources, or None."""
    frames = re.findall(r"^\s*#\d+ 0x[0-9a-f]+ in (\S+) (\S+?):\d+", stderr[after:], re.M)
    for function, path in frames:
        if ours(path):
            return source_path(path), function
    return None


def abort_signature(stderr, code):
    """Where a process that printed no verdict died; see the module's docstring."""
    match = re.search(r"assertion failed: (.*) in (\w+) at (\S+):\d+\s*$", stderr, re.M)
    if match:
        return f"assert:{source_path(match[3])}:{match[2]}:{expression(match[1])}"
    match = re.search(r"assertion failed: (.*) at (\S+):\d+\s*$", stderr, re.M)
    if match:  # a build from before assertions named their function
        return f"assert:{source_path(match[2])}:{expression(match[1])}"
    match = re.search(r"ERROR: AddressSanitizer: ([\w-]+)", stderr)
    if match:
        frame = first_frame(stderr, match.end())
        return f"asan:{match[1]}" + (f"@{frame[0]}:{frame[1]}" if frame else "")
    match = re.search(r"^(\S+?):\d+:\d+: runtime error: (.*)$", stderr, re.M)
    if match:
        frame = first_frame(stderr, match.end())
        where = f"{frame[0]}:{frame[1]}" if frame else source_path(match[1])
        return f"ubsan:{ubsan_kind(match[2])}@{where}"
    if code is not None and code > 128:
        try:
            return f"signal:{signal.Signals(code - 128).name}"
        except ValueError:
            pass
    return f"exit:{code}"


_LINE_BASED = re.compile(r"(?:assert|ubsan):[\w./+-]+:\d+|asan:[\w-]+@[\w./+-]+:\d+")


def line_based(signature):
    """True for a signature of the older form that ends in a line number."""
    return bool(_LINE_BASED.fullmatch(signature or ""))
