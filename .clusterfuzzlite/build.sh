#!/bin/bash -eu
# ClusterFuzzLite's build script: the same as OSS-Fuzz's, so there is one build of the fuzz
# targets to keep working (test it with fuzz/oss-fuzz/test_build.sh). It uses only $CC $CXX
# $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $SRC and $OUT, and puts every target with its seed
# corpus, dictionary and options into $OUT.
exec bash -eu "$SRC/client-sessions/fuzz/oss-fuzz/build.sh"
