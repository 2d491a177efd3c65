/* SPDX-License-Identifier: ISC */
/*
 * netd's start-up on the chain (netd/netd_chain.c) against a loopback
 * stub node: the relay set and pk comparison, a twin that is up to date
 * (nothing else asked), --no-update, an account without a twin, runtime
 * metadata that does not match what rmb signs: fatal, with the check's
 * reason, before anything is signed or submitted; and with metadata that
 * matches, the request keyd gets: nonce, versions, genesis and the
 * finalized block's number and hash.  The real runtime is
 * test_peer_chain's.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainrpc.h"
#include "harness.h"
#include "hex.h"
#include "ipc_types.h"
#include "log.h"
#include "netd.h"
#include "scale.h"
#include "tap.h"
#include "tfchain_read.h"
#include "twindir.h"

#ifndef METADATA_DIR
#define METADATA_DIR	"tests/fuzz/corpus/metadata"
#endif
#define METADATA_FILE	METADATA_DIR "/metadata-v14-spec144.scale"

static uint8_t		 acc_current[32], acc_stale[32], acc_none[32];
static uint8_t		 pk[33];
static char		*metadata_hex;		/* the result, quoted */
static char		*metadata_good_hex;	/* the same, unchanged */
static char		 keyd_dump[] = "/tmp/rmb-netd-chain-keyd.XXXXXX";
static int		 keyd_signs;		/* the stub dumps, exits 42 */

/* What the signing stub node answers (its arg): */
enum { NODE_BAD_METADATA, NODE_GOOD, NODE_BAD_NUMBER };
#define FINALIZED_HASH	\
	"abababababababababababababababababababababababababababababababab"
#define GENESIS_HASH	\
	"4545454545454545454545454545454545454545454545454545454545454545"
static char		 twin7_hex[2 * TWIN_ENCODED_MAX + 3];
static char		 twin8_hex[2 * TWIN_ENCODED_MAX + 3];
static char		 key_hex[5][2 * TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN + 1];
static char		 dump[] = "/tmp/rmb-netd-chain.XXXXXX";
static char		 errlog[] = "/tmp/rmb-netd-chain-err.XXXXXX";
static const char	*domains[] = { "r1.example", "r2.example" };

/*
 * keyd: signing is a failure (exit 99) unless keyd_signs, when the
 * request's frame goes to keyd_dump in hex and the child exits 42.
 */
void
netd_keyd_update_twin(const struct keyd_update_twin *u,
    struct keyd_bytes *x)
{
	struct ipc_chan	 c;
	char		*hex;
	FILE		*f;

	(void)x;
	if (!keyd_signs) {
		fprintf(stderr, "keyd was asked to sign\n");
		_exit(99);
	}
	if (ipc_init(&c, -1) == -1 ||
	    keyd_req_put(&c, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, 1, u) == -1 ||
	    (hex = malloc(2 * c.out.len + 1)) == NULL ||
	    (f = fopen(keyd_dump, "w")) == NULL)
		_exit(98);
	hex_encode(hex, c.out.buf, c.out.len);
	fprintf(f, "%s\n", hex);
	fclose(f);
	_exit(42);
}

static const char *
result_for(const char *req, int node)
{
	if (strstr(req, "\"state_getMetadata\"") != NULL)
		return node == NODE_BAD_METADATA ? metadata_hex :
		    metadata_good_hex;
	if (strstr(req, "\"system_accountNextIndex\"") != NULL)
		return "4";
	if (strstr(req, "\"state_getRuntimeVersion\"") != NULL)
		return "{\"specName\":\"tfchain\",\"specVersion\":144,"
		    "\"transactionVersion\":2}";
	if (strstr(req, "\"chain_getBlockHash\"") != NULL &&
	    strstr(req, "[0]") != NULL)
		return "\"0x" GENESIS_HASH "\"";
	if (strstr(req, "\"chain_getFinalizedHead\"") != NULL)
		return "\"0x" FINALIZED_HASH "\"";
	if (strstr(req, "\"chain_getHeader\"") != NULL &&
	    strstr(req, "[\"0x" FINALIZED_HASH "\"]") != NULL)
		return node == NODE_BAD_NUMBER ? "{\"number\":1000}" :
		    "{\"parentHash\":\"0x" GENESIS_HASH "\","
		    "\"number\":\"0x3e8\",\"stateRoot\":\"0x00\"}";
	if (strstr(req, "\"state_getStorage\"") == NULL)
		return NULL;
	if (strstr(req, key_hex[0]) != NULL)
		return "\"0x07000000\"";
	if (strstr(req, key_hex[1]) != NULL)
		return "\"0x08000000\"";
	if (strstr(req, key_hex[2]) != NULL)
		return "null";
	if (strstr(req, key_hex[3]) != NULL)
		return twin7_hex;
	if (strstr(req, key_hex[4]) != NULL)
		return twin8_hex;
	return NULL;
}

