"""Result lines (JSON Lines, one object per seed): what one is (validate), and reading a
simulator's line (the files are written by cs.jsonl, read by cs.aggregate).

A result line is what `client-sessions-sim --json` prints for a seed, or what scripts/sweep
writes for a seed whose process died or hung, plus the sweep's "sweep" and "run" records.
validate() checks every field a reader relies on, with its type and range; a line that
fails is malformed: counted, shown with the reason, and skipped, never a crash.
"""

import json
import math
import re

U64_MAX = (1 << 64) - 1
MAX_LINE_BYTES = 1 << 20  # a result line is about 1.5 KB; a longer one is not one
DURATION_MAX_MS = 1e9     # eleven days: anything longer is not a measured run time
TEXT_MAX = 1 << 16


def _int(value, low=0, high=U64_MAX):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _text(value, limit=TEXT_MAX):
    return isinstance(value, str) and len(value) <= limit


def _number(value, low, high):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and low <= value <= high)


def _optional(line, key, check):
    return key not in line or line[key] is None or check(line[key])


COUNT_MAX = (1 << 63) - 1


def _counts(value):
    """An object of counts: names (at most 64 characters) to integers in 0..2^63-1. (A loop
    of its own: a night holds millions of these objects.)"""
    if not isinstance(value, dict):
        return False
    for k, v in value.items():
        if type(k) is not str or len(k) > 64 or type(v) is not int or not 0 <= v <= COUNT_MAX:
            return False
    return True


def _config(value):
    """A configuration: names (at most 64 characters) to a flag, an integer in 0..2^64-1
    or a string of at most 64 characters."""
    if not isinstance(value, dict):
        return False
    for k, v in value.items():
        if type(k) is not str or len(k) > 64:
            return False
        kind = type(v)
        if kind is int:
            if not 0 <= v <= U64_MAX:
                return False
        elif kind is str:
            if len(v) > 64:
                return False
        elif kind is not bool:
            return False
    return True


def _failure(value):
    if not isinstance(value, dict):
        return "failure is not an object"
    if not _text(value.get("signature"), 512):
        return "failure.signature is not a string (at most 512 characters)"
    if not _optional(value, "message", _text):
        return "failure.message is not a string"
    if not _optional(value, "op", _int):
        return "failure.op is not an integer"
    if not _optional(value, "replica", lambda v: _int(v, -1, 255)):
        return "failure.replica is not an integer"
    return None


def _sweep_record(value):
    if not isinstance(value, dict):
        return "sweep is not an object"
    checks = [("seed_base", _int, "an integer below 2^64"),
              ("seed_base_spec", lambda v: _text(v, 256), "a string"),
              ("commit", lambda v: _text(v, 64), "a string"),
              ("date", lambda v: _text(v, 32), "a string"),
              ("selection", lambda v: _text(v, 256), "a string"),
              ("sim", lambda v: _text(v, 4096), "a string"),
              ("sim_args", lambda v: isinstance(v, list) and len(v) <= 256
               and all(_text(a, 4096) for a in v), "a list of strings")]
    for key, check, what in checks:
        if not _optional(value, key, check):
            return f"sweep.{key} is not {what}"
    return None


def _run_record(value):
    if not isinstance(value, dict):
        return "run is not an object"
    if not _optional(value, "shard", lambda v: _text(v, 64)):
        return "run.shard is not a string"
    if not _optional(value, "host", lambda v: _text(v, 256)):
        return "run.host is not a string"
    if not _optional(value, "elapsed_s", lambda v: _number(v, 0, DURATION_MAX_MS)):
        return "run.elapsed_s is not a finite number of seconds"
    return None


def validate(line):
    """None when line is a result line every reader can use, else the reason it is not."""
    if not isinstance(line, dict):
        return "not a JSON object"
    if not _int(line.get("seed")):
        return "seed is not an integer in 0..2^64-1"
    outcome = line.get("outcome")
    if not (_text(outcome, 32) and re.fullmatch(r"[a-z_]+", outcome)):
        return "outcome is not a short lower-case word"
    for key, check, what in [
            ("seed_hex", lambda v: _text(v, 32), "a string"),
            ("exit_code", lambda v: _int(v, -255, 255), "an integer"),
            ("config", _config, "an object of numbers and strings"),
            ("counts", _counts, "an object of counts"),
            ("scenarios", _counts, "an object of counts"),
            ("trace_hash", lambda v: _text(v, 64), "a string"),
            ("trace_events", _int, "an integer"),
            ("duration_ms", lambda v: _number(v, 0, DURATION_MAX_MS),
             "a finite number of milliseconds (at most 1e9)"),
            ("reproduce", _text, "a string")]:
        if not _optional(line, key, check):
            return f"{key} is not {what}"
    for key, check in (("failure", _failure), ("sweep", _sweep_record), ("run", _run_record)):
        if line.get(key) is not None:
            reason = check(line[key])
            if reason:
                return reason
    return None


def signature(line):
    """The failure signature of a (valid) result line, or its outcome."""
    return (line.get("failure") or {}).get("signature") or line.get("outcome")


def parse_simulator_line(raw):
    """The result object of one line of `client-sessions-sim --json` output (bytes or text),
    or None when the line is not one (not JSON, no integer seed). Bytes that are not UTF-8
    (a path of the command line echoed in "reproduce") are kept as surrogate escapes: the
    line is still the seed's result, and the path still names the same file."""
    try:
        result = json.loads(raw.decode("utf-8", "surrogateescape")
                            if isinstance(raw, bytes) else raw)
    except ValueError:
        return None
    if not isinstance(result, dict) or not _int(result.get("seed")):
        return None
    return result
