"""ops-report-stream: scripts/report reads while it aggregates, and its fast path agrees
with the full one.

  agreement   the same input read with the templates (the fast path), with json.loads and
              the validator alone, and by three processes in ranges of 64 KiB gives the
              same page, byte for byte: real simulator
              lines as two nights (one in two shards of stride 2, chunks out of order, a
              chunk given twice, duplicates that differ, failures, lines without a sweep
              record), then every third line damaged (a byte changed, inserted or
              removed), lines cut short, and values at the edges of the validator (a seed
              of 2^64, a leading zero, -0 and 256 as exit codes, 1000000000.5 ms, escapes,
              a key given twice, spaces)
  long lines  a 70 MB line in the middle of 3000 good lines is skipped and counted, and
              the lines after it are read (not dropped)
  streaming   300000 lines through a pipe, with no room in memory for the lines: the
              report ends, its RSS well below what the lines hold, with a progress line
  names       a title and an input name that are not UTF-8: a page is written, no
              traceback
usage: report_stream.py SOURCE_ROOT SIMULATOR"""
import json
import os
import random
import subprocess
import sys
import tempfile
import types

root, sim = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(root, "scripts"))
from cs import aggregate, report  # noqa: E402
from cs.sweep import SWEEP_KEY  # noqa: E402

checked = []
report_script = os.path.join(root, "scripts", "report")


def compact(line):
    return json.dumps(line, separators=(",", ":")).encode()


def night(base_lines, date, first, count, shard=None):
    record = {"seed_base": first, "seed_base_spec": f"0x{first:x}", "commit": "c" * 40,
              "date": date, "selection": f"--seeds {count}", "sim_args": []}
    out = []
    for i in range(count):
        index, stride = (i, 1) if shard is None else (shard[0] + i * shard[1], shard[1])
        if index >= count:
            break
        line = dict(base_lines[index % len(base_lines)], seed=first + index,
                    seed_hex=f"0x{first + index:016x}")
        line["trace_hash"] = f"{(first + index) * 2654435761 % (1 << 128):032x}"
        line["sweep"] = record
        line["run"] = {"shard": f"{shard[0]}/{shard[1]}" if shard else "0/1", "host": "vm",
                       "elapsed_s": round(0.01 * i, 3)}
        out.append(line)
    return out


def pages(path, **common):
    """The page of path read with the templates, with the full path alone, and by three
    processes in ranges of 64 KiB (each with the Reader options `common` too)."""
    made = []
    for options in ({}, {"fast": False},
                    {"jobs": 3, "chunk": 1 << 16, "range_size": 1 << 16, "parallel_min": 0}):
        reader = aggregate.Reader(SWEEP_KEY, **options, **common)
        reader.read(path)
        made.append(report.render(types.SimpleNamespace(results=[path], title="t"), reader)[0])
    return made


def agree(path, what, **common):
    """The three pages of path are the same; returns the fast path's."""
    fast, full, parallel = pages(path, **common)
    for name, page in (("the full path", full), ("three processes", parallel)):
        if fast != page:
            import difflib
            diff = [line[:200] for line in difflib.unified_diff(
                fast.splitlines(), page.splitlines(), "fast", name, lineterm="")][:40]
            sys.exit(f"{what}: the fast path and {name} disagree:\n" + "\n".join(diff))
    return fast


