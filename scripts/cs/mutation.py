"""Source-level mutants of C files: enumerate, key, apply.

A mutant is one small edit of one C file, made by an operator at one place:

  relational   <  <=  >  >=  ==  != swapped for a neighbour (< for <= and >, == for !=, ...)
  arithmetic   binary + - * / % swapped (+ for -, * for /, % for /), compound += -= *= /=,
               and ++ for --
  logical      && for ||
  bitwise      binary & | ^ swapped, and &= |= ^=
  shift        << for >>, <<= for >>=
  literal      an integer literal N becomes N+1 or N-1 (so 0 becomes 1 and 1 becomes 0)
  index        an array index i becomes i + 1 or i - 1
  negate       the condition of an if or a while is negated
  delete       an assignment or call statement is deleted
  boolean      true for false

Nothing in a comment, a string, a preprocessor line or an assertion (CS_ASSERT, CS_VERIFY,
SIM_ASSERT, assert, _Static_assert, ...) is mutated, and only code inside function bodies
(plus the constants of top-level enums) is. The lexer is deliberately simple: where it
guesses wrong (a cast taken for an operand, say), the mutant fails to compile and is
classified as such, never as a kill.

Each mutant has a key that survives unrelated edits: file, function, operator, original and
replacement text, and the occurrence of that (function, operator, original, replacement)
in source order. Line numbers are reported, never used as keys.
"""

import hashlib
import random
import re

OPERATORS = ("relational", "arithmetic", "logical", "bitwise", "shift", "literal", "index",
             "negate", "delete", "boolean")

PUNCTUATORS = sorted("""
>>= <<= ... -> ++ -- << >> <= >= == != && || += -= *= /= %= &= |= ^= ##
{ } [ ] ( ) ; : , . ? ~ ! + - * / % < > = & | ^ #
""".split(), key=len, reverse=True)

# Calls whose arguments are never mutated: checks, not behaviour.
PROTECTED_CALLS = {"CS_ASSERT", "CS_VERIFY", "CS_ASSERT_VERIFY", "SIM_ASSERT", "assert",
                   "_Static_assert", "static_assert", "FUZZ_CHECK", "CHECK", "CHECK_EQ",
                   "CHECK_EQ_U64"}

KEYWORDS = {"auto", "break", "case", "char", "const", "continue", "default", "do", "double",
            "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
            "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
            "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool",
            "_Alignas", "alignas", "_Alignof", "alignof", "_Noreturn", "_Static_assert",
            "__attribute__", "__extension__", "__int128", "bool", "true", "false"}

BASE_TYPES = {"char", "short", "int", "long", "float", "double", "signed", "unsigned", "void",
              "_Bool", "bool", "const", "volatile", "struct", "enum", "union", "__int128",
              "static", "register", "restrict", "extern", "inline"}

SWAPS = {
    "relational": {"<": ["<=", ">"], "<=": ["<", ">="], ">": [">=", "<"], ">=": [">", "<="],
                   "==": ["!="], "!=": ["=="]},
    "arithmetic": {"+": ["-"], "-": ["+"], "*": ["/"], "/": ["*"], "%": ["/"],
                   "+=": ["-="], "-=": ["+="], "*=": ["/="], "/=": ["*="], "++": ["--"],
                   "--": ["++"]},
    "logical": {"&&": ["||"], "||": ["&&"]},
    "bitwise": {"&": ["|"], "|": ["&"], "^": ["|"], "&=": ["|="], "|=": ["&="], "^=": ["|="]},
    "shift": {"<<": [">>"], ">>": ["<<"], "<<=": [">>="], ">>=": ["<<="]},
}
BINARY_ONLY = {"+", "-", "*", "&"}  # also unary in C: only mutated where an operand precedes

INTEGER = re.compile(r"(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([uUlL]*)$")


class Token:
    __slots__ = ("kind", "text", "start", "end", "line")

    def __init__(self, kind, text, start, end, line):
        self.kind, self.text, self.start, self.end, self.line = kind, text, start, end, line

    def __repr__(self):
        return f"Token({self.kind},{self.text!r},{self.line})"


