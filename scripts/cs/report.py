"""scripts/report: merges sweep results (JSON Lines, shards in any order) into one
self-contained HTML report. Charts are inline SVG; the page loads nothing else.
"""

import argparse
import collections
import heapq
import html
import os
import re
import shlex
import sys

from . import aggregate, outputs, signatures
from .exits import ENVIRONMENT, FAILED, OK
from .sweep import SWEEP_KEY

OUTCOMES = ["ok", "fail", "abort", "timeout", "nondeterministic", "error"]
MALFORMED_SHOWN = 20
DEFAULT_MAX_INPUT = 16 << 30
EPILOG = """\
what it shows:
  totals (seeds, outcomes, CPU time, seeds/s), failure groups by signature (most
  frequent first, smallest seed, reproduce and scripts/repro commands), scenario
  coverage per kind (bar chart), the run-time distribution (histogram), seed ranges
  with their gaps and duplicates, and, when the files hold several sweeps (told apart
  by the "sweep" record scripts/sweep writes in every line: seed base, commit, date),
  outcomes and coverage over time and the command that reruns each sweep exactly.

input: every line is checked (types and ranges of every field the report uses); a
line that is not a result line (not JSON, a wrong type, longer than 1 MiB, a partial
line left by a killed writer) is malformed: counted, shown with its reason (on
standard error and in the page, the first 20) and skipped; reading goes on at the next
newline, however long the line. All files together may hold at most
--max-input-bytes (default 16 GiB); more is an error, never a silent cut. A device
(/dev/zero) is refused at once; '-' reads standard input.

memory: the numbers are aggregated while the lines stream past: a few bytes per
distinct seed (seeds of a range), not per line. A long input shows a progress line on
standard error (--quiet: none).

signatures: failures are grouped by signature; signatures from builds before
assertions named their function (assert:FILE:LINE) are grouped and shown as they
are, marked "line-based".

exit status: 0 written; 1 written, and --fail-on-failure saw a failed seed, a
duplicate seed whose results differ, or a malformed line; 2 usage; 4 no result line
could be read (or the input is too large, or the output cannot be written).

examples:
  scripts/report sweep-results.jsonl -o report.html
  scripts/report shard-*.jsonl nights/*.jsonl -o report.html --fail-on-failure
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/report", description="Write one HTML report from sweep JSON Lines.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", metavar="RESULTS.jsonl",
                        help="scripts/sweep --out files (shards and nights, any order; "
                             "'-' reads standard input)")
    parser.add_argument("-o", "--out", default="report.html", metavar="FILE",
                        help="the HTML file to write (default report.html)")
    parser.add_argument("--title", default="Simulator sweep report", help="page title")
    parser.add_argument("--fail-on-failure", action="store_true",
                        help="exit 1 when a seed failed or a line is malformed (for CI)")
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 8), metavar="J",
                        help="processes that read a large file at once (default: the "
                             "cores, at most 8); 1 reads in this process alone")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress line while a long input is read")
    parser.add_argument("--max-input-bytes", type=size_argument, default=DEFAULT_MAX_INPUT,
                        metavar="SIZE", help="most bytes read from all files together "
                        "(default 16G; suffixes K, M, G, T)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def size_argument(text):
    match = re.fullmatch(r"(\d+)([KMGT]?)(?:i?B)?", text.strip(), re.I)
    if not match or int(match[1]) == 0:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 512M, 16G)")
    return int(match[1]) << (10 * " KMGT".index(match[2].upper() or " "))


# ---- reading ----

def read(args):
    """The aggregate.Reader after reading every file. Raises SystemExit(4) for a file that
    cannot be read or too much input."""
    total = 0
    for path in args.results:
        try:
            total += os.path.getsize(path) if os.path.isfile(path) else 0
        except OSError:
            pass
    progress = aggregate.Progress(total, quiet=args.quiet)
    reader = aggregate.Reader(SWEEP_KEY, aggregate.Budget(args.max_input_bytes),
                              progress=progress, jobs=args.jobs)
    for path in args.results:
        try:
            reader.read(path)
        except OSError as error:
            raise SystemExit(fail(f"cannot read {outputs.shown(path)}: "
                                  f"{outputs.reason(error)}"))
        except aggregate.Unreadable as error:
            raise SystemExit(fail(str(error)))
        except aggregate.InputTooLarge as error:
            raise SystemExit(fail(f"{error}: raise --max-input-bytes to read it all"))
    progress.done(reader.lines, reader.bytes)
    return reader


def fail(message):
    print(f"report: {message}", file=sys.stderr)
    return ENVIRONMENT


# ---- numbers ----

def expected_range(sweep):
    """(first, last, exact) of the seeds the sweep meant to run."""
    record = sweep.record or {}
    words = str(record.get("selection") or "").split()
    flags = dict(zip(words[::2], words[1::2]))
    low, high = sweep.seeds.low, sweep.seeds.high

    def number(flag):  # a selection written by someone else may not hold numbers
        try:
            return int(flags[flag], 0)
        except (KeyError, ValueError):
            return None
    if number("--from") is not None and number("--to") is not None:
        return number("--from"), number("--to"), True
    base = record.get("seed_base")
    if base is not None and number("--seeds") is not None:
        last = base + number("--seeds") - 1
        if "--time" not in flags:
            return base, last, True
        return base, min(last, high), False
    if base is not None:
        return base, high, False
    return low, high, False


def analyse(sweep):
    """Every number the report shows for one sweep."""
    first, last, exact = expected_range(sweep)
    seeds = sweep.seeds.summary(first, last)
    outcomes = dict(sweep.outcomes)
    wall = max(sweep.shard_seconds.values(), default=0)
    return {
        "seeds": sweep.seeds.count, "lines": sweep.lines, "outcomes": outcomes,
        "failed": sum(n for k, n in outcomes.items() if k != "ok"),
        "duplicates": seeds["duplicates"], "duplicate_count": seeds["duplicate_count"],
        "conflicting": seeds["conflicting"], "conflicting_count": seeds["conflicting_count"],
        "first": first, "last": last, "exact": exact, "gaps": seeds["gaps"],
        "gap_count": seeds["gap_count"], "missing": seeds["missing"],
        "outside": seeds["outside"], "cpu_s": sweep.durations.total / 1000,
        "durations": sweep.durations, "wall_s": wall, "shards": len(sweep.shard_seconds),
        "coverage": sweep.coverage,
    }


def coverage(rows):
    """{kind: [seeds where it happened, events]} over the sweeps, in the simulator's order."""
    kinds = {}
    for _, n in rows:
        for kind, (seen, events) in n["coverage"].items():
            entry = kinds.setdefault(kind, [0, 0])
            entry[0] += seen
            entry[1] += events
    return kinds


