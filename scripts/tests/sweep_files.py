"""ops-sweep-files: the files a sweep is given to write and to resume.

  --resume refused   a file from another sweep, or with a malformed line, ending in half a
                     line: exit 2 and the file byte for byte as it was (a refused file is
                     never cut); the sweep's own file ending in half a line is accepted,
                     the half line cut, and it ends with every seed once
  --resume warnings  a file whose lines carry another commit warns once, not once a line;
                     duplicate seed lines are reported (how many, which), never silently
                     kept
  odd outputs        a FIFO with a reader gets every line; a FIFO that nobody reads is
                     refused at once (exit 4) without blocking; /dev/null and /dev/stdout
                     are written through (the summary then goes to standard error);
                     --out - into /dev/full is a clear error (exit 4) with no resume hint
                     that cannot work; --resume DIR says it is a directory; an output in a
                     missing directory is refused before any seed runs
Every error is one clear line, never "None" and never a traceback.
usage: sweep_files.py SOURCE_ROOT"""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesim  # noqa: E402

root = sys.argv[1]
sweep = os.path.join(root, "scripts", "sweep")
checked = []


def run(fake, *extra, stdout=subprocess.PIPE, timeout=120):
    done = subprocess.run([sweep, "--sim", fake, "--allow-missing-scenarios", "--quiet",
                           "--jobs", "2", "--chunk", "8", *extra], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=timeout)
    assert "Traceback" not in done.stderr, done.stderr
    assert "None" not in done.stderr, done.stderr
    return done


def read(path):
    with open(path, "rb") as f:
        return f.read()


def refused(tmp, fake, lines):
    other = os.path.join(tmp, "other.jsonl")
    with open(other, "wb") as f:  # another sweep's lines, then half a line
        f.write(b"".join(lines[:10]) + lines[10][:40])
    before = read(other)
    done = run(fake, "--seeds", "40", "--seed-base", "7", "--resume", other)
    assert done.returncode == 2 and "another sweep" in done.stderr, done.stderr
    assert read(other) == before, "a refused --resume changed the file"
    malformed = os.path.join(tmp, "malformed.jsonl")
    with open(malformed, "wb") as f:  # a broken line in the middle, half a line at the end
        f.write(b"".join(lines[:5]) + b'{"seed": 5, "outc\n' + b"".join(lines[6:9])
                + lines[9][:30])
    before = read(malformed)
    done = run(fake, "--seeds", "40", "--resume", malformed)
    assert done.returncode == 2 and "line 6 is malformed" in done.stderr, done.stderr
    assert read(malformed) == before, "a refused --resume changed the file"
    whole_other = os.path.join(tmp, "whole-other.jsonl")
    foreign = json.loads(lines[3])
    foreign["sweep"]["selection"] = "--seeds 99"
    with open(whole_other, "wb") as f:  # the last line is another sweep's, without "\n"
        f.write(b"".join(lines[:3]) + json.dumps(foreign).encode())
    before = read(whole_other)
    done = run(fake, "--seeds", "40", "--resume", whole_other)
    assert done.returncode == 2 and "line 4 is from another sweep" in done.stderr, done.stderr
    assert read(whole_other) == before, "a refused --resume changed the file"
    checked.append("refused --resume files unchanged (another sweep, a malformed line, "
                   "another sweep's last line)")

    cut = os.path.join(tmp, "cut.jsonl")
    with open(cut, "wb") as f:
        f.write(b"".join(lines[:12]) + lines[12][:50])
    done = run(fake, "--seeds", "40", "--resume", cut)
    assert done.returncode == 0, done.stderr
    assert "half a line" in done.stderr and "cut off" in done.stderr, done.stderr
    seeds = [json.loads(line)["seed"] for line in read(cut).splitlines()]
    assert sorted(seeds) == list(range(40)), seeds
    checked.append("the sweep's own file: the half line cut, resumed to 40 seeds")


