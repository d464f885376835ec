"""ops-mutate-files: what scripts/mutate, scripts/mutants and scripts/fuzz-vs-sweep are given
to read and to write.

  --summary      a sweep's results, a binary file, a record whose fields have the wrong
                 types: a clear error (exit 4), never a traceback or an all-zero table;
                 a results file with a bad line: the table, and the line said
  --files        only C sources of the core (core/src/*.c of this checkout)
  --only ''      scripts/mutants refuses it, rather than running the whole catalogue
  outputs        --out in a missing directory or on a read-only file system, --out-dir
                 where a file stands or on a read-only file system: refused before any
                 build (the build root stays absent)
  --resume       scripts/mutate --resume on a file that ends in half a line: the half line
                 is cut and the next record starts a line of its own (every record whole,
                 the summary counts both mutants); a file with a malformed line is refused
                 (exit 2) and left byte for byte as it was. This part builds one worker
                 (release) under BUILD_DIR and judges two mutants with the simulator.
  JUDGES         then, when given, the script JUDGES (mutate_judges.py) on the same worker,
                 after this one: it needs the worker to itself.
usage: mutate_files.py SOURCE_ROOT BUILD_DIR [JUDGES]"""
import json
import os
import subprocess
import sys
import tempfile

root, build = sys.argv[1], os.path.abspath(sys.argv[2])
failures, checked = [], []
KEYS = ["core/src/table.c|sort_insertion|delete|keys[j] = key;|;|0",
        "core/src/codec.c|client_sessions_encode|index|[slot]|[slot + 1]|0"]


def run(script, *argv, timeout=120):
    done = subprocess.run([os.path.join(root, "scripts", script), *argv], capture_output=True,
                          text=True, timeout=timeout)
    if "Traceback" in done.stderr:
        failures.append(f"{script} {' '.join(argv)}: a traceback\n{done.stderr[-1500:]}")
    return done


def expect(status, contains, script, *argv, absent=None):
    done = run(script, *argv)
    if done.returncode != status or contains not in done.stderr:
        failures.append(f"{script} {' '.join(argv)}: exit {done.returncode} (expected "
                        f"{status} with {contains!r})\n{done.stdout[-500:]}{done.stderr[-800:]}")
    if absent and os.path.exists(absent):
        failures.append(f"{script} {' '.join(argv)}: {absent} was made before the refusal")
    return done


def read_only_dir(tmp):
    """A read-only tmpfs mounted in tmp, or None (not root, no mount)."""
    where = os.path.join(tmp, "ro")
    os.mkdir(where)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", where],
                          capture_output=True)
    return where if done.returncode == 0 else None


