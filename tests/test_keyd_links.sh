#!/bin/sh
# SPDX-License-Identifier: ISC
# rmb-keyd links only what a key holder needs: libsodium, nettle,
# libsecp256k1, protobuf-c, libseccomp and libc; nothing that speaks a
# network protocol.
bin="${top_builddir:-.}/keyd/rmb-keyd"
n=0
fails=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
needed=$(readelf -d "$bin" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ]; ok $? "readelf lists rmb-keyd's libraries"
for lib in libwebsockets libcurl libhiredis libjson-c libev libssl libcrypto libxxhash; do
	echo "$needed" | grep -q "^$lib\.so"
	ok $((1 - $?)) "does not link $lib"
done
for lib in libsodium libnettle libsecp256k1 libprotobuf-c libseccomp libc; do
	echo "$needed" | grep -q "^$lib\.so"
	ok $? "links $lib"
done
# Sanitizer runtimes appear in the ASan build only.
extra=$(echo "$needed" | grep -v -E '^(libsodium|libnettle|libsecp256k1|libprotobuf-c|libseccomp|libc|libasan|libubsan|libm|libstdc\+\+|libgcc_s)\.so')
[ -z "$extra" ]; ok $? "nothing else (${extra:-none})"
echo "1..$n"
[ $fails = 0 ]
