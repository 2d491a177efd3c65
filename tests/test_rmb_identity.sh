#!/bin/sh
# SPDX-License-Identifier: ISC
# rmb identity against the vectors of doc/protocol.md §1.6, and its refusals.
rmb="${top_builddir:-.}/tools/rmb"
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

# expect NAME WANT CMD...: stdout of CMD must equal WANT exactly.
expect() {
	name=$1 want=$2
	shift 2
	got=$("$@" 2>"$tmp/err")
	if [ "$got" = "$want" ]; then
		ok 0 "$name"
	else
		ok 1 "$name"
		printf '# want: %s\n# got:  %s\n' "$want" "$got" | sed '2,$s/^/# /'
		sed 's/^/# stderr: /' "$tmp/err"
	fi
}

# refuse NAME PATTERN CMD...: exit 1, one line on stderr matching PATTERN.
refuse() {
	name=$1 pattern=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc = 1 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
	    grep -q "$pattern" "$tmp/err"; then
		ok 0 "$name"
	else
		ok 1 "$name (rc $rc)"
		sed 's/^/# stderr: /' "$tmp/err"
	fi
}

printf '%s\n' 'neck stage box cup core magic produce exercise happy rely vocal then' >"$tmp/ed"
printf '%s\n' 'volume behind cable present pull exchange wish loyal avocado snap film increase' >"$tmp/sr"
printf '%s' '0x340f7341b312bcc61aeea7a76d759d809b8601cbc6d22cb2817278e346137a5d' >"$tmp/hex"

expect "ed25519 from the ed WORDS" "key_type: ed25519
account: 0x61c243346215f4dfa70d33affc5e568a52fb37859ff21296a28cdb75fcc2fb55
ss58: 5EGtD8gtMcKPupQ187AY8VMx3SP6489nnFUv7b9cC2eRKiqw
e2e_pk: 0x0351f2bca8c281fceb6f093f11aac40ebc40ad69434db1e9fb1a8d16fa6083be55" \
    "$rmb" identity -k ed25519 -f "$tmp/ed"

expect "sr25519 (default) from the sr WORDS" "key_type: sr25519
account: 0x942a5dc287ca18e4035f8f7863ff27103905651968385c7b1eb03fac20027146
ss58: 5FQyXfVmhKhhEMyP2s3LWAzYhWTtt3csZtVWFFg24Cjb4Eb6
e2e_pk: 0x037135b487c4b55db4813e940c8c426f123184581029bd3ee0eca5e00602e3e292" \
    "$rmb" identity -f "$tmp/sr"

expect "sr25519 from a hex seed on stdin, --json" '{"key_type":"sr25519","account":"0x6c64c96b606531bb8f225488ec5bf6f53b05b729b9f9859d56501d92be9bf378","ss58":"5EWpy8kzz8ZjnevdVo1aL6fpm3DBRCBzrunjq97gzuhKW2AX","e2e_pk":"0x032965609be627c7656bdce629af8537513238041aafd8a6dac524d6e5206747f0"}' \
    sh -c "\"$rmb\" identity --json -f - <\"$tmp/hex\""

expect "ed25519 from a hex seed" "key_type: ed25519
account: 0x922b07df6a39450574ce91295b17e1be17a5c67c1975226d137647bcf8cf8045
ss58: 5FNMdZNs74Tg1wm76frYfdtWM3DP4569EhfZxKiD1iZc7veJ
e2e_pk: 0x032965609be627c7656bdce629af8537513238041aafd8a6dac524d6e5206747f0" \
    "$rmb" identity --key-type ED25519 --file "$tmp/hex"

printf 'neck stage box cup core magic produce exercise happy rely vocal tree\n' >"$tmp/badsum"
printf 'neck stage box cup core magic produce exercise happy rely vocal notaword\n' >"$tmp/badword"
printf 'neck stage box cup core magic produce exercise happy rely vocal\n' >"$tmp/count"
printf '0xinvalidseed\n' >"$tmp/badhex"
printf '0x%064d\n' 0 >"$tmp/zero"
printf '0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141\n' >"$tmp/order"

refuse "unknown word" "not in the BIP-39 English list" "$rmb" identity -f "$tmp/badword"
refuse "bad checksum" "checksum" "$rmb" identity -f "$tmp/badsum"
refuse "wrong word count" "number of words" "$rmb" identity -f "$tmp/count"
refuse "bad hex" "0x and 64 hex" "$rmb" identity -f "$tmp/badhex"
refuse "zero seed (outside the secp256k1 range)" "secp256k1 range" "$rmb" identity -f "$tmp/zero"
refuse "seed equal to the group order" "secp256k1 range" "$rmb" identity -f "$tmp/order"
refuse "missing file" "No such file" "$rmb" identity -f "$tmp/none"
if grep -q vocal "$tmp/err"; then ok 1 "errors never quote the secret"; else ok 0 "errors never quote the secret"; fi
"$rmb" identity -f "$tmp/badword" 2>&1 | grep -q notaword
ok $((1 - $?)) "an unknown word is not echoed"

"$rmb" identity "$(cat "$tmp/sr")" >/dev/null 2>&1
[ $? = 2 ]; ok $? "a secret on the command line is refused (usage, exit 2)"
"$rmb" identity -k rsa -f "$tmp/sr" >/dev/null 2>&1
[ $? = 2 ]; ok $? "unknown key type is a usage error"

# rmb mnemonic: fresh mnemonics that rmb identity accepts.
for w in 12 24; do
	"$rmb" mnemonic -w $w >"$tmp/new$w"
	[ "$(wc -w <"$tmp/new$w")" = $w ] && "$rmb" identity -f "$tmp/new$w" >/dev/null
	ok $? "rmb mnemonic -w $w gives $w words that rmb identity accepts"
done
cmp -s "$tmp/new12" "$tmp/new24"; [ $? = 1 ]
ok $? "two mnemonics differ"
"$rmb" mnemonic -w 13 >/dev/null 2>&1
[ $? = 2 ]; ok $? "rmb mnemonic -w 13 refused"

echo "1..$n"
[ $fails = 0 ]
