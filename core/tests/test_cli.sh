#!/usr/bin/env bash
# The client-sessions tool: outputs, error messages and exit codes.
set -u
tool=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
checks=0

expect() { # expect NAME WANT_STATUS COMMAND...
    local name=$1 want=$2
    shift 2
    checks=$((checks + 1))
    "$@" >"$work/out" 2>"$work/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL $name: exit $got, want $want; stderr: $(cat "$work/err")"
        failures=$((failures + 1))
        return 1
    fi
}

contains() { # contains NAME FILE TEXT
    checks=$((checks + 1))
    if ! grep -qF -- "$3" "$2"; then
        echo "FAIL $1: $2 lacks '$3': $(head -c 300 "$2")"
        failures=$((failures + 1))
    fi
}

# checksum: the vector of 0 bytes and of 16 zero bytes.
: >"$work/empty"
expect checksum_empty 0 "$tool" checksum "$work/empty"
contains checksum_empty "$work/out" 49f174618255402de6e7e3c40d60cc83
head -c 16 /dev/zero >"$work/zeros16"
expect checksum_zeros 0 "$tool" checksum "$work/zeros16"
contains checksum_zeros "$work/out" 263abed41c10336165d15dd08dd42af7
expect checksum_stdin 0 "$tool" checksum - <"$work/zeros16"
contains checksum_stdin "$work/out" 263abed41c10336165d15dd08dd42af7
expect checksum_missing 1 "$tool" checksum "$work/nope"
contains checksum_missing "$work/err" "cannot open"

# decode: the TigerBeetle trailer of 7 slots gives 7 JSON lines.
tb7=$data/tigerbeetle/tb_encode_7.bin
expect decode_ok 0 "$tool" decode --clients-max 7 "$tb7"
checks=$((checks + 1))
[ "$(wc -l <"$work/out")" = 7 ] || { echo "FAIL decode_ok: $(wc -l <"$work/out") lines"; failures=$((failures + 1)); }
contains decode_ok "$work/out" '{"slot":4,"client":"000000000000000000000000000003f4","session":120,"commit":121,"op":121,"request":1,"operation":0,"timestamp":12000,"checksum":"'
expect decode_wrong_capacity 1 "$tool" decode --clients-max 8 "$tb7"
contains decode_wrong_capacity "$work/err" "error: trailer_size"
# Flip a byte in slot 2's header: its checksum no longer matches.
cp "$tb7" "$work/bad.bin"
printf '\x01' | dd of="$work/bad.bin" bs=1 seek=$((2 * 256 + 100)) conv=notrunc status=none
expect decode_corrupt 1 "$tool" decode --clients-max 7 "$work/bad.bin"
contains decode_corrupt "$work/err" "error: header_checksum at slot 2"
# Usage errors.
expect usage_none 2 "$tool"
expect usage_unknown 2 "$tool" frobnicate
expect usage_no_capacity 2 "$tool" decode "$tb7"
expect usage_bad_capacity 2 "$tool" decode --clients-max 0 "$tb7"
expect usage_huge_capacity 2 "$tool" decode --clients-max 99999999999 "$tb7"
expect help 0 "$tool" --help
contains help "$work/out" "decode-blocks --block-size B --reference REF"
expect version 0 "$tool" --version

