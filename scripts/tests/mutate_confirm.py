#!/usr/bin/env python3
"""The mutation engine's check of a sanitized unit-test kill (Worker.confirm_unit), with the
builds and the test runs replaced by recorders: a failing test counts as a kill only once
the unmutated build passes it (the sources restored before that rebuild, the mutant put back
after, each test confirmed once); a test the unmutated build fails too refuses the run.
Usage: mutate_confirm.py ROOT"""

import os
import sys
import tempfile
import types

sys.path.insert(0, os.path.join(sys.argv[1] if len(sys.argv) > 1 else ".", "scripts"))
from cs import builds, killers, mutate  # noqa: E402

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


with tempfile.TemporaryDirectory() as tmp:
    args = types.SimpleNamespace(build_root=tmp, timeout=30, killers=("sim", "fuzz", "unit"))
    worker = mutate.Worker(0, args)
    name = "core/src/table.c"
    path = os.path.join(worker.tree, name)
    os.makedirs(os.path.dirname(path))
    original, mutated = b"int original;\n", b"int mutated;\n"
    worker.originals[name] = original
    worker.sanitized_tests = {"core": [{"name": "checksum", "cmd": ["a"]},
                                       {"name": "table", "cmd": ["b"]}]}
    with open(path, "wb") as f:
        f.write(mutated)
    seen = []  # what the recorders saw: the source at each rebuild, the tests run
    unmutated_fails = {"table": False}

    def rebuild(directory, targets):
        with open(path, "rb") as f:
            seen.append(("rebuild", f.read()))
        return True, ""

    def suite(tests, by, timeout, cwd, **kwargs):
        seen.append(("suite", [t["name"] for t in tests]))
        if any(unmutated_fails.get(t["name"]) for t in tests):
            return {"by": by, "check": f"{tests[0]['name']}:exit:1"}
        return None

    builds.rebuild, killers.suite = rebuild, suite
    mutant = types.SimpleNamespace(file=name)
    worker.confirm_unit(mutant, mutated, "table")
    check(seen == [("rebuild", original), ("suite", ["table"])],
          f"the unmutated build rebuilt and only that test run: {seen}")
    with open(path, "rb") as f:
        check(f.read() == mutated, "the mutant is put back after the check")
    check(worker.sanitized_unit_passing == {"table"}, "the passing test is remembered")
    seen.clear()
    worker.confirm_unit(mutant, mutated, "table")
    check(seen == [], f"a test confirmed once is not run again: {seen}")

    unmutated_fails["checksum"] = True
    try:
        worker.confirm_unit(mutant, mutated, "checksum")
        check(False, "a test the unmutated build fails too: no refusal")
    except mutate.MutateError as error:
        check("already fails the unit test checksum" in str(error), f"the refusal: {error}")
    with open(path, "rb") as f:
        check(f.read() == mutated, "the mutant is put back after a refusal too")
    check("checksum" not in worker.sanitized_unit_passing, "a failing test is not remembered")

# Worker.trapped: a trap at the start of the function's body, the release killers, the
# mutant put back and rebuilt; a trap that fires means the function runs here.
with tempfile.TemporaryDirectory() as tmp:
    args = types.SimpleNamespace(build_root=tmp, timeout=30, killers=("sim", "unit"))
    worker = mutate.Worker(0, args)
    name = "core/src/checksum.c"
    path = os.path.join(worker.tree, name)
    os.makedirs(os.path.dirname(path))
    source = "static int quiet(void) {\n    return 1;\n}\nint loud(int x) {\n    return x;\n}\n"
    worker.originals[name] = source.encode()
    mutated = source.replace("return x;", "return -x;").encode()
    with open(path, "wb") as f:
        f.write(mutated)
    seen = []

    def rebuild_seen(directory, targets):
        with open(path, "rb") as f:
            seen.append(f.read().decode())
        return True, ""

    def killer(sanitized=False):
        return {"by": "sim", "check": "trap"} if "__builtin_trap" in seen[-1] and \
            "loud(int x) { __builtin_trap();" in seen[-1] else None

    builds.rebuild = rebuild_seen
    worker.simulate = worker.unit = killer
    check(worker.trapped(name, "quiet") is False, "a trap in a function no killer runs")
    check(len(seen) == 2 and "quiet(void) { __builtin_trap();" in seen[0]
          and "return x;" in seen[0] and seen[1] == mutated.decode(),
          f"the trap in the original's function, then the mutant rebuilt: {seen}")
    check(worker.trapped(name, "loud") is True, "a trap a killer hits")
    seen.clear()
    check(worker.trapped(name, "loud") is True and seen == [], "once per function")
    check(worker.trapped(name, "absent") is True, "no such function: not shown unreached")
    with open(path, "rb") as f:
        check(f.read() == mutated, "the mutant is in the tree after the traps")

if failures:
    print("\n".join(f"FAIL: {f}" for f in failures))
    sys.exit(1)
print("mutate_confirm: a sanitized unit kill is confirmed on the unmutated build once per "
      "test; a test it fails too refuses the run; a trap at a function's start, once")
