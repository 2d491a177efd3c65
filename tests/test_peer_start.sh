#!/bin/sh
# SPDX-License-Identifier: ISC
# rmb-peer alone: -n, the start line, the descriptors and configuration
# each child gets, fail-closed supervision, SIGTERM, and -m's secret
# reaching keyd through a pipe and nowhere else.  keyd is the real one;
# netd and apid are shell stand-ins that keep their configuration frame.
top="${top_builddir:-.}"
peer="$top/peer/rmb-peer"
keyd="$top/keyd/rmb-keyd"
tmp=$(mktemp -d) || exit 1
pid=
n=0
fails=0

cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	for p in $kids; do kill -KILL "$p" 2>/dev/null; done
	[ -n "$KEEP" ] || rm -rf "$tmp"
}
trap cleanup EXIT

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
	fi
}

# The stand-ins save their argv and the first frame on descriptor 3.
mkdir "$tmp/libexec"
ln -s "$(cd "$(dirname "$keyd")" && pwd)/rmb-keyd" "$tmp/libexec/rmb-keyd"
for d in netd apid; do
	cat >"$tmp/libexec/rmb-$d" <<EOF
#!/bin/sh
echo "\$@" >"$tmp/$d.args"
dd bs=65536 count=1 <&3 of="$tmp/$d.cfg" 2>/dev/null
case "\$STANDIN_${d}" in
exit)	sleep 1; exit 3 ;;
stubborn) trap '' TERM; exec sleep 1000 ;;
esac
exec sleep 1000
EOF
	chmod 755 "$tmp/libexec/rmb-$d"
done
RMB_LIBEXECDIR="$tmp/libexec"
export RMB_LIBEXECDIR
unset CREDENTIALS_DIRECTORY

words='volume behind cable present pull exchange wish loyal avocado snap film increase'
printf '%s\n' "$words" >"$tmp/mnemonic"
chmod 600 "$tmp/mnemonic"
jail="$tmp/jail"

# check NAME RC PATTERN ARGS...: rmb-peer -n exits RC and its output
# (stdout and stderr) is one line matching PATTERN.  The children become
# nobody when we are root: the packages' users need not exist here.
check() {
	name=$1 want=$2 pattern=$3
	shift 3
	"$peer" -n --jail "$jail" --user nobody "$@" >"$tmp/out" 2>&1
	rc=$?
	if [ $rc = "$want" ] && [ "$(wc -l <"$tmp/out")" = 1 ] &&
	    grep -q -- "$pattern" "$tmp/out"; then
		ok 0 "$name"
	else
		ok 1 "$name (rc $rc)"
		sed 's/^/# /' "$tmp/out"
	fi
}

printf '# a good one\nkey-type ed25519\nrelay ws://localhost:4001\nno-update yes\n' >"$tmp/good.conf"
printf 'debug 1\nrelay ws://localhost:4001 extra\n' >"$tmp/bad.conf"
printf 'mnemonic-file %s\n' "$tmp/mnemonic" >"$tmp/secret.conf"
cp "$tmp/good.conf" "$tmp/gw.conf"
chmod 664 "$tmp/gw.conf"

check "-n with a good file" 0 "^configuration OK$" \
    -f "$tmp/good.conf" --mnemonic-file "$tmp/mnemonic"
check "-n names the file and line of an error" 1 \
    "^rmb-peer: $tmp/bad.conf:2: relay: one value only" \
    -f "$tmp/bad.conf" --mnemonic-file "$tmp/mnemonic"
check "-n with a missing -f file" 1 "$tmp/none.conf: No such file" \
    -f "$tmp/none.conf" --mnemonic-file "$tmp/mnemonic"
check "-n refuses a group-writable file" 1 "writable by group or others" \
    -f "$tmp/gw.conf" --mnemonic-file "$tmp/mnemonic"
check "the file's mnemonic-file is used" 0 "^configuration OK$" \
    -f "$tmp/secret.conf"
check "no secret anywhere" 1 "^rmb-peer: no secret" -f "$tmp/good.conf"
check "a missing secret file" 1 "secret file $tmp/none: No such file" \
    -f "$tmp/good.conf" --mnemonic-file "$tmp/none"