def failure_groups(rows):
    """[(signature, count, the smallest seeds, (seed, message, reproduce, sweep) of the
    smallest, night labels)], the most frequent first."""
    merged = {}
    for sweep, _ in rows:
        for signature, group in sweep.failures.items():
            entry = merged.setdefault(signature, [0, [], None, set()])
            entry[0] += group.count
            entry[1].extend(-s for s in group.smallest)
            seed, message, reproduce = group.best
            if entry[2] is None or seed < entry[2][0]:
                entry[2] = (seed, message, reproduce, sweep)
            entry[3].add(sweep.label)
    groups = [(signature, count, sorted(seeds)[:aggregate.FAILURE_SEEDS_KEPT], best, nights)
              for signature, (count, seeds, best, nights) in merged.items()]
    return sorted(groups, key=lambda g: (-g[1], g[3][0]))


def rate(count, seconds):
    return count / seconds if seconds > 0 else 0.0


# ---- HTML pieces ----

def esc(value):
    """Text for the page: escaped, and valid UTF-8 whatever it came from (a title or a path
    that is not UTF-8 shows its bytes as \\xNN)."""
    return html.escape(outputs.shown(value), quote=True)


def compact(number):
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if number >= size:
            return f"{number / size:.3g}{suffix}"
    return str(number)


