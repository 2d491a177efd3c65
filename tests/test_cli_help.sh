#!/bin/sh
# SPDX-License-Identifier: ISC
# Every program's -h and --version from the build tree: exit 0, on
# standard output, --version prints debian/changelog's version, -h
# names every option its man page names (in the SYNOPSIS and on the .It
# lines of its lists), so that neither can lose one unseen, and the
# program takes every option its -h names.  Also that every man page's .Os carries the package's
# version, and that rmb-peer's children still refuse to start by hand.
b="${top_builddir:-.}"
s="${top_srcdir:-.}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
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

# The package's version, on debian/changelog's first line: the one
# configure takes and every program prints.
version=$(sed -n '1s/^rmb (\([^)]*\)).*/\1/p' "$s/debian/changelog")
if [ -z "$version" ]; then
	echo "Bail out! no version on $s/debian/changelog's first line"
	exit 99
fi
built=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$b/config.h")
[ "$built" = "$version" ]
ok $? "config.h's PACKAGE_VERSION is debian/changelog's $version (got $built)"

# options PAGE SUBS [ALL]: "WHERE OPTION" lines for every option PAGE names.
# WHERE is "-" for the program itself; with SUBS=1 (rmb(1)) it is the
# subcommand whose synopsis (the .Cm after an .Nm) or whose item of the
# outermost list names the option.  "Fl dhV" is -d, -h and -V; "Fl Fl x"
# is --x; "Fl -" (the end of the options) is none.  With ALL=1, every
# option the page names anywhere, as WHERE "-".
options() {
	awk -v subs="$2" -v all="${3:-0}" '
	function scan(where,	i, j, k, t) {
		for (i = 1; i <= NF; i++) {
			if ($i != "Fl" && $i != ".Fl")
				continue
			j = i + 1
			if ($j == "Fl") {
				t = $(j + 1)
				if (t ~ /^[A-Za-z0-9][-A-Za-z0-9]*$/)
					print where, "--" t
				i = j + 1
			} else if ($j ~ /^[A-Za-z0-9]+$/) {
				for (k = 1; k <= length($j); k++)
					print where, "-" substr($j, k, 1)
				i = j
			}
		}
	}
	all { scan("-"); next }
	/^\.Sh / { sec = $2; depth = 0; cur = "-"; next }
	sec == "SYNOPSIS" {
		if ($1 == ".Nm") {
			cur = "-"
			fresh = 1
			next
		}
		if (subs && fresh && $1 == ".Cm")
			cur = $2
		fresh = 0
		scan(cur)
		next
	}
	$1 == ".Bl" { depth++; next }
	$1 == ".El" { depth--; next }
	$1 == ".It" {
		if (subs && depth == 1) {
			cur = $2 == "Cm" ? $3 : "-"
		}
		scan(subs ? cur : "-")
	}
	' "$1"
}

# has FILE OPTION: OPTION stands on its own in FILE (not inside another
# option, nor the first letter of a cluster such as -dhV).
has() {
	grep -Eq -e "(^|[^-[:alnum:]])$2([^-[:alnum:]]|\$)" "$1"
}