def tokenize(source):
    """Significant tokens of C source: ident, number, string, char, punct. Comments,
    whitespace and preprocessor lines (with their continuations) are dropped."""
    tokens = []
    i, line, n = 0, 1, len(source)
    at_line_start = True
    while i < n:
        c = source[i]
        if c == "\n":
            line += 1
            i += 1
            at_line_start = True
            continue
        if c in " \t\r\f\v":
            i += 1
            continue
        if c == "\\" and source.startswith("\\\n", i):
            i += 2
            line += 1
            continue
        if at_line_start and c == "#":
            while i < n and source[i] != "\n":  # a directive, continuations included
                if source.startswith("\\\n", i):
                    i += 2
                    line += 1
                    continue
                if source.startswith("/*", i):  # a comment may run past the line
                    end = source.find("*/", i + 2)
                    end = n if end < 0 else end + 2
                    line += source.count("\n", i, end)
                    i = end
                    continue
                i += 1
            continue
        at_line_start = False
        if source.startswith("//", i):
            while i < n and source[i] != "\n":
                i += 1
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += source.count("\n", i, end)
            i = end
            continue
        start = i
        if c == '"' or c == "'":
            i += 1
            while i < n and source[i] != c:
                if source[i] == "\\":
                    i += 1
                if source[i] == "\n":
                    line += 1
                i += 1
            i += 1
            tokens.append(Token("string" if c == '"' else "char", source[start:i], start, i, line))
            continue
        if c.isalpha() or c == "_":
            while i < n and (source[i].isalnum() or source[i] == "_"):
                i += 1
            word = source[start:i]
            if i < n and source[i] in "'\"" and word in ("L", "u", "U", "u8"):
                continue  # a prefixed literal: the quote starts the next token
            tokens.append(Token("ident", word, start, i, line))
            continue
        if c.isdigit() or (c == "." and i + 1 < n and source[i + 1].isdigit()):
            while i < n and (source[i].isalnum() or source[i] in "._'" or
                             (source[i] in "+-" and source[i - 1] in "eEpP" and
                              not source[start:i].lower().startswith("0x"))):
                i += 1
            tokens.append(Token("number", source[start:i], start, i, line))
            continue
        for p in PUNCTUATORS:
            if source.startswith(p, i):
                i += len(p)
                tokens.append(Token("punct", p, start, i, line))
                break
        else:
            i += 1  # a stray character: skip it
    return tokens


def type_names(*sources):
    """Names that denote types in these sources: typedefs, and anything ending in _t."""
    names = set(BASE_TYPES)
    for text in sources:
        names.update(re.findall(r"typedef\b[^;{]*?\b(\w+)\s*;", text))
        names.update(re.findall(r"}\s*(\w+)\s*;", text))  # typedef struct {...} name;
        names.update(re.findall(r"typedef\b[^;]*?\(\s*\*\s*(\w+)\s*\)", text))
        names.update(re.findall(r"\bstruct\s+(\w+)", text))
    return names


def is_type(token, types):
    return token.kind == "ident" and (token.text in types or token.text.endswith("_t"))


class Mutant:
    __slots__ = ("file", "function", "operator", "original", "replacement", "occurrence",
                 "line", "edits")

    def key(self):
        return (f"{self.file}|{self.function}|{self.operator}|{self.original}"
                f"|{self.replacement}|{self.occurrence}")

    def apply(self, source):
        out = source
        for start, end, text in sorted(self.edits, reverse=True):
            out = out[:start] + text + out[end:]
        return out

    def describe(self):
        return (f"{self.file}:{self.line} {self.function}: {self.operator} "
                f"{self.original!r} -> {self.replacement!r} (#{self.occurrence})")

    def as_dict(self):
        return {"key": self.key(), "file": self.file, "function": self.function,
                "line": self.line, "operator": self.operator, "original": self.original,
                "replacement": self.replacement, "occurrence": self.occurrence}


def match_brackets(tokens):
    """{index of an opening ( [ {: index of its closing one}, and the reverse."""
    pairs, stack = {}, []
    closing = {")": "(", "]": "[", "}": "{"}
    for index, token in enumerate(tokens):
        if token.kind != "punct":
            continue
        if token.text in "([{":
            stack.append(index)
        elif token.text in closing:
            while stack and tokens[stack[-1]].text != closing[token.text]:
                stack.pop()  # unbalanced input: recover at the matching kind
            if stack:
                opening = stack.pop()
                pairs[opening] = index
                pairs[index] = opening
    return pairs


