#!/bin/sh
# Determinism: the same seed gives the same summary (trace hash included) twice, with
# and without --trace, under other hash seeds; --check-determinism passes over a range.
# Check failures (status 1) are the sweep's business; this test only wants sameness.
# usage: sim/tests/determinism.sh SIMULATOR
sim=${1:?usage: determinism.sh SIMULATOR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

for seed in 0 1 7 0x1d 12345 0xdeadbeef 18446744073709551615; do
    a=$("$sim" --seed "$seed"); sa=$?
    b=$("$sim" --seed "$seed"); sb=$?
    [ "$a" = "$b" ] && [ $sa = $sb ] || fail "seed $seed: two runs differ"
    c=$("$sim" --seed "$seed" --trace "$tmp/trace"); sc=$?
    [ "$a" = "$c" ] && [ $sa = $sc ] || fail "seed $seed: --trace changed the run"
    [ -s "$tmp/trace" ] || fail "seed $seed: empty trace file"
    d=$("$sim" --seed "$seed" --hash-seed-salt 987654321); sd=$?
    [ "$a" = "$d" ] && [ $sa = $sd ] || fail "seed $seed: the hash seeds changed a decision"
    case $sa in 0 | 1) ;; *) fail "seed $seed: exit status $sa" ;; esac
done

"$sim" --seeds 0..59 --check-determinism --quiet > "$tmp/check.txt"
status=$?
[ $status = 0 ] || [ $status = 1 ] || fail "--check-determinism exited $status"
grep -q nondeterminism "$tmp/check.txt" && fail "$(grep -A1 nondeterminism "$tmp/check.txt" | head -4)"

[ $failures = 0 ] && echo "determinism: ok"
[ $failures = 0 ]
