#!/bin/bash -eu
# OSS-Fuzz build script: builds every fuzz target of fuzz/ for the engine and sanitizer
# that OSS-Fuzz chose, from nothing but $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE
# $OUT $SRC. The core is compiled into a static archive and linked into each target
# with $CXX (the engines are C++). Next to each target in $OUT: <target>_seed_corpus.zip
# (corpus/<target>/ and corpus/regressions/<target>/), <target>.dict, <target>.options.
# Test it locally with fuzz/oss-fuzz/test_build.sh.

project=$SRC/client-sessions
targets="fuzz_trailer_decode fuzz_blocks_decode fuzz_header_validate fuzz_ops"
objects=$(mktemp -d)
trap 'rm -rf "$objects"' EXIT

includes="-I$project/core/include -I$project/fuzz -I$project/sim"
for source in checksum header table codec trailer; do
    $CC $CFLAGS -std=c17 -I"$project/core/include" -c "$project/core/src/$source.c" \
        -o "$objects/$source.o"
done
ar rcs "$objects/libclient-sessions.a" "$objects"/*.o

for target in $targets; do
    extra=""
    if [ "$target" = fuzz_ops ]; then # the reference model is the oracle
        $CC $CFLAGS -std=c17 $includes -c "$project/sim/model.c" -o "$objects/model.o"
        extra="$objects/model.o"
    fi
    $CC $CFLAGS -std=c17 $includes -c "$project/fuzz/$target.c" -o "$objects/$target.o"
    $CXX $CXXFLAGS "$objects/$target.o" $extra "$objects/libclient-sessions.a" \
        $LIB_FUZZING_ENGINE -o "$OUT/$target"

    rm -f "$OUT/${target}_seed_corpus.zip"
    (cd "$project/corpus" && find "$target" "regressions/$target" -type f ! -name '.*' |
        zip -q -j "$OUT/${target}_seed_corpus.zip" -@)
    cp "$project/corpus/$target.dict" "$OUT/$target.dict"
    cp "$project/fuzz/$target.options" "$OUT/$target.options"
done
