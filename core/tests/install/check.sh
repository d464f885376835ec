#!/usr/bin/env bash
# Installs BUILD_DIR into a scratch prefix and builds a consumer with pkg-config against it,
# once against the shared library and once statically.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
meson install -C "$build" --no-rebuild --destdir "$root" >/dev/null
prefix=$(meson introspect "$build" --buildoptions | python3 -c \
    'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
pc=$(dirname "$(find "$root" -name client-sessions.pc | head -n 1)")
export PKG_CONFIG_PATH=$pc PKG_CONFIG_SYSROOT_DIR=$root
# The installed headers are the API and nothing else: the two public headers, without the
# checksum implementation selector (vsr_checksum_impl.h stays in the source tree).
include=$(dirname "$(find "$root" -name client_sessions.h | head -n 1)")
installed=$(cd "$include" && ls vsr*.h client_sessions*.h 2>/dev/null | tr '\n' ' ')
[ "$installed" = "client_sessions.h vsr.h " ] ||
    { echo "install: headers installed: '$installed', want 'client_sessions.h vsr.h '"; exit 1; }
if grep -n 'vsr_checksum_with\|vsr_checksum_impl\|stream_init_with' "$include/vsr.h"; then
    echo "install: the installed vsr.h declares the implementation selector"
    exit 1
fi
want="49f174618255402de6e7e3c40d60cc83 8"
cc -std=c17 "$here/consumer.c" -o "$root/consumer" $(pkg-config --cflags --libs client-sessions)
got=$(LD_LIBRARY_PATH=$root$prefix/lib:$(dirname "$(find "$root" -name 'libclient-sessions.so' | head -n 1)") "$root/consumer")
[ "$got" = "$want" ] || { echo "install: shared consumer printed '$got', want '$want'"; exit 1; }
cc -std=c17 "$here/consumer.c" -o "$root/consumer-static" $(pkg-config --cflags client-sessions) \
    "$(find "$root" -name 'libclient-sessions.a' | head -n 1)"
got=$("$root/consumer-static")
[ "$got" = "$want" ] || { echo "install: static consumer printed '$got', want '$want'"; exit 1; }
echo "install: headers, shared and static library and pkg-config file work from $prefix"
