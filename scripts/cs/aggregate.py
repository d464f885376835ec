"""The numbers of scripts/report, aggregated while the result lines stream past: memory
does not grow with the lines, only (a few bytes) with the distinct seeds.

Reading. Files are read in blocks of 8 MiB and cut at newlines. A regular file of 64 MiB
or more is read by `jobs` processes at once (Parallel): cut into ranges of 16 MiB at
newlines, each read by a process as below, which records what it would do to each sweep;
the main process does it, range after range in the file's order, so the numbers are those
of one process reading alone. A line longer than
max_line (1 MiB) is malformed: counted, and reading goes on at the next newline, however
far (a 70 MB line costs no memory, only the time to read past it). Every byte read is
spent from the budget of all files together (--max-input-bytes: InputTooLarge). A
character or block device is refused at once (/dev/zero would never end a line).

Lines. Every line is checked by results.validate() (through json.loads), or by the fast
path: the first valid line of each shape (its keys, the constant values: outcome, the
"sweep" record, shard and host, configuration strings and flags) becomes a template, a
regular expression that accepts only the lines json.loads and validate() would accept
with the same values (compact JSON, ASCII strings, numbers in the validator's ranges),
capturing the seed, the scenario counts, the trace hash, the run time and the elapsed
time. The lines of a block are tried against the current template many at once (one
findall in C over pieces of at most max_line bytes, Template.rows); a piece with a line
that does not fit goes line by line, and a line the template does not match takes the
full path. Only passing seeds have
templates; failures, aborts and older formats always take the full path.

Per sweep (one "sweep" record, or one file of lines without it), for the first line of
each seed (a duplicate counts once, its first line): outcomes, the failure groups by
signature (count, the 10 smallest seeds, the smallest one's message and reproduce
command), scenario coverage (seeds where each kind happened, events), run times (sum,
histogram, quantiles: exact, over the distinct values, unless there are more than 2^18
of them, when they are kept to 4 significant digits and the page says so), the slowest
seeds, the slowest shard (from run.elapsed_s of every line), the commits. The seeds
themselves are a SeedSet: one byte and a 64-bit digest of (outcome, trace hash) per seed,
in blocks of 1024, so gaps, duplicates and duplicates whose results differ come out at the
end; a block with few seeds (seeds scattered over the 64-bit range) is kept as a dict.
"""

import array
import collections
import heapq
import json
import math
import multiprocessing
import operator
import os
import re
import stat
import sys
import time
from itertools import repeat

from . import outputs, results

U64_MAX = (1 << 64) - 1
MAX_LINE_BYTES = results.MAX_LINE_BYTES
CHUNK = 8 << 20
PARALLEL_MIN = 64 << 20   # a smaller file is read by one process
RANGE = 16 << 20          # what one process of Parallel reads at a time
DURATIONS_EXACT = 1 << 18
FAILURE_SEEDS_KEPT = 10
SLOWEST_KEPT = 5


class InputTooLarge(Exception):
    """The input is larger than the reader was allowed to read."""


class Unreadable(Exception):
    """A file that is not a results file at all (a device)."""


class Budget:
    """How many bytes all the files of one reader may hold together."""

    def __init__(self, limit):
        self.limit, self.used = limit, 0

    def spend(self, size, path):
        self.used += size
        if self.limit is not None and self.used > self.limit:
            raise InputTooLarge(f"{outputs.shown(path)}: the input is larger than "
                                f"{self.limit} bytes in all")


# ---- the seeds of one sweep ----

BLOCK_BITS = 10
BLOCK = 1 << BLOCK_BITS
SPARSE_MAX = 48     # a block of up to this many seeds stays a dict
COUNT = 0x7f        # the low bits of a seed's byte: how many lines (at most 127)
DIFFERS = 0x80      # a later line's (outcome, trace hash) differs from the first's
RUNS_OF_ZERO = re.compile(rb"\x00+")
ONES = b"\x01" * BLOCK
COUNT_VALUES = re.compile(rb":([0-9]+)")
NOT_COUNTS = bytes(c for c in range(256) if c not in b"0123456789,")
DUPLICATED = re.compile(rb"[\x02-\x7f\x82-\xff]")
DIFFERING = re.compile(rb"[\x80-\xff]")