with tempfile.TemporaryDirectory() as tmp:
    done = subprocess.run([sim, "--seeds", "0..199", "--ops", "100", "--json"],
                          capture_output=True, text=True, timeout=300)
    base = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(base) == 200, done.stderr
    rnd = random.Random(7)

    # ---- agreement ----
    a = night(base, "2025-01-01", 1000, 900)
    b0, b1 = (night(base, "2025-01-02", 5000, 900, (k, 2)) for k in (0, 1))
    chunks = [a[i:i + 32] for i in range(0, len(a), 32)]
    chunks += [b0[i:i + 32] for i in range(0, len(b0), 32)]
    chunks += [b1[i:i + 32] for i in range(0, len(b1), 32)]
    rnd.shuffle(chunks)
    chunks.append(chunks[3])  # a chunk given twice
    lines = [compact(line) for chunk in chunks for line in chunk]
    differ = dict(a[10], trace_hash="f" * 32)
    failed = dict(a[20], outcome="fail", failure={"signature": "decision.slot", "op": 4,
                                                  "replica": 1, "message": "slot\ndiffers"},
                  reproduce="sim --seed 0x3fc")
    bare = {k: v for k, v in a[30].items() if k not in ("sweep", "run")}
    lines += [compact(differ), compact(failed), compact(bare), compact(a[5]).replace(
        b'","commit"', b'", "commit"')]
    damaged = []
    alphabet = b'0123456789-+.eE"\\{}[],: x\x00\xffafu'
    for i, raw in enumerate(lines):
        damaged.append(raw)
        if i % 3 == 0:
            broken = bytearray(raw)
            position = rnd.randrange(len(broken))
            how = rnd.random()
            if how < 0.5:
                broken[position] = rnd.choice(alphabet)
            elif how < 0.75:
                broken.insert(position, rnd.choice(alphabet))
            else:
                del broken[position]
            damaged.append(bytes(broken))
        if i % 50 == 0:
            damaged.append(raw[:rnd.randrange(len(raw))])
    one = lines[0]
    damaged += [b'{"seed":18446744073709551616' + one[one.index(b',"seed_hex"'):],
                one.replace(b'"duration_ms":', b'"duration_ms":1000000000.5,"x":', 1),
                one.replace(b'"seed":', b'"seed":0', 1),
                one.replace(b'"exit_code":0', b'"exit_code":-0'),
                one.replace(b'"exit_code":0', b'"exit_code":256'),
                one + b" ", b" " + one, one.replace(b'"ok"', b'"o\\u006b"'),
                one.replace(b'"seed_hex"', b'"seed":7,"seed_hex"'),
                one.replace(b'"duration_ms":', b'"duration_ms":1e2,"y":', 1)]
    rnd.shuffle(damaged)
    mixed = os.path.join(tmp, "mixed.jsonl")
    with open(mixed, "wb") as f:
        f.write(b"\n".join(damaged) + b"\n")
    fast = agree(mixed, "every third line damaged")
    assert 'data-duplicates="' in fast and "Duplicates with different results" in fast
    checked.append(f"fast and full paths, one process and three, agree on {len(damaged)} "
                   "lines")

    # Long runs of good lines, which the templates take many at once, broken now and then
    # (a damaged line, a blank one, one ending in CR), read whole and then with a line
    # limit most lines are within: a line longer is malformed on every path alike.
    runs = []
    for i, raw in enumerate(lines):
        runs.append(raw)
        if i % 97 == 0:
            runs.append(damaged[i])
        if i % 401 == 0:
            runs += [b"", raw + b"\r"]
    ran = os.path.join(tmp, "runs.jsonl")
    with open(ran, "wb") as f:
        f.write(b"\n".join(runs) + b"\n")
    agree(ran, "long runs")
    limit = sorted(map(len, runs))[len(runs) * 9 // 10]
    limited = agree(ran, f"long runs, lines of at most {limit} bytes", max_line=limit)
    assert f"longer than {limit} bytes" in limited, "no line was over the limit"
    checked.append(f"and on {len(runs)} lines in long runs, whole and with lines over "
                   f"{limit} bytes malformed")

    # ---- a 70 MB line in the middle ----
    big = os.path.join(tmp, "big.jsonl")
    good = (lines * 2)[:3000]
    with open(big, "wb") as f:
        f.write(b"\n".join(good[:1500]) + b"\n")
        f.write(b'{"seed":1,"x":"' + b"y" * (70 << 20) + b'"}\n')
        f.write(b"\n".join(good[1500:]) + b"\n")
    done = subprocess.run([report_script, big, "-o", os.path.join(tmp, "big.html")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "big.jsonl:1501: longer than 1048576 bytes" in done.stderr, done.stderr
    assert ": 3000 lines" in done.stderr and "1 malformed" in done.stderr, done.stderr
    checked.append("a 70 MB line skipped, the 1500 lines after it read")

    # ---- the progress line: a clock that moves 11 s a call (every 10 s without a tty) ----
    clock = iter(range(0, 1 << 30, 11))
    real_monotonic, real_stderr = aggregate.time.monotonic, sys.stderr
    shown = __import__("io").StringIO()
    aggregate.time.monotonic, sys.stderr = (lambda: float(next(clock))), shown
    try:
        progress = aggregate.Progress(os.path.getsize(ran))
        reader = aggregate.Reader(SWEEP_KEY, chunk=1 << 16, progress=progress)
        reader.read(ran)
        progress.done(reader.lines, reader.bytes)
    finally:
        aggregate.time.monotonic, sys.stderr = real_monotonic, real_stderr
    text = shown.getvalue()
    assert "lines read" in text and "ETA" in text and f"report: {reader.lines} lines read" \
        in text, text[-500:]
    checked.append("progress lines while reading")

    # ---- streaming: more lines than memory would hold as objects ----
    count = 300_000
    template = os.path.join(tmp, "template.jsonl")
    with open(template, "wb") as f:
        f.write(b"\n".join(line for line in lines if b'"failure"' not in line)[:200 * 1600])
    generator = subprocess.Popen([sys.executable, "-c", f"""
import sys
lines = [line.split(b',"seed_hex"', 1)[1] for line in open(sys.argv[1], "rb").read().splitlines()
         if b',"seed_hex"' in line][:150]
out = sys.stdout.buffer
for i in range({count}):
    out.write(b'{{"seed":' + str(i).encode() + b',"seed_hex"' + lines[i % len(lines)] + b"\\n")
""", template], stdout=subprocess.PIPE)
    # The report runs under a small parent that says its child's largest RSS.
    watcher = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode;"
               " print('rss-kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
               " file=sys.stderr); sys.exit(code)")
    watched = subprocess.run([sys.executable, "-c", watcher, report_script, "-", "-o",
                              os.path.join(tmp, "stream.html")],
                             stdin=generator.stdout, capture_output=True, text=True,
                             timeout=600)
    generator.stdout.close()
    generator.wait()
    assert watched.returncode == 0, watched.stderr
    assert f": {count} lines" in watched.stderr, watched.stderr
    rss = int(watched.stderr.rsplit("rss-kib ", 1)[1].split()[0])
    held = count * 1500 // 1024
    assert rss < 256 * 1024 and rss < held / 4, f"RSS {rss} KiB for {held} KiB of lines"
    checked.append(f"{count} lines from a pipe in {rss // 1024} MiB of RSS")

    # ---- names that are not UTF-8 ----
    odd = os.path.join(os.fsencode(tmp), b"night-\xff.jsonl")
    with open(odd, "wb") as f:
        f.write(b"\n".join(lines[:100]) + b"\n" + b'{"seed": 1, "outc\n')
    done = subprocess.run([os.fsencode(report_script), odd, b"-o",
                           os.fsencode(os.path.join(tmp, "odd.html")), b"--title", b"t\xff"],
                          capture_output=True, timeout=60)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    with open(os.path.join(tmp, "odd.html"), encoding="utf-8") as f:
        page = f.read()
    assert "night-\\xff.jsonl" in page and "<title>t\\xff</title>" in page
    checked.append("a title and an input name that are not UTF-8")
print("ops-report-stream: ok (" + "; ".join(checked) + ")")
