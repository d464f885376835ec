#!/usr/bin/env bash
# The client-sessions tool: outputs, error messages and exit codes; inputs a careless or
# hostile user gives it (endless devices, files too large, a full disk, no entropy).
set -u
tool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=$2
work=$(mktemp -d)
mounted=""
cleanup() {
    [ -n "$mounted" ] && umount "$mounted" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
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
contains help "$work/out" "decode-blocks --block-size SIZE --reference REF"
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
contains decode_endless "$work/err" "got more than 264"
expect ref_endless 2 "$tool" decode-blocks --block-size 512 --reference @/dev/zero "$work/blocks"
# The hash seed is random per run, and must not change the answer.
"$tool" decode --clients-max 64 "$data/tigerbeetle/tb_encode_64.bin" >"$work/run1"
"$tool" decode --clients-max 64 "$data/tigerbeetle/tb_encode_64.bin" >"$work/run2"
checks=$((checks + 1))
cmp -s "$work/run1" "$work/run2" || { echo "FAIL decode twice: outputs differ"; failures=$((failures + 1)); }

# ---- what real use brought up ----
check() { # check NAME CONDITION...: one check of a shell condition
    local name=$1
    shift
    checks=$((checks + 1))
    "$@" || { echo "FAIL $name: $*"; failures=$((failures + 1)); }
}

# decode reports the size it was given, not the one byte past the capacity it read.
head -c 2000 /dev/zero >"$work/2000"
expect decode_size 1 "$tool" decode --clients-max 4 "$work/2000"
contains decode_size "$work/err" "expected 1056 bytes (264 * 4), got 2000"
expect decode_size_pipe 1 sh -c "cat '$work/2000' | '$tool' decode --clients-max 4 -"
contains decode_size_pipe "$work/err" "got more than 1056"

# checksum streams the whole input: a file past the old 276,824,065-byte cap is not the
# checksum of its prefix; an endless device is refused, or bounded by --max-bytes.
truncate -s 300M "$work/big"
truncate -s 276824065 "$work/prefix"
expect checksum_big 0 "$tool" checksum "$work/big"
cp "$work/out" "$work/big.sum"
expect checksum_prefix 0 "$tool" checksum "$work/prefix"
check checksum_not_prefix test "$(cat "$work/out")" != "$(cat "$work/big.sum")"
expect checksum_bounded 0 "$tool" checksum --max-bytes 300M "$work/big"
check checksum_bounded_same cmp -s "$work/out" "$work/big.sum"
expect checksum_over_bound 1 "$tool" checksum --max-bytes 100M "$work/big"
contains checksum_over_bound "$work/err" "longer than --max-bytes 104857600"
expect checksum_zero_device 1 "$tool" checksum /dev/zero
contains checksum_zero_device "$work/err" "character device"
expect checksum_zero_bounded 1 "$tool" checksum --max-bytes 1M /dev/zero
contains checksum_zero_bounded "$work/err" "longer than --max-bytes 1048576"
expect checksum_null 0 "$tool" checksum /dev/null
contains checksum_null "$work/out" 49f174618255402de6e7e3c40d60cc83
expect checksum_bad_bound 2 "$tool" checksum --max-bytes lots "$work/2000"

# encode-blocks takes only a trailer: 264*N bytes, N in 1..2^20, that decodes.
expect encode_endless 1 "$tool" encode-blocks --block-size 4096 /dev/zero "$work/z.blocks"
contains encode_endless "$work/err" "character device"
check encode_endless_no_out test ! -e "$work/z.blocks"
expect encode_too_large 1 "$tool" encode-blocks --block-size 4096 "$work/big" "$work/z.blocks"
contains encode_too_large "$work/err" "too large for a trailer"
contains encode_too_large "$work/err" "got 314572800"
printf 'hello\n' >"$work/text"
expect encode_text 1 "$tool" encode-blocks --block-size 512 "$work/text" "$work/t.blocks"
contains encode_text "$work/err" "is not a trailer: 6 bytes"
head -c 264 /dev/urandom >"$work/noise"
expect encode_noise 1 "$tool" encode-blocks --block-size 512 "$work/noise" "$work/t.blocks"
contains encode_noise "$work/err" "is not a valid trailer of 1 slots"
check encode_invalid_no_out test ! -e "$work/t.blocks"
expect encode_dash 2 sh -c "cd '$work' && '$tool' encode-blocks --block-size 512 '$tb7' -"
check encode_dash_no_file test ! -e "$work/-"
(umask 022 && "$tool" encode-blocks --block-size 512 "$tb7" "$work/mode.blocks" >/dev/null)
check encode_mode test "$(stat -c %a "$work/mode.blocks")" = 644
check encode_no_temp_left test -z "$(find "$work" -name '*.tmp-*')"
# A full disk (a real tmpfs of 64 KiB): an error, no partial OUT, an old OUT untouched.
head -c $((264 * 1024)) /dev/zero >"$work/empty1024"
if [ "$(id -u)" = 0 ] && mkdir "$work/full" && mount -t tmpfs -o size=64k tmpfs "$work/full"; then
    mounted=$work/full
    expect encode_full 1 "$tool" encode-blocks --block-size 512 "$work/empty1024" "$work/full/new"
    contains encode_full "$work/err" "No space left on device"
    check encode_full_no_out test ! -e "$work/full/new"
    echo old >"$work/full/old"
    expect encode_full_old 1 "$tool" encode-blocks --block-size 512 "$work/empty1024" "$work/full/old"
    check encode_full_old_kept test "$(cat "$work/full/old")" = old
    check encode_full_no_temp test "$(ls "$work/full")" = old
    # REF into a file on the full disk: OUT (elsewhere) is not replaced.
    head -c 1M /dev/zero >"$work/full/fill" 2>/dev/null
    echo old >"$work/ref-full-out"
    expect encode_full_ref 1 sh -c "'$tool' encode-blocks --block-size 512 '$tb7' '$work/ref-full-out' >'$work/full/ref'"
    contains encode_full_ref "$work/err" "cannot write the reference to standard output: No space left on device"
    check encode_full_ref_kept test "$(cat "$work/ref-full-out")" = old
    check encode_full_ref_no_temp test -z "$(find "$work" -maxdepth 1 -name 'ref-full-out.tmp-*')"
    umount "$work/full" && mounted=""
else
    echo "cli: skipped the full-disk checks: mounting a tmpfs needs root"
fi

# decode-blocks streams its files: a valid image whose trailer blocks lie past 300 MB of
# free space decodes (it was cut at 276,824,065 bytes and called 'trailing bytes'),
# without holding the image in memory.
expect image_blocks 0 "$tool" encode-blocks --block-size 4096 --first-address 7 "$tb7" "$work/tb7.blocks"
ref4k=$(cat "$work/out")
cp "$work/big" "$work/image300"
cat "$work/tb7.blocks" >>"$work/image300"
expect image_300 0 "$tool" decode-blocks --block-size 4096 --reference "$ref4k" "$work/image300"
check image_300_output cmp -s "$work/out" "$work/direct.jsonl"
if command -v python3 >/dev/null; then
    peak=$(python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)' \
        "$tool" decode-blocks --block-size 4096 --reference "$ref4k" "$work/image300")
    check image_300_memory test "$peak" -lt 150
fi
expect image_stdin 0 sh -c "'$tool' decode-blocks --block-size 4096 --reference '$ref4k' - <'$work/image300'"
check image_stdin_output cmp -s "$work/out" "$work/direct.jsonl"
expect image_zero_device 1 "$tool" decode-blocks --block-size 512 --reference "$ref" /dev/zero
contains image_zero_device "$work/err" "character device"
# Many blocks (33,792 of 512 bytes): indexed in one pass (one realloc per block made
# this quadratic: minutes under ASan).
head -c $((264 * 32768)) /dev/zero >"$work/empty32768"
expect many_blocks_encode 0 "$tool" encode-blocks --block-size 512 "$work/empty32768" "$work/many.blocks"
refmany=$(cat "$work/out")
check many_blocks_count test "$(stat -c %s "$work/many.blocks")" = $((512 * 33792))
expect many_blocks 0 "$tool" decode-blocks --block-size 512 --reference "$refmany" "$work/many.blocks"
check many_blocks_empty test ! -s "$work/out"

# ---- OUT: only a regular file or a new path is replaced; nothing is lost on an error ----
# Every special file here is made in $work (never the system's own /dev/null): a device
# node of /dev/null's numbers, a block device, a FIFO with a reader, symbolic links.
# snapshot PATH: what stands there (kind, device numbers, link target, content) in one line
snapshot() {
    if [ -L "$1" ]; then
        echo "link $(readlink "$1")"
    elif [ -e "$1" ] || [ -p "$1" ]; then
        echo "$(stat -c '%F %t:%T %s' "$1") $( [ -f "$1" ] && cksum <"$1")"
    else
        echo absent
    fi
}
refused_out() { # refused_out NAME OUT WHAT: encode-blocks to OUT is refused and OUT stays
    local name=$1 out=$2 what=$3 before
    before=$(snapshot "$out")
    expect "$name" 2 "$tool" encode-blocks --block-size 512 "$tb7" "$out"
    contains "$name" "$work/err" "$what"
    check "${name}_kept" test "$(snapshot "$out")" = "$before"
    check "${name}_no_ref" test ! -s "$work/out"
    check "${name}_no_temp" test -z "$(find "$work/outs" -name '*.tmp-*')"
}
mkdir "$work/outs"
if [ "$(id -u)" = 0 ] && mknod "$work/outs/null" c 1 3 && mknod "$work/outs/disk" b 7 250; then
    refused_out out_char_device "$work/outs/null" "is a character device"
    refused_out out_block_device "$work/outs/disk" "is a block device"
else
    echo "cli: skipped the device-node checks: mknod needs root"
fi
mkfifo "$work/outs/fifo"
timeout 20 cat "$work/outs/fifo" >"$work/outs/fifo.read" &
reader=$!
refused_out out_fifo "$work/outs/fifo" "is a FIFO"
: >"$work/outs/fifo" # the reader sees the end, with nothing written through the FIFO
wait "$reader"
check out_fifo_reader_ok test $? = 0
check out_fifo_nothing_read test ! -s "$work/outs/fifo.read"
echo old >"$work/outs/target"
ln -s target "$work/outs/link"
refused_out out_symlink "$work/outs/link" "is a symbolic link"
check out_symlink_target test "$(cat "$work/outs/target")" = old
ln -s nowhere "$work/outs/dangling"
refused_out out_dangling_symlink "$work/outs/dangling" "is a symbolic link"
check out_dangling_not_created test ! -e "$work/outs/nowhere"
mkdir "$work/outs/dir"
refused_out out_directory "$work/outs/dir" "is a directory"
# OUT is TRAILER itself: by the same name, a hard link, a symbolic link, standard input.
cp "$tb7" "$work/outs/same"
ln "$work/outs/same" "$work/outs/hard"
ln -s same "$work/outs/soft"
for pair in "same same" "same hard" "soft same" "soft hard"; do
    set -- $pair
    expect "out_is_trailer_$1_$2" 2 "$tool" encode-blocks --block-size 512 "$work/outs/$1" "$work/outs/$2"
    contains "out_is_trailer_$1_$2" "$work/err" "is TRAILER"
    check "out_is_trailer_$1_$2_kept" cmp -s "$work/outs/same" "$tb7"
done
expect out_is_trailer_stdin 2 sh -c "'$tool' encode-blocks --block-size 512 - '$work/outs/same' <'$work/outs/same'"
check out_is_trailer_stdin_kept cmp -s "$work/outs/same" "$tb7"
# REF that cannot be written (/dev/full, a reader gone): an error, OUT as it was, no
# temporary file left; REF is written before OUT is renamed into place.
echo old >"$work/outs/old"
chmod 640 "$work/outs/old"
if [ -w /dev/full ]; then
    expect out_ref_full 1 sh -c "'$tool' encode-blocks --block-size 512 '$tb7' '$work/outs/old' >/dev/full"
    contains out_ref_full "$work/err" "cannot write the reference to standard output"
    check out_ref_full_kept test "$(cat "$work/outs/old")" = old
    expect out_ref_full_new 1 sh -c "'$tool' encode-blocks --block-size 512 '$tb7' '$work/outs/new' >/dev/full"
    check out_ref_full_no_new test ! -e "$work/outs/new"
fi
expect out_ref_pipe 1 python3 -c '
import subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
p.stdout.close()
sys.stderr.write(p.stderr.read().decode())
sys.exit(p.wait())' "$tool" encode-blocks --block-size 512 "$tb7" "$work/outs/old"
contains out_ref_pipe "$work/err" "Broken pipe"
check out_ref_pipe_kept test "$(cat "$work/outs/old")" = old
check out_ref_no_temp test -z "$(find "$work/outs" -name '*.tmp-*')"
# A regular OUT is replaced, keeping its mode.
expect out_regular 0 "$tool" encode-blocks --block-size 512 "$tb7" "$work/outs/old"
check out_regular_mode test "$(stat -c %a "$work/outs/old")" = 640
check out_regular_blocks test "$(stat -c %s "$work/outs/old")" = $((512 * 8))

# --first-address: any non-zero u64 whose chain of blocks does not pass 2^64 - 1.
expect first_address_max 0 "$tool" encode-blocks --block-size 4096 --first-address 18446744073709551615 "$tb7" "$work/outs/max"
echo "$(cat "$work/out")" >"$work/outs/max.ref"
contains first_address_max "$work/out" ":18446744073709551615:"
expect first_address_max_decodes 0 "$tool" decode-blocks --block-size 4096 --reference "@$work/outs/max.ref" "$work/outs/max"
check first_address_max_output cmp -s "$work/out" "$work/direct.jsonl"
expect first_address_chain 0 "$tool" encode-blocks --block-size 512 --first-address 18446744073709551608 "$tb7" "$work/outs/chain"
expect first_address_past 1 "$tool" encode-blocks --block-size 512 --first-address 18446744073709551609 "$tb7" "$work/outs/past"
contains first_address_past "$work/err" "--first-address may be at most 18446744073709551608"
check first_address_past_no_out test ! -e "$work/outs/past"
expect first_address_zero 2 "$tool" encode-blocks --block-size 512 --first-address 0 "$tb7" "$work/outs/past"

# --help and --version are output too: into /dev/full they fail, with the reason.
if [ -w /dev/full ]; then
    for flags in --help --version "decode --help"; do
        # shellcheck disable=SC2086 # split on purpose
        expect "full_$flags" 1 sh -c "'$tool' $flags >/dev/full"
        contains "full_$flags" "$work/err" "cannot write the output: No space left on device"
    done
fi

# One grammar (cli/options.h, shared with client-sessions-sim): --flag=value, 0x, sizes,
# '--', each flag once, names in full, one wording.
expect grammar_equals 0 "$tool" decode --clients-max=7 "$tb7"
check grammar_equals_output cmp -s "$work/out" "$work/direct.jsonl"
expect grammar_hex 0 "$tool" decode --clients-max 0x7 "$tb7"
expect grammar_twice 2 "$tool" decode --clients-max 7 --clients-max 7 "$tb7"
contains grammar_twice "$work/err" "--clients-max given twice"
contains grammar_twice "$work/err" "Try 'client-sessions --help'."
expect grammar_abbreviation 2 "$tool" decode --clients 7 "$tb7"
contains grammar_abbreviation "$work/err" "unknown option '--clients'"
expect grammar_flag_as_value 2 "$tool" decode --clients-max --help "$tb7"
expect grammar_no_value 2 "$tool" decode "$tb7" --clients-max
contains grammar_no_value "$work/err" "--clients-max needs a value"
expect grammar_dashdash 1 "$tool" decode --clients-max 64 -- -x
contains grammar_dashdash "$work/err" "cannot open -x"
cp "$tb7" "$work/-x"
expect grammar_dashdash_file 0 sh -c "cd '$work' && '$tool' decode --clients-max 7 -- -x"
check grammar_dashdash_output cmp -s "$work/out" "$work/direct.jsonl"
expect grammar_unknown 2 "$tool" decode -x "$tb7"
contains grammar_unknown "$work/err" "unknown option '-x'"
expect grammar_size 0 "$tool" decode-blocks --reference "$ref4k" "$work/tb7.blocks" --block-size=4K
expect grammar_size_hex 0 "$tool" checksum --max-bytes 0x800 "$tb7"
expect grammar_size_lower 2 "$tool" checksum --max-bytes 2k "$tb7"
contains grammar_size_lower "$work/err" "--max-bytes needs a size"
expect grammar_block_size 2 "$tool" decode-blocks --block-size 3K --reference "$ref4k" "$work/tb7.blocks"
contains grammar_block_size "$work/err" "--block-size needs a power of two in 512..1048576"
# --cluster is a number like every other: 10 is ten, 0xa is ten.
expect cluster_decimal 0 "$tool" encode-blocks --block-size 512 --cluster 10 "$tb7" "$work/outs/c10"
cp "$work/out" "$work/outs/c10.ref"
expect cluster_hex 0 "$tool" encode-blocks --block-size 512 --cluster 0xa "$tb7" "$work/outs/c0xa"
check cluster_same cmp -s "$work/out" "$work/outs/c10.ref"
check cluster_same_blocks cmp -s "$work/outs/c10" "$work/outs/c0xa"
expect cluster_u128 0 "$tool" encode-blocks --block-size 512 --cluster 0xffffffffffffffffffffffffffffffff "$tb7" "$work/outs/cmax"
expect cluster_past_u128 2 "$tool" encode-blocks --block-size 512 --cluster 340282366920938463463374607431768211456 "$tb7" "$work/outs/cpast"
contains cluster_past_u128 "$work/err" "--cluster needs a number below 2^128"

# No entropy: decode fails, never falls back to a hash seed an attacker knows (seed 0).
# getrandom(2) and /dev/urandom are taken away with an LD_PRELOAD shim.
if command -v "${CC:-cc}" >/dev/null; then
    cat >"$work/noentropy.c" <<'SHIM'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
ssize_t getrandom(void *buffer, size_t size, unsigned int flags) {
    (void)buffer, (void)size, (void)flags;
    errno = ENOSYS;
    return -1;
}
static FILE *refuse(const char *path, const char *mode, const char *name) {
    if (getenv("NO_URANDOM") && strcmp(path, "/dev/urandom") == 0) {
        errno = EACCES;
        return NULL;
    }
    FILE *(*real)(const char *, const char *) = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, name);
    return real(path, mode);
}
FILE *fopen(const char *path, const char *mode) { return refuse(path, mode, "fopen"); }
FILE *fopen64(const char *path, const char *mode) { return refuse(path, mode, "fopen64"); }
SHIM
    sed -i '1a #include <stdlib.h>' "$work/noentropy.c"
    if "${CC:-cc}" -shared -fPIC -o "$work/noentropy.so" "$work/noentropy.c" -ldl 2>"$work/cc.err"; then
        export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
        expect entropy_none 1 env LD_PRELOAD="$work/noentropy.so" NO_URANDOM=1 "$tool" decode --clients-max 7 "$tb7"
        contains entropy_none "$work/err" "no entropy for the hash seed"
        check entropy_none_no_output test ! -s "$work/out"
        expect entropy_urandom 0 env LD_PRELOAD="$work/noentropy.so" "$tool" decode --clients-max 7 "$tb7"
        check entropy_urandom_output cmp -s "$work/out" "$work/direct.jsonl"
        # decode-blocks grows its index geometrically: a few reallocs for 33,792 blocks, not
        # one per block (which made it quadratic: over two minutes under ASan).
        cat >"$work/reallocs.c" <<'SHIM'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
static unsigned long calls;
void *realloc(void *pointer, size_t size) {
    static void *(*real)(void *, size_t);
    if (real == NULL) real = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    calls++;
    return real(pointer, size);
}
__attribute__((destructor)) static void report(void) {
    FILE *out = fopen(getenv("REALLOC_CALLS"), "w");
    if (out != NULL) fprintf(out, "%lu\n", calls), fclose(out);
}
SHIM
        if "${CC:-cc}" -shared -fPIC -o "$work/reallocs.so" "$work/reallocs.c" -ldl 2>"$work/cc.err"; then
            expect many_blocks_reallocs 0 env LD_PRELOAD="$work/reallocs.so" REALLOC_CALLS="$work/calls" \
                "$tool" decode-blocks --block-size 512 --reference "$refmany" "$work/many.blocks"
            check many_blocks_few_reallocs test "$(cat "$work/calls" 2>/dev/null || echo none)" -lt 100
        fi
    else
        echo "cli: skipped the entropy checks: cannot build the shim: $(cat "$work/cc.err")"
    fi
else
    echo "cli: skipped the entropy checks: no C compiler for the LD_PRELOAD shim"
fi

echo "cli: $checks checks, $failures failed"
[ "$failures" = 0 ]
