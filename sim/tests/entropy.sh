#!/bin/sh
# Bytes to repro: client-sessions-sim --entropy FILE runs exactly what the fuzz_sim target ran
# on FILE (the same trace hash, for every input of the corpus), a short input still makes a
# full run, and bad --entropy use is refused with status 2.
# usage: sim/tests/entropy.sh SIMULATOR FUZZ_SIM_REPLAY CORPUS_DIR
sim=${1:?usage: entropy.sh SIMULATOR FUZZ_SIM_REPLAY CORPUS_DIR}
replay=${2:?}
corpus=${3:?}
failures=0
checked=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

trace_of() { # the trace hash client-sessions-sim prints for --entropy FILE
    "$sim" --entropy "$1" | sed -n 's/.* trace=\([0-9a-f]*\)$/\1/p'
}

for input in "$corpus"/*; do
    cli=$(trace_of "$input")
    fuzz=$(FUZZ_VERBOSE=1 "$replay" "$input" 2>&1 | sed -n 's/^fuzz_sim: .* trace \([0-9a-f]*\)$/\1/p')
    [ -n "$cli" ] || fail "client-sessions-sim --entropy $input printed no trace hash"
    [ "$cli" = "$fuzz" ] || fail "$input: client-sessions-sim says $cli, fuzz_sim says $fuzz"
    [ "$(trace_of "$input")" = "$cli" ] || fail "$input: two runs differ"
    checked=$((checked + 1))
done
[ "$checked" -ge 2 ] || fail "the corpus $corpus has $checked inputs"

# The bytes steer the run: one byte more is another run; an empty input is a full run.
head -c 96 /dev/zero >"$tmp/a"
head -c 97 /dev/zero >"$tmp/b"
[ "$(trace_of "$tmp/a")" != "$(trace_of "$tmp/b")" ] || fail "96 and 97 zero bytes ran the same"
: >"$tmp/empty"
ops=$("$sim" --entropy "$tmp/empty" --json | sed -n 's/.*"replica_ops":\([0-9]*\).*/\1/p')
[ "${ops:-0}" -ge 1000 ] || fail "an empty input ran $ops replica ops, not a full run"

# The JSON line names the file, and the reproduce command of a failure uses it (checked
# through --help's promise and the summary's repro hint on any run).
"$sim" --entropy "$tmp/a" --json | grep -q '"entropy":{"file":' || fail "--json lacks the entropy file"

expect() { # expect STATUS ARGS...
    want=$1
    shift
    "$sim" "$@" >/dev/null 2>&1
    got=$?
    [ "$got" = "$want" ] || fail "client-sessions-sim $* exited $got, expected $want"
}
expect 2 --entropy
expect 2 --entropy "$tmp/no-such-file"
expect 2 --entropy "$tmp/a" --seed 1
expect 2 --seeds 1..2 --entropy "$tmp/a"
head -c $((16 * 1024 * 1024 + 1)) /dev/zero >"$tmp/big"
expect 2 --entropy "$tmp/big"
"$sim" --entropy "$tmp/big" 2>&1 | grep -q "too large" || fail "a 16 MiB + 1 input is not 'too large'"

# Paths in the JSON line: valid UTF-8 as it is, every other byte XX as \udcXX, so the line
# is valid UTF-8 and valid JSON, and a reader's surrogateescape (os.fsencode) gives the
# bytes back. Here in the file name, in the program's own path and in the reproduce
# command that every seed's line carries.
odd=$(printf 'x\377\300\257 "\\\001\302\251\355\240\200.bin')
cp "$tmp/a" "$tmp/$odd"
ln -s "$(cd "$(dirname "$sim")" && pwd)/$(basename "$sim")" "$tmp/sim$odd"
"$tmp/sim$odd" --entropy "$tmp/$odd" --json --swarm off --ops 200 >"$tmp/odd.json"
[ $? = 0 ] || fail "the run with a non-UTF-8 program path and entropy file failed"
iconv -f UTF-8 -t UTF-8 <"$tmp/odd.json" >/dev/null 2>&1 || fail "--json with a non-UTF-8 path wrote bytes that are not UTF-8"
grep -q 'x\\udcff\\udcc0\\udcaf \\"\\\\\\u0001©\\udced\\udca0\\udc80.bin' "$tmp/odd.json" ||
    fail "--json did not escape a non-UTF-8 path byte by byte: $(head -c 300 "$tmp/odd.json")"
if command -v python3 >/dev/null; then
    python3 - "$tmp/odd.json" "$tmp/$odd" "$tmp/sim$odd" <<'PY' || fail "--json with a non-UTF-8 path: not the path back"
import json, os, shlex, sys
line = open(sys.argv[1], "rb").read().decode("utf-8")  # strict: the line is UTF-8
result = json.loads(line)
assert result["entropy"]["file"] == sys.argv[2], result["entropy"]
assert os.fsencode(result["entropy"]["file"]) == os.fsencode(sys.argv[2])
words = shlex.split(result["reproduce"])
assert words[0] == sys.argv[3] and words[1:3] == ["--entropy", sys.argv[2]], words
PY
fi

[ $failures = 0 ] && echo "entropy: $checked corpus inputs, the simulator and fuzz_sim agree"
exit $((failures != 0))
