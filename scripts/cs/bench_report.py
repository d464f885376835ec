"""scripts/bench-report: how fast scripts/report reads, and in how much memory.

Writes N result lines of one night (default 1000000) to a temporary file: real lines of
the simulator (SIM --seeds 0..199 --json, then each with its own seed, trace hash, run time
and elapsed time, and a sweep record, as scripts/sweep writes them). Then, in the same run:

  report_lines_per_second      scripts/report FILE -o PAGE --jobs J, wall clock (and CPU:
                               user + system of it and its reading processes)
  report_peak_rss              the most resident memory of the report and its reading
                               processes together (sampled every 0.1 s from /proc)
  json_loads_lines_per_second  the baseline: a bare Python loop of json.loads over the
                               same lines of the same file, nothing else
  report_vs_json_loads         the ratio of the two (above 1: the report reads faster than
                               a bare json.loads of every line)

One JSON object a line on standard output (name, value, unit and the parameters).
"""

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time

from . import ROOT, outputs, process

BASELINE = ("import json, sys\n"
            "with open(sys.argv[1], 'rb') as f:\n"
            "    for line in f:\n"
            "        json.loads(line)\n")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/bench-report", description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, metavar="N",
                        help="lines in the input (default 1000000)")
    parser.add_argument("--quick", action="store_true", help="100000 lines: a smoke run")
    parser.add_argument("--sim", metavar="PATH",
                        default=os.path.join(ROOT, "build-release", "sim", "client-sessions-sim"),
                        help="the simulator whose lines are used (default build-release's)")
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 8), metavar="J",
                        help="scripts/report --jobs (default: the cores, at most 8)")
    parser.add_argument("--dir", metavar="DIR", default=tempfile.gettempdir(),
                        help="where the input is written (about 1.6 KB a line; removed after)")
    args = parser.parse_args(argv)
    if args.quick:
        args.lines = 100_000
    if args.lines < 1:
        parser.error("--lines must be at least 1")
    return args


def forms(sim):
    """Real result lines as %-templates for seed, trace hash, run time and elapsed time."""
    done = process.run([sim, "--seeds", "0..199", "--json"], errors="replace", timeout=600)
    if done.timed_out or done.returncode not in (0, 1):
        raise SystemExit(f"bench-report: {sim} --seeds 0..199 exited {done.returncode}: "
                         f"{done.stderr.strip()[-300:]}")
    record = {"seed_base": 0, "seed_base_spec": "0x0", "commit": "0" * 40,
              "date": "2000-01-01", "selection": "--seeds 1000000", "sim_args": []}
    made = []
    for text in done.stdout.splitlines():
        line = json.loads(text)
        if line.get("outcome") != "ok":
            continue
        line.update(seed=123456789, seed_hex="SEEDHEX", trace_hash="TRACE",
                    duration_ms=987654.25, sweep=record,
                    run={"shard": "0/1", "host": "bench", "elapsed_s": 876543.5})
        form = json.dumps(line, separators=(",", ":")).replace("%", "%%")
        for mark, field in (("123456789", "%(s)d"), ("SEEDHEX", "0x%(s)016x"),
                            ("TRACE", "%(t)032x"), ("987654.25", "%(d)s"),
                            ("876543.5", "%(e).3f")):
            form = form.replace(mark, field, 1)
        made.append(form + "\n")
    return made


def write_input(path, count, templates):
    rnd = random.Random(1)
    with open(path, "w", encoding="ascii") as f:
        chunk = []
        for i in range(count):
            chunk.append(templates[i % len(templates)] % {
                "s": i, "t": rnd.getrandbits(128), "d": rnd.randrange(1, 300000) / 1000,
                "e": i / 1000})
            if len(chunk) == 10000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))


def tree_rss(pid):
    """KiB of resident memory of pid and every process below it, now (from /proc)."""
    parents, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss[int(entry)] = int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    inside, total = {pid}, 0
    for _ in range(8):  # a few levels of descendants
        inside |= {child for child, parent in parents.items() if parent in inside}
    for member in inside:
        total += rss.get(member, 0)
    return total


def measure(argv):
    """(wall seconds, CPU seconds of the process and its children, peak RSS in KiB of the
    process with every process below it, sampled every 0.1 s, and of the process alone)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    child = process.spawn(argv, stdout=process.DEVNULL, stderr=process.DEVNULL)
    peak = 0
    try:
        while child.poll() is None:
            peak = max(peak, tree_rss(child.pid))
            time.sleep(0.1)
    except BaseException:
        process.kill_group(child)
        raise
    wall = time.monotonic() - started
    if child.returncode != 0:
        raise SystemExit(f"bench-report: {' '.join(argv)} exited {child.returncode}")
    # poll() reaped it: its own and its children's CPU are in this process's children.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, peak, usage.ru_maxrss


def main(argv):
    args = parse_args(argv)
    if not os.access(args.sim, os.X_OK):
        print(f"bench-report: no simulator at {outputs.shown(args.sim)} (scripts/bench builds "
              "it)", file=sys.stderr)
        return 4
    templates = forms(args.sim)
    with tempfile.TemporaryDirectory(prefix="bench-report-", dir=args.dir) as tmp:
        data = os.path.join(tmp, "night.jsonl")
        print(f"bench-report: writing {args.lines} lines", file=sys.stderr, flush=True)
        write_input(data, args.lines, templates)
        size = os.path.getsize(data)
        load = os.getloadavg()[0]
        print("bench-report: scripts/report, then the json.loads baseline", file=sys.stderr,
              flush=True)
        wall, cpu, rss, _ = measure([os.path.join(ROOT, "scripts", "report"), data, "-o",
                                     os.path.join(tmp, "report.html"), "--quiet",
                                     "--jobs", str(args.jobs)])
        base_wall, base_cpu, _, _ = measure([sys.executable, "-c", BASELINE, data])
    common = {"lines": args.lines, "bytes": size, "loadavg_1m": round(load, 2)}
    rows = [
        {"name": "report_lines_per_second", "value": round(args.lines / wall), "unit": "lines/s",
         "cpu_lines_per_second": round(args.lines / cpu), "wall_s": round(wall, 2),
         "cpu_s": round(cpu, 2), "jobs": args.jobs, **common},
        {"name": "report_peak_rss", "value": round(rss / 1024, 1), "unit": "MiB",
         "of": "the report and its reading processes together", "jobs": args.jobs,
         **common},
        {"name": "json_loads_lines_per_second", "value": round(args.lines / base_wall),
         "unit": "lines/s", "cpu_lines_per_second": round(args.lines / base_cpu),
         "wall_s": round(base_wall, 2), **common},
        {"name": "report_vs_json_loads", "value": round(base_wall / wall, 3), "unit": "ratio",
         "cpu_ratio": round(base_cpu / cpu, 3), **common},
    ]
    for row in rows:
        print(json.dumps(row), flush=True)
    return 0
