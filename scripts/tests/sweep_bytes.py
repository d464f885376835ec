"""ops-sweep-bytes: a simulator at a path that is not UTF-8 (a directory named b'x\\xff').

The simulator echoes its own path in every failure's reproduce command, as the bytes it
was given (the stand-in prints them raw, as a C program does). The sweep must still read
those lines as the seeds' results: a check failure stays that failure with its signature,
never an 'abort exit:1' with an empty message; the results file stays valid JSON Lines;
the summary prints the reproduce command with the path's own bytes (so that it runs), and
scripts/report writes its page from those lines. The real simulator, copied to such a
path, gives ok lines whose "sweep" record names it.
usage: sweep_bytes.py SOURCE_ROOT SIMULATOR"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesim  # noqa: E402

root, real_sim = sys.argv[1], sys.argv[2]
sweep = os.path.join(root, "scripts", "sweep")

with tempfile.TemporaryDirectory() as tmp:
    odd = os.path.join(os.fsencode(tmp), b"x\xff")
    fake = os.fsencode(fakesim.make(os.fsdecode(odd), behaviour={3: "fail:decode.rejection",
                                                                  7: "fail:decode.rejection"},
                                    raw=True))
    out = os.path.join(tmp, "results.jsonl")
    done = subprocess.run([os.fsencode(sweep), b"--sim", fake, b"--seeds", b"12", b"--quiet",
                           b"--allow-missing-scenarios", b"--out", os.fsencode(out)],
                          capture_output=True, timeout=120)
    stderr = done.stderr.decode(errors="replace")
    assert b"Traceback" not in done.stderr, stderr
    assert done.returncode == 1, f"exit {done.returncode}\n{stderr}"
    with open(out, "rb") as f:
        raw = f.read()
    lines = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert sorted(line["seed"] for line in lines) == list(range(12)), "seeds lost"
    failed = {line["seed"]: line for line in lines if line["outcome"] != "ok"}
    assert set(failed) == {3, 7}, {s: line["outcome"] for s, line in failed.items()}
    for line in failed.values():
        assert line["outcome"] == "fail", line
        assert line["failure"]["signature"] == "decode.rejection", line["failure"]
        assert os.fsencode(shlex.split(line["reproduce"])[0]) == fake, line["reproduce"]
    assert b"decode.rejection: 2 seeds" in done.stdout, done.stdout
    printed = re.search(rb"^    reproduce: (.*)$", done.stdout, re.M)
    assert printed, done.stdout
    command = [os.fsencode(word) for word in shlex.split(os.fsdecode(printed[1]))]
    assert command == [fake, b"--seed", b"0x0000000000000003"], command

    page = os.path.join(tmp, "report.html")
    made = subprocess.run([os.path.join(root, "scripts", "report"), out, "-o", page,
                           "--title", os.fsdecode(b"night \xff")],
                          capture_output=True, text=True, timeout=60, errors="replace")
    assert made.returncode == 0 and "Traceback" not in made.stderr, made.stderr
    with open(page, encoding="utf-8") as f:  # valid UTF-8: the bytes are shown, not kept
        text = f.read()
    assert 'data-signature="decode.rejection" data-count="2"' in text, "the failures"
    assert "night \\xff" in text, "the title"

    copied = os.path.join(odd, b"client-sessions-sim")
    shutil.copy(real_sim, copied)
    out = os.path.join(tmp, "real.jsonl")
    done = subprocess.run([os.fsencode(sweep), b"--sim", copied, b"--seeds", b"6",
                           b"--sim-arg=--ops", b"--sim-arg=50", b"--quiet",
                           b"--allow-missing-scenarios", b"--out", os.fsencode(out)],
                          capture_output=True, timeout=300)
    assert done.returncode in (0, 1) and b"Traceback" not in done.stderr, done.stderr
    with open(out, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    assert len(lines) == 6 and all(line["outcome"] in ("ok", "fail") for line in lines), lines
    assert all(os.fsencode(line["sweep"]["sim"]) == copied for line in lines), lines[0]["sweep"]
print("ops-sweep-bytes: ok (a simulator under b'x\\xff': 2 check failures kept with their "
      "signature, the reproduce command with the path's bytes, a report written; the real "
      "simulator's lines name it)")