class SeedSet:
    """The distinct seeds of one sweep (see the module)."""

    def __init__(self):
        self.blocks = {}
        self.count = 0
        self.low, self.high = None, None

    def add(self, seeds, digests):
        """Records the seeds; returns the positions of those seen for the first time, or
        None when all of them were."""
        blocks = self.blocks
        done = self._add_runs(seeds, digests)
        fresh, again = list(range(done)), False
        key, counts, kept = None, None, None
        for i, (seed, digest) in enumerate(zip(seeds[done:], digests[done:]), done):
            if seed >> BLOCK_BITS != key:
                key = seed >> BLOCK_BITS
                block = blocks.get(key)
                if block is None:
                    block = blocks[key] = {}
                if type(block) is dict and len(block) >= SPARSE_MAX:
                    block = blocks[key] = self._dense(block)
                counts, kept = (None, block) if type(block) is dict else block
            offset = seed & (BLOCK - 1)
            if counts is None:  # sparse
                entry = kept.get(offset)
                if entry is None:
                    kept[offset] = [1, digest]
                    fresh.append(i)
                    if len(kept) >= SPARSE_MAX:
                        key = None  # densify before the next seed of this block
                    continue
                again = True
                entry[0] = (entry[0] & DIFFERS) | min((entry[0] & COUNT) + 1, COUNT)
                if entry[1] != digest:
                    entry[0] |= DIFFERS
                continue
            byte = counts[offset]
            if byte == 0:
                counts[offset] = 1
                kept[offset] = digest
                fresh.append(i)
                continue
            again = True
            byte = (byte & DIFFERS) | min((byte & COUNT) + 1, COUNT)
            if kept[offset] != digest:
                byte |= DIFFERS
            counts[offset] = byte
        if fresh:
            self.count += len(fresh)
            if again:
                low, high = min(seeds[i] for i in fresh), max(seeds[i] for i in fresh)
            else:
                low, high = min(seeds), max(seeds)
            self.low = low if self.low is None else min(self.low, low)
            self.high = high if self.high is None else max(self.high, high)
        return fresh if again else None

    def _add_runs(self, seeds, digests):
        """The common case at the speed of slices: seeds in runs of one step (a shard's
        stride), new, in blocks kept dense. Records them from the first on, up to the first
        seed that is not such (seen before, in a sparse block, out of step); returns how
        many it recorded."""
        n = len(seeds)
        if n < 2:
            return 0
        step = seeds[1] - seeds[0]
        if step <= 0:
            return 0
        breaks = [i + 1 for i, gap in enumerate(map(operator.sub, seeds[1:], seeds[:-1]))
                  if gap != step]
        blocks = self.blocks
        start = 0
        for end in breaks + [n]:
            i = start
            while i < end:  # the part of the run in one block
                key = seeds[i] >> BLOCK_BITS
                first = seeds[i] & (BLOCK - 1)
                count = min(end - i, (BLOCK - 1 - first) // step + 1)
                block = blocks.get(key)
                if block is None:
                    block = blocks[key] = (bytearray(BLOCK), array.array("q", bytes(8 * BLOCK)))
                elif type(block) is dict:
                    return i
                counts, kept = block
                last = first + (count - 1) * step + 1
                if counts.count(0, first, last) != last - first and \
                        counts[first:last:step].count(0) != count:
                    return i
                counts[first:last:step] = ONES[:count]
                kept[first:last:step] = array.array("q", digests[i:i + count])
                i += count
            start = end
        return n

    @staticmethod
    def _dense(sparse):
        counts, kept = bytearray(BLOCK), array.array("q", bytes(8 * BLOCK))
        for offset, (byte, digest) in sparse.items():
            counts[offset], kept[offset] = byte, digest
        return counts, kept

    def _sorted_blocks(self):
        """(first seed of the block, its bytes) in order; sparse blocks made dense on the
        way (one at a time)."""
        for key in sorted(self.blocks):
            block = self.blocks[key]
            counts = self._dense(block)[0] if type(block) is dict else block[0]
            yield key << BLOCK_BITS, counts

    def summary(self, first, last, shown_gaps=20, shown_duplicates=8, shown_differing=20):
        """Everything the page says about the seeds of the range first..last: gaps (the
        first shown_gaps as (from, to), their count, the seeds missing), seeds outside it,
        duplicated and differing seeds (the smallest few, and how many)."""
        gaps, gap_count, missing = [], 0, 0
        duplicates, duplicate_count = [], 0
        differing, differing_count = [], 0
        outside = 0
        expect = first  # the next seed of the range not yet accounted for
        last_end, last_shown = None, False  # the end of the latest gap; is it in `gaps`

        def gap(a, b):  # missing seeds a..b; runs that touch are one gap
            nonlocal gap_count, missing, last_end, last_shown
            if a > b:
                return
            missing += b - a + 1
            if last_end is not None and last_end + 1 == a:
                last_end = b
                if last_shown:
                    gaps[-1] = (gaps[-1][0], b)
                return
            gap_count += 1
            last_end = b
            last_shown = len(gaps) < shown_gaps
            if last_shown:
                gaps.append((a, b))

        for start, counts in self._sorted_blocks():
            end = start + BLOCK - 1
            seen = BLOCK - counts.count(0)
            if start < first or end > last:
                lo, hi = max(first, start) - start, min(last, end) - start
                inside = (hi - lo + 1 - counts[lo:hi + 1].count(0)) if lo <= hi else 0
                outside += seen - inside
            if end >= first and start <= last and expect <= last:
                lo, hi = max(first, start), min(last, end)
                if expect < lo:
                    gap(expect, lo - 1)
                view = bytes(counts[lo - start:hi - start + 1])
                for run in RUNS_OF_ZERO.finditer(view):
                    gap(lo + run.start(), lo + run.end() - 1)
                expect = hi + 1
            if seen and (BLOCK - counts.count(0) - counts.count(1)):
                duplicate_count += BLOCK - counts.count(0) - counts.count(1)
                if len(duplicates) < shown_duplicates:
                    for hit in DUPLICATED.finditer(counts):
                        if len(duplicates) == shown_duplicates:
                            break
                        duplicates.append(start + hit.start())
                for hit in DIFFERING.finditer(counts):
                    differing_count += 1
                    if len(differing) < shown_differing:
                        differing.append(start + hit.start())
        if expect <= last:
            gap(expect, last)
        return {"gaps": gaps, "gap_count": gap_count, "missing": missing, "outside": outside,
                "duplicates": duplicates, "duplicate_count": duplicate_count,
                "conflicting": differing, "conflicting_count": differing_count}


# ---- run times ----

class Durations:
    """Run times (ms) of the seeds: their sum, and how many of each distinct value (exact
    up to DURATIONS_EXACT distinct values, then to 4 significant digits)."""

    def __init__(self):
        self.counts = collections.Counter()
        self.total = 0.0
        self.n = 0
        self.rounded = False

    def add(self, values):
        self.total += math.fsum(values)
        self.n += len(values)
        if self.rounded:
            values = [float(f"{v:.4g}") for v in values]
        self.counts.update(values)
        if not self.rounded and len(self.counts) > DURATIONS_EXACT:
            self.rounded = True
            rounded = collections.Counter()
            for value, count in self.counts.items():
                rounded[float(f"{value:.4g}")] += count
            self.counts = rounded

    def merge(self, other):
        self.total += other.total
        self.n += other.n
        self.rounded = self.rounded or other.rounded
        self.counts.update(other.counts)
        if self.rounded:
            rounded = collections.Counter()
            for value, count in self.counts.items():
                rounded[float(f"{value:.4g}")] += count
            self.counts = rounded

    def quantile(self, q):
        """The value at position int(q * n) of the sorted run times (0 when there are none)."""
        if not self.n:
            return 0
        target = min(self.n - 1, int(q * self.n))
        seen = 0
        for value in sorted(self.counts):
            seen += self.counts[value]
            if seen > target:
                return value
        return max(self.counts)

    def maximum(self):
        return max(self.counts) if self.counts else 0

    def histogram(self):
        """[(low, high, count)]: powers-of-two bins of milliseconds, from the smallest run
        time's bin to the largest's (times below 1 microsecond in the first)."""
        if not self.counts:
            return []
        exponents = collections.Counter()
        for value, count in self.counts.items():
            exponents[math.floor(math.log2(max(value, 1e-3)))] += count
        low, high = min(exponents), max(exponents) + 1
        return [(2.0 ** e, 2.0 ** (e + 1), exponents.get(e, 0)) for e in range(low, high)]


# ---- one sweep ----

class Sweep:
    """One sweep (a night): every line with the same "sweep" record, from any shard."""

    def __init__(self, key, record, label, order):
        self.key, self.record, self.label, self.order = key, record, label, order
        self.lines = 0
        self.commits = []
        self.shard_seconds = {}   # (shard, host) -> the latest run.elapsed_s seen
        self.seeds = SeedSet()
        self.outcomes = collections.Counter()
        self.coverage = {}        # kind -> [seeds where it happened, events]
        self.durations = Durations()
        self.slowest = []         # [(-duration, arrival, seed)], the SLOWEST_KEPT first
        self.failures = {}        # signature -> Group
        self.arrivals = 0

    def note_commit(self, commit):
        if commit and commit not in self.commits:
            self.commits.append(commit)

    def note_elapsed(self, shard, elapsed):
        if elapsed > self.shard_seconds.get(shard, -1.0):
            self.shard_seconds[shard] = max(self.shard_seconds.get(shard, 0), elapsed)

    def absorb(self, seeds, digests, outcome, durations, kinds, counts, failure=None,
               summary=None):
        """The lines of one batch, in order: seeds and digests (sequences of integers),
        outcome (one for all), durations (None for a line without one), the scenario counts
        of each line in the order of `kinds`, one line after the other (len(kinds) a line),
        failure (signature, message, reproduce) of a single failed line. summary: what
        batch_summary() says of these arguments, when a reading process computed it."""
        n = len(seeds)
        self.lines += n
        fresh = self.seeds.add(seeds, digests)
        if fresh is not None:  # some seeds were seen before: only the first lines count
            if not fresh:
                return
            seeds = [seeds[i] for i in fresh]
            durations = [durations[i] for i in fresh]
            summary = None  # of every line of the batch, not of these
        n = len(seeds)
        self.outcomes[outcome] += n
        timed = durations if None not in durations else [d for d in durations
                                                          if d is not None]
        if timed:
            self.durations.add(timed)
        ranked = durations if timed is durations else [d or 0 for d in durations]
        if summary is None:
            summary = batch_summary(durations, kinds, counts, fresh)
        top, coverage = summary
        self.slowest = heapq.nsmallest(SLOWEST_KEPT, self.slowest + [
            (-ranked[i], self.arrivals + i, seeds[i]) for i in top])
        self.arrivals += n
        for kind, (nonzero, total) in zip(kinds, coverage):
            entry = self.coverage.get(kind)
            if entry is None:
                entry = self.coverage[kind] = [0, 0]
            entry[0] += nonzero
            entry[1] += total
        if failure is not None and outcome != "ok":
            signature, message, reproduce = failure
            group = self.failures.get(signature)
            if group is None:
                group = self.failures[signature] = Group()
            group.add(seeds[0], message, reproduce)


def batch_summary(durations, kinds, counts, fresh=None):
    """(the indexes of the slowest SLOWEST_KEPT lines, slowest first; per kind, how many
    lines have a count other than 0 and the sum of the counts) of one batch of
    Sweep.absorb, of its lines at the indexes `fresh` (all when None; durations are then
    those lines' already). A reading process of Parallel computes it beside its lines, so
    that the main process does not."""
    ranked = durations if None not in durations else [d or 0 for d in durations]
    top = heapq.nlargest(SLOWEST_KEPT, range(len(ranked)), key=ranked.__getitem__)
    width = len(kinds)
    coverage = []
    for k in range(width):
        column = counts[k::width]
        if fresh is not None:
            column = [column[i] for i in fresh]
        coverage.append((len(column) - column.count(0), sum(column)))
    return top, coverage


class Group:
    """One failure signature within one sweep."""

    __slots__ = ("count", "smallest", "best")

    def __init__(self):
        self.count = 0
        self.smallest = []   # a heap of -seed: the FAILURE_SEEDS_KEPT smallest seeds
        self.best = None     # (seed, first line of the message, reproduce) of the smallest

    def add(self, seed, message, reproduce):
        self.count += 1
        if len(self.smallest) < FAILURE_SEEDS_KEPT:
            heapq.heappush(self.smallest, -seed)
        elif -self.smallest[0] > seed:
            heapq.heapreplace(self.smallest, -seed)
        if self.best is None or seed < self.best[0]:
            first = (message or "").splitlines()[:1]
            self.best = (seed, first[0] if first else "", reproduce)


def digest(outcome, trace_hash):
    """What tells two lines of one seed apart: (outcome, trace hash), 64 bits."""
    return hash((outcome, trace_hash))


# ---- the fast path: templates ----

# Every repetition below is possessive (+): what follows it can never start with what it
# repeats (a quote after string characters, a comma or a brace after digits), and a
# string's characters split into tokens one way only, so giving characters back could never
# make a line match. It only saves the regex engine the bookkeeping of backtracking
# (Python 3.11 and later; before, the same patterns without it).
OWN = b"+" if sys.version_info >= (3, 11) else b""
PRINTABLE = rb"[\x20\x21\x23-\x5b\x5d-\x7e]"   # ASCII without the quote and the backslash
TOKEN = rb'(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})'
NUMBER9 = rb"((?:0|[1-9][0-9]{0,8}%s)(?:\.[0-9]+%s)?)" % (OWN, OWN)   # 0 <= x < 1e9, as json would read it
JSON_NUMBER = rb"-?(?:0|[1-9][0-9]*%s)(?:\.[0-9]+%s)?(?:[eE][-+]?[0-9]+%s)?" % (OWN, OWN, OWN)
EXIT_CODE = rb"-?(?:[0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])"


def _uint(digits):
    """Integers of at most `digits` digits, without leading zeros (all below 10^digits)."""
    return rb"(?:0|[1-9][0-9]{0,%d}%s)" % (digits - 1, OWN)


def _literal(value):
    return re.escape(json.dumps(value, separators=(",", ":")).encode())


def _flat(value, ints):
    """A flat object as in the template line: keys and strings and flags literal, integers
    by the pattern `ints`."""
    parts = []
    for key, item in value.items():
        if isinstance(item, bool) or isinstance(item, str):
            pattern = _literal(item)
        elif isinstance(item, int):
            pattern = ints
        else:
            return None
        parts.append(_literal(key) + b":" + pattern)
    return b"\\{" + b",".join(parts) + b"\\}"


def _scalar(value):
    """A value of a field the report does not read, by its type (None: not templated)."""
    if value is None or isinstance(value, bool):
        return _literal(value)
    if isinstance(value, int):
        return rb"-?(?:0|[1-9][0-9]*%s)" % OWN
    if isinstance(value, float):
        return JSON_NUMBER
    if isinstance(value, str):
        return b'"' + TOKEN + b"*" + OWN + b'"'
    return None


LAST = operator.itemgetter(-1)  # of a row of Template.rows


class Template:
    """The fast path for lines shaped like one valid line (see the module)."""

    __slots__ = ("regex", "sweep", "shard", "outcome", "kinds", "index", "digit_free",
                 "_lines")

    def __init__(self, regex, sweep, shard, outcome, kinds, index):
        self.regex, self.sweep, self.shard, self.outcome = regex, sweep, shard, outcome
        self.kinds, self.index = kinds, index
        self.digit_free = not any(c.isdigit() or c == "," for kind in kinds for c in kind)
        self._lines = None

    def rows(self, block, start, end):
        """The groups of every line of block[start:end] (whole lines, each with its
        newline; a row has one more group at its end, b""), or None when one of them does
        not fit. One findall in C over all of them, where each match is one whole line:
        the template's and its newline (the template matches no newline), or else any
        line, captured in the last group (never empty: it holds the newline). So the
        matches follow one another line by line, and a line that does not fit is seen in
        the last group."""
        if self._lines is None:  # compiled when first used: most templates never are
            self._lines = re.compile(b"(?:" + self.regex.pattern + b"\n|([^\n]*\n))")
        rows = self._lines.findall(block, start, end)
        if any(map(LAST, rows)):
            return None
        return rows


def template_of(line, sweep):
    """A Template for lines like `line` (valid, from `sweep`), or None for a line with a
    failure, another outcome than ok, or a field the fast path does not know."""
    if line.get("outcome") != "ok" or "failure" in line:
        return None
    parts, groups, kinds, shard = [], [], (), None
    for key, value in line.items():
        prefix = _literal(key) + b":"
        if key == "seed":
            pattern = b"(" + _uint(20) + b")"
            groups.append("seed")
        elif key == "seed_hex" and isinstance(value, str):
            pattern = b'"' + PRINTABLE + b"{0,32}" + OWN + b'"'
        elif key == "outcome":
            pattern = _literal(value)
        elif key == "exit_code" and isinstance(value, int):
            pattern = EXIT_CODE
        elif key == "config" and isinstance(value, dict):
            pattern = _flat(value, _uint(19))
        elif key == "counts" and isinstance(value, dict):
            pattern = _flat(value, _uint(18))
        elif key == "scenarios" and isinstance(value, dict):
            if any(":" in kind for kind in value):
                return None  # its counts are read back after each colon
            pattern = b"(" + _flat(value, _uint(18)) + b")"
            kinds = tuple(value)
            groups.append("scenarios")
        elif key == "trace_hash" and isinstance(value, str):
            pattern = b'"(' + PRINTABLE + b"{0,64}" + OWN + b')"'
            groups.append("trace_hash")
        elif key == "trace_events" and isinstance(value, int):
            pattern = _uint(19)
        elif key == "duration_ms" and value is not None:
            pattern = NUMBER9
            groups.append("duration")
        elif key == "reproduce" and isinstance(value, str):
            pattern = b'"' + TOKEN + b"{0,65536}" + OWN + b'"'
        elif key == "sweep" and isinstance(value, dict):
            pattern = _literal(value)
        elif key == "run" and isinstance(value, dict):
            if list(value) != ["shard", "host", "elapsed_s"] or value["elapsed_s"] is None:
                return None
            shard = (value["shard"], value["host"])
            pattern = (b'\\{"shard":' + _literal(value["shard"]) + b',"host":'
                       + _literal(value["host"]) + b',"elapsed_s":' + NUMBER9 + b"\\}")
            groups.append("elapsed")
        elif key in ("seed_hex", "exit_code", "config", "counts", "scenarios", "trace_hash",
                     "trace_events", "duration_ms", "reproduce", "sweep", "run"):
            pattern = _literal(value) if value is None else None
        else:
            pattern = _scalar(value)
        if pattern is None:
            return None
        parts.append(prefix + pattern)
    regex = re.compile(b"\\{" + b",".join(parts) + b"\\}")
    index = {name: groups.index(name) for name in set(groups)}
    return Template(regex, sweep, shard, "ok", kinds, index)


# The characters a line's values vary in: taken out, what is left names its shape.
VARYING = b"0123456789abcdefx.-"
TEMPLATES_KEPT = 256       # per file (a compiled template costs about a millisecond)
TEMPLATES_PER_SHAPE = 4


# ---- reading ----

class Reader:
    """Reads result files into sweeps (see the module)."""

    def __init__(self, sweep_key, budget=None, fast=True, max_line=MAX_LINE_BYTES,
                 progress=None, jobs=1, chunk=CHUNK, parallel_min=PARALLEL_MIN,
                 range_size=RANGE):
        self.sweep_key = sweep_key      # the fields of "sweep" that tell sweeps apart
        self.budget = budget or Budget(None)
        self.fast = fast
        self.jobs, self.chunk, self.parallel_min = jobs, chunk, parallel_min
        self.range_size = range_size
        self.max_line = max_line
        self.progress = progress        # called with (lines, bytes) now and then
        self.sweeps = {}
        self.malformed = []             # the first MALFORMED_KEPT (path, line, reason)
        self.malformed_count = 0
        self.lines = 0
        self.bytes = 0
        self.templates = {}
        self.segments, self.template = [], None

    MALFORMED_KEPT = 20

    # -- sweeps --

    def sweep_of(self, record, path):
        # The record's validated fields: integers, strings, None and a list of strings.
        key = (tuple(tuple(v) if isinstance(v, list) else v
                     for v in map(record.get, self.sweep_key))
               if record else f"file:{os.path.basename(path)}")
        sweep = self.sweeps.get(key)
        if sweep is None:
            label = record.get("date") or "?" if record else os.path.basename(path)
            taken = {s.label for s in self.sweeps.values()}
            unique, n = label, 2
            while unique in taken:  # two sweeps on one date: date #2
                unique, n = f"{label} #{n}", n + 1
            sweep = self.sweeps[key] = Sweep(key, record, unique, len(self.sweeps))
        return sweep

    def bad(self, path, number, reason):
        self.malformed_count += 1
        if len(self.malformed) < self.MALFORMED_KEPT:
            self.malformed.append((path, number, reason))

    # -- lines --

    def full(self, raw, path, number):
        """The full path for one line: json.loads and results.validate."""
        try:
            line = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            return self.bad(path, number, "not UTF-8")
        except ValueError as error:
            return self.bad(path, number, f"not JSON ({error})")
        reason = results.validate(line)
        if reason:
            return self.bad(path, number, reason)
        self.flush()  # what came before is counted first
        self.lines += 1
        record = line.get("sweep")
        sweep = self.sweep_of(record, path)
        sweep.note_commit((record or {}).get("commit"))
        run = line.get("run") or {}
        if isinstance(run.get("elapsed_s"), (int, float)):
            sweep.note_elapsed((run.get("shard"), run.get("host")), run["elapsed_s"])
        outcome = line.get("outcome", "?")
        trace = line.get("trace_hash")
        scenarios = line.get("scenarios") or {}
        failure = None
        if outcome != "ok":
            failure = (results.signature(line), (line.get("failure") or {}).get("message"),
                       line.get("reproduce"))
        sweep.absorb([line["seed"]],
                     [digest(outcome, None if trace is None
                             else trace.encode("utf-8", "surrogatepass"))],
                     outcome, [line.get("duration_ms")], tuple(scenarios),
                     list(scenarios.values()), failure)
        if self.fast and len(self.templates) < TEMPLATES_KEPT:
            template = template_of(line, sweep)
            if template is not None and template.regex.fullmatch(raw):
                known = self.templates.setdefault(raw.translate(None, VARYING), [])
                if len(known) < TEMPLATES_PER_SHAPE:
                    known.append(template)
                    self.template = template

    def flush(self):
        """Counts the lines the templates matched so far, in order."""
        segments, self.segments = self.segments, []
        for template, first_number, rows in segments:
            self.count_rows(template, first_number, rows)

    def count_rows(self, template, first_number, rows):
        """The lines of one template: the groups of its matches of lines first_number,
        first_number + 1, ..."""
        columns = list(zip(*rows))
        index = template.index
        seeds = list(map(int, columns[index["seed"]]))
        if max(seeds) > U64_MAX:  # twenty digits: malformed, as the full path says
            keep = [i for i, seed in enumerate(seeds) if seed <= U64_MAX]
            for i, seed in enumerate(seeds):
                if seed > U64_MAX:
                    self.bad(self.path, first_number + i,
                             "seed is not an integer in 0..2^64-1")
            rows = [rows[i] for i in keep]
            if not rows:
                return
            columns = list(zip(*rows))
            seeds = list(map(int, columns[index["seed"]]))
        n = len(rows)
        self.lines += n
        sweep = template.sweep
        if "trace_hash" in index:
            digests = list(map(hash, zip(repeat("ok"), columns[index["trace_hash"]])))
        else:
            digests = [digest("ok", None)] * n
        durations = (list(map(float, columns[index["duration"]])) if "duration" in index
                     else [None] * n)
        if "elapsed" in index:
            sweep.note_elapsed(template.shard, max(map(float, columns[index["elapsed"]])))
        counts = array.array("q")
        if "scenarios" in index and template.kinds:
            spans = b",".join(columns[index["scenarios"]])
            if template.digit_free:  # the names hold no digit: what is left is the counts
                # json's parser reads a list of integers faster than int() each (the
                # template let through only integers without a leading zero)
                counts = array.array("q", json.loads(b"[" + spans.translate(None, NOT_COUNTS)
                                                     + b"]"))
            else:
                counts = array.array("q", map(int, COUNT_VALUES.findall(spans)))
            assert len(counts) == len(template.kinds) * n, "a scenarios object off its shape"
        sweep.absorb(array.array("Q", seeds), array.array("q", digests), "ok",
                     array.array("d", durations) if "duration" in index else durations,
                     template.kinds, counts)

    def read(self, path):
        """Reads one file ("-": standard input; OSError when it cannot; Unreadable for a
        device). A large regular file is read by `jobs` processes at once (see Parallel)."""
        self.path = path
        self.templates, self.template = {}, None  # a template's sweep may depend on the file
        with (open(0, "rb", buffering=0, closefd=False) if path == "-"
              else open(path, "rb", buffering=0)) as f:
            info = os.fstat(f.fileno())
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
                raise Unreadable(f"{outputs.shown(path)} is a "
                                 f"{'character' if stat.S_ISCHR(info.st_mode) else 'block'} "
                                 "device, not a results file (its lines may never end)")
            if self.jobs > 1 and stat.S_ISREG(info.st_mode) and \
                    info.st_size >= self.parallel_min and self.fast:
                Parallel(self, path, info.st_size).run()
                return
            self.stream(f, path)

    def stream(self, f, path, limit=None):
        """The lines of the open file f, from where it stands, up to `limit` bytes (a
        range cut at a newline: Parallel) or its end; numbered from 1."""
        number, pending, skipping = 0, b"", 0
        max_line = self.max_line
        left = limit
        while True:
            chunk = f.read(self.chunk if left is None else min(self.chunk, left))
            if not chunk:
                break
            if left is not None:
                left -= len(chunk)
            self.budget.spend(len(chunk), path)
            self.bytes += len(chunk)
            if skipping:  # inside a line longer than max_line
                end = chunk.find(b"\n")
                if end < 0:
                    skipping += len(chunk)
                    continue
                skipping += end
                self.bad(path, number, f"longer than {max_line} bytes ({skipping} "
                                       "bytes): skipped")
                skipping, chunk = 0, chunk[end + 1:]
            last = chunk.rfind(b"\n")
            if last < 0:
                pending += chunk
            else:
                first = chunk.find(b"\n")
                number = self.lines_of([pending + chunk[:first]], path, number)
                number = self.block_of(chunk, first + 1, last + 1, path, number)
                pending = chunk[last + 1:]
            self.flush()
            if len(pending) > max_line:
                number += 1
                skipping, pending = len(pending), b""
            if self.progress:
                self.progress(self.lines, self.bytes)
        if skipping:
            self.bad(path, number, f"longer than {max_line} bytes ({skipping} bytes, "
                                   "the last line, without its newline): skipped")
        elif pending:
            number = self.lines_of([pending], path, number)
        self.flush()
        return number

    def block_of(self, block, start, end, path, number):
        """The lines of block[start:end], whole lines each ending with its newline; returns
        the number of the last. It goes by pieces of at most max_line + 1 bytes cut after a
        newline, so that no line in a piece is longer than max_line: a piece whose every
        line fits the current template is taken at once (Template.rows); any other piece,
        and a line longer than max_line, goes line by line (lines_of)."""
        max_line = self.max_line
        while start < end:
            stop = block.rfind(b"\n", start, min(end, start + max_line + 1)) + 1
            template = self.template
            if stop <= start:  # the line at start is longer than max_line: alone
                stop, rows = block.find(b"\n", start, end) + 1, None
            else:
                rows = template.rows(block, start, stop) if template is not None else None
            if rows is not None:
                self.segments.append((template, number + 1, rows))
                number += len(rows)
            else:
                number = self.lines_of(block[start:stop - 1].split(b"\n"), path, number)
            start = stop
        return number

    def lines_of(self, pieces, path, number):
        """The lines of one block; returns the number of the last. Lines go to the current
        template all at once (map, in C) when they fit it; the others one at a time."""
        template = self.template
        if template is not None and pieces and max(map(len, pieces)) <= self.max_line:
            matches = list(map(template.regex.fullmatch, pieces))
            if None not in matches:
                self.segments.append((template, number + 1,
                                      list(map(re.Match.groups, matches))))
                return number + len(pieces)
        else:
            matches = None
        max_line = self.max_line
        run_start, run = None, []  # the current run of lines of the current template
        for i, raw in enumerate(pieces):
            number += 1
            match = matches[i] if matches is not None and template is self.template else None
            if match is None and len(raw) > max_line:
                self.bad(path, number, f"longer than {max_line} bytes")
                continue
            if match is None and self.template is not None:
                match = self.template.regex.fullmatch(raw)
            if match is None and not raw.strip():
                continue
            if match is None and self.fast:
                found = self.match_shape(raw)
                if found is not None:
                    if run:
                        self.segments.append((self.template, run_start, run))
                        run = []
                    self.template, match = found
            if match is not None:
                if not run:
                    run_start = number
                elif run_start + len(run) != number:  # a line was left out in between
                    self.segments.append((self.template, run_start, run))
                    run, run_start = [], number
                run.append(match.groups())
                continue
            if run:
                self.segments.append((self.template, run_start, run))
                run = []
            self.full(raw, path, number)
        if run:
            self.segments.append((self.template, run_start, run))
        return number

    def match_shape(self, raw):
        for template in self.templates.get(raw.translate(None, VARYING), ()):
            match = template.regex.fullmatch(raw)
            if match is not None:
                return template, match
        return None

    def ordered(self):
        """The sweeps by date, then by first appearance."""
        return sorted(self.sweeps.values(), key=lambda s: ((s.record or {}).get("date") or "",
                                                          s.order))


class Recorder:
    """In a process of Parallel, what stands for a sweep: it records what would be done to
    it, for the main process to do in the same order."""

    def __init__(self, events, record, path):
        self.events, self.whose = events, (record, path)

    def note_commit(self, commit):
        self.events.append(("commit", self.whose, commit))

    def note_elapsed(self, shard, elapsed):
        self.events.append(("elapsed", self.whose, shard, elapsed))

    def absorb(self, seeds, digests, outcome, durations, kinds, counts, failure=None):
        arguments = (seeds, digests, outcome, durations, kinds, counts, failure)
        self.events.append(("absorb", self.whose, arguments,
                            batch_summary(durations, kinds, counts)))


class RangeReader(Reader):
    """A Reader in a process of Parallel: reads one range of a file and records events."""

    def __init__(self, sweep_key, max_line, chunk):
        super().__init__(sweep_key, max_line=max_line, chunk=chunk)
        self.events, self.recorders, self.last_path = [], {}, None

    def sweep_of(self, record, path):
        key = (tuple(tuple(v) if isinstance(v, list) else v
                     for v in map(record.get, self.sweep_key))
               if record else f"file:{os.path.basename(path)}")
        recorder = self.recorders.get(key)
        if recorder is None:
            recorder = self.recorders[key] = Recorder(self.events, record, path)
        return recorder

    def bad(self, path, number, reason):
        self.events.append(("bad", path, number, reason))

    def range(self, path, start, end):
        """(events, lines) of bytes start..end of path, which start a line."""
        if path != self.last_path:
            self.templates, self.template, self.last_path = {}, None, path
        self.path = path
        with open(path, "rb", buffering=0) as f:
            f.seek(start)
            lines = self.stream(f, path, end - start)
        events, self.events = list(self.events), []
        for recorder in self.recorders.values():
            recorder.events = self.events
        return events, lines


_RANGE_READER = None


def _start_range_reader(sweep_key, max_line, chunk):
    global _RANGE_READER
    _RANGE_READER = RangeReader(sweep_key, max_line, chunk)


def _read_range(path, start, end):
    return _RANGE_READER.range(path, start, end)


class Parallel:
    """One large regular file read by reader.jobs processes: the file is cut into ranges
    of RANGE bytes at newlines, each process reads ranges as the serial reader would and
    records what it would do to each sweep (Recorder), and the main process does it, range
    after range in the file's order, so the result is the serial reader's."""

    def __init__(self, reader, path, size):
        self.reader, self.path, self.size = reader, path, size

    def ranges(self):
        step = self.reader.range_size
        with open(self.path, "rb") as f:
            start = 0
            while start < self.size:
                end = start + step
                if end >= self.size:
                    yield start, self.size
                    return
                f.seek(end)
                while True:  # to the next newline
                    piece = f.read(1 << 16)
                    if not piece:
                        end = self.size
                        break
                    cut = piece.find(b"\n")
                    if cut >= 0:
                        end = f.tell() - len(piece) + cut + 1
                        break
                end = min(end, self.size)
                yield start, end
                start = end

    def run(self):
        reader = self.reader
        self.numbered = 0  # the lines of the ranges done
        context = multiprocessing.get_context("fork")  # the workers share the hash seed
        with context.Pool(reader.jobs, _start_range_reader,
                          (reader.sweep_key, reader.max_line, reader.chunk)) as pool:
            pending = collections.deque()
            for start, end in self.ranges():
                pending.append((pool.apply_async(_read_range, (self.path, start, end)),
                                end - start))
                if len(pending) >= 2 * reader.jobs:
                    self.replay(*pending.popleft())
            while pending:
                self.replay(*pending.popleft())

    def replay(self, result, size):
        reader = self.reader
        events, lines = result.get()
        reader.budget.spend(size, self.path)
        reader.bytes += size
        base = self.numbered
        for event in events:
            kind = event[0]
            if kind == "absorb":
                (record, path), arguments, summary = event[1], event[2], event[3]
                reader.lines += len(arguments[0])
                reader.sweep_of(record, path).absorb(*arguments, summary=summary)
            elif kind == "commit":
                (record, path), commit = event[1], event[2]
                reader.sweep_of(record, path).note_commit(commit)
            elif kind == "elapsed":
                (record, path), shard, elapsed = event[1], event[2], event[3]
                reader.sweep_of(record, path).note_elapsed(shard, elapsed)
            else:
                _, path, number, reason = event
                reader.bad(path, base + number, reason)
        self.numbered += lines
        if reader.progress:
            reader.progress(reader.lines, reader.bytes)


class Progress:
    """A progress line on standard error while a long input is read: every 2 s on a
    terminal, every 10 s otherwise; nothing for an input read in less."""

    def __init__(self, total_bytes, quiet=False):
        self.total = total_bytes
        self.quiet = quiet
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.every = 2.0 if self.tty else 10.0
        self.next = self.started + self.every
        self.shown = False

    def __call__(self, lines, done):
        now = time.monotonic()
        if self.quiet or now < self.next:
            return
        self.next = now + self.every
        self.shown = True
        rate = lines / max(now - self.started, 1e-9)
        of = f" of {self.total / 1e9:.2f} GB" if self.total else ""
        eta = (f", ETA {(self.total - done) / max(done / (now - self.started), 1):.0f}s"
               if self.total and done < self.total else "")
        text = (f"report: {lines} lines read ({done / 1e9:.2f} GB{of}), {rate:.0f} lines/s"
                f"{eta}")
        sys.stderr.write(("\r" + text + "   ") if self.tty else text + "\n")
        sys.stderr.flush()

    def done(self, lines, read):
        if self.shown and not self.quiet:
            seconds = time.monotonic() - self.started
            text = (f"report: {lines} lines read ({read / 1e9:.2f} GB) in {seconds:.1f} s, "
                    f"{lines / max(seconds, 1e-9):.0f} lines/s")
            sys.stderr.write(("\r" + text + "\n") if self.tty else text + "\n")
            sys.stderr.flush()
