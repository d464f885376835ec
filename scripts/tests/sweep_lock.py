"""ops-sweep-lock: two sweeps writing the same --out. The second, a real second process
started while the first writes, must refuse at once (exit 4) and name the process that
holds the file, without touching it; the first must end with every seed's line, each a
valid result line. Then scripts/report on a file garbled the way two unlocked writers
garble it (lines cut and run together) must count and show the malformed lines, and
--fail-on-failure must fail on them.
usage: sweep_lock.py SOURCE_ROOT"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesim  # noqa: E402

root = sys.argv[1]
sweep = os.path.join(root, "scripts", "sweep")

with tempfile.TemporaryDirectory() as tmp:
    fake = fakesim.make(tmp, delay=0.05)  # 120 seeds on 2 jobs: a few seconds of writing
    out = os.path.join(tmp, "shared.jsonl")
    argv = [sweep, "--sim", fake, "--from", "0", "--to", "119", "--jobs", "2", "--chunk", "10",
            "--allow-missing-scenarios", "--quiet", "--out", out]
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not os.path.exists(out) and first.poll() is None:  # the first has opened it
        assert time.monotonic() < deadline, "the first sweep never opened its --out"
        time.sleep(0.01)
    second = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert second.returncode == 4, f"second sweep exited {second.returncode}\n{second.stderr}"
    assert "being written by another process" in second.stderr, second.stderr
    holder = re.search(r"\(pid (\d+)\)", second.stderr)
    assert holder and int(holder[1]) == first.pid, (second.stderr, first.pid)
    stdout, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, f"first sweep exited {first.returncode}\n{stderr}"
    with open(out, "rb") as f:
        raw = f.read().splitlines()
    lines = [json.loads(line) for line in raw]
    assert sorted(line["seed"] for line in lines) == list(range(120)), "seeds lost"
    assert all(line["outcome"] == "ok" and line["sweep"]["selection"] == "--from 0 --to 119"
               for line in lines), "lines that are not the sweep's results"

    # What two unlocked writers left behind: 10 lines cut, some run together.
    garbled = os.path.join(tmp, "garbled.jsonl")
    with open(garbled, "wb") as f:
        for i, line in enumerate(raw):
            f.write(line[: len(line) // 2] if i % 12 == 5 else line + b"\n")
    report = [os.path.join(root, "scripts", "report"), garbled, "-o",
              os.path.join(tmp, "r.html")]
    done = subprocess.run(report, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    count = re.search(r"(\d+) malformed line\(s\) skipped", done.stderr)
    assert count and int(count[1]) == 10, done.stderr
    assert re.search(r"garbled\.jsonl:\d+: not JSON", done.stderr), done.stderr
    with open(os.path.join(tmp, "r.html")) as f:
        assert 'id="malformed" data-count="10"' in f.read(), "the page does not show them"
    strict = subprocess.run(report + ["--fail-on-failure"], capture_output=True, text=True,
                            timeout=60)
    assert strict.returncode == 1, f"--fail-on-failure exited {strict.returncode}"
print("ops-sweep-lock: ok (the second sweep refused; 120 lines intact; the report fails "
      "on 10 garbled lines)")
