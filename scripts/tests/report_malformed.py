"""ops-report-malformed: scripts/report on input that is not all result lines.

Lines that are JSON but have the wrong types (each of these crashed the report with a
traceback, or was taken at face value), lines that are not JSON, not UTF-8 or far too long:
each is counted, shown with its reason, and skipped; the rest is reported (exit 0), and
--fail-on-failure fails on them (exit 1). Exit 4 only when nothing can be read. The input
is bounded: /dev/zero (a device) is refused at once, and --max-input-bytes caps the
total.
usage: report_malformed.py SOURCE_ROOT"""
import os
import re
import subprocess
import sys
import tempfile

root = sys.argv[1]
report = os.path.join(root, "scripts", "report")
bad = [
    '{"seed": 16, "outc', '{"seed":"5","outcome":"ok"}', '{"seed":1,"outcome":"ok","sweep":"x"}',
    '{"seed":2,"outcome":"ok","scenarios":[1]}', '{"seed":2,"outcome":"ok","scenarios":{"a":"x"}}',
    '{"seed":3,"outcome":"ok","duration_ms":NaN}', '{"seed":1e400,"outcome":"ok"}',
    '{"seed":1.5,"outcome":"ok"}', '{"seed":4,"outcome":"fail","failure":"x"}',
    '{"seed":4,"outcome":"ok","run":"x"}', '{"seed":4,"outcome":"ok","sweep":{"seed_base":"x"}}',
    '[1,2]',
    # Found by a user: each gave a Python traceback and exit 1.
    '{"seed":8,"outcome":"ok","sweep":{"seed_base":0,"date":[]}}',
    '{"seed":9,"outcome":"ok","sweep":{"seed_base":0,"sim_args":5}}',
    '{"seed":10,"outcome":"fail","failure":{"signature":["a"]}}',
    '{"seed":11,"outcome":"ok","duration_ms":1e308}',
    '{"seed":12,"outcome":"ok","run":{"elapsed_s":"soon"}}',
    '{"seed":13,"outcome":["ok"]}', '{"seed":14}',
]
good = ['{"seed":6,"outcome":"ok","sweep":{"seed_base":0,"selection":"--from a --to b"}}',
        '{"seed":7,"outcome":"ok","duration_ms":2.5}']


def run(*argv):
    done = subprocess.run([report, *argv], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


with tempfile.TemporaryDirectory() as work:
    results = os.path.join(work, "r.jsonl")
    with open(results, "wb") as f:
        f.write(b"\xff\xfe not utf-8\n")
        f.write(b'{"seed":15,"outcome":"ok","x":"' + b"y" * (2 << 20) + b'"}\n')
        f.write(("\n".join(bad + good) + "\n").encode())
    out = os.path.join(work, "r.html")
    done = run(results, "-o", out)
    assert done.returncode == 0, done.stderr
    count = len(bad) + 2
    assert f"{count} malformed line(s) skipped" in done.stderr, done.stderr
    for reason in ("sweep.date is not a string", "sweep.sim_args is not a list of strings",
                   "failure.signature is not a string", "duration_ms is not a finite number",
                   "run.elapsed_s is not", "not UTF-8", "longer than 1048576 bytes",
                   "not JSON", "seed is not an integer", "outcome is not"):
        assert reason in done.stderr, f"no '{reason}' in\n{done.stderr}"
    assert re.search(r"r\.jsonl:\d+: ", done.stderr), done.stderr
    page = open(out).read()
    assert f'id="malformed" data-count="{count}"' in page, (count, page[:2000])
    assert "report: " in done.stderr and ": 2 lines" in done.stderr, done.stderr
    strict = run(results, "-o", out, "--fail-on-failure")
    assert strict.returncode == 1, f"--fail-on-failure exited {strict.returncode}"

    only_bad = os.path.join(work, "bad.jsonl")
    with open(only_bad, "w") as f:
        f.write("\n".join(bad) + "\n")
    done = run(only_bad, "-o", out)
    assert done.returncode == 4 and "no result lines" in done.stderr, done.stderr

    done = run("/dev/zero", "-o", out)
    assert done.returncode == 4, done.stderr
    assert "is a character device, not a results file" in done.stderr, done.stderr
    done = run(results, "-o", out, "--max-input-bytes", "4K")
    assert done.returncode == 4 and "larger than 4096 bytes" in done.stderr, done.stderr
    assert "--max-input-bytes" in done.stderr, done.stderr
    done = run(results, "-o", out, "--max-input-bytes", "lots")
    assert done.returncode == 2, done.stderr
print(f"ops-report-malformed: ok ({count} malformed lines counted and shown; /dev/zero and "
      "--max-input-bytes bounded)")
