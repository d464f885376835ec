#!/usr/bin/env python3
"""Check that FORMAT.md declares exactly the rules of vsr.h's VSR_ERROR_CODES.

Every decoder error of the library is a rule of the format, and the format
document is where a rule is defined. This checker keeps the two in step:

  vsr.h      the names of the VSR_ERROR_CODES X-macro, the second argument of
             each X(NAME, "name", "reason") entry; "ok" is not a rule.
  FORMAT.md  the names its rule tables declare. A rule table is a Markdown
             table with a column headed `error`; each row's cell in that column
             is either one rule name in backticks (`header_checksum`) or a dash
             for a row that declares no rule of its own. A name may be declared
             by more than one row (a rule checked at two points).

Exits 0 when the two sets are equal, 1 listing the names missing on either
side (and any malformed `error` cell), 2 on a usage or file error.
Python 3 standard library only.
"""

import argparse
import re
import sys

XMACRO_START = re.compile(r"^\s*#\s*define\s+VSR_ERROR_CODES\s*\(\s*X\s*\)")
XMACRO_ENTRY = re.compile(r"\bX\(\s*([A-Z0-9_]+)\s*,\s*\"([^\"]*)\"")
NOT_A_RULE = {"ok"}
RULE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DASHES = {"", "-", "—", "–"}


def xmacro_names(text):
    """The quoted names of the VSR_ERROR_CODES entries, in order, without 'ok'."""
    lines = text.splitlines()
    for start, line in enumerate(lines):
        if XMACRO_START.match(line):
            break
    else:
        raise ValueError("no '#define VSR_ERROR_CODES(X)' found")
    body = []
    for line in lines[start:]:
        body.append(line)
        if not line.rstrip().endswith("\\"):
            break
    names = []
    for enum_name, name in XMACRO_ENTRY.findall("\n".join(body)):
        if name.upper() != enum_name:
            raise ValueError(f"X({enum_name}, \"{name}\"): the name is not the enum name in lowercase")
        if name not in NOT_A_RULE:
            names.append(name)
    if not names:
        raise ValueError("VSR_ERROR_CODES has no entries")
    return names


def table_cells(line):
    """The cells of a Markdown table row (outer pipes optional; \\| is not a separator)."""
    row = line.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row)]


def is_separator(line):
    cells = table_cells(line)
    return bool(cells) and all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells)


def format_rules(text):
    """(declared names with the line of their first row, malformed cells) of FORMAT.md."""
    declared = {}
    malformed = []
    lines = text.splitlines()
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            i += 1
            continue
        is_header = (
            not in_fence
            and line.lstrip().startswith("|")
            and i + 1 < len(lines)
            and is_separator(lines[i + 1])
        )
        if not is_header:
            i += 1
            continue
        header = [cell.strip("`").lower() for cell in table_cells(line)]
        column = header.index("error") if "error" in header else None
        i += 2
        while i < len(lines) and lines[i].lstrip().startswith("|"):
            if column is not None:
                cells = table_cells(lines[i])
                cell = cells[column] if column < len(cells) else ""
                match = re.fullmatch(r"`([^`]+)`", cell)
                if match and RULE_NAME.match(match.group(1)):
                    declared.setdefault(match.group(1), i + 1)
                elif cell not in DASHES:
                    malformed.append((i + 1, cell))
            i += 1
    return declared, malformed


def main():
    parser = argparse.ArgumentParser(
        description="Check that FORMAT.md's rule tables declare exactly the "
        "VSR_ERROR_CODES names of vsr.h (except ok).",
        epilog="A rule table is a Markdown table with a column headed 'error'; each of its "
        "rows holds one rule name in backticks in that column, or a dash. "
        "Exit status: 0 the names match, 1 they differ (listed), 2 usage or file error.",
    )
    parser.add_argument("vsr_h", metavar="VSR_H", help="path to core/include/vsr.h")
    parser.add_argument("format_md", metavar="FORMAT_MD", help="path to docs/FORMAT.md")
    args = parser.parse_args()

    try:
        with open(args.vsr_h, encoding="utf-8") as file:
            codes = xmacro_names(file.read())
        with open(args.format_md, encoding="utf-8") as file:
            declared, malformed = format_rules(file.read())
    except (OSError, ValueError) as error:
        print(f"check-format-rules: {error}", file=sys.stderr)
        return 2

    missing_in_format = [name for name in codes if name not in declared]
    unknown_in_format = sorted(set(declared) - set(codes), key=lambda name: declared[name])
    for line, cell in malformed:
        print(f"{args.format_md}:{line}: error cell is not one `rule_name` or a dash: {cell!r}")
    for name in missing_in_format:
        print(f"missing in {args.format_md}: {name} (in VSR_ERROR_CODES, no rule row declares it)")
    for name in unknown_in_format:
        print(
            f"{args.format_md}:{declared[name]}: unknown rule {name} "
            f"(declared by a rule row, not in VSR_ERROR_CODES)"
        )
    if missing_in_format or unknown_in_format or malformed:
        print(
            f"check-format-rules: FAIL: {len(missing_in_format)} missing, "
            f"{len(unknown_in_format)} unknown, {len(malformed)} malformed"
        )
        return 1
    print(f"check-format-rules: ok: {len(codes)} rules, all declared in {args.format_md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