def hexseed(seed):
    return f"0x{seed:x}"


def metric_rows(rows):
    return "".join(f'<tr data-metric="{esc(key)}" data-value="{esc(raw)}"><th>{esc(label)}</th>'
                   f"<td>{esc(shown)}</td></tr>" for key, label, raw, shown in rows)


def bar_chart(kinds, seeds):
    """Horizontal bars: the share of seeds where each scenario kind happened."""
    if not kinds:
        return "<p>No scenario counts in the input.</p>"
    width, label_w, bar_w, row_h = 860, 190, 400, 20
    height = row_h * len(kinds) + 24
    parts = [f'<svg class="chart" id="coverage-chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="scenario coverage">',
             f'<text x="{label_w}" y="12" class="axis">0%</text>'
             f'<text x="{label_w + bar_w}" y="12" class="axis" text-anchor="end">'
             "100% of seeds</text>"]
    for i, (kind, (seen, events)) in enumerate(kinds.items()):
        y = 20 + i * row_h
        share = seen / seeds if seeds else 0
        color = "#c0392b" if seen == 0 else "#2e86c1"
        filled = max(share * bar_w, 0 if seen == 0 else 1)
        said = "never happened" if seen == 0 else (
            f"{share:.0%}: {seen} seeds, {compact(events)} events")
        parts.append(
            f'<g class="bar" data-kind="{esc(kind)}" data-seeds="{seen}" data-events="{events}">'
            f"<title>{esc(kind)}: {seen} of {seeds} seeds, {events} events</title>"
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{esc(kind)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 6}" '
            'class="track"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{filled:.1f}" height="{row_h - 6}" '
            f'fill="{color}"/><text x="{label_w + bar_w + 6}" y="{y + 14}">{said}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(durations):
    """Run time per seed in powers-of-two bins of milliseconds (log scale)."""
    bins = durations.histogram()
    if not bins:
        return "<p>No run times in the input.</p>", []
    width, height, left, bottom = 860, 230, 50, 40
    plot_w, plot_h = width - left - 10, height - bottom - 22
    bar_w = plot_w / len(bins)
    peak = max(c for _, _, c in bins) or 1
    parts = [f'<svg class="chart" id="runtime-chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="run time histogram">',
             f'<line x1="{left}" y1="{22 + plot_h}" x2="{width - 10}" y2="{22 + plot_h}" '
             'class="rule"/>']
    for i, (a, b, count) in enumerate(bins):
        h = plot_h * count / peak
        x = left + i * bar_w
        parts.append(
            f'<g class="bin" data-low="{a:g}" data-high="{b:g}" data-count="{count}">'
            f"<title>{a:g} to {b:g} ms: {count} seeds</title>"
            f'<rect x="{x + 1:.1f}" y="{22 + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{h:.1f}" fill="#2e86c1"/>'
            f'<text x="{x + bar_w / 2:.1f}" y="{18 + plot_h - h:.1f}" text-anchor="middle" '
            f'class="axis">{count or ""}</text>'
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 22}" text-anchor="middle" class="axis">'
            f"{a:g}</text></g>")
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle" '
                 'class="axis">milliseconds per seed (bins from the value shown to twice it)'
                 "</text>")
    parts.append("</svg>")
    return "".join(parts), bins