class Scanner:
    """Walks one file's tokens and collects its mutants."""

    def __init__(self, path, source, types):
        self.path, self.source, self.types = path, source, types
        self.tokens = tokenize(source)
        self.pairs = match_brackets(self.tokens)
        self.mutants = []
        self.protected = self._protected()
        self.context = self._contexts()
        self.protected |= self._declared_sizes()

    def _protected(self):
        """Token indexes inside the arguments of a protected call."""
        protected = set()
        for index, token in enumerate(self.tokens[:-1]):
            if token.kind == "ident" and token.text in PROTECTED_CALLS and \
                    self.tokens[index + 1].text == "(" and index + 1 in self.pairs:
                protected.update(range(index, self.pairs[index + 1] + 1))
        return protected

    def _declaration_bracket(self, index):
        """True when tokens[index] is the [ of an array declarator: char text[128]."""
        if index < 2 or self.tokens[index - 1].kind != "ident":
            return False
        before = self.tokens[index - 2]
        if is_type(before, self.types):
            return True
        return before.text == "*" and not self._operand_before(index - 2)

    def _declared_sizes(self):
        """Token indexes inside the brackets of array declarators: a buffer's size is
        layout, not behaviour worth a mutant of its own."""
        sizes = set()
        for index, token in enumerate(self.tokens):
            if token.text == "[" and index in self.pairs and self._declaration_bracket(index):
                sizes.update(range(index + 1, self.pairs[index]))
        return sizes

    def _contexts(self):
        """For each token, the function whose body holds it, 'enum' for the body of a
        top-level enum, or None."""
        context = [None] * len(self.tokens)
        index = 0
        tokens = self.tokens
        while index < len(tokens):
            token = tokens[index]
            if token.text == "{" and index in self.pairs:
                close = self.pairs[index]
                name = self._function_name(index)
                if name is None and self._is_enum(index):
                    name = "enum"
                if name is not None:
                    for inner in range(index + 1, close):
                        context[inner] = name
                index = close + 1
                continue
            index += 1
        return context

    def _function_name(self, brace):
        """The name of the function whose body opens at tokens[brace], or None."""
        index = brace - 1
        # Skip attributes after the parameter list: __attribute__((...)).
        while index >= 0 and self.tokens[index].text == ")":
            opening = self.pairs.get(index)
            if opening is None:
                return None
            before = self.tokens[opening - 1] if opening > 0 else None
            if before is not None and before.text == "(" and opening - 2 >= 0 and \
                    self.tokens[opening - 2].text == "__attribute__":
                index = opening - 3
                continue
            if before is not None and before.kind == "ident" and before.text not in KEYWORDS:
                return before.text
            return None
        return None

    def _is_enum(self, brace):
        for back in range(brace - 1, max(brace - 4, -1), -1):
            if self.tokens[back].text == "enum":
                return True
            if self.tokens[back].text in (";", "}", ")"):
                return False
        return False

    def _add(self, operator, original, replacement, edits, index):
        mutant = Mutant()
        mutant.file, mutant.function = self.path, self.context[index]
        mutant.operator, mutant.original, mutant.replacement = operator, original, replacement
        mutant.edits, mutant.line = edits, self.tokens[index].line
        mutant.occurrence = 0
        self.mutants.append(mutant)

    def _operand_before(self, index):
        """True when the token before tokens[index] ends an operand (so the operator there
        is binary), False for a unary position or a declaration's pointer star."""
        if index == 0:
            return False
        previous = self.tokens[index - 1]
        if previous.kind in ("number", "string", "char"):
            return True
        if previous.kind == "ident":
            return previous.text not in KEYWORDS and not is_type(previous, self.types)
        if previous.text == "]":
            return True
        if previous.text == ")":
            opening = self.pairs.get(index - 1)
            if opening is None:
                return False
            inner = self.tokens[opening + 1:index - 1]
            cast = inner and all(is_type(t, self.types) or t.text == "*" for t in inner)
            return not cast
        return False

    def scan(self):
        tokens = self.tokens
        for index, token in enumerate(tokens):
            where = self.context[index]
            if where is None or index in self.protected:
                continue
            if where == "enum":
                if token.kind == "number":
                    self._literal(index)
                continue
            if token.kind == "number":
                self._literal(index)
            elif token.kind == "ident" and token.text in ("true", "false"):
                other = "false" if token.text == "true" else "true"
                self._add("boolean", token.text, other, [(token.start, token.end, other)], index)
            elif token.kind == "ident" and token.text in ("if", "while"):
                self._negate(index)
            elif token.kind == "punct":
                self._swap(index)
                if token.text == "[":
                    self._index(index)
        self._statements()
        self._number()
        return self.mutants

    def _swap(self, index):
        token = self.tokens[index]
        for operator, table in SWAPS.items():
            if token.text not in table:
                continue
            if token.text in BINARY_ONLY and not self._operand_before(index):
                continue
            if token.text in ("<", ">") and self._in_template_like(index):
                continue
            for replacement in table[token.text]:
                self._add(operator, token.text, replacement,
                          [(token.start, token.end, replacement)], index)

    def _in_template_like(self, index):
        return False  # C has none; kept for clarity of the rule above

    def _literal(self, index):
        token = self.tokens[index]
        match = INTEGER.match(token.text)
        if not match:
            return  # floating point, or a form not worth mutating
        digits, suffix = match.group(1), match.group(2)
        value = int(digits, 0) if not digits.startswith(("0b", "0B")) else int(digits[2:], 2)
        hexadecimal = digits.lower().startswith("0x")
        for delta in (1, -1):
            new = value + delta
            if new < 0:
                continue
            text = (hex(new) if hexadecimal else str(new)) + suffix
            self._add("literal", token.text, text, [(token.start, token.end, text)], index)

    def _index(self, index):
        """a[i] -> a[i + 1], a[i - 1]: only where [ follows an operand outside a declaration."""
        close = self.pairs.get(index)
        if close is None or close == index + 1 or not self._operand_before(index):
            return
        if self._declaration_bracket(index):
            return  # a declaration: char text[128]
        inside = self.source[self.tokens[index + 1].start:self.tokens[close - 1].end]
        end = self.tokens[close].start
        for sign in ("+", "-"):
            self._add("index", f"[{inside}]", f"[{inside} {sign} 1]",
                      [(end, end, f" {sign} 1")], index)

    def _negate(self, index):
        if index + 1 >= len(self.tokens) or self.tokens[index + 1].text != "(":
            return
        opening = index + 1
        close = self.pairs.get(opening)
        if close is None:
            return
        if self.tokens[index].text == "while" and close + 1 < len(self.tokens) and \
                self.tokens[close + 1].text == ";" and self._is_do_while(index):
            pass  # do { } while (c); is negated like any while
        inside = self.source[self.tokens[opening + 1].start:self.tokens[close - 1].end]
        self._add("negate", f"{self.tokens[index].text} ({inside})",
                  f"{self.tokens[index].text} (!({inside}))",
                  [(self.tokens[opening].end, self.tokens[opening].end, "!("),
                   (self.tokens[close].start, self.tokens[close].start, ")")], index)

    def _is_do_while(self, index):
        return index > 0 and self.tokens[index - 1].text == "}"

    def _statements(self):
        """Deletes assignment and call statements (expression statements only)."""
        tokens = self.tokens
        heads = set()  # indexes of ) that close an if/while/for/switch header
        for index, token in enumerate(tokens[:-1]):
            if token.text in ("if", "while", "for", "switch") and tokens[index + 1].text == "(":
                close = self.pairs.get(index + 1)
                if close is not None:
                    heads.add(close)
        starts = []
        for index, token in enumerate(tokens):
            if self.context[index] in (None, "enum"):
                continue
            previous = tokens[index - 1] if index > 0 else None
            if previous is None:
                continue
            if previous.text in (";", "{", "}") or previous.text == "else" or \
                    (previous.text == ")" and index - 1 in heads):
                starts.append(index)
            elif previous.text == ":" and self._label_colon(index - 1):
                starts.append(index)
        for start in starts:
            self._delete_statement(start)

    def _label_colon(self, colon):
        """A colon that ends a case or default label (not a ?: or a bit-field)."""
        for back in range(colon - 1, max(colon - 12, -1), -1):
            text = self.tokens[back].text
            if text in ("case", "default"):
                return True
            if text in (";", "{", "}", "?"):
                return False
        return False

    def _delete_statement(self, start):
        tokens = self.tokens
        first = tokens[start]
        if start in self.protected or first.kind != "ident" and first.text not in ("*", "++", "--"):
            return
        if first.kind == "ident" and (first.text in KEYWORDS or is_type(first, self.types)):
            return
        if first.kind == "ident" and first.text in PROTECTED_CALLS:
            return
        depth, end, assignment, call = 0, None, False, False
        for index in range(start, len(tokens)):
            text = tokens[index].text
            if text in ("(", "["):
                depth += 1
            elif text in (")", "]"):
                depth -= 1
                if depth < 0:
                    return
            elif text in ("{", "}"):
                return  # a compound literal or a block: not a simple statement
            elif text == ";" and depth == 0:
                end = index
                break
            elif depth == 0 and text in ("=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
                                         "<<=", ">>=", "++", "--"):
                assignment = True
        if end is None:
            return
        if not assignment:
            call = first.kind == "ident" and start + 1 < end and tokens[start + 1].text == "(" \
                and self.pairs.get(start + 1) == end - 1
            if not call:
                return
        if first.kind == "ident" and first.text.startswith("__builtin_prefetch"):
            return  # a hint, deleting it changes no behaviour by design
        text = self.source[first.start:tokens[end].end]
        flat = " ".join(text.split())
        if len(flat) > 80:
            flat = flat[:77] + "..."
        self._add("delete", flat, ";", [(first.start, tokens[end].end, ";")], start)

    def _number(self):
        """Occurrence numbers: the n-th mutant with the same function, operator and texts."""
        seen = {}
        self.mutants.sort(key=lambda m: (m.edits[0][0], OPERATORS.index(m.operator),
                                         m.replacement))
        for mutant in self.mutants:
            identity = (mutant.function, mutant.operator, mutant.original, mutant.replacement)
            mutant.occurrence = seen.get(identity, 0)
            seen[identity] = mutant.occurrence + 1


