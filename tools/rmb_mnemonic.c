/* SPDX-License-Identifier: ISC */
/*
 * rmb mnemonic: print a new random BIP-39 mnemonic, for an operator
 * creating an identity.  It goes to stdout so that it can be redirected
 * straight into a file with restrictive permissions.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "bip39_gen.h"
#include "rmb.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: rmb mnemonic [-w 12|15|18|21|24]\n");
	if (f != stdout)
		return;
	fprintf(f, "  -w, --words n  the mnemonic's length: 12 (the default), "
	    "15, 18, 21 or 24\n"
	    "  -h, --help     print this help and exit\n");
}

int
cmd_mnemonic(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "words", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint8_t	 entropy[BIP39_MAX_ENTROPY];
	char	*text;
	long	 words = 12;
	char	*end;
	int	 ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "hw:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'w':
			words = strtol(optarg, &end, 10);
			if (*end != '\0' || words < 12 || words > 24 ||
			    words % 3 != 0) {
				fprintf(stderr, "rmb mnemonic: -w takes 12, 15, "
				    "18, 21 or 24\n");
				return 2;
			}
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((text = sodium_malloc(SECRET_MAX_TEXT)) == NULL) {
		fprintf(stderr, "rmb mnemonic: out of memory\n");
		return 1;
	}
	randombytes_buf(entropy, (size_t)words * 4 / 3);
	if (bip39_from_entropy(text, SECRET_MAX_TEXT, entropy,
	    (size_t)words * 4 / 3) != 0)
		fprintf(stderr, "rmb mnemonic: cannot encode the mnemonic\n");
	else if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
		fprintf(stderr, "rmb mnemonic: cannot write the mnemonic\n");
	else
		rc = 0;
	sodium_memzero(entropy, sizeof(entropy));
	sodium_free(text);
	return rc;
usage:
	usage(stderr);
	return 2;
}
