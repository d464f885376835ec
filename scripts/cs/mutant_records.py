"""The results of scripts/mutate: one JSON object per mutant (its key, where it is, the
verdict), read back for --resume and --summary, and the summary table.

A record is what Worker.evaluate writes: key, file, function, line, operator, original,
replacement, occurrence, status (compile_error, killed_sim, killed_fuzz, killed_unit,
killed_sanitizer, not_selected, survived), by, seconds, and for a kill the killer's verdict
fields (seed, check, op, input; for killed_sanitizer "by" is the killer that ran on the
sanitized build, "check" the report's first frame and "sanitizer" what the report says);
object_identical; "sanitized" (what the sanitized build of the mutant was: built,
object_identical, does not build) once the mutant got that far; for a survivor
"differential" (same, or how it differs) and, when it is equivalent, "equivalent" (the
reason) and "evidence" (object_identical; object_identical_sanitized, for a listed entry
whose object differs in the release build but not in the sanitized one; differential;
"refused: WHY" for a listed entry
the evidence does not bear out); "not_selected" (why) for that status; verdicts with
--independent.

Records of an engine that did not check the evidence (no "differential", no "sanitized")
are still read: a listed survivor among them counts as equivalent with the evidence
"unchecked", and the summary says how many there are.
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
        if path != EQUIVALENTS:
            raise
    return reviewed


def classify_equivalent(result, reviewed):
    """Sets result's "equivalent" and "evidence" from its own fields and the reviewed list
    (both recomputed, so a summary of an old file follows today's list). A survivor whose
    object file is the original's is equivalent by construction; a listed one only when
    its differential check passed. Returns why a listed entry is refused, or None."""
    result.pop("equivalent", None)
    result.pop("evidence", None)
    key, status = result["key"], result["status"]
    if status == "survived" and result.get("object_identical"):
        result["equivalent"] = "object file identical to the original's"
        result["evidence"] = "object_identical"
        return None
    if key not in reviewed:
        return None
    if status == "survived":
        differential = result.get("differential")
        if differential is None and "sanitized" not in result:
            result["equivalent"] = reviewed[key]  # written before evidence was checked
            result["evidence"] = "unchecked"
            return None
        if differential == "same":
            result["equivalent"] = reviewed[key]
            result["evidence"] = "differential"
            return None
        if result.get("sanitized") == "object_identical":
            result["equivalent"] = reviewed[key]  # the sanitized build's object is the same
            result["evidence"] = "object_identical_sanitized"
            return None
        why = f"the differential check did not pass ({differential or 'not run'})"
    elif status == "compile_error":
        why = "it does not compile"
    elif status == "not_selected":
        why = f"it is not selected here ({result.get('not_selected')})"
    else:
        how = result.get("check")
        why = f"it is killed ({status}{f', {how}' if how else ''})"
    result["evidence"] = f"refused: {why}"
    return why


KILLED = ("killed_sim", "killed_fuzz", "killed_unit", "killed_sanitizer")
STATUSES = ("compile_error",) + KILLED + ("not_selected", "survived")
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
    for key in ("check", "equivalent", "by", "input", "evidence", "differential", "sanitized",
                "sanitizer", "not_selected", "build", "differential_checked_by",
                "release"):
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
    mutants, as percentages (None when there are none). The simulator's share counts its
    kills on the release build and on the sanitized one (killed_sanitizer by sim)."""
    latest = {}
    for record in records:
        latest[record["key"]] = record  # a rerun replaces an earlier verdict
    records = list(latest.values())
    refused = []
    for record in records:
        why = classify_equivalent(record, reviewed)
        if why:
            refused.append((record, why))
    files = sorted({r["file"] for r in records})
    rows = []
    for name in files + ["all"]:
        group = [r for r in records if name == "all" or r["file"] == name]
        row = {"file": name, "mutants": len(group)}
        for status in ("compile_error",) + KILLED + ("not_selected",):
            row[status] = sum(r["status"] == status for r in group)
        survived = [r for r in group if r["status"] == "survived"]
        row["equivalent"] = sum(bool(r.get("equivalent")) for r in survived)
        row["survived"] = len(survived) - row["equivalent"]
        behaviour = (row["mutants"] - row["compile_error"] - row["equivalent"] -
                     row["not_selected"])
        row["behaviour_changing"] = behaviour
        sim = row["killed_sim"] + sum(r["status"] == "killed_sanitizer" and r.get("by") == "sim"
                                      for r in group)
        row["sim_pct"] = 100.0 * sim / behaviour if behaviour else None
        killed = sum(row[status] for status in KILLED)
        row["all_pct"] = 100.0 * killed / behaviour if behaviour else None
        compiled = row["mutants"] - row["compile_error"]
        row["equivalent_pct"] = 100.0 * row["equivalent"] / compiled if compiled else None
        rows.append(row)
    header = (f"{'file':22} {'mutants':>7} {'no-build':>8} {'sim':>6} {'fuzz':>5} {'unit':>5} "
              f"{'sanit':>5} {'equiv':>5} {'n-sel':>5} {'alive':>5}  {'sim kill':>8} "
              f"{'all kill':>8} {'equiv':>6}")
    print(header, file=out)
    pct = lambda v: "-" if v is None else f"{v:.1f}%"  # noqa: E731
    for row in rows:
        print(f"{row['file']:22} {row['mutants']:>7} {row['compile_error']:>8} "
              f"{row['killed_sim']:>6} {row['killed_fuzz']:>5} {row['killed_unit']:>5} "
              f"{row['killed_sanitizer']:>5} {row['equivalent']:>5} {row['not_selected']:>5} "
              f"{row['survived']:>5}  {pct(row['sim_pct']):>8} "
              f"{pct(row['all_pct']):>8} {pct(row['equivalent_pct']):>6}", file=out)
    print("sanit: killed only on the ASan+UBSan build (a sanitizer report); n-sel: in code "
          "this CPU never runs; sim kill counts the simulator's kills on both builds",
          file=out)
    seeds = [r["seed"] for r in records if r["status"] == "killed_sim" and
             isinstance(r.get("seed"), int)]
    if seeds:
        print(f"simulator kills: median seed {statistics.median(seeds):g}, max seed "
              f"{max(seeds)}, {sum(s <= first_seed for s in seeds)} of {len(seeds)} at seed "
              f"{first_seed}",
              file=out)
    unchecked = sum(r.get("evidence") == "unchecked" for r in records)
    if unchecked:
        print(f"equivalents without evidence ({unchecked}): listed in equivalent.txt, from "
              "records written before the engine checked the evidence; rerun them (--key) "
              "to check it", file=out)
    by_place = lambda r: (r["file"], r["line"], r["key"])  # noqa: E731
    sections = [
        ("sanitizer kills", [r for r in records if r["status"] == "killed_sanitizer"],
         lambda r: f"{r.get('by')} on the sanitized build: {r.get('check')}: "
                   f"{r.get('sanitizer')}"),
        ("not selected on this CPU", [r for r in records if r["status"] == "not_selected"],
         lambda r: r.get("not_selected")),
        ("equivalent.txt entries refused", [r for r, _ in refused],
         lambda r: r["evidence"][len("refused: "):]),
        ("survivors", [r for r in records if r["status"] == "survived" and
                       not r.get("equivalent")],
         lambda r: f"not reviewed as equivalent; differential: "
                   f"{r.get('differential', 'not run')}"),
    ]
    for title, group, detail in sections:
        if not group:
            continue
        print(f"{title} ({len(group)}):", file=out)
        for r in sorted(group, key=by_place):
            print(f"  {r['file']}:{r['line']} {r['function']}: {r['operator']} "
                  f"{r['original']!r} -> {r['replacement']!r}\n    key {r['key']}\n"
                  f"    {detail(r)}", file=out)
    total = rows[-1]
    return total["sim_pct"], total["all_pct"]
