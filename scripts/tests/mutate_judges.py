"""mutate_judges.py (run by ops-mutate-files on its worker): how scripts/mutate judges the
mutants the release simulator misses.

  killed_sanitizer  free_lowest reading [0 - 1]: an out-of-bounds read no release run sees;
                    the sanitized simulator's ASan report kills it, its first frame the check
  refused           an equivalent.txt entry for a mutant the simulator kills, and one for a
                    survivor that changes memory_size (its differential check differs):
                    both refused and said, judged as what they are
  accepted          an entry for slot_add's '>' -> '>=' (the same maximum either way): its
                    differential check passes, so it is equivalent with that evidence; and
                    chunk_size's '<' -> '<=', whose object file is the original's
  not_selected      a mutant of the AVX-512 header path's detection (its cached answer) on a
                    CPU without it
                    (rerun under the sanitizers: detection runs here), one of that path's
                    code (no sanitized run: a trap at the start of its function fires under
                    no killer), and one of the ARMv8 path, which an #if leaves out on
                    x86-64 (on a CPU that runs either path, that mutant is judged as any
                    other instead)
  --summary         the table has the sanitizer and not-selected columns and reads a
                    record of an engine that checked no evidence
This builds one worker (release and ASan+UBSan) under BUILD_DIR and judges six mutants with
the simulator. usage: mutate_judges.py SOURCE_ROOT BUILD_DIR"""
import json
import os
import platform
import subprocess
import sys
import tempfile

root, build = sys.argv[1], os.path.abspath(sys.argv[2])
failures = []
SANITIZER = "core/src/table.c|free_lowest|index|[0]|[0 - 1]|0"
KILLED = "core/src/table.c|sort_insertion|delete|keys[j] = key;|;|0"
MEMORY = "core/src/table.c|lines_size|arithmetic|-|+|0"
SAME = "core/src/codec.c|slot_add|relational|>|>=|0"
IDENTICAL = "core/src/trailer.c|chunk_size|relational|<|<=|0"
VAES = "core/src/checksum.c|vaes_available|literal|2|3|0"
UNREACHED = "core/src/checksum.c|vaes_checksum_headers|literal|1|2|0"
ARMV8 = "core/src/checksum.c|armv8_update|index|[7]|[7 + 1]|0"
KEYS = [SANITIZER, KILLED, MEMORY, SAME, IDENTICAL]


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            return set(next(line for line in f if line.startswith("flags")).split()[2:])
    except (OSError, StopIteration):
        return set()


x86 = platform.machine() in ("x86_64", "AMD64")
flags = cpu_flags()
if x86 and "avx512f" not in flags:
    KEYS += [VAES, UNREACHED]
if x86:
    KEYS.append(ARMV8)