/* A node that knows three accounts and two twins; it logs each method. */
static const char *
answer(const char *req, int *status, void *arg)
{
	static char	*body;
	size_t		 cap = strlen(metadata_good_hex) + 256;
	FILE		*f;

	(void)status;
	if (body == NULL && (body = malloc(cap)) == NULL)
		_exit(1);
	if ((f = fopen(dump, "a")) != NULL) {
		fprintf(f, "%s\n", http_body(req));
		fclose(f);
	}
	return jsonrpc_answer(body, cap, req, result_for(req,
	    (int)(intptr_t)arg), "not in the stub");
}

static int
asked(const char *needle)
{
	char	line[8192];
	FILE	*f;
	int	n = 0;

	if ((f = fopen(dump, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void
twin_hex(char *out, uint32_t id, const uint8_t *account, const char *relay,
    const uint8_t *p)
{
	struct twin_record	t;
	struct scale_wr		w;
	uint8_t			buf[TWIN_ENCODED_MAX];

	memset(&t, 0, sizeof(t));
	t.id = id;
	memcpy(t.account, account, 32);
	if (relay != NULL) {
		t.has_relay = 1;
		snprintf(t.relay, sizeof(t.relay), "%s", relay);
	}
	if (p != NULL) {
		t.has_pk = 1;
		t.pklen = 33;
		memcpy(t.pk, p, 33);
	}
	scale_wr_init(&w, buf, sizeof(buf));
	if (twin_encode(&w, &t) != 0)
		abort();
	memcpy(out, "\"0x", 3);
	hex_encode(out + 3, buf, w.len);
	strcat(out, "\"");
}

/*
 * The metadata of the runtime with update_twin renamed, so that the check
 * fails as it would after a runtime upgrade.  0, or -1 without the file.
 */
static int
load_metadata(void)
{
	uint8_t	*md, *p;
	long	 len;
	FILE	*f;

	if ((f = fopen(METADATA_FILE, "rb")) == NULL ||
	    fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (md = malloc((size_t)len)) == NULL ||
	    fread(md, 1, (size_t)len, f) != (size_t)len)
		return -1;
	fclose(f);
	if ((metadata_good_hex = malloc(2 * (size_t)len + 5)) == NULL)
		return -1;
	memcpy(metadata_good_hex, "\"0x", 3);
	hex_encode(metadata_good_hex + 3, md, (size_t)len);
	strcat(metadata_good_hex, "\"");
	if ((p = memmem(md, (size_t)len, "update_twin", 11)) == NULL)
		return -1;
	p[10] = 'x';
	if ((metadata_hex = malloc(2 * (size_t)len + 5)) == NULL)
		return -1;
	memcpy(metadata_hex, "\"0x", 3);
	hex_encode(metadata_hex + 3, md, (size_t)len);
	strcat(metadata_hex, "\"");
	free(md);
	return 0;
}

static void
test_current(void)
{
	struct twin_record	t;
	const char		*one[] = { "r1.example" };
	uint8_t			 other[33];

	memset(&t, 0, sizeof(t));
	t.has_pk = 1;
	t.pklen = 33;
	memcpy(t.pk, pk, 33);
	memset(other, 0x03, sizeof(other));
	t.has_relay = 1;
	snprintf(t.relay, sizeof(t.relay), "r2.example_r1.example");
	ok(netd_twin_current(&t, domains, 2, pk, 33) == 1,
	    "the same domains in another order: up to date");
	snprintf(t.relay, sizeof(t.relay), "r1.example_r1.example");
	ok(netd_twin_current(&t, one, 1, pk, 33) == 1,
	    "a domain twice on chain is one domain");
	ok(netd_twin_current(&t, domains, 2, pk, 33) == 0,
	    "one of ours missing on chain: not up to date");
	snprintf(t.relay, sizeof(t.relay), "r1.example_r3.example");
	ok(netd_twin_current(&t, one, 1, pk, 33) == 0,
	    "a domain on chain that is not ours: not up to date");
	snprintf(t.relay, sizeof(t.relay), "r1.exampl");
	ok(netd_twin_current(&t, one, 1, pk, 33) == 0,
	    "a prefix of ours is another domain");
	t.has_relay = 0;
	ok(netd_twin_current(&t, one, 1, pk, 33) == 0,
	    "no relay on chain: not up to date");
	t.has_relay = 1;
	snprintf(t.relay, sizeof(t.relay), "r1.example");
	ok(netd_twin_current(&t, one, 1, other, 33) == 0,
	    "another pk: not up to date");
	t.has_pk = 0;
	ok(netd_twin_current(&t, one, 1, pk, 33) == 0,
	    "no pk: not up to date");
}

/*
 * Runs netd_chain_startup for account in a child (its fatal errors end
 * the process); returns the child's wait status, its stderr in errlog,
 * and the twin id it found in *twin.
 */
static int
startup(int port, const uint8_t *account, int no_update, uint32_t *twin)
{
	struct netd_chain_conf	 cc;
	struct twindir		 dir;
	struct chainrpc		*rpc;
	char			 url[64], err[256];
	const char		*urls[1] = { url };
	int			 fds[2], st, fd;
	uint32_t		 id;
	pid_t			 pid;

	*twin = 0;
	if (pipe(fds) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		if ((fd = open(errlog, O_WRONLY | O_TRUNC)) == -1 ||
		    dup2(fd, 2) == -1)
			_exit(98);
		log_init("rmb-netd", 0);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
		if ((rpc = chainrpc_new(EV_DEFAULT, urls, 1, err,
		    sizeof(err))) == NULL || twindir_open_chain(&dir, rpc, 10,
		    300, err, sizeof(err)) == -1)
			_exit(97);
		memset(&cc, 0, sizeof(cc));
		cc.dir = &dir;
		cc.rpc = rpc;
		memcpy(cc.account, account, 32);
		cc.pk = pk;
		cc.pklen = sizeof(pk);
		cc.domains = domains;
		cc.ndomains = 2;
		cc.no_update = no_update;
		id = netd_chain_startup(EV_DEFAULT, &cc);
		(void)!write(fds[1], &id, sizeof(id));
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &id, sizeof(id)) == sizeof(id))
		*twin = id;
	close(fds[0]);
	while (waitpid(pid, &st, 0) == -1)
		;
	return st;
}

static int
errlog_has(const char *needle)
{
	char	 buf[8192];
	size_t	 n;
	FILE	*f;

	if ((f = fopen(errlog, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (strstr(buf, needle) != NULL)
		return 1;
	diag("stderr: %s", buf);
	return 0;
}

/* The last line of the child's stderr, for the test log. */
static void
errlog_show(void)
{
	char	 line[1024], last[1024] = "";
	FILE	*f;

	if ((f = fopen(errlog, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		memcpy(last, line, sizeof(last));
	fclose(f);
	last[strcspn(last, "\n")] = '\0';
	diag("%s", last);
}

static void
test_startup(int port)
{
	uint32_t	twin;
	int		st;

	st = startup(port, acc_current, 0, &twin);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && twin == 7,
	    "a twin whose relay set and pk are ours: twin %u", twin);
	ok(errlog_has("twin 7 is up to date on chain") &&
	    asked("state_getMetadata") == 0, "logged as up to date; nothing "
	    "else asked");

	st = startup(port, acc_stale, 1, &twin);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && twin == 8 &&
	    asked("state_getMetadata") == 0 && asked(key_hex[4]) == 0,
	    "no-update: the twin id only, its record not even read");

	st = startup(port, acc_none, 0, &twin);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 1 &&
	    errlog_has("no twin found on this network for account 5") &&
	    errlog_has("a twin must be created first"),
	    "an account without a twin: fatal, naming it");

	st = startup(port, acc_stale, 0, &twin);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 1, "a twin to update with "
	    "metadata that does not match: fatal (status %d)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	ok(errlog_has("metadata: TfgridModule has no call update_twin") &&
	    errlog_has("nothing was signed"), "the check's reason is "
	    "the error");
	errlog_show();
	ok(asked("state_getMetadata") == 1 &&
	    asked("system_accountNextIndex") == 0 &&
	    asked("author_submitExtrinsic") == 0,
	    "keyd never signed (its stub would exit 99), nothing was "
	    "submitted");
}

/* The little-endian u32 at off of the request frame. */
static uint32_t
frame_u32(const uint8_t *f, size_t off)
{
	return (uint32_t)f[off] | (uint32_t)f[off + 1] << 8 |
	    (uint32_t)f[off + 2] << 16 | (uint32_t)f[off + 3] << 24;
}

/* With metadata that matches, keyd is asked for a mortal update_twin. */
static void
test_sign(int port_good, int port_bad_number)
{
	uint8_t		 f[256];
	char		 hex[2 * sizeof(f) + 2];
	uint64_t	 block;
	size_t		 n = 0;
	uint32_t	 twin;
	int		 st, before = asked("chain_getFinalizedHead");
	FILE		*fp;

	keyd_signs = 1;
	st = startup(port_good, acc_stale, 0, &twin);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 42, "a twin to update with "
	    "metadata that matches: keyd is asked to sign (status %d)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	if (WIFEXITED(st) && WEXITSTATUS(st) != 42)
		errlog_show();
	ok(asked("chain_getFinalizedHead") == before + 1 &&
	    asked("\"chain_getHeader\",\"params\":[\"0x" FINALIZED_HASH
	    "\"]") == 1, "netd read the finalized head, then its header");
	if ((fp = fopen(keyd_dump, "r")) != NULL) {
		if (fgets(hex, sizeof(hex), fp) != NULL)
			n = unhex(f, sizeof(f), strtok(hex, "\n"));
		fclose(fp);
	}
	ok(n == IPC_HDR_SIZE + 3 * 4 + 4 + 32 + 8 + 4 + 32 &&
	    frame_u32(f, 0) == IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL,
	    "the request is a SIGN_UPDATE_TWIN_MORTAL of %zu bytes", n);
	if (n < IPC_HDR_SIZE + 3 * 4 + 4 + 32 + 8 + 4 + 32) {
		keyd_signs = 0;
		return;
	}
	ok(frame_u32(f, 16) == 4 && frame_u32(f, 20) == 144 &&
	    frame_u32(f, 24) == 2, "  nonce 4, spec 144, transaction 2");
	ok(frame_u32(f, 28) == 32, "  genesis hash");
	is_hex(f + 32, 32, GENESIS_HASH, "  genesis hash bytes");
	block = frame_u32(f, 64) | (uint64_t)frame_u32(f, 68) << 32;
	ok(block == 1000, "  block number 0x3e8 from the header: %llu",
	    (unsigned long long)block);
	ok(frame_u32(f, 72) == 32, "  block hash");
	is_hex(f + 76, 32, FINALIZED_HASH, "  the finalized head's hash");

	st = startup(port_bad_number, acc_stale, 0, &twin);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 1 &&
	    errlog_has("finalized header: the number is not a hex quantity"),
	    "a header whose number is not a hex string: fatal, nothing "
	    "signed");
	keyd_signs = 0;
}

int
main(void)
{
	uint8_t	key[TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN];
	int	port = free_port(), port_good, port_bad, fd;
	pid_t	s, sg, sb;

	signal(SIGPIPE, SIG_IGN);
	if ((fd = mkstemp(dump)) == -1)
		return 1;
	close(fd);
	if ((fd = mkstemp(errlog)) == -1)
		return 1;
	close(fd);
	if ((fd = mkstemp(keyd_dump)) == -1)
		return 1;
	close(fd);
	if (load_metadata() == -1) {
		printf("Bail out! cannot read %s\n", METADATA_FILE);
		return 1;
	}
	memset(acc_current, 0x11, 32);
	memset(acc_stale, 0x22, 32);
	memset(acc_none, 0x33, 32);
	memset(pk, 0x02, sizeof(pk));
	tfchain_key_twin_by_account(key, acc_current);
	hex_encode(key_hex[0], key, sizeof(key));
	tfchain_key_twin_by_account(key, acc_stale);
	hex_encode(key_hex[1], key, sizeof(key));
	tfchain_key_twin_by_account(key, acc_none);
	hex_encode(key_hex[2], key, sizeof(key));
	tfchain_key_twin(key, 7);
	hex_encode(key_hex[3], key, TFCHAIN_KEY_TWIN_LEN);
	tfchain_key_twin(key, 8);
	hex_encode(key_hex[4], key, TFCHAIN_KEY_TWIN_LEN);
	twin_hex(twin7_hex, 7, acc_current, "r2.example_r1.example", pk);
	twin_hex(twin8_hex, 8, acc_stale, NULL, NULL);
	if ((s = http_stub_start(port, answer,
	    (void *)(intptr_t)NODE_BAD_METADATA)) == -1 ||
	    (port_good = free_port()) == -1 || (sg = http_stub_start(port_good,
	    answer, (void *)(intptr_t)NODE_GOOD)) == -1 ||
	    (port_bad = free_port()) == -1 || (sb = http_stub_start(port_bad,
	    answer, (void *)(intptr_t)NODE_BAD_NUMBER)) == -1) {
		printf("Bail out! cannot start the stub nodes\n");
		return 1;
	}

	test_current();
	test_startup(port);
	test_sign(port_good, port_bad);

	kill(s, SIGKILL);
	kill(sg, SIGKILL);
	kill(sb, SIGKILL);
	waitpid(s, NULL, 0);
	waitpid(sg, NULL, 0);
	waitpid(sb, NULL, 0);
	unlink(dump);
	unlink(errlog);
	unlink(keyd_dump);
	free(metadata_hex);
	free(metadata_good_hex);
	return done_testing();
}
