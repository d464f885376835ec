#!/usr/bin/env bash
# Two simulator builds must make the same decisions: the same outcome, trace hash and
# event count for every seed of a range. A commit that only restructures the simulator
# is checked with this against the build before it.
set -uo pipefail

usage() {
    cat <<'USAGE'
usage: sim/tests/compare_hashes.sh [--seeds N] [--jobs J] [--save FILE] OLD NEW

OLD and NEW are each a client-sessions-sim binary, or a file written earlier with
--save (one line per seed: seed, outcome, trace hash, trace events). Runs seeds
0..N-1 (default 10000) on every binary, split over J processes (default: the
number of cores), and compares the lines seed by seed. --save FILE also writes
NEW's lines to FILE, to compare later builds against without rerunning it.

Exit 0 when every seed agrees; 1 naming the first seed that differs (and how
many differ); 2 on usage errors; 4 when a binary cannot be run or reports the
wrong number of seeds.
USAGE
}

seeds=10000
jobs=$(nproc 2>/dev/null || echo 2)
save=""
positional=()
while [ $# -gt 0 ]; do
    case $1 in
    --seeds) seeds=${2:-}; shift ;;
    --seeds=*) seeds=${1#--seeds=} ;;
    --jobs) jobs=${2:-}; shift ;;
    --jobs=*) jobs=${1#--jobs=} ;;
    --save) save=${2:-}; shift ;;
    --save=*) save=${1#--save=} ;;
    -h | --help) usage; exit 0 ;;
    --) shift; positional+=("$@"); break ;;
    -*) echo "compare_hashes: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) positional+=("$1") ;;
    esac
    shift
done
[ ${#positional[@]} = 2 ] || { usage >&2; exit 2; }
[[ $seeds =~ ^[1-9][0-9]*$ ]] || { echo "compare_hashes: --seeds must be a positive integer" >&2; exit 2; }
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "compare_hashes: --jobs must be a positive integer" >&2; exit 2; }
[ -z "$save" ] || [ ! -e "$save" ] || [ -f "$save" ] ||
    { echo "compare_hashes: --save $save exists and is not a regular file" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# lines SOURCE OUT: one line per seed, in seed order.
lines() {
    local source=$1 out=$2
    if [ -f "$source" ] && [ ! -x "$source" ]; then
        head -n "$seeds" "$source" >"$out"
    elif [ -x "$source" ]; then
        local chunk=$(((seeds + jobs - 1) / jobs)) pids=() j=0 first last
        for ((first = 0; first < seeds; first += chunk)); do
            last=$((first + chunk - 1))
            [ $last -lt "$seeds" ] || last=$((seeds - 1))
            # Status 1 (a check failed) is a result to compare, not an error.
            ("$source" --seeds "$first..$last" --json; [ $? -le 1 ]) >"$tmp/part.$j" &
            pids+=($!)
            j=$((j + 1))
        done
        local status=0
        for pid in "${pids[@]}"; do wait "$pid" || status=1; done
        [ $status = 0 ] || { echo "compare_hashes: $source failed to run" >&2; return 1; }
        for ((i = 0; i < j; i++)); do cat "$tmp/part.$i"; done |
            python3 -c 'import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(r["seed"], r["outcome"], r["trace_hash"], r["trace_events"])' >"$out" || return 1
    else
        echo "compare_hashes: $source is neither an executable nor a saved file" >&2
        return 1
    fi
    local count
    count=$(wc -l <"$out")
    [ "$count" = "$seeds" ] || { echo "compare_hashes: $source gave $count of $seeds seeds" >&2; return 1; }
}

start=$(date +%s)
lines "${positional[0]}" "$tmp/old" || exit 4
lines "${positional[1]}" "$tmp/new" || exit 4
if [ -n "$save" ]; then cat "$tmp/new" >"$save" || { echo "compare_hashes: cannot write $save" >&2; exit 4; }; fi
end=$(date +%s)

differing=$(paste -d'|' "$tmp/old" "$tmp/new" | awk -F'|' '$1 != $2' | wc -l)
if [ "$differing" != 0 ]; then
    first=$(paste -d'|' "$tmp/old" "$tmp/new" | awk -F'|' '$1 != $2 { print; exit }')
    echo "compare_hashes: $differing of $seeds seeds differ; the first:"
    echo "  old: ${first%%|*}"
    echo "  new: ${first#*|}"
    exit 1
fi
echo "compare_hashes: seeds 0..$((seeds - 1)) agree (outcome, trace hash, events; $((end - start)) s)"