def warnings(tmp, fake, lines):
    commits = os.path.join(tmp, "commits.jsonl")
    with open(commits, "wb") as f:
        for line in lines[:30]:
            record = json.loads(line)
            record["sweep"]["commit"] = "f" * 40
            f.write(json.dumps(record).encode() + b"\n")
    done = run(fake, "--seeds", "40", "--resume", commits)
    assert done.returncode == 0, done.stderr
    if "commit ?" not in done.stdout:  # a checkout: this commit is known
        said = [line for line in done.stderr.splitlines() if "f" * 40 in line]
        assert len(said) == 1, f"{len(said)} warnings about the commit:\n{done.stderr}"
        assert "30 line(s)" in said[0], said
        checked.append("another commit: one warning for 30 lines")
    duplicated = os.path.join(tmp, "duplicated.jsonl")
    with open(duplicated, "wb") as f:
        f.write(b"".join(lines[:20]) + b"".join(lines[:7]))
    done = run(fake, "--seeds", "40", "--resume", duplicated)
    assert done.returncode == 0, done.stderr
    assert re.search(r"holds 7 duplicate line\(s\)", done.stderr), done.stderr
    first = json.loads(lines[0])["seed"]
    assert f"0x{first:x} (line 21, first on line 1)" in done.stderr, done.stderr
    assert "(20 from" in done.stdout, done.stdout
    checked.append("7 duplicate lines reported")


def odd_outputs(tmp, fake):
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(read(fifo)), daemon=True)
    reader.start()
    done = run(fake, "--seeds", "30", "--out", fifo, timeout=60)
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert got and len(got[0].splitlines()) == 30, got
    assert "outcomes: ok 30" in done.stdout, done.stdout
    checked.append("a FIFO with a reader: 30 lines")
    calls = len(fakesim.invocations(fake))
    done = run(fake, "--seeds", "30", "--out", fifo, timeout=30)
    assert done.returncode == 4 and "FIFO that nobody reads" in done.stderr, done.stderr
    assert len(fakesim.invocations(fake)) == calls, "the simulator ran for an unread FIFO"
    checked.append("a FIFO without a reader refused before any seed")

    done = run(fake, "--seeds", "30", "--out", "/dev/null")
    assert done.returncode == 0 and "outcomes: ok 30" in done.stdout, done.stderr
    done = run(fake, "--seeds", "30", "--out", "/dev/stdout")
    assert done.returncode == 0, done.stderr
    assert len([line for line in done.stdout.splitlines() if line.startswith("{")]) == 30
    assert "outcomes: ok 30" in done.stderr and "outcomes" not in done.stdout, done.stdout
    checked.append("/dev/null and /dev/stdout written through")

    with open("/dev/full", "w") as full:
        done = run(fake, "--seeds", "30", "--out", "-", stdout=full)
    assert done.returncode == 4, done.stderr
    assert "standard output: No space left on device" in done.stderr, done.stderr
    assert "--resume" not in done.stderr, done.stderr
    checked.append("--out - into /dev/full: exit 4, no resume hint")

    done = run(fake, "--seeds", "30", "--resume", tmp)
    assert done.returncode == 2 and "is a directory" in done.stderr, done.stderr
    calls = len(fakesim.invocations(fake))
    done = run(fake, "--seeds", "30", "--out", os.path.join(tmp, "no", "such", "x.jsonl"))
    assert done.returncode == 4 and "does not exist" in done.stderr, done.stderr
    assert len(fakesim.invocations(fake)) == calls, "the simulator ran for an unwritable --out"
    checked.append("--resume DIR and a missing directory refused before any seed")


failures = []
with tempfile.TemporaryDirectory() as tmp:
    fake = fakesim.make(tmp)
    own = os.path.join(tmp, "own.jsonl")
    done = run(fake, "--seeds", "40", "--out", own)
    assert done.returncode == 0, done.stderr
    lines = read(own).splitlines(keepends=True)
    assert len(lines) == 40
    for part, arguments in ((refused, (tmp, fake, lines)), (warnings, (tmp, fake, lines)),
                            (odd_outputs, (tmp, fake))):
        try:  # each part on its own: one failing does not hide the others
            part(*arguments)
        except (AssertionError, subprocess.TimeoutExpired) as error:
            failures.append(f"{part.__name__}: {str(error)[-1500:]}")
if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ops-sweep-files: ok (" + "; ".join(checked) + ")")