# listed FILE NAME WHERE: "WHERE OPTION" lines for every option the help
# text FILE names, in its synopsis (the "usage:" line and those that go
# on it, up to a blank line or the first option line) or at the head of
# an option line (an indented -x or --xyz, up to two spaces), not in
# prose: each word that starts with - or -- and a letter or digit
# ("-dhV" is -d, -h and -V).  A synopsis line "usage: NAME SUB ..." or
# "       NAME SUB ..." (rmb -h's line for each command) names SUB's.
listed() {
	awk -v name="$2" -v where="$3" '
	function words(line, w,	t, k) {
		line = " " line
		while (match(line, /[][ ,|(]--?[A-Za-z0-9][-A-Za-z0-9]*/)) {
			t = substr(line, RSTART + 1, RLENGTH - 1)
			line = substr(line, RSTART + RLENGTH)
			if (t ~ /^--/)
				print w, t
			else
				for (k = 2; k <= length(t); k++)
					print w, "-" substr(t, k, 1)
		}
	}
	/^usage: / { syn = 1 }
	/^ *$/ { syn = 0; next }
	/^ +-/ {
		syn = 0
		head = $0
		sub(/^ +/, "", head)
		sub(/  .*/, "", head)
		words(head, where)
		next
	}
	syn {
		w = where
		if (match($0, "^(usage:)? +" name " +[a-z]+")) {
			n = split(substr($0, RSTART, RLENGTH), f, " +")
			w = f[n]
		}
		words($0, w)
	}' "$1"
}

# refused PROG WHERE OPTION: PROG (its command WHERE unless "-") says
# it does not know OPTION.  The option is given a value ("--x=%", "-x%")
# and an unknown option follows, so that nothing ever starts: a flag
# stops at the value, an option with a value at what follows.  rmb's own
# options are words it compares, not getopt's, and are given alone.
refused() {
	set -- "$1" "$2" "$3"
	case $2 in
	-)	pre= ;;
	serve)	pre="serve probe" ;;
	twin)	pre="twin show" ;;
	*)	pre=$2 ;;
	esac
	if [ "${1##*/}" = rmb ] && [ "$2" = - ]; then
		"$1" "$3" </dev/null >/dev/null 2>"$tmp/refused"
	else
		case $3 in
		--*)	arg="$3=%" ;;
		*)	arg="$3%" ;;
		esac
		# shellcheck disable=SC2086
		"$1" $pre "$arg" --zz-end --zz-end </dev/null >/dev/null \
		    2>"$tmp/refused"
	fi
	case $3 in
	--*)	grep -Eq -e "(unrecognized|unknown) option '?$3('|=|\$| )" \
		    -e "option '$3' is ambiguous" \
		    -e "unknown command '$3'" "$tmp/refused" ;;
	*)	c=${3#-}
		grep -Eq -e "invalid option -- '?$c'?\$" \
		    -e "unknown option -$c( |\$)" \
		    -e "unknown command '-$c'" "$tmp/refused" ;;
	esac
}

# help NAME CMD...: exit 0, something on stdout, nothing on stderr.
help() {
	what=$1
	shift
	"$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc = 0 ] && [ -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; then
		ok 0 "$what: exits 0, on standard output"
	else
		ok 1 "$what: exits 0, on standard output"
		echo "# exit $rc"
		sed 's/^/# stderr: /' "$tmp/err"
	fi
}

