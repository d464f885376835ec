#!/bin/sh
# The command line: --help, exit statuses for bad flags (2) and an unwritable trace (4).
# usage: sim/tests/cli.sh SIMULATOR
sim=${1:?usage: cli.sh SIMULATOR}
failures=0

expect() { # expect STATUS ARGS...: run the simulator, compare its exit status
    want=$1
    shift
    "$sim" "$@" >/dev/null 2>&1
    got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: client-sessions-sim $* exited $got, expected $want"
        failures=$((failures + 1))
    fi
}

expect 0 --help
expect 0 --version
"$sim" --help | grep -q "Exit status" || { echo "FAIL: --help lacks the exit statuses"; failures=$((failures + 1)); }
expect 2 --no-such-flag
expect 2 positional
expect 2 --seed
expect 2 --seed abc
expect 2 --seed -1
expect 2 --seed 0x
expect 2 --seed 18446744073709551616
expect 2 --seeds 5..1
expect 2 --seeds 5
expect 2 --stride 0
expect 2 --swarm maybe
expect 2 --replicas 0
expect 2 --replicas 7
expect 2 --block-size 1000
expect 2 --p-duplicate 900 --p-stale 200
expect 2 --inject-bit-flip 5
expect 2 --inject-bit-flip 10:9
expect 2 --seeds 1..2 --trace /tmp/never-written
expect 4 --seed 1 --trace /nonexistent-dir/trace.txt
expect 0 --seed 3 --swarm off --faults off --ops 50
# Output that cannot be written is an environment error, never a pass (found in review).
if [ -w /dev/full ]; then
    expect 4 --seed 1 --ops 50 --trace /dev/full
    "$sim" --seeds 0..3 --ops 50 --json >/dev/full 2>/dev/null
    got=$?
    [ "$got" = 4 ] || { echo "FAIL: --json >/dev/full exited $got, expected 4"; failures=$((failures + 1)); }
fi

[ $failures = 0 ] && echo "cli: ok"
[ $failures = 0 ]
