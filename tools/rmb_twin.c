/* SPDX-License-Identifier: ISC */
/*
 * rmb twin: read a twin from tfchain.  Substrate nodes answer JSON-RPC
 * over HTTP POST on the port they serve WebSocket on, so a ws:// or
 * wss:// URL is read as http:// or https:// and each lookup is a plain
 * request and answer.  The URLs are tried in order: a node that cannot
 * be reached or gives no usable answer is reported and the next one
 * asked; the first answer, found or not, is final.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "errf.h"
#include "hex.h"
#include "json.h"
#include "jsonrpc.h"
#include "log.h"
#include "rmb.h"
#include "ss58.h"
#include "tfchain_read.h"

#define TWIN_DEFAULT_URL	"wss://tfchain.grid.tf:443"
#define TWIN_URLS_MAX		16
#define TWIN_URL_MAX		1024
/* Far above a Twin with a few entities; the response holds it in hex. */
#define TWIN_VALUE_MAX		(64 * 1024)
#define TWIN_RESPONSE_MAX	(2 * TWIN_VALUE_MAX + 1024)
/* A state_getStorage request with the longest key, 80 bytes. */
#define TWIN_REQUEST_MAX	512
#define TWIN_CONNECT_TIMEOUT_S	10
#define TWIN_TIMEOUT_S		30
#define TWIN_ERR_MAX		(TWIN_URL_MAX + JSONRPC_ERR_MAX + 64)

struct node {
	CURL			*curl;
	struct curl_slist	*hdr;
	const char		*url;
	char			 errbuf[CURL_ERROR_SIZE];
	uint64_t		 id;
	char			*body;		/* TWIN_RESPONSE_MAX bytes */
	size_t			 len;
	int			 over;
	uint8_t			*val;		/* TWIN_VALUE_MAX bytes */
};

/*
 * ws:// and wss:// become http:// and https://; http(s):// stay.  Anything
 * else, or a URL with a control character or space, is refused.
 */
static int
map_url(const char *in, char *out, size_t cap)
{
	static const struct {
		const char	*from, *to;
	} map[] = {
		{ "wss://", "https://" },
		{ "ws://", "http://" },
		{ "https://", "https://" },
		{ "http://", "http://" },
	};
	const char	*rest;
	size_t		 i;
	int		 n;

	for (i = 0; i < strlen(in); i++)
		if ((unsigned char)in[i] <= 0x20 || in[i] == 0x7f)
			return -1;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strncasecmp(in, map[i].from, strlen(map[i].from)) != 0)
			continue;
		rest = in + strlen(map[i].from);
		if (*rest == '\0' || *rest == '/')
			return -1;
		n = snprintf(out, cap, "%s%s", map[i].to, rest);
		return n > 0 && (size_t)n < cap ? 0 : -1;
	}
	return -1;
}

static size_t
body_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct node	*n = arg;

	/* size is always 1 for a write callback. */
	if (size != 1 || nmemb > TWIN_RESPONSE_MAX - n->len) {
		n->over = 1;
		return 0;
	}
	memcpy(n->body + n->len, data, nmemb);
	n->len += nmemb;
	return nmemb;
}

static void
node_close(struct node *n)
{
	curl_easy_cleanup(n->curl);
	curl_slist_free_all(n->hdr);
	free(n->body);
	free(n->val);
	memset(n, 0, sizeof(*n));
}