chmod 604 "$tmp/mnemonic"
check "a secret file others can read" 1 "others may read it" \
    -f "$tmp/good.conf" --mnemonic-file "$tmp/mnemonic"
chmod 600 "$tmp/mnemonic"
mkdir "$tmp/cred"
cp "$tmp/mnemonic" "$tmp/cred/mnemonic"
CREDENTIALS_DIRECTORY="$tmp/cred" check "systemd credentials" 0 \
    "^configuration OK$" -f "$tmp/good.conf"
check "an IP relay is a flag error (2)" 2 \
    "relay URL must contain a domain name" \
    -f "$tmp/good.conf" --relay wss://10.0.0.1 --mnemonic-file "$tmp/mnemonic"
check "five relays" 2 "more than 4 relays" -f "$tmp/good.conf" \
    --mnemonic-file "$tmp/mnemonic" --relay ws://a1.example \
    --relay ws://a2.example --relay ws://a3.example --relay ws://a4.example \
    --relay ws://a5.example
check "an unknown option" 2 "unknown option --bogus" --bogus
check "a flag without its value" 2 "-k needs a value" -k
check "a bad key type" 2 "invalid key type" -k rsa
check "two secrets" 2 "only one of" -m x --mnemonic-file "$tmp/mnemonic"
check "an argument" 2 "unexpected argument" -f "$tmp/good.conf" extra
RMB_LIBEXECDIR="$tmp/nowhere" "$peer" -f "$tmp/good.conf" --jail "$jail" \
    --user nobody --mnemonic-file "$tmp/mnemonic" >"$tmp/out" 2>&1
[ $? = 1 ] && grep -q "cannot run $tmp/nowhere/rmb-keyd" "$tmp/out"
ok $? "a missing child is named, exit 1"
check "a user per child" 0 "^configuration OK$" -f "$tmp/good.conf" \
    --mnemonic-file "$tmp/mnemonic" --keyd-user daemon --netd-user sys \
    --apid-user nobody
check "--keyd-user root" 2 "keyd-user: the children never run as root" \
    --keyd-user root
check "--apid-user given twice" 2 "apid-user given twice" \
    --apid-user nobody --apid-user sys
# As root without users given, each child's default is the packages'.
if [ "$(id -u)" = 0 ] && ! getent passwd _rmb-keyd >/dev/null; then
	"$peer" -n --jail "$jail" -f "$tmp/good.conf" \
	    --mnemonic-file "$tmp/mnemonic" >"$tmp/out" 2>&1
	[ $? = 1 ] && [ "$(wc -l <"$tmp/out")" = 1 ] &&
	    grep -q "user _rmb-keyd (keyd-user) does not exist: .*--keyd-user or --user" \
	    "$tmp/out"
	ok $? "as root, a missing _rmb-keyd is named with how to set another"
	sed 's/^/# /' "$tmp/out"
else
	ok 0 "a missing default user # SKIP not root, or _rmb-keyd exists"
fi

# start NAME ARGS...: rmb-peer in the background; its stderr goes through
# a pipe, as keyd may not write to a regular file (RLIMIT_FSIZE is 0).
start() {
	log="$tmp/$1.log"
	shift
	rm -f "$tmp/fifo" "$tmp"/*.cfg "$tmp"/*.args
	mkfifo "$tmp/fifo"
	: >"$log"
	cat "$tmp/fifo" >>"$log" &
	"$peer" --jail "$jail" --user nobody "$@" 2>"$tmp/fifo" &
	pid=$!
	kids=
}

# wait_log PATTERN: up to 10 s for the log to match.
wait_log() {
	i=0
	while [ $i -lt 100 ]; do
		grep -q -- "$1" "$log" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# started: the three pids from the start line, into keyd_pid netd_pid apid_pid.
started() {
	wait_log "started keyd" || return 1
	set -- $(sed -n 's/.*started keyd (\([0-9]*\)), netd (\([0-9]*\)), apid (\([0-9]*\)).*/\1 \2 \3/p' "$log")
	keyd_pid=$1 netd_pid=$2 apid_pid=$3
	kids="$1 $2 $3"
	[ -n "$apid_pid" ]
}

