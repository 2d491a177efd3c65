#!/bin/sh
# SPDX-License-Identifier: ISC
# rmb-keyd stays small enough to audit in one sitting: its closure (see
# tests/keyd_lines.sh and keyd/AUDIT.md) stays under a ceiling that only
# ever moves down (the aim is 2,500 code lines), and the figure its
# manual and keyd/AUDIT.md give is the real one.
src=${top_srcdir:-.}
limit=2750
if ! command -v cloc >/dev/null 2>&1; then
	echo "1..0 # SKIP cloc is not installed"
	exit 77
fi
n=0
fails=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
lines=$(sh "$src/tests/keyd_lines.sh" "$src")
[ -n "$lines" ] && [ "$lines" -gt 0 ] 2>/dev/null
ok $? "keyd's closure counted: $lines code lines"
[ "${lines:-99999}" -lt $limit ] 2>/dev/null
ok $? "under $limit code lines ($lines)"
# The documents state the count as "N code lines"; within 2 % of the truth.
for doc in man/rmb-keyd.8 keyd/AUDIT.md; do
	said=$(grep -o '[0-9][0-9,]* code lines' "$src/$doc" | head -1 |
	    sed 's/ code lines//; s/,//g')
	[ -n "$said" ] && [ $((said * 50)) -ge $((lines * 49)) ] &&
	    [ $((said * 50)) -le $((lines * 51)) ]
	ok $? "$doc says ${said:-nothing} code lines, the count is $lines"
done
echo "1..$n"
[ $fails = 0 ]
