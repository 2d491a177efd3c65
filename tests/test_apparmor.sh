#!/bin/sh
# SPDX-License-Identifier: ISC
# The AppArmor profiles of dist/apparmor: each parses (apparmor_parser
# -Q, which loads nothing into the kernel), is in enforce mode, and
# attaches to the program its file is named after, so that dh_apparmor
# and the Px rules of rmb-peer's profile find it.
src="${top_srcdir:-.}/dist/apparmor"
n=0
fails=0

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
	fi
}

parser=$(command -v apparmor_parser || ls /usr/sbin/apparmor_parser \
    /sbin/apparmor_parser 2>/dev/null | head -1)
if [ -z "$parser" ] || [ ! -d /etc/apparmor.d/abstractions ]; then
	echo "1..0 # SKIP apparmor_parser is not installed (Debian: apparmor)"
	exit 0
fi

for name in usr.sbin.rmb-peer usr.sbin.rmb-relay usr.libexec.rmb.rmb-keyd \
    usr.libexec.rmb.rmb-netd usr.libexec.rmb.rmb-apid; do
	f="$src/$name"
	out=$("$parser" -QK "$f" 2>&1)
	rc=$?
	ok $rc "$name parses"
	[ $rc = 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
	# usr.libexec.rmb.rmb-keyd is /usr/libexec/rmb/rmb-keyd.
	path=/$(echo "$name" | tr . /)
	prog=${name##*.}
	grep -q "^profile $prog $path {$" "$f"
	ok $? "... is profile $prog, attached to $path"
	! grep -q "flags=.*complain" "$f"
	ok $? "... in enforce mode"
	grep -q "^  include if exists <local/$name>$" "$f"
	ok $? "... with the local include dh_apparmor creates"
done

# Each helper rmb-peer runs goes into its own profile.
for prog in rmb-keyd rmb-netd rmb-apid; do
	grep -q "^  /usr/libexec/rmb/$prog Px,$" "$src/usr.sbin.rmb-peer"
	ok $? "rmb-peer runs $prog under its own profile (Px)"
done

# keyd's profile names its libraries one by one: each one the built
# rmb-keyd needs (the sanitizers' runtimes are for tests only).
keyd="${top_builddir:-.}/keyd/rmb-keyd"
if command -v readelf >/dev/null && [ -x "$keyd" ]; then
	missing=
	for lib in $(readelf -d "$keyd" |
	    sed -n 's/.*(NEEDED).*\[\(lib[^]]*\)\.so.*\]$/\1/p'); do
		case $lib in
		libasan|libubsan|liblsan|libtsan) continue ;;
		esac
		grep -q "^  /{usr/,}lib/@{multiarch}/$lib\.so\.\* mr,$" \
		    "$src/usr.libexec.rmb.rmb-keyd" || missing="$missing $lib"
	done
	[ -z "$missing" ]
	ok $? "keyd's profile maps each library rmb-keyd needs${missing:+ (not:$missing)}"
else
	ok 0 "keyd's libraries # SKIP no readelf or no rmb-keyd built"
fi

echo "1..$n"
[ $fails = 0 ]
