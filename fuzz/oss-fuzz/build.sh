#!/bin/bash -eu
# OSS-Fuzz build script: builds every fuzz target of fuzz/ for the engine and sanitizer
# that OSS-Fuzz chose, from nothing but $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE
# $OUT $SRC. The core and the test library (testing/) are compiled into static archives
# and linked into each target with $CXX (the engines are C++). Next to each target in
# $OUT: <target>_seed_corpus.zip (corpus/<target>/ and corpus/regressions/<target>/, less
# the EMPTY notes of regression directories with no input yet), <target>.dict, <target>.options.
# Test it locally with fuzz/oss-fuzz/test_build.sh.

project=$SRC/client-sessions
targets="fuzz_trailer_decode fuzz_blocks_decode fuzz_header_validate fuzz_ops fuzz_sim"
objects=$(mktemp -d)
trap 'rm -rf "$objects"' EXIT

# The core, and the test library the targets build on (oracles, reference model, builder),
# each a static archive compiled with the engine's flags.
includes="-I$project/core/include -I$project -I$project/fuzz"
for source in "$project"/core/src/*.c; do
    $CC $CFLAGS -std=c17 -I"$project/core/include" -c "$source" \
        -o "$objects/core-$(basename "$source" .c).o"
done
ar rcs "$objects/libclient-sessions.a" "$objects"/core-*.o
# testing/heap_wrap.c is left out: it needs the linker's --wrap, and the targets count no
# allocations (testing/heap.h says so at run time).
for source in "$project"/testing/*.c; do
    case $(basename "$source") in heap_wrap.c) continue ;; esac
    $CC $CFLAGS -std=c17 $includes -c "$source" -o "$objects/testing-$(basename "$source" .c).o"
done
ar rcs "$objects/libtesting.a" "$objects"/testing-*.o
# The simulator, for fuzz_sim: every file of sim/ but the command-line programs.
for source in "$project"/sim/*.c; do
    case $(basename "$source") in main.c | bench_main.c) continue ;; esac
    $CC $CFLAGS -std=c17 $includes -I"$project/sim" -c "$source" \
        -o "$objects/sim-$(basename "$source" .c).o"
done
ar rcs "$objects/libsim.a" "$objects"/sim-*.o

for target in $targets; do
    $CC $CFLAGS -std=c17 $includes -I"$project/sim" -c "$project/fuzz/$target.c" \
        -o "$objects/$target.o"
    $CXX $CXXFLAGS "$objects/$target.o" "$objects/libsim.a" "$objects/libtesting.a" \
        "$objects/libclient-sessions.a" $LIB_FUZZING_ENGINE -o "$OUT/$target"

    rm -f "$OUT/${target}_seed_corpus.zip"
    (cd "$project/corpus" && find "$target" "regressions/$target" -type f ! -name '.*' ! -name EMPTY |
        zip -q -j "$OUT/${target}_seed_corpus.zip" -@)
    cp "$project/corpus/$target.dict" "$OUT/$target.dict"
    cp "$project/fuzz/$target.options" "$OUT/$target.options"
done
