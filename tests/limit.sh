#!/bin/sh
# SPDX-License-Identifier: ISC
# Runs one test under a time limit, so that a daemon that wrongly stays
# up makes its test fail instead of hanging the whole run: SIGTERM at the
# limit, SIGKILL 10 s later, to the test and to what it started in its
# process group.  The limit is RMB_TEST_TIMEOUT seconds when set (0: none),
# else the test's own from the table below, else 600.  The test gets
# RMB_TEST_TIMEOUT too: tests/tap.h bails out a little before it.
# Usage: limit.sh TEST [ARG...]
name=${1##*/}
if [ -n "$RMB_TEST_TIMEOUT" ]; then
	limit=$RMB_TEST_TIMEOUT
else
	case $name in
	# npm may first install the chain runtime, for up to 11 minutes.
	test_chain_read|test_relay_chain|test_peer_chain)
		limit=1200 ;;
	*)	limit=600 ;;
	esac
fi
case $limit in
''|*[!0-9]*)
	echo "Bail out! RMB_TEST_TIMEOUT=$limit is not a number of seconds"
	exit 99 ;;
esac
RMB_TEST_TIMEOUT=$limit
export RMB_TEST_TIMEOUT
if ! command -v timeout >/dev/null 2>&1; then
	echo "# no timeout(1): $name runs without a time limit"
	exec "$@"
fi
start=$(date +%s)
timeout -k 10 "$limit" "$@"
rc=$?
# 124: ended by SIGTERM at the limit; 137: it took SIGKILL.  The time
# tells these apart from a test that exits so by itself.
if [ "$limit" -gt 0 ] && { [ $rc = 124 ] || [ $rc = 137 ]; } &&
    [ $(($(date +%s) - start)) -ge "$limit" ]; then
	printf '\nBail out! %s hit the time limit of %s s %s\n' "$name" \
	    "$limit" "(RMB_TEST_TIMEOUT)"
fi
exit $rc
