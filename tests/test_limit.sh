#!/bin/sh
# SPDX-License-Identifier: ISC
# tests/limit.sh: a test that never ends comes back failed within its
# limit, with a line saying so, and automake's TAP driver reports it as
# an error; a test that ends in time is left as it is.
srcdir="${top_srcdir:-$(dirname "$0")/..}"
limit="$srcdir/tests/limit.sh"
driver="$srcdir/build-aux/tap-driver.sh"
tmp=$(mktemp -d) || exit 1
n=0
fails=0

trap 'rm -rf "$tmp"' EXIT

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
	fi
}

if ! command -v timeout >/dev/null 2>&1; then
	echo "1..0 # SKIP no timeout(1)"
	exit 0
fi

# Stand-in tests: one hangs after a first result, one passes, one
# ignores SIGTERM, one exits 124 at once.
cat >"$tmp/hang" <<'SH'
#!/bin/sh
echo "ok 1 - started"
exec sleep 1000
SH
cat >"$tmp/pass" <<'SH'
#!/bin/sh
echo "ok 1 - quick"
echo "1..1"
SH
cat >"$tmp/stubborn" <<'SH'
#!/bin/sh
trap '' TERM
echo "ok 1 - deaf to SIGTERM"
sleep 1000
SH
cat >"$tmp/exit124" <<'SH'
#!/bin/sh
echo "not ok 1 - failed by itself"
echo "1..1"
exit 124
SH
chmod 755 "$tmp/hang" "$tmp/pass" "$tmp/stubborn" "$tmp/exit124"

# run SECONDS TEST: TEST through limit.sh with that limit; $rc, $secs,
# its output in $tmp/out.
run() {
	t0=$(date +%s)
	RMB_TEST_TIMEOUT=$1 sh "$limit" "$2" >"$tmp/out" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
}

run 2 "$tmp/hang"
[ $rc != 0 ] && [ $secs -le 10 ]
ok $? "a test that never ends fails at its limit (rc $rc after $secs s)"
grep -q "^Bail out! hang hit the time limit of 2 s" "$tmp/out"
ok $? "... saying that it hit the limit"

run 2 "$tmp/stubborn"
[ $rc != 0 ] && [ $secs -le 20 ]
ok $? "one that ignores SIGTERM is killed 10 s later (rc $rc after $secs s)"
grep -q "^Bail out! stubborn hit the time limit of 2 s" "$tmp/out"
ok $? "... saying that it hit the limit"

run 10 "$tmp/pass"
[ $rc = 0 ] && ! grep -q "Bail out" "$tmp/out" &&
    grep -q "^1\.\.1$" "$tmp/out"
ok $? "a test that ends in time keeps its status and output"

run 10 "$tmp/exit124"
[ $rc = 124 ] && ! grep -q "Bail out" "$tmp/out"
ok $? "one that exits 124 by itself is not said to have hit the limit"

# drive NAME: TEST through the TAP driver as make check runs it.
drive() {
	RMB_TEST_TIMEOUT=2 AM_TAP_AWK=${AWK:-awk} sh "$driver" \
	    --test-name "$1" --log-file "$tmp/$1.log" \
	    --trs-file "$tmp/$1.trs" --color-tests no --merge \
	    -- sh "$limit" "$tmp/$1" >/dev/null 2>&1
}
drive hang
grep -q "^:test-result: ERROR" "$tmp/hang.trs" &&
    grep -q "hit the time limit of 2 s" "$tmp/hang.log"
ok $? "make check's TAP driver reports it as an ERROR"
drive pass
grep -q "^:global-test-result: PASS" "$tmp/pass.trs"
ok $? "... and a test in time as a PASS"

# tests/tap.h's alarm is checked by tests/test_harness.
echo "1..$n"
[ $fails = 0 ]
