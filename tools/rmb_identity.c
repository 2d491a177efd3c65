/* SPDX-License-Identifier: ISC */
/*
 * rmb identity: print the public side of a secret (account, SS58 address,
 * e2e public key) so an operator can register a twin or write a twin file.
 * The secret is read from a file or stdin, never from argv, and wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "bip39.h"
#include "e2e.h"
#include "hex.h"
#include "identity.h"
#include "rmb.h"
#include "sig_verify.h"
#include "ss58.h"

/* Reads the whole secret into buf; -1 with a message on error. */
static int
read_secret(const char *path, char *buf, size_t cap, size_t *len)
{
	ssize_t	n;
	int	fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "rmb identity: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	*len = 0;
	for (;;) {
		n = read(fd, buf + *len, cap - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
		if (*len == cap)
			break;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (n == -1) {
		fprintf(stderr, "rmb identity: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (*len == cap) {
		fprintf(stderr, "rmb identity: the secret is too long\n");
		return -1;
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: rmb identity [-k sr25519|ed25519] [--json] "
	    "-f FILE|-\n");
	if (f != stdout)
		return;
	fprintf(f, "  -f, --file file      the secret's file, - for standard "
	    "input\n"
	    "  -k, --key-type type  sr25519 (the default) or ed25519\n"
	    "      --json           one JSON object instead of lines\n"
	    "  -h, --help           print this help and exit\n");
}

int
cmd_identity(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct identity	*id = NULL;
	struct e2e_key	*ek = NULL;
	enum key_type	 type = KEY_SR25519;
	const char	*path = NULL, *err;
	char		*secret = NULL;
	char		 account[2 * ACCOUNT_BYTES + 1], pk[2 * E2E_PK_BYTES + 1];
	char		 ss58[64];
	uint8_t		*seed = NULL;
	size_t		 len;
	int		 ch, json = 0, rc = 1;

	while ((ch = getopt_long(argc, argv, "f:hk:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'k':
			if (key_type_parse(&type, optarg) != 0) {
				fprintf(stderr, "rmb identity: invalid key "
				    "type '%s' (sr25519 or ed25519)\n", optarg);
				return 2;
			}
			break;
		case 'j':
			json = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || path == NULL)
		goto usage;

	/* Guarded, locked pages: the secret never reaches swap or a core. */
	secret = sodium_malloc(SECRET_MAX_TEXT + 2);
	seed = sodium_malloc(SEED_BYTES);
	id = sodium_malloc(sizeof(*id));
	ek = sodium_malloc(sizeof(*ek));
	if (secret == NULL || seed == NULL || id == NULL || ek == NULL) {
		fprintf(stderr, "rmb identity: out of memory\n");
		goto out;
	}
	if (read_secret(path, secret, SECRET_MAX_TEXT + 2, &len) != 0)
		goto out;
	if (secret_to_seed(seed, secret, len, &err) != 0) {
		fprintf(stderr, "rmb identity: invalid secret: %s\n", err);
		goto out;
	}
	if (e2e_init() != 0) {
		fprintf(stderr, "rmb identity: secp256k1 failed to "
		    "initialise\n");
		goto out;
	}
	if (e2e_key_from_seed(ek, seed) != 0) {
		fprintf(stderr, "rmb identity: invalid secret: the seed is "
		    "outside the secp256k1 range\n");
		goto out;
	}
	if (identity_from_seed(id, type, seed) != 0) {
		fprintf(stderr, "rmb identity: cannot derive the %s key\n",
		    key_type_name(type));
		goto out;
	}
	hex_encode(account, id->account, ACCOUNT_BYTES);
	hex_encode(pk, ek->pk, E2E_PK_BYTES);
	if (ss58_encode(ss58, sizeof(ss58), id->account) != 0) {
		fprintf(stderr, "rmb identity: cannot encode the address\n");
		goto out;
	}
	if (json)
		printf("{\"key_type\":\"%s\",\"account\":\"0x%s\","
		    "\"ss58\":\"%s\",\"e2e_pk\":\"0x%s\"}\n",
		    key_type_name(type), account, ss58, pk);
	else
		printf("key_type: %s\naccount: 0x%s\nss58: %s\ne2e_pk: 0x%s\n",
		    key_type_name(type), account, ss58, pk);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	if (ek != NULL)
		e2e_key_wipe(ek);
	if (id != NULL)
		identity_wipe(id);
	sodium_free(ek);
	sodium_free(id);
	sodium_free(seed);
	sodium_free(secret);
	return rc;
usage:
	usage(stderr);
	return 2;
}
