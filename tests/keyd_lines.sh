#!/bin/sh
# SPDX-License-Identifier: ISC
# Prints the code lines of rmb-keyd's closure, as keyd/AUDIT.md defines
# them: every file of KEYD_SOURCES in Makefile.am (keyd/, what it links of
# common/trusted/ and its codec in proto/), headers included, counted by
# cloc(1) without blank or comment lines, without the BIP-39 word list
# and generated code.  Usage: tests/keyd_lines.sh [srcdir] [-v]
src=${1:-.}
[ "$1" = -v ] && src=.
files=$(sed -n '/^KEYD_SOURCES = /,/[^\\]$/p' "$src/Makefile.am" |
	sed 's/^KEYD_SOURCES = //; s/\\$//' | tr -s ' \t' '\n' |
	grep -v -e '^$' -e 'bip39_english\.c$')
[ -n "$files" ] || { echo "no KEYD_SOURCES in $src/Makefile.am" >&2; exit 1; }
cd "$src" || exit 1
for f in $files; do
	[ -f "$f" ] || { echo "$f: listed in KEYD_SOURCES, not found" >&2; exit 1; }
done
case " $* " in
*" -v "*) cloc --quiet --by-file $files ;;
*) cloc --quiet --csv $files | awk -F, '$2 == "SUM" { print $5 }' ;;
esac
