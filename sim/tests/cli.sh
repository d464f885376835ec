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

# One grammar (cli/options.h, shared with client-sessions): --flag=value, 0x, sizes, each
# flag once and in full, conflicts refused, one wording.
trace_of() { "$sim" "$@" | sed -n 's/.* trace=\([0-9a-f]*\)$/\1/p'; }
small="--swarm off --faults off --ops 50"
# shellcheck disable=SC2086 # $small is split on purpose
{
    a=$(trace_of --seed 16 $small)
    [ -n "$a" ] && [ "$(trace_of --seed=16 $small)" = "$a" ] && [ "$(trace_of --seed 0x10 $small)" = "$a" ] ||
        { echo "FAIL: --seed 16, --seed=16 and --seed 0x10 are not one run"; failures=$((failures + 1)); }
    b=$(trace_of --seed 1 $small --block-size 4096)
    [ -n "$b" ] && [ "$(trace_of --seed 1 $small --block-size 4K)" = "$b" ] && [ "$(trace_of --seed 1 $small --block-size=0x1000)" = "$b" ] ||
        { echo "FAIL: --block-size 4096, 4K and 0x1000 are not one run"; failures=$((failures + 1)); }
}
expect 2 --seed 5 --seeds 1..2
expect 2 --seeds 1..2 --seed 5
expect 2 --seed 1 --seed 1
expect 2 --replicas 3 --replicas=3
expect 2 --rep 3
expect 2 --json=1
expect 2 --seed --json
expect 2 --stride 2
expect 2 --stride 2 --seed 1
expect 2 --bench --seed 1
expect 2 --bench --json
expect 2 --bench-seconds 1
expect 2 --params-json --dry-run
expect 2 --params-json --seed 1
expect 2 --dry-run --bench
expect 2 -- --seed 1
expect 2 -x
# one set of suffixes, upper case: 4g is refused (a parser that took k/KiB/g as well gave 0)
expect 2 --memory-max 4g --dry-run
expect 2 --memory-max 4GiB --dry-run
expect 0 --memory-max 4G --dry-run
expect 2 --memory-max 1k
expect 2 --memory-max 1KiB
expect 2 --block-size 4k
expect 0 --memory-max 0x40000000 --dry-run
"$sim" --seed 1 --seed 2 2>&1 | grep -q "^client-sessions-sim: --seed given twice$" ||
    { echo "FAIL: a flag given twice is not named"; failures=$((failures + 1)); }
"$sim" --seeds 1..2 --seed 5 2>&1 | grep -q "^Try 'client-sessions-sim --help'.$" ||
    { echo "FAIL: a usage error lacks the --help hint"; failures=$((failures + 1)); }

# p-scrub 1000: a scrub takes a step and spends no fault budget, so no replica would ever
# apply an op: refused up front, swarm on or off, whatever the other rates.
expect 2 --p-scrub 1000
expect 2 --p-scrub 1000 --faults off
expect 2 --p-scrub 1000 --swarm off --faults off
expect 2 --p-scrub 1000 --faults-max 0 --faults off
expect 2 --p-scrub 1000 --seeds 0..9 --swarm off --faults off --dry-run
"$sim" --p-scrub 1000 --faults off 2>&1 | grep -q "p-scrub must be below 1000" ||
    { echo "FAIL: --p-scrub 1000 is refused without the reason"; failures=$((failures + 1)); }
expect 0 --p-scrub 999 --faults off --dry-run
# Below 1000, with the other step faults making up the rest, every replica still gets on.
expect 0 --seeds 0..2 --quiet --swarm off --p-crash 500 --p-scrub 500 --p-bit-flip 0 --p-pause 0 --ops 300
expect 0 --seeds 0..2 --quiet --swarm off --p-pause 999 --p-scrub 1 --p-bit-flip 0 --p-crash 0 --ops 300

# Output that cannot be written: --help, --version, --params-json, --dry-run (exit 4, and why).
if [ -w /dev/full ]; then
    for flags in --help --version --params-json --dry-run; do
        "$sim" $flags >/dev/full 2>"${TMPDIR:-/tmp}/cli-sh-err.$$"
        got=$?
        grep -q "cannot write the output: No space left on device" "${TMPDIR:-/tmp}/cli-sh-err.$$"
        said=$?
        rm -f "${TMPDIR:-/tmp}/cli-sh-err.$$"
        [ "$got" = 4 ] && [ "$said" = 0 ] ||
            { echo "FAIL: $flags >/dev/full exited $got (want 4) or said nothing"; failures=$((failures + 1)); }
    done
fi

[ $failures = 0 ] && echo "cli: ok"
[ $failures = 0 ]