def body_start(source, function):
    """The offset just past the { that opens the body of `function` in source, or None (no
    such function, or more than one body of that name)."""
    scanner = Scanner("", source, type_names(source))
    found = [scanner.tokens[index].end for index in scanner.pairs
             if scanner.tokens[index].text == "{" and scanner._function_name(index) == function]
    return found[0] if len(found) == 1 else None


def mutants_of(path, source, header_sources=()):
    """Every mutant of one file, in source order. path is the file's name relative to the
    root (it is part of each key)."""
    return Scanner(path, source, type_names(source, *header_sources)).scan()


SAMPLE_PER_FILE_MIN = 3


def sample(mutants, count, seed):
    """A reproducible sample: `count` mutants (all if count is None) in a shuffled order
    that depends only on the seed and the keys, not on the order of enumeration. The sample
    is stratified by file: each file gets its share of `count` (largest remainders), and at
    least SAMPLE_PER_FILE_MIN (or all it has) while count allows, so that a small sample
    still holds every file's mutants."""
    rank = lambda m: hashlib.sha256(f"{seed}:{m.key()}".encode()).hexdigest()  # noqa: E731
    ordered = sorted(mutants, key=rank)
    if count is None or count >= len(ordered):
        return ordered
    files = {}
    for m in ordered:
        files.setdefault(m.file, []).append(m)
    names = sorted(files)
    quota = {name: 0 for name in names}
    left = count
    for name in names:  # the floor first, in file order while the count lasts
        take = min(SAMPLE_PER_FILE_MIN, len(files[name]), left)
        quota[name] += take
        left -= take
    share = {name: left * len(files[name]) / len(ordered) for name in names}
    for name in names:
        extra = min(int(share[name]), len(files[name]) - quota[name])
        quota[name] += extra
    left = count - sum(quota.values())
    for name in sorted(names, key=lambda n: (-(share[n] - int(share[n])), n)) * 2:
        if left == 0:
            break
        if quota[name] < len(files[name]):
            quota[name] += 1
            left -= 1
    chosen = {m.key() for name in names for m in files[name][:quota[name]]}
    return [m for m in ordered if m.key() in chosen]


def shard(mutants, index, count):
    return [m for position, m in enumerate(mutants) if position % count == index]


def stable_shuffle_check():
    """Sampling must not depend on Python's hash randomisation (used by tests)."""
    return random.Random(0).random()
