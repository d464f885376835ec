"""scripts/report on lines that are JSON but not result lines (found in review: each of
these crashed it with a traceback): they are counted as unreadable, the rest is reported."""
import os
import subprocess
import sys
import tempfile

root = sys.argv[1]
bad = [
    '{"seed":"5"}', '{"seed":1,"sweep":"x"}', '{"seed":2,"scenarios":[1]}',
    '{"seed":2,"scenarios":{"a":"x"}}', '{"seed":3,"duration_ms":NaN}', '{"seed":1e400}',
    '{"seed":1.5}', '{"seed":4,"failure":"x"}', '{"seed":4,"run":"x"}',
    '{"seed":4,"outcome":"ok","sweep":{"seed_base":"x"}}', '[1,2]',
]
good = ['{"seed":6,"outcome":"ok","sweep":{"seed_base":0,"selection":"--from a --to b"}}',
        '{"seed":7,"outcome":"ok"}']
with tempfile.TemporaryDirectory() as work:
    results = os.path.join(work, "r.jsonl")
    with open(results, "wb") as f:
        f.write(("\n".join(bad + good) + "\n").encode())
        f.write(b"\xff\xfe not utf-8\n")
    out = os.path.join(work, "r.html")
    process = subprocess.run([os.path.join(root, "scripts", "report"), results, "-o", out],
                             capture_output=True, text=True)
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stderr, process.stderr
    page = open(out).read()
    count = len(bad) + 1
    assert f'data-count="{count}"' in page, (count, page[:2000])
    assert process.stdout.count("2 lines") == 1 or "2 lines" in process.stderr, \
        process.stdout + process.stderr
print("report-malformed: ok")