def outcome_chart(rows):
    """Failed seeds per sweep (bars on their own scale: a few failures in 100000 show)."""
    width, height, left, bottom = 860, 200, 50, 46
    plot_w, plot_h = width - left - 10, height - bottom - 10
    bar_w = min(plot_w / len(rows), 120)
    peak = max(n["failed"] for _, n in rows) or 1
    parts = [f'<svg class="chart" id="outcome-chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="failed seeds per sweep">',
             f'<line x1="{left}" y1="{10 + plot_h}" x2="{width - 10}" y2="{10 + plot_h}" '
             'class="rule"/>',
             f'<text x="{left - 6}" y="18" text-anchor="end" class="axis">{peak}</text>',
             f'<text x="{left - 6}" y="{10 + plot_h}" text-anchor="end" class="axis">0</text>']
    for i, (sweep, n) in enumerate(rows):
        x = left + i * bar_w
        h = plot_h * n["failed"] / peak
        color = "#c0392b" if n["failed"] else "#27ae60"
        parts.append(
            f'<g class="night" data-night="{esc(sweep.label)}" data-seeds="{n["seeds"]}" '
            f'data-failed="{n["failed"]}"><title>{esc(sweep.label)}: {n["failed"]} of '
            f'{n["seeds"]} seeds failed</title>'
            f'<rect x="{x + 4:.1f}" y="{10 + plot_h - max(h, 2):.1f}" width="{bar_w - 8:.1f}" '
            f'height="{max(h, 2):.1f}" fill="{color}"/>'
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 30}" text-anchor="middle" class="axis">'
            f"{esc(sweep.label)}</text>"
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 16}" text-anchor="middle" class="axis">'
            f'{n["failed"]} of {n["seeds"]}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def coverage_over_time(rows, kinds):
    """A heat map: the share of seeds where each kind happened, per sweep."""
    head = "".join(f"<th>{esc(s.label)}</th>" for s, _ in rows)
    body = []
    for kind in kinds:
        cells = []
        for sweep, n in rows:
            seen = n["coverage"].get(kind, [0, 0])[0]
            share = seen / n["seeds"] if n["seeds"] else 0
            color = "#f5b7b1" if seen == 0 else f"rgba(46,134,193,{0.15 + 0.85 * share:.2f})"
            cells.append(f'<td class="heat" style="background:{color}" data-kind="{esc(kind)}" '
                         f'data-night="{esc(sweep.label)}" data-seeds="{seen}">{share:.0%}</td>')
        body.append(f"<tr><th>{esc(kind)}</th>{''.join(cells)}</tr>")
    return (f'<table class="grid" id="coverage-over-time"><tr><th>kind</th>{head}</tr>'
            f"{''.join(body)}</table>")


def rerun_command(sweep):
    record = sweep.record
    if not record:
        return None
    args = [record.get("selection") or "", "--seed-base", record.get("seed_base_spec", "?"),
            *(f"--sim-arg={shlex.quote(a)}" for a in record.get("sim_args") or [])]
    checkout = f"git checkout {sweep.commits[0]} && " if len(sweep.commits) == 1 else ""
    return f"{checkout}scripts/sweep {' '.join(a for a in args if a)}"


def ranges_section(rows):
    out = []
    for sweep, n in rows:
        kind = "exact selection" if n["exact"] else "open or time-bounded: up to the last seed run"
        gaps = "".join(f'<li data-missing-from="{a}" data-missing-to="{b}">'
                       f"{hexseed(a)}..{hexseed(b)} ({b - a + 1} seeds)</li>"
                       for a, b in n["gaps"][:20])
        more = (f"<li>and {n['gap_count'] - 20} more gaps</li>" if n["gap_count"] > 20
                else "")
        dups = " ".join(hexseed(s) for s in n["duplicates"][:8]) + (
            f" (+{n['duplicate_count'] - 8} more)" if n["duplicate_count"] > 8 else "")
        conflict = (f'<p class="bad">Duplicates with different results (nondeterminism or '
                    f'different builds): {" ".join(hexseed(s) for s in n["conflicting"][:20])}'
                    + (f" (+{n['conflicting_count'] - 20} more)"
                       if n["conflicting_count"] > 20 else "") + "</p>"
                    if n["conflicting_count"] else "")
        outside = (f"<p>{n['outside']} seeds outside the range.</p>" if n["outside"] else "")
        if len(sweep.commits) > 1:
            outside += (f'<p class="bad">Shards of this sweep ran on {len(sweep.commits)} '
                        f"commits: {esc(', '.join(sweep.commits))}.</p>")
        rerun = rerun_command(sweep)
        out.append(
            f'<div class="range" data-night="{esc(sweep.label)}" data-first="{n["first"]}" '
            f'data-last="{n["last"]}" data-missing="{n["missing"]}" '
            f'data-duplicates="{n["duplicate_count"]}"><h3>{esc(sweep.label)}</h3>'
            f"<p>Seeds {hexseed(n['first'])}..{hexseed(n['last'])} ({kind}): {n['seeds']} seen "
            f"in {n['lines']} lines from {max(n['shards'], 1)} shard(s); "
            f"{n['missing']} missing, {n['duplicate_count']} duplicated.</p>"
            + (f"<ul>{gaps}{more}</ul>" if gaps else "")
            + (f"<p>Duplicated seeds: {dups}</p>" if dups else "") + conflict + outside
            + (f"<p>Rerun exactly: <code>{esc(rerun)}</code></p>" if rerun else "")
            + "</div>")
    return "".join(out)