# check PROG PAGE [SUBS]
check() {
	prog=$1 page=$2 subs=${3:-0}
	name=${prog##*/}
	help "$name -h" "$prog" -h
	cp "$tmp/out" "$tmp/help.-"
	help "$name --help" "$prog" --help
	cmp -s "$tmp/out" "$tmp/help.-"
	ok $? "$name --help is -h"
	for v in -V --version; do
		got=$("$prog" $v 2>"$tmp/err")
		rc=$?
		[ $rc = 0 ] && [ "$got" = "$name $version" ] && [ ! -s "$tmp/err" ]
		ok $? "$name $v prints \"$name $version\" and exits 0"
	done
	options "$s/man/$page" "$subs" | sort -u >"$tmp/opts"
	if [ ! -s "$tmp/opts" ]; then
		ok 1 "$page names options"
		return
	fi
	while read -r where opt; do
		if [ ! -f "$tmp/help.$where" ]; then
			help "$name $where -h" "$prog" "$where" -h
			cp "$tmp/out" "$tmp/help.$where"
			grep -q "^usage: $name $where" "$tmp/help.$where"
			ok $? "$name $where -h: its own usage"
		fi
		label=$name
		[ "$where" = - ] || label="$name $where"
		if has "$tmp/help.$where" "$opt"; then
			ok 0 "$label -h lists $opt ($page)"
		else
			ok 1 "$label -h lists $opt ($page)"
			sed 's/^/# /' "$tmp/help.$where"
		fi
	done <"$tmp/opts"
	# Every option -h lists is on the page, in a list or in prose.
	options "$s/man/$page" 0 1 | cut -d' ' -f2 | sort -u >"$tmp/named"
	for f in "$tmp"/help.*; do
		listed "$f" "$name" "${f##*/help.}"
	done | sort -u >"$tmp/listed"
	while read -r where opt; do
		label=$name
		[ "$where" = - ] || label="$name $where"
		grep -qxe "$opt" "$tmp/named"
		ok $? "$label -h lists $opt, which $page names"
	done <"$tmp/listed"
	# And every option -h lists is one the program takes: first that
	# an unknown one is seen to be refused, then each listed one.
	cut -d' ' -f1 "$tmp/listed" | sort -u >"$tmp/wheres"
	while read -r where; do
		label=$name
		[ "$where" = - ] || label="$name $where"
		refused "$prog" "$where" --no-such-option &&
		    refused "$prog" "$where" -Z
		ok $? "$label refuses --no-such-option and -Z"
	done <"$tmp/wheres"
	while read -r where opt; do
		label=$name
		[ "$where" = - ] || label="$name $where"
		if refused "$prog" "$where" "$opt"; then
			ok 1 "$label takes $opt, which its -h lists"
			sed 's/^/# /' "$tmp/refused"
		else
			ok 0 "$label takes $opt, which its -h lists"
		fi
	done <"$tmp/listed"
	rm -f "$tmp"/help.*
}

check "$b/tools/rmb" rmb.1 1
check "$b/peer/rmb-peer" rmb-peer.8
check "$b/relayd/rmb-relay" rmb-relay.8
check "$b/keyd/rmb-keyd" rmb-keyd.8
check "$b/netd/rmb-netd" rmb-netd.8
check "$b/apid/rmb-apid" rmb-apid.8

# Every subcommand has its -h, even one whose page lists no options.
for c in identity mnemonic call serve twin; do
	"$b/tools/rmb" -h | grep -q "^ *\(usage: \)\{0,1\}rmb $c"
	ok $? "rmb -h lists $c"
	help "rmb $c -h" "$b/tools/rmb" $c -h
	grep -q "^usage: rmb $c" "$tmp/out"
	ok $? "rmb $c -h: its usage"
done

# -h and -V come before the channels are looked for, and only they do.
for p in keyd netd apid; do
	"$b/$p/rmb-$p" 3<&- 4<&- 5<&- >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 1 ] && grep -q "started without its channels" "$tmp/err"
	ok $? "rmb-$p without its channels: refused, exit 1 (got $rc)"
	"$b/$p/rmb-$p" -x 3<&- 4<&- 5<&- >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 2 ] && grep -q "^usage: rmb-$p" "$tmp/err" && [ ! -s "$tmp/out" ]
	ok $? "rmb-$p -x: usage on stderr, exit 2 (got $rc)"
done

# rmb-peer names a long flag given a value as such, not by its number.
for f in --debug --no-update; do
	"$b/peer/rmb-peer" "$f=1" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 2 ] && grep -q -e "$f takes no value" "$tmp/err"
	ok $? "rmb-peer $f=1: \"$f takes no value\", exit 2 (got $rc)"
done

# The pages' footer: "rmb VERSION", debian/changelog's version.  A new
# entry there needs: sed -i 's/^\.Os rmb .*/.Os rmb VERSION/' man/*.[158]
for page in "$s"/man/*.[0-9]; do
	os=$(sed -n 's/^\.Os //p' "$page")
	[ "$os" = "rmb $version" ]
	ok $? "${page##*/}: .Os is \"rmb $version\" (got \"$os\")"
done

echo "1..$n"
[ $fails = 0 ]
