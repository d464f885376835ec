#!/usr/bin/env python3
"""The mutation engine's operators on a small C file: what is mutated, what never is, and
that keys and samples are stable. Usage: mutate_operators.py ROOT"""

import os
import sys

sys.path.insert(0, os.path.join(sys.argv[1] if len(sys.argv) > 1 else ".", "scripts"))
from cs import mutation  # noqa: E402

SOURCE = r'''
#include <stdint.h>
#define LIMIT (1 << 4) /* a macro: never mutated */
typedef struct thing { uint32_t count; } thing;
enum { GROUP = 64 };
static const char *const names[3] = {"a<b", "c", "d"};

/* A comment with a < b && c || d, 17, true */
static uint32_t pick(thing *t, const uint8_t *bytes, uint32_t n) {
    uint32_t total = 0;
    CS_ASSERT(n < 100 && t != 0);
    for (uint32_t i = 0; i < n; i++) {
        total += bytes[i] << 2;
    }
    if (total > 7 || n == 0) total = -total;
    while (t->count != 0) t->count--;
    uint8_t copy[8];
    uint32_t *pointer = &total;
    bool flag = true;
    helper(t, (uint32_t)-1);
    t->count = total & 0xf;
    return (uint32_t)(total ^ n) + *pointer + flag + copy[0]; // trailing 9 comment
}
'''


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}")
        check.failures += 1
    check.count += 1


check.failures = check.count = 0


def main():
    found = mutation.mutants_of("t.c", SOURCE)
    by = {}
    for m in found:
        by.setdefault(m.operator, []).append(m)

    # Every operator fires on this file.
    for operator in mutation.OPERATORS:
        check(operator in by, f"operator {operator} produced no mutant")

    # Nothing outside function bodies except enum constants; nothing in comments, strings,
    # preprocessor lines or assertions.
    protected = ["#define LIMIT (1 << 4)", "/* A comment with a < b && c || d, 17, true */",
                 "CS_ASSERT(n < 100 && t != 0);", '"a<b"', "// trailing 9 comment",
                 "static const char *const names[3]", "uint8_t copy[8];",
                 "typedef struct thing { uint32_t count; } thing;"]
    for m in found:
        mutated = m.apply(SOURCE)
        for text in protected:
            check(text in mutated, f"{m.describe()} touched {text!r}")
        check(m.function in ("pick", "enum"), f"{m.describe()}: outside a function")
        check(mutated != SOURCE, f"{m.describe()}: changes nothing")

    pairs = {(m.operator, m.original, m.replacement) for m in found}
    expected = [("relational", "<", "<="), ("relational", ">", ">="), ("relational", "==", "!="),
                ("relational", "!=", "=="), ("arithmetic", "+=", "-="), ("arithmetic", "++", "--"),
                ("arithmetic", "--", "++"), ("arithmetic", "+", "-"), ("logical", "||", "&&"),
                ("bitwise", "&", "|"), ("bitwise", "^", "|"), ("shift", "<<", ">>"),
                ("literal", "7", "8"), ("literal", "7", "6"), ("literal", "0", "1"),
                ("literal", "0xf", "0x10"), ("literal", "64", "65"), ("index", "[i]", "[i + 1]"),
                ("index", "[i]", "[i - 1]"), ("negate", "if (total > 7 || n == 0)",
                                              "if (!(total > 7 || n == 0))"),
                ("negate", "while (t->count != 0)", "while (!(t->count != 0))"),
                ("boolean", "true", "false"), ("delete", "t->count = total & 0xf;", ";"),
                ("delete", "helper(t, (uint32_t)-1);", ";"), ("delete", "t->count--;", ";")]
    for pair in expected:
        check(pair in pairs, f"missing mutant {pair}")

    # Unary minus, a cast, address-of, a pointer declaration and a dereference are not
    # binary operators: no swap there.
    for m in by.get("arithmetic", []) + by.get("bitwise", []):
        line = SOURCE.splitlines()[m.line - 1]
        if m.original in ("-", "&", "*"):
            check("= -total" not in line or m.original != "-",
                  f"unary minus mutated: {m.describe()}")
            check("&total" not in line, f"address-of mutated: {m.describe()}")
            check("*pointer =" not in line, f"pointer declaration mutated: {m.describe()}")
            check("(uint32_t)-1" not in line or m.original != "-",
                  f"cast operand mutated: {m.describe()}")
    check(not any(m.operator == "index" and m.original == "[8]" for m in found),
          "an array declaration's size was taken for an index")
    check(not any(m.operator == "delete" and m.original.startswith("uint32_t") for m in found),
          "a declaration was deleted")
    check(not any(m.operator == "delete" and m.original.startswith("return") for m in found),
          "a return was deleted")

    # Keys are unique, and survive an unrelated edit above them.
    keys = [m.key() for m in found]
    check(len(keys) == len(set(keys)), "duplicate keys")
    check(all("|" in k and "line" not in k for k in keys), "keys must not hold line numbers")
    edited = SOURCE.replace("#include <stdint.h>\n", "#include <stdint.h>\n\n\n/* moved */\n")
    again = {m.key() for m in mutation.mutants_of("t.c", edited)}
    check(again == set(keys), "an unrelated edit changed the keys")
    lines = {m.key(): m.line for m in mutation.mutants_of("t.c", edited)}
    check(all(lines[m.key()] == m.line + 3 for m in found), "lines did not follow the edit")

    # Samples depend only on the seed and the keys.
    first = [m.key() for m in mutation.sample(found, 10, 5)]
    second = [m.key() for m in mutation.sample(list(reversed(found)), 10, 5)]
    other = [m.key() for m in mutation.sample(found, 10, 6)]
    check(first == second, "the sample depends on enumeration order")
    check(first != other, "the sample does not depend on the seed")
    check(len(mutation.sample(found, None, 1)) == len(found), "the full sample lost mutants")
    parts = [mutation.shard(mutation.sample(found, None, 1), i, 3) for i in range(3)]
    check(sorted(k.key() for p in parts for k in p) == sorted(keys), "shards do not cover")

    # Samples are stratified by file: a small file keeps its share in a small sample.
    small = mutation.mutants_of("small.c", "static int f(int a) { return a + 1; }\n")
    both = found + small
    for seed in range(1, 30):
        picked = mutation.sample(both, 12, seed)
        in_small = sum(m.file == "small.c" for m in picked)
        check(len(picked) == 12 and len({m.key() for m in picked}) == 12,
              f"seed {seed}: the sample is not 12 distinct mutants")
        check(in_small == min(len(small), mutation.SAMPLE_PER_FILE_MIN),
              f"seed {seed}: {in_small} mutants of the small file in the sample, expected "
              f"{min(len(small), mutation.SAMPLE_PER_FILE_MIN)}")
        check([m.key() for m in picked] == [m.key() for m in
                                            mutation.sample(list(reversed(both)), 12, seed)],
              f"seed {seed}: the stratified sample depends on enumeration order")

    print(f"mutate_operators: {len(found)} mutants, {check.count} checks, "
          f"{check.failures} failed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