def failures_section(groups):
    if not groups:
        return '<p class="good" id="no-failures">No seed failed.</p>'
    rows = []
    for signature, count, smallest, best, nights in groups:
        seed, message, reproduce, sweep = best
        record = sweep.record or {}
        repro = shlex.join(["scripts/repro", hexseed(seed),
                            *(["--sim", record["sim"]] if record.get("sim") else []),
                            *(record.get("sim_args") or []), "--minimize"])
        legacy = signatures.line_based(signature)
        seeds = " ".join(hexseed(s) for s in smallest[:10])
        more = f" (+{count - 10} more)" if count > 10 else ""
        rows.append(
            f'<tr data-signature="{esc(signature)}" data-count="{count}" '
            f'data-smallest="{seed}" data-line-based="{int(legacy)}"><td>'
            f'<code>{esc(signature)}</code>'
            + (' <span class="small">(line-based: from an older build)</span>' if legacy else "")
            + f'<div class="small">{esc(message)}</div></td>'
            f"<td>{count}</td><td>{esc(seeds + more)}</td>"
            f"<td>{esc(', '.join(sorted(nights)))}</td></tr>"
            f'<tr class="commands"><td colspan="4">reproduce {hexseed(seed)}: '
            f"<code>{esc(reproduce or '?')}</code><br>shrink it: "
            f"<code>{esc(repro)}</code></td></tr>")
    return ('<table class="grid" id="failures"><tr><th>signature</th><th>seeds</th>'
            "<th>which (smallest first)</th><th>sweeps</th></tr>"
            f"{''.join(rows)}</table>")


def nights_table(rows):
    body = []
    for sweep, n in rows:
        record = sweep.record or {}
        base = hexseed(record["seed_base"]) if "seed_base" in record else "?"
        body.append(
            f'<tr data-night="{esc(sweep.label)}" data-seeds="{n["seeds"]}" '
            f'data-failed="{n["failed"]}" data-missing="{n["missing"]}" '
            f'data-duplicates="{n["duplicate_count"]}"><td>{esc(record.get("date", "?"))}</td>'
            f"<td{' class=bad' if len(sweep.commits) > 1 else ''}><code>"
            f"{esc(' '.join(c[:12] for c in sweep.commits) or '?')}</code></td>"
            f"<td><code>{esc(base)}</code></td>"
            f"<td>{n['seeds']}</td><td>{n['failed']}</td><td>{n['missing']}</td>"
            f"<td>{n['duplicate_count']}</td><td>{rate(n['seeds'], n['wall_s']):.1f}</td></tr>")
    return ('<table class="grid" id="nights"><tr><th>date</th><th>commit</th><th>seed base</th>'
            "<th>seeds</th><th>failed</th><th>missing</th><th>duplicated</th><th>seeds/s</th></tr>"
            f"{''.join(body)}</table>")


CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;
  max-width:960px;padding:0 20px;color:#1b1f23;line-height:1.4}
h1{font-size:24px;margin-bottom:4px}
h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin-bottom:2px}
.sub{color:#57606a}
table.grid{border-collapse:collapse;font-size:13px}
table.grid td,table.grid th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;
  vertical-align:top}
