"""The results of scripts/mutate: one JSON object per mutant (its key, where it is, the
verdict), read back for --resume and --summary, and the summary table.

A record is what Worker.evaluate writes: key, file, function, line, operator, original,
replacement, occurrence, status (compile_error, killed_sim, killed_fuzz, killed_unit,
survived), by, seconds, and for a kill the killer's verdict fields (seed, check, op,
input); object_identical and equivalent for survivors; verdicts with --independent.
"""

import json
import os
import statistics
import sys

from . import ROOT, outputs

EQUIVALENTS = os.path.join(ROOT, "core", "mutants", "equivalent.txt")


class EquivalentsError(Exception):
    """core/mutants/equivalent.txt has a line that is not KEY<TAB>REASON."""


def read_equivalents(path=EQUIVALENTS):
    """{key: reason} from core/mutants/equivalent.txt."""
    reviewed = {}
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.startswith("#"):
                    continue
                key, tab, reason = line.partition("\t")
                if not tab or not reason.strip():
                    raise EquivalentsError(f"{path}:{number}: need KEY<TAB>REASON")
                reviewed[key] = reason.strip()
    except FileNotFoundError:
        pass
    return reviewed


def classify_equivalent(result, reviewed):
    if result["status"] != "survived":
        return
    if result.get("object_identical"):
        result["equivalent"] = "object file identical to the original's"
    elif result["key"] in reviewed:
        result["equivalent"] = reviewed[result["key"]]


STATUSES = ("compile_error", "killed_sim", "killed_fuzz", "killed_unit", "survived")
TEXT_MAX = 1 << 16


def _text(value):
    return isinstance(value, str) and len(value) <= TEXT_MAX


def _int(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 64


def validate(record):
    """None when record is a scripts/mutate result every reader can use, else the reason it
    is not (the type of every field the summary and --resume read)."""
    if not isinstance(record, dict):
        return "not a JSON object"
    if "key" not in record and "seed" in record and "outcome" in record:
        return "a scripts/sweep result line, not a scripts/mutate result"
    for key in ("key", "file", "operator", "original", "replacement"):
        if not _text(record.get(key)):
            return f"{key} is not a string"
    if not (record.get("function") is None or _text(record["function"])):
        return "function is not a string"
    for key in ("line", "occurrence"):
        if not _int(record.get(key)):
            return f"{key} is not a non-negative integer"
    if record.get("status") not in STATUSES:
        return f"status is not one of {', '.join(STATUSES)}"
    if not (record.get("seed") is None or _int(record["seed"])):
        return "seed is not a non-negative integer"
    for key in ("check", "equivalent", "by", "input"):
        if not (record.get(key) is None or _text(record[key])):
            return f"{key} is not a string"
    if not (record.get("object_identical") is None
            or isinstance(record["object_identical"], bool)):
        return "object_identical is not true or false"
    if not (record.get("verdicts") is None or isinstance(record["verdicts"], dict)):
        return "verdicts is not an object"
    return None


def parse(text):
    """(record, None) for one line of a results file, or (None, the reason it is not one)."""
    try:
        record = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except ValueError as error:
        return None, f"not JSON ({error})"
    reason = validate(record)
    return (None, reason) if reason else (record, None)


class Unreadable(Exception):
    """A results file that holds no scripts/mutate result at all."""


def read(path, malformed=None):
    """The records of a results file, in order. A line that is not a record is skipped and,
    when `malformed` is a list, appended to it as (line number, reason). Unreadable when
    the file holds lines but none is a record (another tool's output, a binary file);
    OSError when it cannot be read."""
    found, bad = [], []
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            record, reason = parse(line)
            if record is None:
                bad.append((number, reason))
            else:
                found.append(record)
    if malformed is not None:
        malformed.extend(bad)
    if bad and not found:
        number, reason = bad[0]
        raise Unreadable(f"{outputs.shown(path)} holds no scripts/mutate result (line "
                         f"{number}: {reason}" + (f"; and {len(bad) - 1} more lines like it"
                                                  if len(bad) > 1 else "") + ")")
    return found


def summarize(records, reviewed, out=sys.stdout, first_seed=1):
    """Prints the table; returns (sim share, everything share) over the behaviour-changing
    mutants, as percentages (None when there are none)."""
    latest = {}
    for record in records:
        latest[record["key"]] = record  # a rerun replaces an earlier verdict
    records = list(latest.values())
    for record in records:
        record.pop("equivalent", None) if record.get("status") != "survived" else None
        if record["status"] == "survived" and not record.get("equivalent"):
            classify_equivalent(record, reviewed)
    files = sorted({r["file"] for r in records})
    rows = []
    for name in files + ["all"]:
        group = [r for r in records if name == "all" or r["file"] == name]
        row = {"file": name, "mutants": len(group)}
        for status in ("compile_error", "killed_sim", "killed_fuzz", "killed_unit"):
            row[status] = sum(r["status"] == status for r in group)
        survived = [r for r in group if r["status"] == "survived"]
        row["equivalent"] = sum(bool(r.get("equivalent")) for r in survived)
        row["survived"] = len(survived) - row["equivalent"]
        behaviour = row["mutants"] - row["compile_error"] - row["equivalent"]
        row["behaviour_changing"] = behaviour
        row["sim_pct"] = 100.0 * row["killed_sim"] / behaviour if behaviour else None
        killed = row["killed_sim"] + row["killed_fuzz"] + row["killed_unit"]
        row["all_pct"] = 100.0 * killed / behaviour if behaviour else None
        compiled = row["mutants"] - row["compile_error"]
        row["equivalent_pct"] = 100.0 * row["equivalent"] / compiled if compiled else None
        rows.append(row)
    header = (f"{'file':22} {'mutants':>7} {'no-build':>8} {'sim':>6} {'fuzz':>5} {'unit':>5} "
              f"{'equiv':>5} {'alive':>5}  {'sim kill':>8} {'all kill':>8} {'equiv':>6}")
    print(header, file=out)
    pct = lambda v: "-" if v is None else f"{v:.1f}%"  # noqa: E731
    for row in rows:
        print(f"{row['file']:22} {row['mutants']:>7} {row['compile_error']:>8} "
              f"{row['killed_sim']:>6} {row['killed_fuzz']:>5} {row['killed_unit']:>5} "
              f"{row['equivalent']:>5} {row['survived']:>5}  {pct(row['sim_pct']):>8} "
              f"{pct(row['all_pct']):>8} {pct(row['equivalent_pct']):>6}", file=out)
    seeds = [r["seed"] for r in records if r["status"] == "killed_sim" and
             isinstance(r.get("seed"), int)]
    if seeds:
        print(f"simulator kills: median seed {statistics.median(seeds):g}, max seed "
              f"{max(seeds)}, {sum(s <= first_seed for s in seeds)} of {len(seeds)} at seed "
              f"{first_seed}",
              file=out)
    alive = sorted((r for r in records if r["status"] == "survived" and
                    not r.get("equivalent")), key=lambda r: (r["file"], r["line"]))
    if alive:
        print(f"survivors ({len(alive)}), not reviewed as equivalent:", file=out)
        for r in alive:
            print(f"  {r['file']}:{r['line']} {r['function']}: {r['operator']} "
                  f"{r['original']!r} -> {r['replacement']!r}\n    key {r['key']}", file=out)
    total = rows[-1]
    return total["sim_pct"], total["all_pct"]