# encode-blocks then decode-blocks: the same JSON as decode.
"$tool" decode --clients-max 7 "$tb7" >"$work/direct.jsonl"
expect encode_blocks 0 "$tool" encode-blocks --block-size 512 --first-address 100 "$tb7" "$work/blocks"
ref=$(cat "$work/out")
checks=$((checks + 1))
[ "$(stat -c %s "$work/blocks")" = $((512 * 8)) ] || { echo "FAIL encode_blocks: size"; failures=$((failures + 1)); }
expect decode_blocks 0 "$tool" decode-blocks --block-size 512 --reference "$ref" "$work/blocks"
checks=$((checks + 1))
cmp -s "$work/out" "$work/direct.jsonl" || { echo "FAIL decode_blocks: output differs"; failures=$((failures + 1)); }
echo "$ref" >"$work/ref.txt"
expect decode_blocks_file 0 "$tool" decode-blocks --block-size 512 --reference "@$work/ref.txt" "$work/blocks"
# Blocks split across files, in any order.
split -b 1536 "$work/blocks" "$work/part."
expect decode_blocks_split 0 "$tool" decode-blocks --block-size 512 --reference "$ref" "$work"/part.ab "$work"/part.aa "$work"/part.ac
# A flipped body byte in the third block (address 102).
cp "$work/blocks" "$work/blocks.bad"
printf '\x55' | dd of="$work/blocks.bad" bs=1 seek=$((2 * 512 + 300)) conv=notrunc status=none
expect decode_blocks_corrupt 1 "$tool" decode-blocks --block-size 512 --reference "$ref" "$work/blocks.bad"
contains decode_blocks_corrupt "$work/err" "error: block_body_checksum at block 102"
# A missing block.
head -c $((512 * 7)) "$work/blocks" >"$work/blocks.short"
expect decode_blocks_missing 1 "$tool" decode-blocks --block-size 512 --reference "$ref" "$work/blocks.short"
contains decode_blocks_missing "$work/err" "error: block_missing at block 107"
expect decode_blocks_bad_ref 2 "$tool" decode-blocks --block-size 512 --reference "1:2:3" "$work/blocks"
expect decode_blocks_bad_size 2 "$tool" decode-blocks --block-size 500 --reference "$ref" "$work/blocks"
expect decode_blocks_dup 1 "$tool" decode-blocks --block-size 512 --reference "$ref" "$work/blocks" "$work/part.aa"
contains decode_blocks_dup "$work/err" "two blocks claim address"

# Regressions found in review.
# An empty blocks file: an error, not undefined behaviour (qsort/bsearch on NULL).
expect decode_blocks_empty 1 "$tool" decode-blocks --block-size 512 --reference "$ref" /dev/null
contains decode_blocks_empty "$work/err" "no blocks"
# Options after the files are still options.
expect decode_blocks_options_last 0 "$tool" decode-blocks --reference "$ref" "$work/blocks" --block-size 512
# Unused (zero) blocks in an image are not blocks of the trailer and do not clash.
cat "$work/blocks" >"$work/image"
head -c 1024 /dev/zero >>"$work/image"
expect decode_blocks_image 0 "$tool" decode-blocks --block-size 512 --reference "$ref" "$work/image"
# An unreadable @PATH reference is a file error (1), not bad usage (2).
expect decode_blocks_ref_missing 1 "$tool" decode-blocks --block-size 512 --reference "@$work/nope" "$work/blocks"
# Output that cannot be written is an error, never a silent exit 0.
full_status() { # the exit status of a command whose standard output is /dev/full
    "$@" >/dev/full 2>/dev/null
    echo $?
}
if [ -w /dev/full ]; then
    for command in "decode --clients-max 7 $tb7" "encode-blocks --block-size 512 $tb7 $work/b2" \
        "checksum $tb7"; do
        checks=$((checks + 1))
        # shellcheck disable=SC2086 # the command is split into words on purpose
        status=$(full_status "$tool" $command)
        [ "$status" = 1 ] || { echo "FAIL $command >/dev/full: exit $status, want 1"; failures=$((failures + 1)); }
    done
fi
# An endless input stops at what the capacity can hold instead of filling memory.
expect decode_endless 1 "$tool" decode --clients-max 1 /dev/zero
contains decode_endless "$work/err" "error: trailer_size"
expect ref_endless 2 "$tool" decode-blocks --block-size 512 --reference @/dev/zero "$work/blocks"
# The hash seed is random per run, and must not change the answer.
"$tool" decode --clients-max 64 "$data/tigerbeetle/tb_encode_64.bin" >"$work/run1"
"$tool" decode --clients-max 64 "$data/tigerbeetle/tb_encode_64.bin" >"$work/run2"
checks=$((checks + 1))
cmp -s "$work/run1" "$work/run2" || { echo "FAIL decode twice: outputs differ"; failures=$((failures + 1)); }

echo "cli: $checks checks, $failures failed"
[ "$failures" = 0 ]