table.metrics th{text-align:left;font-weight:normal;color:#57606a;padding-right:16px}
table.metrics td{text-align:right;font-variant-numeric:tabular-nums}
tr.commands td{border-top:none;background:#f6f8fa}
td.heat{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:24px;flex-wrap:wrap}
.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px}
.big{font-size:28px;font-weight:600}
.good{color:#1e8449}
.bad{color:#c0392b}
.small{font-size:11px;color:#57606a}
code{font-size:12px;word-break:break-all}
svg text{font-size:12px;fill:#1b1f23}
svg .axis{fill:#57606a;font-size:11px}
svg .track{fill:#eef1f4}
svg .rule{stroke:#999}
"""


def render(args, reader):
    sweeps, malformed, line_count = reader.ordered(), reader.malformed, reader.lines
    malformed_count = reader.malformed_count
    rows = [(sweep, analyse(sweep)) for sweep in sweeps]
    seeds = sum(n["seeds"] for _, n in rows)
    outcomes = collections.Counter()
    durations = aggregate.Durations()
    for sweep, n in rows:
        outcomes.update(n["outcomes"])
        durations.merge(n["durations"])
    failed = seeds - outcomes.get("ok", 0)
    cpu = sum(n["cpu_s"] for _, n in rows)
    wall = sum(n["wall_s"] for _, n in rows)
    kinds = coverage(rows)
    groups = failure_groups(rows)
    missing = sum(n["missing"] for _, n in rows)
    duplicates = sum(n["duplicate_count"] for _, n in rows)
    conflicting = sum(n["conflicting_count"] for _, n in rows)
    chart, bins = histogram(durations)
    quantile = durations.quantile
    top = durations.maximum()
    approximate = " (to 4 significant digits)" if durations.rounded else ""

    metrics = [
        ("files", "input files", len(args.results), len(args.results)),
        ("lines", "result lines", line_count, line_count),
        ("malformed", "malformed lines (skipped)", malformed_count, malformed_count),
        ("sweeps", "sweeps (nights)", len(rows), len(rows)),
        ("seeds", "distinct seeds", seeds, seeds),
        *[(o, f"outcome {o}", outcomes.get(o, 0), outcomes.get(o, 0)) for o in OUTCOMES],
        ("failed", "failed seeds", failed, failed),
        ("signatures", "failure signatures", len(groups), len(groups)),
        ("missing", "missing seeds (gaps)", missing, missing),
        ("duplicates", "duplicated seeds", duplicates, duplicates),
        ("cpu_seconds", "CPU seconds (sum of run times)", round(cpu, 3), f"{cpu:.1f}"),
        ("seeds_per_core_second", "seeds per core-second", round(rate(seeds, cpu), 3),
         f"{rate(seeds, cpu):.1f}"),
        ("wall_seconds", "wall seconds (slowest shard, per sweep, summed)", round(wall, 3),
         f"{wall:.1f}"),
        ("seeds_per_second", "seeds/s (wall clock)", round(rate(seeds, wall), 3),
         f"{rate(seeds, wall):.1f}"),
        ("p50_ms", f"run time p50 (ms){approximate}", round(quantile(0.5), 3),
         f"{quantile(0.5):.2f}"),
        ("p99_ms", f"run time p99 (ms){approximate}", round(quantile(0.99), 3),
         f"{quantile(0.99):.2f}"),
        ("max_ms", f"run time max (ms){approximate}", round(top, 3), f"{top:.2f}"),
    ]
    slowest = heapq.nsmallest(aggregate.SLOWEST_KEPT, (
        (negative, index, arrival, seed) for index, (sweep, _) in enumerate(rows)
        for negative, arrival, seed in sweep.slowest))
    never = [k for k, (seen, _) in kinds.items() if seen == 0]
    verdict = ('<span class="bad">FAILED</span>' if failed or conflicting or malformed else
               '<span class="good">passed</span>')
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(args.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(args.title)}</h1>",
        f'<p class="sub">{len(rows)} sweep(s), {line_count} result lines from '
        f"{len(args.results)} file(s): {verdict}</p>",
        '<div class="cards">',
        f'<div class="card"><div class="big" id="card-seeds">{seeds}</div>seeds</div>',
        f'<div class="card"><div class="big {"bad" if failed else "good"}" id="card-failed">'
        f"{failed}</div>failed</div>",
        f'<div class="card"><div class="big" id="card-signatures">{len(groups)}</div>'
        "signatures</div>",
        f'<div class="card"><div class="big" id="card-rate">{rate(seeds, wall):.0f}</div>'
        "seeds/s</div>",
        f'<div class="card"><div class="big {"bad" if missing or duplicates else ""}">'
        f"{missing} / {duplicates}</div>missing / duplicated</div></div>",
        '<h2 id="totals-section">Totals</h2><div class="cards">',
        f'<table class="metrics" id="totals">{metric_rows(metrics[:11])}</table>',
        f'<table class="metrics" id="totals-speed">{metric_rows(metrics[11:])}</table></div>',
    ]
    if malformed_count:
        shown = "".join(f'<li data-path="{esc(path)}" data-line="{number}">'
                        f"{esc(path)}:{number}: {esc(reason)}</li>"
                        for path, number, reason in malformed[:MALFORMED_SHOWN])
        more = (f"<li>and {malformed_count - MALFORMED_SHOWN} more</li>"
                if malformed_count > MALFORMED_SHOWN else "")
        parts.append(f'<div class="bad" id="malformed" data-count="{malformed_count}">'
                     f"<p>{malformed_count} malformed line(s) skipped:</p>"
                     f"<ul>{shown}{more}</ul></div>")
    parts += ['<h2 id="failures-section">Failures by signature</h2>', failures_section(groups),
              '<h2 id="coverage-section">Scenario coverage</h2>',
              f"<p>Share of the {seeds} seeds in which each kind of event happened."
              + (f' <span class="bad">Never happened: {esc(", ".join(never))}.</span>'
                 if never else "") + "</p>",
              bar_chart(kinds, seeds),
              '<h2 id="runtime-section">Run time per seed</h2>', chart,
              "<p>Slowest seeds: " + ", ".join(
                  f"{hexseed(seed)} ({-negative:.1f} ms)"
                  for negative, _, _, seed in slowest) + "</p>"]
    if len(rows) > 1:
        parts += ['<h2 id="time-section">Over time</h2>', nights_table(rows),
                  "<h3>Failed seeds</h3>", outcome_chart(rows),
                  "<h3>Scenario coverage (share of seeds)</h3>",
                  coverage_over_time(rows, kinds)]
    parts += ['<h2 id="ranges-section">Seed ranges</h2>', ranges_section(rows),
              '<p class="small">Written by scripts/report from scripts/sweep JSON Lines.</p>',
              "</body></html>"]
    return "\n".join(parts) + "\n", failed + conflicting


def main(argv):
    args = parse_args(argv)
    try:  # before reading: a night of input must not end in a page that cannot be kept
        outputs.check_file(args.out, "-o")
    except outputs.OutputError as error:
        return fail(str(error))
    reader = read(args)
    malformed, count = reader.malformed_count, reader.lines
    if malformed:
        print(f"report: {malformed} malformed line(s) skipped:", file=sys.stderr)
        for path, number, reason in reader.malformed[:MALFORMED_SHOWN]:
            print(f"  {outputs.shown(path)}:{number}: {reason}", file=sys.stderr)
        if malformed > MALFORMED_SHOWN:
            print(f"  and {malformed - MALFORMED_SHOWN} more", file=sys.stderr)
    if count == 0:
        return fail("no result lines in the input")
    page, bad = render(args, reader)
    try:
        outputs.write_text(args.out, page, "-o")
    except outputs.OutputError as error:
        return fail(str(error))
    print(f"report: {outputs.shown(args.out)}: {count} lines, {len(reader.sweeps)} sweep(s), "
          f"{bad} failed" + (f", {malformed} malformed" if malformed else ""),
          file=sys.stderr)
    return FAILED if args.fail_on_failure and (bad or malformed) else OK
