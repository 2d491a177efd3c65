/* SPDX-License-Identifier: ISC */
/*
 * rmb: the command-line client.  Subcommands are small files of their own;
 * this one only dispatches.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "rmb.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char *[]);
	const char	*usage;
} cmds[] = {
	{ "identity", cmd_identity,
	    "identity [-k sr25519|ed25519] [--json] -f FILE|-" },
	{ "mnemonic", cmd_mnemonic, "mnemonic [-w 12|15|18|21|24]" },
	{ "call", cmd_call, "call -d twin[,twin...] -c command "
	    "[--data json|@file] [-t seconds] [--redis url]" },
	{ "serve", cmd_serve, "serve command [--redis url] [-j jobs] "
	    "-- program [args...]" },
	{ "twin", cmd_twin, "twin show id|find account [--json] "
	    "[--substrate url ...]" },
};

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: rmb [-hV] command [options]\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "       rmb %s\n", cmds[i].usage);
	if (f == stdout)
		fprintf(f, "  -h, --help     print this help and exit\n"
		    "  -V, --version  print the version and exit\n"
		    "rmb command -h prints the options of a command; see "
		    "rmb(1).\n");
}

int
main(int argc, char *argv[])
{
	size_t	i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("rmb %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "rmb: libsodium failed to initialise\n");
		return 1;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "rmb: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
