"""ops-sweep-chunks: the chunks of seeds a sweep hands to its simulator processes.
Without --chunk they are sized by what is left: never more than CHUNK_MAX, never fewer
than CHUNK_MIN (but at the end), never growing as a bounded sweep goes on, every seed once
and in order; a --time sweep starts at CHUNK_MIN, sizes by the rate it has seen and
shrinks as its time runs out; a resumed sweep still skips its done seeds. With --chunk K
every chunk is K. Then a real sweep of a stand-in simulator: each seed once, and far fewer
processes than seeds.
usage: sweep_chunks.py SOURCE_ROOT"""
import json
import os
import subprocess
import sys
import tempfile

root = sys.argv[1]
sys.path.insert(0, os.path.join(root, "scripts"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakesim  # noqa: E402
from cs import seeds  # noqa: E402


def chunks_of(handed):
    out = []
    while True:
        chunk = handed.take()
        if chunk is None:
            return out
        out.append(chunk)


def seeds_of(chunks):
    return [first + i * stride for first, count, stride in chunks for i in range(count)]


# A bounded sweep of 6000 seeds on 2 workers, sized by what is left.
chunks = chunks_of(seeds.Seeds(100, 6000, 0, 1, None, jobs=2))
sizes = [count for _, count, _ in chunks]
assert seeds_of(chunks) == list(range(100, 6100)), "every seed once, in order"
assert max(sizes) == seeds.CHUNK_MAX, sizes
assert all(a >= b for a, b in zip(sizes, sizes[1:])), f"chunks grew: {sizes}"
assert all(s >= seeds.CHUNK_MIN for s in sizes[:-1]), sizes
assert sizes[-1] <= seeds.CHUNK_MIN, f"the last chunk is not small: {sizes}"
assert len(chunks) < 6000 // 32, f"{len(chunks)} processes for 6000 seeds"
# The chunks still being handed out when less than a chunk per worker is left are small:
# the workers end within CHUNK_MIN seeds or a share of what was left of each other.
left = 6000
for size in sizes:
    assert size <= max(seeds.CHUNK_MIN, -(-left // (seeds.CHUNK_SHARES * 2))), (size, left)
    left -= size

# Sharded (stride 3, shard 1) and resumed (seeds done are skipped): the same seeds as a
# fixed-size sweep hands out.
done = set(range(1, 3000, 7))
adaptive = seeds_of(chunks_of(seeds.Seeds(0, 3000, 1, 3, None, jobs=2, done=done)))
fixed = seeds_of(chunks_of(seeds.Seeds(0, 3000, 1, 3, 32, jobs=2, done=done)))
assert adaptive == fixed == [s for s in range(1, 3000, 3) if s not in done]

# --chunk K: every chunk is K seeds, the last what is left.
sizes = [count for _, count, _ in chunks_of(seeds.Seeds(0, 100, 0, 1, 30, jobs=2))]
assert sizes == [30, 30, 30, 10], sizes

# A --time sweep: CHUNK_MIN until a rate is seen; then about a CHUNK_SHARES-th of what a
# worker runs in the time left, at most CHUNK_MAX; fewer as the time runs out.
clock = [1000.0]
real_monotonic = seeds.time.monotonic  # the time module's: put back below
seeds.time.monotonic = lambda: clock[0]
timed = seeds.Seeds(0, seeds.U64_MAX, 0, 1, None, seconds=60, bounded=False, jobs=2)
first = timed.take()
assert first[1] == seeds.CHUNK_MIN, first
timed.ran(8, 0.08)  # 100 seeds a second a worker
assert timed.take()[1] == seeds.CHUNK_MAX  # 60 s left: 6000 seeds a worker
clock[0] += 58      # 2 s left: 200 seeds a worker, a quarter of it
assert timed.take()[1] == 200 // seeds.CHUNK_SHARES
clock[0] += 1.9     # 0.1 s left: 10 seeds a worker, at least CHUNK_MIN
assert timed.take()[1] == seeds.CHUNK_MIN
clock[0] += 1
assert timed.take() is None, "a chunk after the time"
seeds.time.monotonic = real_monotonic

# A real sweep without --chunk: every seed once, a result line each, few processes.
with tempfile.TemporaryDirectory() as tmp:
    fake = fakesim.make(tmp)
    out = os.path.join(tmp, "out.jsonl")
    done = subprocess.run([os.path.join(root, "scripts", "sweep"), "--sim", fake, "--from", "0",
                           "--to", "1999", "--jobs", "2", "--allow-missing-scenarios", "--quiet",
                           "--out", out], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with open(out) as f:
        got = sorted(json.loads(line)["seed"] for line in f)
    assert got == list(range(2000)), "each seed once"
    with open(fake + ".log") as f:
        runs = [json.loads(line) for line in f if "--seeds" in line]
    assert 4 <= len(runs) <= 2000 // 32, f"{len(runs)} simulator processes for 2000 seeds"
print("ops-sweep-chunks: ok")