static int
node_open(struct node *n, const char *url)
{
	memset(n, 0, sizeof(*n));
	n->url = url;
	if ((n->curl = curl_easy_init()) == NULL ||
	    (n->hdr = curl_slist_append(NULL,
	    "Content-Type: application/json")) == NULL ||
	    (n->body = malloc(TWIN_RESPONSE_MAX)) == NULL ||
	    (n->val = malloc(TWIN_VALUE_MAX)) == NULL) {
		node_close(n);
		return -1;
	}
	curl_easy_setopt(n->curl, CURLOPT_URL, url);
	curl_easy_setopt(n->curl, CURLOPT_HTTPHEADER, n->hdr);
	curl_easy_setopt(n->curl, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(n->curl, CURLOPT_WRITEDATA, n);
	curl_easy_setopt(n->curl, CURLOPT_ERRORBUFFER, n->errbuf);
	curl_easy_setopt(n->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(n->curl, CURLOPT_CONNECTTIMEOUT,
	    (long)TWIN_CONNECT_TIMEOUT_S);
	curl_easy_setopt(n->curl, CURLOPT_TIMEOUT, (long)TWIN_TIMEOUT_S);
	curl_easy_setopt(n->curl, CURLOPT_USERAGENT, "rmb/" PACKAGE_VERSION);
	/* Redirects are not followed; this also keeps them off file://. */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(n->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(n->curl, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	return 0;
}

static int
transport_error(struct node *n, CURLcode cc, char *err, size_t errcap)
{
	const char	*detail = n->errbuf[0] ? n->errbuf :
			    curl_easy_strerror(cc);

	switch (cc) {
	case CURLE_COULDNT_CONNECT:
		return errf(err, errcap, "%s: could not connect (%s)", n->url,
		    detail);
	case CURLE_COULDNT_RESOLVE_HOST:
		return errf(err, errcap, "%s: could not resolve the host (%s)",
		    n->url, detail);
	case CURLE_OPERATION_TIMEDOUT:
		return errf(err, errcap, "%s: timed out (%s)", n->url, detail);
	case CURLE_WRITE_ERROR:
		if (n->over)
			return errf(err, errcap, "%s: response over %d bytes",
			    n->url, TWIN_RESPONSE_MAX);
		/* FALLTHROUGH */
	default:
		return errf(err, errcap, "%s: request failed (%s)", n->url,
		    detail);
	}
}

/* One call and its response, checked; r points into n->body. */
static int
node_call(struct node *n, const char *method, const char *params,
    struct jsonrpc_resp *r, char *err, size_t errcap)
{
	char		req[TWIN_REQUEST_MAX], jerr[JSONRPC_ERR_MAX];
	uint64_t	id = ++n->id;
	long		code = 0;
	CURLcode	cc;

	if (jsonrpc_request(req, sizeof(req), NULL, id, method, params, jerr,
	    sizeof(jerr)) != 0)
		return errf(err, errcap, "%s", jerr);
	n->len = 0;
	n->over = 0;
	n->errbuf[0] = '\0';
	curl_easy_setopt(n->curl, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(n->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(req));
	if ((cc = curl_easy_perform(n->curl)) != CURLE_OK)
		return transport_error(n, cc, err, errcap);
	curl_easy_getinfo(n->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200)
		return errf(err, errcap, "%s: HTTP %ld", n->url, code);
	if (jsonrpc_parse(r, n->body, n->len, id, jerr, sizeof(jerr)) != 0)
		return errf(err, errcap, "%s: %s", n->url, jerr);
	return 0;
}

/* A storage value into n->val: 1 present, 0 absent, -1 error. */
static int
get_storage(struct node *n, const uint8_t *key, size_t keylen, size_t *len,
    char *err, size_t errcap)
{
	struct jsonrpc_resp	r;
	char			params[2 * TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN + 8];
	char			jerr[JSONRPC_ERR_MAX];

	if (keylen > TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN)
		return errf(err, errcap, "storage key too long");
	memcpy(params, "[\"0x", 4);
	hex_encode(params + 4, key, keylen);
	memcpy(params + 4 + 2 * keylen, "\"]", 3);
	if (node_call(n, "state_getStorage", params, &r, err, errcap) != 0)
		return -1;
	if (jsonrpc_is_null(&r.result))
		return 0;
	if (jsonrpc_get_hex(&r.result, n->val, TWIN_VALUE_MAX, len, jerr,
	    sizeof(jerr)) != 0)
		return errf(err, errcap, "%s: %s", n->url, jerr);
	return 1;
}

/* Twins(id): 1 found, 0 absent (err says so), -1 error. */
static int
fetch_twin(struct node *n, uint32_t id, struct twin_record *t, char *err,
    size_t errcap)
{
	uint8_t		 key[TFCHAIN_KEY_TWIN_LEN];
	const char	*why;
	size_t		 len;
	int		 rc;

	tfchain_key_twin(key, id);
	if ((rc = get_storage(n, key, sizeof(key), &len, err, errcap)) != 1) {
		if (rc == 0)
			snprintf(err, errcap, "twin %" PRIu32 " does not "
			    "exist", id);
		return rc;
	}
	if (twin_decode(t, n->val, len, &why) != 0)
		return errf(err, errcap, "%s: twin %" PRIu32 " cannot be "
		    "decoded: %s", n->url, id, why);
	if (t->id != id)
		return errf(err, errcap, "%s: twin %" PRIu32 " holds id %"
		    PRIu32, n->url, id, t->id);
	return 1;
}

/* TwinIdByAccountID(account), then that twin. */
static int
find_twin(struct node *n, const uint8_t account[32], struct twin_record *t,
    char *err, size_t errcap)
{
	uint8_t		key[TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN];
	char		ss58[SS58_ADDR_SIZE];
	size_t		len;
	uint32_t	id;
	int		rc;

	if (ss58_encode(ss58, sizeof(ss58), account) != 0)
		return errf(err, errcap, "cannot encode the address");
	tfchain_key_twin_by_account(key, account);
	if ((rc = get_storage(n, key, sizeof(key), &len, err, errcap)) != 1) {
		if (rc == 0)
			snprintf(err, errcap, "no twin for account %s", ss58);
		return rc;
	}
	if (twin_id_decode(&id, n->val, len) != 0)
		return errf(err, errcap, "%s: the twin id of %s is not a u32",
		    n->url, ss58);
	if ((rc = fetch_twin(n, id, t, err, errcap)) == 0)
		snprintf(err, errcap, "account %s has twin %" PRIu32 ", which "
		    "does not exist", ss58, id);
	if (rc == 1 && memcmp(t->account, account, 32) != 0)
		fprintf(stderr, "rmb twin: warning: twin %" PRIu32 " belongs "
		    "to another account than %s\n", id, ss58);
	return rc;
}

/* The relay as text: printable ASCII as is, anything else as \xNN. */
static void
print_relay_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f &&
		    *s != '\\')
			putchar(*s);
		else
			printf("\\x%02x", (unsigned char)*s);
}

/* The relay as a JSON string; bytes outside ASCII as \u00NN. */
static int
print_relay_json(const char *s)
{
	struct json_buf	b;

	memset(&b, 0, sizeof(b));
	json_put_str(&b, s, strlen(s), JSON_ASCII);
	if (!b.bad)
		fputs(b.p, stdout);
	free(b.p);
	return b.bad ? -1 : 0;
}

static int
print_twin(const struct twin_record *t, int json)
{
	char	account[2 * 32 + 1], pk[2 * TWIN_PK_MAX + 1];
	char	ss58[SS58_ADDR_SIZE];

	hex_encode(account, t->account, sizeof(t->account));
	if (ss58_encode(ss58, sizeof(ss58), t->account) != 0)
		return -1;
	if (t->has_pk)
		hex_encode(pk, t->pk, t->pklen);
	if (json) {
		printf("{\"id\":%" PRIu32 ",\"account\":\"0x%s\",\"ss58\":"
		    "\"%s\",\"relay\":", t->id, account, ss58);
		if (!t->has_relay)
			printf("null");
		else if (print_relay_json(t->relay) == -1)
			return -1;
		if (t->has_pk)
			printf(",\"pk\":\"0x%s\"}\n", pk);
		else
			printf(",\"pk\":null}\n");
	} else {
		printf("id: %" PRIu32 "\naccount: 0x%s\nss58: %s\nrelay: ",
		    t->id, account, ss58);
		if (t->has_relay)
			print_relay_text(t->relay);
		else
			printf("none");
		printf("\npk: %s%s\n", t->has_pk ? "0x" : "",
		    t->has_pk ? pk : "none");
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

static int
parse_id(const char *s, uint32_t *id)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i == 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || v > UINT32_MAX)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

static int
parse_account(const char *s, uint8_t account[32])
{
	if (strncmp(s, "0x", 2) == 0)
		return hex_decode(account, 32, s + 2, strlen(s + 2));
	return ss58_decode(account, s);
}

static int
usage(FILE *f)
{
	fprintf(f, "usage: rmb twin show ID [--json] "
	    "[--substrate URL ...]\n"
	    "       rmb twin find ACCOUNT [--json] [--substrate URL ...]\n");
	if (f != stdout)
		return 2;
	fprintf(f, "      --json           one JSON object instead of lines\n"
	    "      --substrate url  a tfchain node, repeatable "
	    "(wss://tfchain.grid.tf:443)\n"
	    "  -h, --help           print this help and exit\n");
	return 0;
}

int
cmd_twin(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "substrate", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static char		 urls[TWIN_URLS_MAX][TWIN_URL_MAX + 1];
	struct twin_record	 t;
	struct node		 n;
	char			 err[TWIN_ERR_MAX];
	uint8_t			 account[32];
	uint32_t		 id = 0;
	size_t			 nurls = 0, i;
	int			 ch, json = 0, find, rc = -1;

	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return usage(stdout);
	if (strcmp(argv[1], "show") == 0)
		find = 0;
	else if (strcmp(argv[1], "find") == 0)
		find = 1;
	else
		return usage(stderr);
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return usage(stdout);
		case 's':
			if (nurls == TWIN_URLS_MAX) {
				fprintf(stderr, "rmb twin: at most %d "
				    "--substrate URLs\n", TWIN_URLS_MAX);
				return 2;
			}
			if (map_url(optarg, urls[nurls],
			    sizeof(urls[nurls])) != 0) {
				fprintf(stderr, "rmb twin: invalid URL "
				    "'%.*s' (ws://, wss://, http:// or "
				    "https://)\n", TWIN_URL_MAX, optarg);
				return 2;
			}
			nurls++;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return usage(stderr);
		}
	}
	if (optind != argc - 1)
		return usage(stderr);
	if (!find && parse_id(argv[optind], &id) != 0) {
		fprintf(stderr, "rmb twin: invalid twin id '%.64s'\n",
		    argv[optind]);
		return 2;
	}
	if (find && parse_account(argv[optind], account) != 0) {
		fprintf(stderr, "rmb twin: invalid account '%.128s' (an SS58 "
		    "address or 0x and 64 hex digits)\n", argv[optind]);
		return 2;
	}
	if (nurls == 0 && map_url(TWIN_DEFAULT_URL, urls[nurls++],
	    sizeof(urls[0])) != 0)
		return 1;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "rmb twin: libcurl failed to initialise\n");
		return 1;
	}
	for (i = 0; i < nurls; i++) {
		if (node_open(&n, urls[i]) != 0) {
			fprintf(stderr, "rmb twin: out of memory\n");
			break;
		}
		rc = find ? find_twin(&n, account, &t, err, sizeof(err)) :
		    fetch_twin(&n, id, &t, err, sizeof(err));
		node_close(&n);
		if (rc >= 0)
			break;
		fprintf(stderr, "rmb twin: %s\n", err);
	}
	curl_global_cleanup();
	if (rc == 0)
		fprintf(stderr, "rmb twin: %s\n", err);
	if (rc != 1)
		return 1;
	if (print_twin(&t, json) != 0) {
		fprintf(stderr, "rmb twin: cannot write the twin\n");
		return 1;
	}
	return 0;
}
