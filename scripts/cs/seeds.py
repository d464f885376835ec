"""Seeds: parsing, seed bases, shards, and the chunks of seeds a sweep hands out."""

import datetime
import hashlib
import os
import re
import secrets
import sys
import threading
import time

from .checkout import git

U64_MAX = (1 << 64) - 1


def parse_seed(text):
    """Decimal (leading zeros allowed, as the simulator takes them) or 0x hex, below 2^64.
    Raises ValueError otherwise."""
    text = str(text).strip()
    if not re.fullmatch(r"0[xX][0-9a-fA-F]+|[0-9]+", text):
        raise ValueError(text)
    value = int(text, 16) if text[:2].lower() == "0x" else int(text, 10)
    if not 0 <= value <= U64_MAX:
        raise ValueError(text)
    return value


def resolve_commit(rev):
    if re.fullmatch(r"[0-9a-f]{40}", rev):
        return rev
    commit = git("rev-parse", "--verify", "--quiet", rev + "^{commit}")
    if not commit:
        raise ValueError(f"--seed-base {rev!r} is not a number, 'random', 'nightly[:DATE[@REV]]' "
                         "or a git revision of this checkout")
    return commit


def derived(text):
    """63 bits of sha256(text): a sweep of many seeds from there stays below 2^64."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def seed_base(text):
    """(base, canonical spec, commit under test (HEAD), date) for --seed-base TEXT.
    Raises ValueError for text that is none of the forms."""
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    head = git("rev-parse", "HEAD")
    try:
        value = parse_seed(text)
        return value, f"0x{value:x}", head, today
    except ValueError:
        pass
    if text == "random":
        value = secrets.randbits(63)
        print(f"sweep: --seed-base random picked 0x{value:x}", file=sys.stderr)
        return value, f"0x{value:x}", head, today
    match = re.fullmatch(r"nightly(?::(\d{4}-\d{2}-\d{2}))?(?:@(.+))?", text)
    if match:
        date = match[1] or today
        try:
            datetime.date.fromisoformat(date)
        except ValueError:
            raise ValueError(f"--seed-base {text}: {date} is not a date (YYYY-MM-DD)") from None
        commit = resolve_commit(match[2] or "HEAD")
        return derived(f"{commit} {date}"), f"nightly:{date}@{commit}", head, date
    commit = resolve_commit(text)
    return derived(commit), commit, head, today


def shard_from(shard, shard_count, env=None):
    """(index, count, where it came from) from --shard I/N, Slurm's array variables or a
    Kubernetes indexed Job (JOB_COMPLETION_INDEX with --shard-count N or
    JOB_COMPLETION_COUNT); (0, 1, None) when unsharded. ValueError on an incomplete or
    impossible specification: a count without an index, a count below 1 or above 2^64 - 1
    (the stride of the simulator's --seeds), an index not below the count."""
    env = os.environ if env is None else env
    if shard_count is not None and shard_count < 1:
        raise ValueError(f"--shard-count {shard_count}: the count of shards is at least 1")
    if shard:
        match = re.fullmatch(r"(\d+)/(\d+)", shard)
        if not match:
            raise ValueError("--shard takes I/N, e.g. 0/4")
        if shard_count is not None:
            raise ValueError("--shard I/N gives the count of shards already: no --shard-count")
        index, count, source = int(match[1]), int(match[2]), "--shard"
    elif env.get("SLURM_ARRAY_TASK_ID") and env.get("SLURM_ARRAY_TASK_COUNT"):
        try:
            index = int(env["SLURM_ARRAY_TASK_ID"]) - int(env.get("SLURM_ARRAY_TASK_MIN", "0"))
            count, source = int(env["SLURM_ARRAY_TASK_COUNT"]), "SLURM_ARRAY_TASK_ID"
        except ValueError:
            raise ValueError("SLURM_ARRAY_TASK_* must be integers") from None
        if shard_count is not None and shard_count != count:
            raise ValueError(f"--shard-count {shard_count} disagrees with "
                             f"SLURM_ARRAY_TASK_COUNT={count}")
    elif "JOB_COMPLETION_INDEX" in env:
        text = env["JOB_COMPLETION_INDEX"]
        try:
            index, source = int(text), "JOB_COMPLETION_INDEX"
        except ValueError:
            raise ValueError(f"JOB_COMPLETION_INDEX={text!r} is not an integer") from None
        try:
            count = shard_count or int(env.get("JOB_COMPLETION_COUNT") or "0")
        except ValueError:
            raise ValueError("JOB_COMPLETION_COUNT must be an integer") from None
        if count == 0:
            raise ValueError("JOB_COMPLETION_INDEX is set: give --shard-count N "
                             "or JOB_COMPLETION_COUNT")
    elif shard_count is not None:
        raise ValueError(f"--shard-count {shard_count} needs a shard index: "
                         "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is not set; for "
                         "one machine's share give --shard I/N, for every shard at once "
                         "--parallel-hosts FILE")
    else:
        return 0, 1, None
    if count < 1 or count > U64_MAX:
        raise ValueError(f"shard {index}/{count} ({source}): the count must be in 1..2^64-1 "
                         "(the stride between a shard's seeds)")
    if not 0 <= index < count:
        raise ValueError(f"shard {index}/{count} ({source}) is not in 0..count-1")
    return index, count, source


def selection(first, last, seeds, seconds):
    """The seed selection as command-line flags, without the shard."""
    if first is not None:
        return f"--from {first} --to {last}"
    parts = [f"--seeds {seeds}"] if seeds is not None else []
    parts += [f"--time {seconds:g}"] if seconds is not None else []
    return " ".join(parts)


# The chunks of a sweep without --chunk: each simulator process runs as many seeds as
# leaves every worker about CHUNK_SHARES chunks of what is left (of the seeds, or of the
# time of a --time sweep, at the rate seen so far), within CHUNK_MIN..CHUNK_MAX. A process
# costs the sweep a fork and the simulator its memory's first touch: about a quarter more
# CPU a seed at 32 seeds a process than at 512. Chunks shrink as the end nears, so that the
# workers finish together and a --time sweep ends close to its time.
CHUNK_MIN = 8
CHUNK_MAX = 512
CHUNK_SHARES = 4


class Seeds:
    """Hands out chunks (first, count, stride) of one shard's seeds, thread-safe, skipping
    the seeds in `done` (a resumed sweep). chunk: the seeds of every chunk, or None for
    chunks sized by what is left (see CHUNK_MAX) among `jobs` workers, who say how long
    each chunk took (ran)."""

    def __init__(self, start, total_all, shard_index, shard_count, chunk, seconds=None,
                 bounded=True, done=(), jobs=1):
        self.lock = threading.Lock()
        self.stride = shard_count
        self.next = start + shard_index
        remaining = total_all - shard_index
        self.left = 0 if remaining <= 0 else (remaining + self.stride - 1) // self.stride
        self.done = set(done)
        self.total = self.left if bounded else None
        self.requeued = []
        self.deadline = time.monotonic() + seconds if seconds else None
        self.chunk = chunk
        self.jobs = jobs
        self.ran_seeds, self.ran_seconds = 0, 0.0  # of the chunks done, all workers
        self.stopped = False

    def stop(self):
        """No more chunks, from now on (an interrupted sweep)."""
        with self.lock:
            self.stopped = True

    def take(self):
        with self.lock:
            while True:
                if self.stopped:
                    return None
                if self.requeued:
                    return self.requeued.pop()
                if self.left == 0 or (self.deadline and time.monotonic() >= self.deadline):
                    return None
                count = min(self.chunk_size(), self.left)
                chunk = (self.next, count, self.stride)
                self.next += count * self.stride
                self.left -= count
                if not self.done:
                    return chunk
                runs = self.split(chunk)
                if runs:
                    self.requeued.extend(reversed(runs[1:]))
                    return runs[0]

    def chunk_size(self):
        """The seeds of the next chunk (under the lock)."""
        if self.chunk is not None:
            return self.chunk
        # A worker's share of the seeds left (of 2^64 - start, for --time alone).
        wanted = -(-self.left // (CHUNK_SHARES * self.jobs))
        if self.deadline is not None:
            if self.ran_seeds == 0:
                return CHUNK_MIN  # no rate seen yet
            # And of what a worker runs in the time left.
            left = (self.deadline - time.monotonic()) * self.ran_seeds / self.ran_seconds
            wanted = min(wanted, int(left) // CHUNK_SHARES)
        return max(CHUNK_MIN, min(CHUNK_MAX, wanted))

    def ran(self, count, seconds):
        """A worker ran `count` seeds in `seconds`: the rate a --time sweep sizes by."""
        with self.lock:
            self.ran_seeds += count
            self.ran_seconds += max(seconds, 1e-6)

    def split(self, chunk):
        """The chunk without the done seeds, as runs of consecutive (by stride) seeds."""
        first, count, stride = chunk
        runs, current = [], None
        for i in range(count):
            seed = first + i * stride
            if seed in self.done:
                current = None
                continue
            if current is None:
                current = [seed, 0, stride]
                runs.append(current)
            current[1] += 1
        return [tuple(run) for run in runs]

    def give_back(self, chunk):
        with self.lock:
            self.requeued.append(chunk)
