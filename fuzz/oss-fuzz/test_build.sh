#!/usr/bin/env bash
# Runs fuzz/oss-fuzz/build.sh as OSS-Fuzz would, for libFuzzer and for AFL++, then each
# target it built on its seed corpus for a few seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)

usage() {
    cat <<'USAGE'
usage: fuzz/oss-fuzz/test_build.sh [--engine libfuzzer|afl|all] [--time S] [--keep]

Sets CC, CXX, CFLAGS, CXXFLAGS, LIB_FUZZING_ENGINE, SRC and OUT the way OSS-Fuzz's
base-builder does (ASan; libFuzzer: clang and -fsanitize=fuzzer; AFL++: afl-clang-fast
and AFL++'s libAFLDriver.a as the engine library), runs build.sh in a scratch directory,
checks that $OUT holds every target with its _seed_corpus.zip, .dict and .options, then
runs each target on its unzipped seed corpus for S seconds (default 3): libFuzzer
directly, AFL++ under afl-fuzz. Exit 0 when everything built and ran without a crash.
  --keep   keep the scratch directory (printed) for inspection
USAGE
}

engines="libfuzzer afl" seconds=3 keep=0
while [ $# -gt 0 ]; do
    case $1 in
    -h | --help) usage; exit 0 ;;
    --engine) [ $# -ge 2 ] || { usage >&2; exit 2; }; engines=$2; shift ;;
    --time) [ $# -ge 2 ] || { usage >&2; exit 2; }; seconds=$2; shift ;;
    --keep) keep=1 ;;
    *) echo "test_build: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
[ "$engines" = all ] && engines="libfuzzer afl"
for engine in $engines; do
    case $engine in libfuzzer | afl) ;; *) echo "test_build: unknown engine $engine" >&2; exit 2 ;; esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "test_build: --time needs seconds" >&2; exit 2; }

scratch=$(mktemp -d)
[ $keep = 1 ] && echo "test_build: scratch directory $scratch" || trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/src"
ln -s "$project" "$scratch/src/client-sessions"
cp "$here/build.sh" "$scratch/src/build.sh"

# OSS-Fuzz's base-builder flags for an ASan build.
common="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
common+=" -fsanitize=address -fsanitize-address-use-after-scope"
targets="fuzz_trailer_decode fuzz_blocks_decode fuzz_header_validate fuzz_ops fuzz_sim"
failed=0

for engine in $engines; do
    out=$scratch/out-$engine
    mkdir -p "$out"
    if [ "$engine" = libfuzzer ]; then
        command -v clang >/dev/null || { echo "test_build: clang is missing" >&2; exit 1; }
        env CC=clang CXX=clang++ CFLAGS="$common -fsanitize=fuzzer-no-link" \
            CXXFLAGS="$common -fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
            SRC="$scratch/src" OUT="$out" bash "$scratch/src/build.sh"
    else
        command -v afl-clang-fast >/dev/null || { echo "test_build: AFL++ is missing" >&2; exit 1; }
        driver=/usr/lib/afl/libAFLDriver.a
        [ -f $driver ] || { echo "test_build: $driver is missing" >&2; exit 1; }
        # As OSS-Fuzz's compile_afl: AFL++'s compilers, its driver as the engine library.
        cp $driver "$scratch/libAFLDriver.a"
        env CC=afl-clang-fast CXX=afl-clang-fast++ CFLAGS="$common" CXXFLAGS="$common" \
            LIB_FUZZING_ENGINE="$scratch/libAFLDriver.a" AFL_QUIET=1 \
            SRC="$scratch/src" OUT="$out" bash "$scratch/src/build.sh"
    fi
    for target in $targets; do
        for file in "$target" "${target}_seed_corpus.zip" "$target.dict" "$target.options"; do
            [ -s "$out/$file" ] || { echo "test_build: $engine: \$OUT/$file is missing"; failed=1; }
        done
        [ -x "$out/$target" ] || continue
        seeds=$scratch/seeds-$engine-$target
        mkdir -p "$seeds"
        python3 -m zipfile -e "$out/${target}_seed_corpus.zip" "$seeds"
        log=$scratch/$engine-$target.log
        if [ "$engine" = libfuzzer ]; then
            max_len=$(sed -n 's/^max_len *= *//p' "$out/$target.options")
            "$out/$target" -dict="$out/$target.dict" -max_len="$max_len" \
                -max_total_time="$seconds" "$seeds" >"$log" 2>&1 || true
            result=$(grep -aoE 'Done [0-9]+ runs' "$log" || true)
        else
            AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
                ASAN_OPTIONS=abort_on_error=1:symbolize=0 \
                afl-fuzz -i "$seeds" -o "$scratch/afl-$target" -x "$out/$target.dict" \
                -V "$seconds" -m none -- "$out/$target" >"$log" 2>&1 || true
            stats=$scratch/afl-$target/default/fuzzer_stats
            crashes=$(sed -n 's/^saved_crashes *: *//p' "$stats" 2>/dev/null || echo "?")
            execs=$(sed -n 's/^execs_done *: *//p' "$stats" 2>/dev/null || echo "")
            result=""
            [ -n "$execs" ] && [ "$crashes" = 0 ] && result="Done $execs runs"
        fi
        if [ -n "$result" ]; then
            echo "test_build: $engine $target: ok ($result in ${seconds}s)"
        else
            echo "test_build: $engine $target: FAILED (log: $log)"
            tail -15 "$log"
            failed=1
        fi
    done
done
[ $failed = 0 ] && echo "test_build: build.sh works for: $engines"
exit $failed
