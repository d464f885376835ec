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
want="49f174618255402de6e7e3c40d60cc83 8"
cc -std=c17 "$here/consumer.c" -o "$root/consumer" $(pkg-config --cflags --libs client-sessions)
got=$(LD_LIBRARY_PATH=$root$prefix/lib:$(dirname "$(find "$root" -name 'libclient-sessions.so' | head -n 1)") "$root/consumer")
[ "$got" = "$want" ] || { echo "install: shared consumer printed '$got', want '$want'"; exit 1; }
cc -std=c17 "$here/consumer.c" -o "$root/consumer-static" $(pkg-config --cflags client-sessions) \
    "$(find "$root" -name 'libclient-sessions.a' | head -n 1)"
got=$("$root/consumer-static")
[ "$got" = "$want" ] || { echo "install: static consumer printed '$got', want '$want'"; exit 1; }
echo "install: headers, shared and static library and pkg-config file work from $prefix"