# finish SECONDS: waits for rmb-peer to exit; $status is its exit status.
finish() {
	status=
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt $(($1 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		status=timeout
		kill -KILL "$pid"
	fi
	wait "$pid"
	rc=$?
	[ "$status" = timeout ] || status=$rc
	pid=
	sleep 0.2	# the log's reader drains the pipe
}

# gone PIDS: none of them is still running.
gone() {
	for p in "$@"; do
		[ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" &&
		    return 1
	done
	return 0
}

# The end of the line naming the child whose end stopped the peer, and
# how a SIGSYS is named.
cause=': first to end, the cause$'
seccomp='(SIGSYS: a system call its seccomp filter forbids)'

# before PATTERN CHILD: a line matches PATTERN, and comes before every
# line about CHILD but the start line; at least one such line follows.
before() {
	awk -v pat="$1" -v kid="$2" '
	    /started keyd/ { next }
	    $0 ~ pat && at == 0 { at = NR }
	    index($0, kid " ") && later == 0 { later = NR }
	    END { exit !(at > 0 && later > at) }' "$log"
}

# u32 FILE N: the Nth 32-bit word of a frame, host order.
u32() {
	od -An -tu4 -j $(($2 * 4)) -N4 "$1" | tr -d ' '
}

start run1 -f "$tmp/good.conf" --mnemonic-file "$tmp/mnemonic" -d
started
ok $? "the start line names the three pids"
grep -q "^rmb-peer: started keyd ([0-9]*), netd ([0-9]*), apid ([0-9]*)$" "$log"
ok $? "... in the documented form"
ppids=$(for p in $kids; do sed -n 's/^PPid:\t//p' "/proc/$p/status"; done | sort -u)
[ "$ppids" = "$pid" ]
ok $? "all three are rmb-peer's children"
wait_log "rmb-keyd: ready: ed25519 account"
ok $? "keyd read its configuration and the secret file"
[ "$(tr '\0' ' ' <"/proc/$keyd_pid/cmdline")" = "rmb-keyd -v " ]
ok $? "keyd's argv is rmb-keyd -v (with -d)"
i=0
while [ ! -s "$tmp/apid.cfg" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(cat "$tmp/netd.args")" = "-v" ] && [ "$(cat "$tmp/apid.args")" = "-v" ]
ok $? "netd and apid get -v per debug level, the log level's one way"
[ "$(ls "/proc/$netd_pid/fd" | sort -n | tr '\n' ' ')" = "0 1 2 3 4 5 " ]
ok $? "netd has descriptors 0 to 5 and nothing else"
[ "$(ls "/proc/$apid_pid/fd" | sort -n | tr '\n' ' ')" = "0 1 2 3 4 " ]
ok $? "apid has descriptors 0 to 4 and nothing else"
for fd in 3 4 5; do readlink "/proc/$netd_pid/fd/$fd"; done | grep -c socket: |
    grep -q '^3$'
ok $? "netd's 3, 4 and 5 are sockets"
[ "$(u32 "$tmp/netd.cfg" 0)" = 301 ] &&
    [ "$(u32 "$tmp/netd.cfg" 1)" = "$(wc -c <"$tmp/netd.cfg")" ]
ok $? "netd got one IPC_NETD_CONFIG frame"
grep -aq "ws://localhost:4001" "$tmp/netd.cfg" &&
    grep -aq "wss://tfchain.grid.tf:443" "$tmp/netd.cfg" &&
    [ "$(u32 "$tmp/netd.cfg" 4)" = 1 ]
ok $? "... with the relay, the default substrate, one relay"
# After the relay URL (u32 length, 19 bytes): one domain, "localhost".
at=$((16 + 4 + 4 + 19))
[ "$(od -An -tu4 -j $at -N4 "$tmp/netd.cfg" | tr -d ' ')" = 1 ] &&
    [ "$(od -An -tu4 -j $((at + 4)) -N4 "$tmp/netd.cfg" | tr -d ' ')" = 9 ] &&
    [ "$(tail -c +$((at + 9)) "$tmp/netd.cfg" | head -c 9)" = localhost ]
ok $? "... and the relay domain, as the parent computed it for keyd too"
cfglen=$(wc -c <"$tmp/netd.cfg")
[ "$(od -An -tu4 -j $((cfglen - 8)) -N4 "$tmp/netd.cfg" | tr -d ' ')" = 500 ] &&
    [ "$(od -An -tu4 -j $((cfglen - 4)) -N4 "$tmp/netd.cfg" | tr -d ' ')" = 300 ]
ok $? "... and the twin cache: 500 twins for 300 s"
[ "$(u32 "$tmp/apid.cfg" 0)" = 401 ] &&
    [ "$(u32 "$tmp/apid.cfg" 1)" = "$(wc -c <"$tmp/apid.cfg")" ] &&
    grep -aq "redis://localhost:6379" "$tmp/apid.cfg"
ok $? "apid got one IPC_APID_CONFIG frame with the default redis"
if [ "$(id -u)" = 0 ]; then
	grep -aq nobody "$tmp/apid.cfg" && grep -aq nobody "$tmp/netd.cfg" &&
	    [ "$(stat -c '%u %a' "$jail")" = "0 755" ] &&
	    [ "$(sed -n 's/^Uid:\t\([0-9]*\).*/\1/p' "/proc/$keyd_pid/status")" = \
	    "$(id -u nobody)" ]
	ok $? "as root: the user is sent, the jail made, keyd runs as nobody"
else
	! grep -aq nobody "$tmp/apid.cfg"
	ok $? "not root: no user is sent"
fi
kill -KILL "$netd_pid"
finish 10
[ "$status" = 1 ]
ok $? "netd killed: rmb-peer exits 1 (got $status)"
gone $kids
ok $? "... and keyd and apid are gone"
grep -q "^rmb-peer: netd was killed by signal 9 (SIGKILL)$cause" "$log"
ok $? "... saying which child and how, and that it is the cause"

start run2 -f "$tmp/good.conf" --mnemonic-file "$tmp/mnemonic"
started
ok $? "started again"
wait_log "rmb-keyd: ready"
kill -TERM "$pid"
finish 10
[ "$status" = 0 ]
ok $? "SIGTERM: rmb-peer exits 0 (got $status)"
gone $kids
ok $? "... with all three children gone"
grep -q "^rmb-peer: SIGTERM: stopping$" "$log" && ! grep -q "did not stop" "$log"
ok $? "... in time, without SIGKILL"

STANDIN_netd=exit
export STANDIN_netd
start run3 -f "$tmp/good.conf" --mnemonic-file "$tmp/mnemonic"
unset STANDIN_netd
started
finish 10
[ "$status" = 1 ] &&
    grep -q "^rmb-peer: netd exited with status 3$cause" "$log"
ok $? "a child that exits 3: rmb-peer exits 1 and says so (got $status)"
gone $kids
ok $? "... the others are gone"
before "netd exited with status 3" apid &&
    grep -q "^rmb-peer: apid stopped by rmb-peer (was killed by signal 15" \
    "$log"
ok $? "... apid is logged after, as stopped by rmb-peer"

STANDIN_apid=stubborn
export STANDIN_apid
start run4 -f "$tmp/good.conf" --mnemonic-file "$tmp/mnemonic"
unset STANDIN_apid
started
wait_log "rmb-keyd: ready"
kill -TERM "$pid"
finish 12
[ "$status" = 0 ] && grep -q "apid did not stop within 5 s: killing it" "$log"
ok $? "a child that ignores SIGTERM is killed after 5 s (got $status)"
gone $kids
ok $? "... all gone"

start run5 -f "$tmp/good.conf" -m "$words"
started
ok $? "-m: started"
wait_log "rmb-keyd: ready: ed25519 account"
ok $? "-m: keyd got the secret through its pipe"
grep -q "warning: -m puts the secret where every local user can read it" "$log"
ok $? "-m: a warning on stderr"
! grep -q avocado "/proc/$keyd_pid/cmdline" && ! grep -aq avocado "/proc/$pid/cmdline" &&
    ! grep -aq avocado "/proc/$netd_pid/cmdline"
ok $? "-m: the mnemonic is in no child's argv, nor in rmb-peer's"
# keyd is not dumpable: only root may list its descriptors.
if [ "$(id -u)" = 0 ]; then
	[ "$(ls "/proc/$keyd_pid/fd" | sort -n | tr '\n' ' ')" = "0 1 2 3 4 " ]
	ok $? "-m: keyd closed the pipe (descriptors 0 to 4 left)"
else
	ok 0 "-m: keyd's descriptors # SKIP not root"
fi
kill -TERM "$pid"
finish 10
[ "$status" = 0 ] && ! grep -q avocado "$log"
ok $? "-m: stopped, and the log never shows the secret"

start run6 -f "$tmp/good.conf" --seed "neck stage box cup core magic produce exercise happy rely vocal notaword"
started
finish 10
[ "$status" = 1 ] &&
    grep -q "^rmb-peer: keyd exited with status 1$cause" "$log" &&
    grep -q "warning: --seed puts the secret" "$log" && ! grep -q notaword "$log"
ok $? "--seed with a bad secret: keyd refuses it, rmb-peer exits 1 (got $status)"
gone $kids
ok $? "... all gone"

# Without -d, so that what the log shows is above debug level.
start run7 -f "$tmp/good.conf" --mnemonic-file "$tmp/mnemonic"
started
wait_log "rmb-keyd: ready"
kill -KILL "$netd_pid"
finish 10
[ "$status" = 1 ] &&
    grep -q "^rmb-peer: netd was killed by signal 9 (SIGKILL)$cause" "$log"
ok $? "netd killed, no -d: an error line names netd and signal 9 (got $status)"
before "netd was killed by signal 9" apid
ok $? "... before any line about apid"
grep -q "^rmb-peer: stopping .*apid.*: netd ended first$" "$log" &&
    grep -q "^rmb-peer: apid stopped by rmb-peer (" "$log" &&
    ! grep -q "apid.*first to end" "$log"
ok $? "... apid is stopped by rmb-peer, not blamed"
gone $kids
ok $? "... all gone"
[ "$(grep -c "first to end" "$log")" = 1 ]
ok $? "... one child only is the cause"

start run8 -f "$tmp/good.conf" --mnemonic-file "$tmp/mnemonic"
started
wait_log "rmb-keyd: ready"
kill -s SYS "$netd_pid"
finish 10
[ "$status" = 1 ] &&
    grep -q "^rmb-peer: netd was killed by signal [0-9]* $seccomp$cause" "$log"
ok $? "netd killed by SIGSYS: named as a seccomp kill (got $status)"
before "netd was killed by signal [0-9]* .SIGSYS" apid
ok $? "... before any line about apid"
gone $kids
ok $? "... all gone"

# Each child its own user: keyd runs as its own, netd and apid are told
# theirs; the specific flags beat --user.
start run9 -f "$tmp/good.conf" --mnemonic-file "$tmp/mnemonic" \
    --keyd-user daemon --netd-user sys
started
wait_log "rmb-keyd: ready"
i=0
while [ ! -s "$tmp/apid.cfg" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ "$(id -u)" = 0 ]; then
	[ "$(sed -n 's/^Uid:\t\([0-9]*\).*/\1/p' "/proc/$keyd_pid/status")" = \
	    "$(id -u daemon)" ] && grep -aq sys "$tmp/netd.cfg" &&
	    ! grep -aq nobody "$tmp/netd.cfg" && grep -aq nobody "$tmp/apid.cfg"
	ok $? "as root: keyd runs as daemon, netd is told sys, apid nobody"
else
	ok 0 "a user per child # SKIP not root"
fi
kill -TERM "$pid"
finish 10
[ "$status" = 0 ]
ok $? "... and stops on SIGTERM (got $status)"

echo "1..$n"
[ $fails = 0 ]