with tempfile.TemporaryDirectory() as tmp:
    sweep_results = os.path.join(tmp, "sweep.jsonl")
    with open(sweep_results, "w") as f:
        f.write('{"seed":1,"seed_hex":"0x1","outcome":"ok","duration_ms":1.5}\n' * 3)
    binary = os.path.join(tmp, "binary")
    with open(binary, "wb") as f:
        f.write(bytes(range(256)) * 40)
    typed = os.path.join(tmp, "typed.jsonl")
    with open(typed, "w") as f:
        f.write('{"key":"k","status":5}\n')
    expect(4, "holds no scripts/mutate result", "mutate", "--summary", sweep_results)
    expect(4, "holds no scripts/mutate result", "mutate", "--summary", binary)
    expect(4, "holds no scripts/mutate result", "mutate", "--summary", typed)
    good = {"key": "core/src/table.c|f|literal|0|1|0", "file": "core/src/table.c",
            "function": "f", "line": 3, "operator": "literal", "original": "0",
            "replacement": "1", "occurrence": 0, "status": "killed_sim", "by": "sim",
            "seed": 1, "check": "decision.slot", "op": 4, "seconds": 1.0}
    mixed = os.path.join(tmp, "mixed.jsonl")
    with open(mixed, "w") as f:
        f.write(json.dumps(good) + "\n" + '{"key": "x", "stat\n')
    done = expect(0, "mixed.jsonl:2: skipped", "mutate", "--summary", mixed)
    if "core/src/table.c             1" not in done.stdout:
        failures.append(f"--summary of a file with a bad line: no table\n{done.stdout}")
    checked.append("--summary of 3 files that are not results refused, a bad line skipped")

    expect(2, "not a C source of the core", "mutate", "--files", "/etc/passwd", "--list")
    expect(2, "not a C source of the core", "mutate", "--files",
           "core/src/../../../etc/passwd", "--list")
    expect(2, "not a C source of the core", "mutate", "--files", "sim/main.c", "--list")
    done = run("mutate", "--files", "core/src/table.c", "--list")
    if done.returncode != 0 or not done.stdout.startswith("core/src/table.c|"):
        failures.append(f"--files core/src/table.c --list: exit {done.returncode}")
    expect(2, "an empty mutant name", "mutants", "--only", "")
    expect(2, "an empty mutant name", "mutants", "--only", "evict_tie_slot,")
    checked.append("--files outside core/src and --only '' refused")

    never = os.path.join(tmp, "never-built")
    expect(4, "does not exist", "mutate", "--key", KEYS[0], "--out",
           os.path.join(tmp, "nonexistent", "x.jsonl"), "--build-root", never, absent=never)
    expect(4, "does not exist", "mutants", "--only", "evict_tie_slot", "--out",
           os.path.join(tmp, "nonexistent", "x.jsonl"), "--build-root", never, absent=never)
    standing = os.path.join(tmp, "a-file")
    open(standing, "w").close()
    expect(4, "not a directory", "fuzz-vs-sweep", "--out-dir", standing, "--build-root",
           never, absent=never)
    read_only = read_only_dir(tmp)
    if read_only:
        try:
            expect(4, "Read-only file system", "mutate", "--key", KEYS[0], "--out",
                   os.path.join(read_only, "x.jsonl"), "--build-root", never, absent=never)
            expect(4, "Read-only file system", "mutants", "--only", "evict_tie_slot", "--out",
                   os.path.join(read_only, "x.jsonl"), "--build-root", never, absent=never)
            expect(4, "Read-only file system", "fuzz-vs-sweep", "--out-dir", read_only,
                   "--build-root", never, absent=never)
            expect(4, "Read-only file system", "fuzz-vs-sweep", "--out-dir",
                   os.path.join(read_only, "new"), "--build-root", never, absent=never)
        finally:
            subprocess.run(["umount", read_only])
        checked.append("outputs in a missing directory, on a file, on a read-only tmpfs: "
                       "refused before any build")
    else:
        checked.append("outputs in a missing directory or on a file refused before any build "
                       "(no read-only tmpfs: not root)")

    out = os.path.join(tmp, "mutate.jsonl")
    common = ["--only", "sim", "--seeds", "1..50", "--jobs", "1", "--quiet",
              "--build-root", build, "--out", out]
    done = run("mutate", "--key", KEYS[0], *common, timeout=900)
    assert done.returncode == 0, f"the first run exited {done.returncode}\n{done.stderr}"
    with open(out, "rb") as f:
        first = f.read()
    with open(out, "ab") as f:  # as a writer killed mid-line leaves it
        f.write(first[:len(first) // 2])
    done = run("mutate", "--key", KEYS[0], "--key", KEYS[1], "--resume", *common, timeout=900)
    with open(out, "rb") as f:
        raw = f.read()
    try:
        keys = [json.loads(line)["key"] for line in raw.splitlines()]
    except ValueError as error:
        keys = None
        failures.append(f"--resume on half a line: the file is not JSON Lines ({error})\n"
                        f"{raw[-400:]!r}")
    if done.returncode != 0 or keys is not None and sorted(keys) != sorted(KEYS):
        failures.append(f"--resume on half a line: exit {done.returncode}, keys {keys}\n"
                        f"{done.stderr[-800:]}")
    if "all                          2" not in done.stdout:
        failures.append(f"--resume on half a line: the summary does not count 2 mutants\n"
                        f"{done.stdout}")
    if "half a line" not in done.stderr:
        failures.append(f"--resume on half a line: not said\n{done.stderr}")
    with open(out, "ab") as f:
        f.write(b'{"key": 3}\n' + first)
    with open(out, "rb") as f:
        before = f.read()
    expect(2, "line 3:", "mutate", "--key", KEYS[0], "--resume", *common)
    with open(out, "rb") as f:
        if f.read() != before:
            failures.append("a refused --resume changed the file")
    checked.append("--resume: half a line cut, 2 whole records; a malformed line refused, "
                   "the file unchanged")
if len(sys.argv) > 3:
    judged = subprocess.run([sys.executable, sys.argv[3], root, build], capture_output=True,
                            text=True, timeout=1500)
    if judged.returncode != 0:
        failures.append(f"{sys.argv[3]}: exit {judged.returncode}\n{judged.stdout[-3000:]}"
                        f"{judged.stderr[-2000:]}")
    else:
        checked.append(judged.stdout.strip())
if failures:
    print("\n\n".join(failures))
    sys.exit(1)
print("ops-mutate-files: ok (" + "; ".join(checked) + ")")
