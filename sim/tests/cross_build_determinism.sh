#!/usr/bin/env bash
# The same seeds give the same trace hashes whatever compiles the simulator:
# GCC at -O0 and Clang at -O2, in two separate build directories.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

usage() {
    cat <<'USAGE'
usage: sim/tests/cross_build_determinism.sh [--seeds N] [--build-root DIR] [--also SIM]...

Builds client-sessions-sim twice, with gcc -O0 (DIR/gcc-O0) and clang -O2
(DIR/clang-O2), runs seeds 0..N-1 (default 200) on each and compares every
seed's outcome and trace hash. --also adds another simulator binary to the
comparison (e.g. an ASan+UBSan build). DIR defaults to build-determinism/.
Exit 0 when all agree, 1 on any difference (the first ones are printed),
2 on usage errors, 4 when a build fails.
USAGE
}

seeds=200
build_root=$root/build-determinism
also=()
while [ $# -gt 0 ]; do
    case $1 in
    --seeds) seeds=${2:?}; shift ;;
    --build-root) build_root=${2:?}; shift ;;
    --also) also+=("${2:?}"); shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done
[[ $seeds =~ ^[1-9][0-9]*$ ]] || { echo "cross_build_determinism: bad --seeds" >&2; exit 2; }

build() { # build NAME CC OPTIMIZATION
    local dir=$build_root/$1
    if [ ! -f "$dir/build.ninja" ]; then
        local cxx=g++
        [ "$2" = clang ] && cxx=clang++
        CC=$2 CXX=$cxx meson setup "$dir" "$root" -Doptimization="$3" -Ddebug=true \
            -Dtests=false -Dbench=false >/dev/null || return 1
    fi
    ninja -C "$dir" sim/client-sessions-sim >/dev/null
}

start=$(date +%s)
build gcc-O0 gcc 0 || { echo "cross_build_determinism: gcc -O0 build failed" >&2; exit 4; }
build clang-O2 clang 2 || { echo "cross_build_determinism: clang -O2 build failed" >&2; exit 4; }
built=$(date +%s)

binaries=("$build_root/gcc-O0/sim/client-sessions-sim" "$build_root/clang-O2/sim/client-sessions-sim"
          "${also[@]}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for sim in "${binaries[@]}"; do
    # One line per seed: seed, outcome, trace hash. Status 1 (a check failure) still
    # has to be identical everywhere, so it is not an error here.
    "$sim" --seeds "0..$((seeds - 1))" --json |
        python3 -c 'import json,sys
for line in sys.stdin:
    r = json.loads(line)
    print(r["seed"], r["outcome"], r["trace_hash"], r["trace_events"])' >"$tmp/$i.txt"
    i=$((i + 1))
done

status=0
for j in $(seq 1 $((i - 1))); do
    if ! diff -q "$tmp/0.txt" "$tmp/$j.txt" >/dev/null; then
        echo "cross_build_determinism: ${binaries[0]} and ${binaries[$j]} differ:"
        diff "$tmp/0.txt" "$tmp/$j.txt" | head -10
        status=1
    fi
done
count=$(wc -l <"$tmp/0.txt")
[ "$count" = "$seeds" ] || { echo "cross_build_determinism: $count of $seeds seeds reported"; status=1; }
end=$(date +%s)
[ $status = 0 ] && echo "cross_build_determinism: $seeds seeds, ${#binaries[@]} builds agree" \
    "(build $((built - start)) s, runs $((end - built)) s)"
exit $status