with tempfile.TemporaryDirectory() as tmp:
    listed = os.path.join(tmp, "equivalent.txt")
    with open(listed, "w") as f:
        f.write("# a list for this test\n"
                f"{KILLED}\tclaimed equivalent, but the simulator kills it\n"
                f"{MEMORY}\tclaimed equivalent, but memory_size changes\n"
                f"{SAME}\tcommit >= commit_max stores the same value again when equal\n"
                f"{IDENTICAL}\trest == chunk_max gives the same value from either side\n")
    out = os.path.join(tmp, "judged.jsonl")
    command = [os.path.join(root, "scripts", "mutate"), "--only", "sim", "--seeds", "1..20",
               "--jobs", "1", "--build-root", build, "--equivalents", listed, "--out", out]
    for key in KEYS:
        command += ["--key", key]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1500)
    if done.returncode != 0 or "Traceback" in done.stderr:
        failures.append(f"scripts/mutate exited {done.returncode}\n{done.stderr[-3000:]}")
    records = {}
    if os.path.exists(out):
        with open(out) as f:
            records = {r["key"]: r for r in map(json.loads, f)}
    if sorted(records) != sorted(KEYS):
        failures.append(f"judged {sorted(records)}, expected {sorted(KEYS)}")

    def expect(key, what, condition):
        record = records.get(key)
        if record is None or not condition(record):
            failures.append(f"{key}: expected {what}, got {json.dumps(record)}")

    expect(SANITIZER, "killed_sanitizer by sim at free_lowest (table.c), an ASan report",
           lambda r: r["status"] == "killed_sanitizer" and r["by"] == "sim"
           and r["check"].startswith("free_lowest core/src/table.c:")
           and "AddressSanitizer" in r.get("sanitizer", ""))
    expect(KILLED, "killed_sim, its entry refused",
           lambda r: r["status"] == "killed_sim" and r.get("evidence", "").startswith(
               "refused: it is killed") and not r.get("equivalent"))
    expect(MEMORY, "survived with a differing memory section, its entry refused",
           lambda r: r["status"] == "survived" and "memory" in r.get("differential", "")
           and r.get("evidence", "").startswith("refused: the differential check")
           and not r.get("equivalent"))
    expect(SAME, "survived, equivalent with the differential evidence",
           lambda r: r["status"] == "survived" and r.get("differential") == "same"
           and r.get("evidence") == "differential" and r.get("equivalent"))
    expect(IDENTICAL, "survived, equivalent with the object_identical evidence, the release "
           "killers not run on the original's object",
           lambda r: r["status"] == "survived" and r.get("object_identical")
           and r.get("evidence") == "object_identical" and r.get("equivalent")
           and r.get("release") == "not run: the object is the original's")
    expect(SAME, "the release killers run (its object differs)", lambda r: "release" not in r)
    if VAES in KEYS:
        expect(VAES, "not_selected (the vaes512x4 path, not on this CPU)",
               lambda r: r["status"] == "not_selected" and "vaes512x4" in r["not_selected"])
    if UNREACHED in KEYS:
        expect(UNREACHED, "not_selected, no sanitized run (a trap at the start of "
               "vaes_checksum_headers fires under no killer here)",
               lambda r: r["status"] == "not_selected" and r.get("sanitized", "").startswith(
                   "not run: vaes_checksum_headers never runs on this CPU")
               and r.get("differential", "").startswith("not run:"))
        expect(VAES, "a selector of that path: rerun under the sanitizers",
               lambda r: r.get("sanitized") == "built")
    if ARMV8 in KEYS:
        expect(ARMV8, "not_selected (not compiled for x86-64), no trap and no sanitized run",
               lambda r: r["status"] == "not_selected" and "#if" in r["not_selected"]
               and r.get("sanitized", "").startswith("not run: not compiled")
               and r.get("differential", "").startswith("not run: not compiled"))
    for key in (KILLED, MEMORY):
        if f"{key}: refused as equivalent" not in done.stderr:
            failures.append(f"the refusal of {key} was not said\n{done.stderr[-2000:]}")
    if "sanit" not in done.stdout or "n-sel" not in done.stdout or \
            "sanitizer kills (1):" not in done.stdout:
        failures.append(f"the summary lacks the sanitizer and not-selected classes\n"
                        f"{done.stdout}")

    old = os.path.join(tmp, "old.jsonl")  # as an engine before the evidence wrote it
    with open(old, "w") as f:
        f.write(json.dumps({"key": SAME, "file": "core/src/codec.c", "function": "slot_add",
                            "line": 30, "operator": "relational", "original": ">",
                            "replacement": ">=", "occurrence": 0, "object_identical": False,
                            "status": "survived", "by": None, "seconds": 1.0}) + "\n")
    shown = subprocess.run([os.path.join(root, "scripts", "mutate"), "--equivalents", listed,
                            "--summary", old], capture_output=True, text=True, timeout=60)
    if shown.returncode != 0 or "equivalents without evidence (1)" not in shown.stdout:
        failures.append(f"--summary of an old record: exit {shown.returncode}\n"
                        f"{shown.stdout}{shown.stderr}")
if failures:
    print("\n\n".join(failures))
    sys.exit(1)
print(f"judges: {len(KEYS)} mutants: a sanitizer kill, two refused entries, "
      "two accepted, with differential and object_identical evidence" +
      (", not_selected" if VAES in KEYS or ARMV8 in KEYS else "") + "; an old record read")
