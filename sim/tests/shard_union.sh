#!/bin/sh
# Sharding: shards 0/3, 1/3, 2/3 of a range (by --shard, by Slurm's and by Kubernetes'
# variables) are disjoint and their union is exactly the unsharded sweep of the range.
# usage: sim/tests/shard_union.sh SWEEP_SCRIPT SIMULATOR
sweep=${1:?usage: shard_union.sh SWEEP SIMULATOR}
sim=${2:?usage: shard_union.sh SWEEP SIMULATOR}
python=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # run OUT ARGS...: a quiet sweep of seeds 100..159; failures do not matter here
    out=$1
    shift
    "$python" "$sweep" --sim "$sim" --from 100 --to 159 --jobs 2 --chunk 7 --quiet \
        --allow-missing-scenarios --out "$out" "$@" >/dev/null
    status=$?
    case $status in 0 | 1) ;; *) echo "FAIL: sweep $* exited $status"; exit 1 ;; esac
}

run "$tmp/all.jsonl"
run "$tmp/s0.jsonl" --shard 0/3
SLURM_ARRAY_TASK_ID=11 SLURM_ARRAY_TASK_MIN=10 SLURM_ARRAY_TASK_COUNT=3 run "$tmp/s1.jsonl"
JOB_COMPLETION_INDEX=2 run "$tmp/s2.jsonl" --shard-count 3

"$python" - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
def load(name):
    with open(f"{tmp}/{name}") as f:
        return {(r["seed"], r.get("trace_hash"), r["outcome"]) for r in map(json.loads, f)}
whole = load("all.jsonl")
shards = [load(f"s{i}.jsonl") for i in range(3)]
assert len(whole) == 60, f"unsharded sweep has {len(whole)} seeds, expected 60"
for i, shard in enumerate(shards):
    seeds = {s for s, _, _ in shard}
    assert seeds == {s for s in range(100, 160) if (s - 100) % 3 == i}, f"shard {i}: {sorted(seeds)}"
assert not (shards[0] & shards[1] or shards[0] & shards[2] or shards[1] & shards[2]), "overlap"
assert set().union(*shards) == whole, "union of shards differs from the unsharded sweep"
print("shard union: ok")
PY
