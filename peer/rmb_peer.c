/* SPDX-License-Identifier: ISC */
/*
 * rmb-peer: flags, the configuration file, the start of the three
 * children and their supervision.  The parent never touches the network
 * or redis, and holds a secret given with -m only until it is in keyd's
 * pipe.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bip39.h"
#include "ipc_extra.h"
#include "ipc_keyd.h"
#include "ipc_peer.h"
#include "log.h"
#include "notify.h"
#include "peer.h"
#include "peer_conf.h"
#include "privdrop.h"
#include "proc.h"

/* What the command line says beyond the configuration's keywords. */
struct peer_flags {
	struct peer_conf conf;		/* values given as flags */
	const char	*conf_file;	/* -f, or NULL for the default */
	const char	*secret_flag;	/* "-m", "--seed"... or NULL */
	int		 nsecret;	/* secret options given */
	int		 debug;		/* -d count */
	int		 check;		/* -n */
};

/* The -m secret, between argv and keyd's pipe. */
static char	secret[SECRET_MAX_TEXT + 1];
static size_t	secretlen;

static struct peer_child children[PROC_COUNT] = {
	[PROC_KEYD] = { .name = "keyd", .prog = "rmb-keyd", .pid = -1,
	    .ib = { .fd = -1 } },
	[PROC_NETD] = { .name = "netd", .prog = "rmb-netd", .pid = -1,
	    .ib = { .fd = -1 } },
	[PROC_APID] = { .name = "apid", .prog = "rmb-apid", .pid = -1,
	    .ib = { .fd = -1 } },
};

static int	sigfd[2] = { -1, -1 };
static int	looks;		/* how many times we looked at the children */
static int	first = -1;	/* the first to end by itself: the cause */

enum {
	OPT_MNEMONICS = 256,
	OPT_SEED,
	OPT_MNEMONIC_FILE,
	OPT_RELAY,
	OPT_NO_UPDATE,
	OPT_TWINS,
	OPT_USER,
	OPT_JAIL,
	OPT_TWIN_CACHE,
	OPT_TWIN_TTL,
	OPT_KEYD_USER,
	OPT_NETD_USER,
	OPT_APID_USER
};

/* The short options; the leading ':' reports a missing value as ':'. */
#define PEER_OPTS	":df:hk:m:nr:s:u:V"

static const struct option longopts[] = {
	{ "mnemonic",		required_argument, NULL, 'm' },
	{ "mnemonics",		required_argument, NULL, OPT_MNEMONICS },
	{ "seed",		required_argument, NULL, OPT_SEED },
	{ "mnemonic-file",	required_argument, NULL, OPT_MNEMONIC_FILE },
	{ "key-type",		required_argument, NULL, 'k' },
	{ "redis",		required_argument, NULL, 'r' },
	{ "substrate",		required_argument, NULL, 's' },
	{ "relay",		required_argument, NULL, OPT_RELAY },
	{ "no-update",		no_argument, NULL, OPT_NO_UPDATE },
	{ "twin-cache",		required_argument, NULL, OPT_TWIN_CACHE },
	{ "twin-ttl",		required_argument, NULL, OPT_TWIN_TTL },
	{ "uploads",		required_argument, NULL, 'u' },
	{ "debug",		no_argument, NULL, 'd' },
	{ "twins",		required_argument, NULL, OPT_TWINS },
	{ "user",		required_argument, NULL, OPT_USER },
	{ "jail",		required_argument, NULL, OPT_JAIL },
	{ "keyd-user",		required_argument, NULL, OPT_KEYD_USER },
	{ "netd-user",		required_argument, NULL, OPT_NETD_USER },
	{ "apid-user",		required_argument, NULL, OPT_APID_USER },
	{ "version",		no_argument, NULL, 'V' },
	{ "help",		no_argument, NULL, 'h' },
	{ NULL,			0, NULL, 0 }
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rmb-peer [-dhnV] [-f file] [-k key-type] [-m mnemonic | "
	    "--mnemonic-file file]\n"
	    "                [-r redis-url] [-s substrate-url] [--relay url] "
	    "[--no-update]\n"
	    "                [--twins file] [--user user] [--jail dir] "
	    "[-u dir]\n"
	    "                [--twin-cache count] [--twin-ttl seconds]\n"
	    "                [--keyd-user user] [--netd-user user] "
	    "[--apid-user user]\n");
	if (f != stdout)
		return;
	/* -h only: an error's usage stays short. */
	fprintf(f, "\n"
	    "  -d, --debug               log more; twice for everything\n"
	    "  -f file                   the configuration file "
	    "(" PEER_CONF_FILE ")\n"
	    "  -h, --help                print this help and exit\n"
	    "  -k, --key-type type       sr25519 (the default) or ed25519\n"
	    "  -m, --mnemonic secret     the secret itself, which ps shows "
	    "to all\n"
	    "      --mnemonics, --seed   deprecated aliases of -m\n"
	    "      --mnemonic-file file  the file rmb-keyd reads the secret "
	    "from\n"
	    "  -n                        check the configuration and exit\n"
	    "  -r, --redis url           the local redis "
	    "(redis://localhost:6379)\n"
	    "      --relay url           a relay to connect to, up to four "
	    "times\n"
	    "  -s, --substrate url       a tfchain node, up to eight times\n"
	    "      --no-update           do not update the twin on tfchain\n"
	    "      --twin-cache count    how many twins rmb-netd keeps (500)\n"
	    "      --twin-ttl seconds    how long it keeps each (300)\n"
	    "      --twins file          a static twin file instead of "
	    "tfchain\n"
	    "      --user user           all three children's user when run as "
	    "root\n"
	    "      --keyd-user user      rmb-keyd's user when run as root "
	    "(_rmb-keyd)\n"
	    "      --netd-user user      rmb-netd's user when run as root "
	    "(_rmb-netd)\n"
	    "      --apid-user user      rmb-apid's user when run as root "
	    "(_rmb-apid)\n"
	    "      --jail dir            rmb-keyd's chroot when run as root "
	    "(/run/rmb-peer)\n"
	    "  -u, --uploads dir         accepted and ignored, as rmb-rs "
	    "does\n"
	    "  -V, --version             print the version and exit\n"
	    "The secret is better given with --mnemonic-file or systemd's "
	    "credential\n\"mnemonic\"; see rmb-peer(8) and "
	    "rmb-peer.conf(5).\n");
}

/* A command-line error: one line, exit 2. */
static __attribute__((noreturn, format(printf, 1, 2))) void
badflag(const char *fmt, ...)
{
	va_list	ap;
	char	msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Through log: under systemd the line gets its error priority. */
	log_warnx("%s (rmb-peer -h for usage)", msg);
	explicit_bzero(secret, sizeof(secret));
	exit(2);
}

/* Any other start-up error: one line, exit 1. */
static __attribute__((noreturn, format(printf, 1, 2))) void
die(const char *fmt, ...)
{
	va_list	ap;
	char	msg[768];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s", msg);
	explicit_bzero(secret, sizeof(secret));
	exit(1);
}

static void
sighandler(int sig)
{
	int		saved = errno;
	unsigned char	c = (unsigned char)sig;

	(void)!write(sigfd[1], &c, 1);
	errno = saved;
}

/* Relative paths on the command line are taken from where we started. */
static const char *
abspath(const char *flag, const char *p, char *buf, size_t cap)
{
	char	cwd[PATH_MAX];

	if (p[0] == '/' || p[0] == '\0')
		return p;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		badflag("%s %s: cannot find the current directory: %s", flag,
		    p, strerror(errno));
	if ((size_t)snprintf(buf, cap, "%s/%s", cwd, p) >= cap)
		badflag("%s: path too long", flag);
	return buf;
}

static void
flag_set(struct peer_flags *f, const char *flag, enum peer_kw kw,
    const char *v)
{
	char	why[256], buf[PATH_MAX];

	if (!peer_kw_repeatable(kw) && (f->conf.set & (1U << kw)))
		badflag("%s given twice", flag);
	if (kw == PKW_MNEMONIC_FILE || kw == PKW_TWINS || kw == PKW_JAIL)
		v = abspath(flag, v, buf, sizeof(buf));
	if (peer_conf_set(&f->conf, kw, v, why, sizeof(why)) == -1)
		badflag("%s: %s", flag, why);
}

/*
 * Keeps the secret for keyd's pipe and wipes it from argv, which every
 * local user can read in /proc; the warning says it was seen anyway.
 */
static void
take_secret(struct peer_flags *f, const char *flag, char *arg)
{
	size_t	len = strlen(arg);

	f->nsecret++;
	f->secret_flag = flag;
	if (len == 0)
		badflag("%s: empty secret", flag);
	if (len > SECRET_MAX_TEXT) {
		explicit_bzero(arg, len);
		badflag("%s: the secret is longer than %d bytes", flag,
		    SECRET_MAX_TEXT);
	}
	memcpy(secret, arg, len);
	secret[len] = '\0';
	secretlen = len;
	explicit_bzero(arg, len);
}

static void
parse_flags(struct peer_flags *f, int argc, char *argv[])
{
	const char	*name;
	int		 ch;

	memset(f, 0, sizeof(*f));
	peer_conf_init(&f->conf);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, PEER_OPTS, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'm':
			take_secret(f, "-m", optarg);
			break;
		case OPT_MNEMONICS:
			take_secret(f, "--mnemonics", optarg);
			break;
		case OPT_SEED:
			take_secret(f, "--seed", optarg);
			break;
		case OPT_MNEMONIC_FILE:
			f->nsecret++;
			flag_set(f, "--mnemonic-file", PKW_MNEMONIC_FILE,
			    optarg);
			break;
		case 'k':
			flag_set(f, "-k", PKW_KEY_TYPE, optarg);
			break;
		case 'r':
			flag_set(f, "-r", PKW_REDIS, optarg);
			break;
		case 's':
			flag_set(f, "-s", PKW_SUBSTRATE, optarg);
			break;
		case OPT_RELAY:
			flag_set(f, "--relay", PKW_RELAY, optarg);
			break;
		case OPT_NO_UPDATE:
			flag_set(f, "--no-update", PKW_NO_UPDATE, "yes");
			break;
		case OPT_TWINS:
			flag_set(f, "--twins", PKW_TWINS, optarg);
			break;
		case OPT_USER:
			flag_set(f, "--user", PKW_USER, optarg);
			break;
		case OPT_TWIN_CACHE:
			flag_set(f, "--twin-cache", PKW_TWIN_CACHE, optarg);
			break;
		case OPT_TWIN_TTL:
			flag_set(f, "--twin-ttl", PKW_TWIN_TTL, optarg);
			break;
		case OPT_JAIL:
			flag_set(f, "--jail", PKW_JAIL, optarg);
			break;
		case OPT_KEYD_USER:
			flag_set(f, "--keyd-user", PKW_KEYD_USER, optarg);
			break;
		case OPT_NETD_USER:
			flag_set(f, "--netd-user", PKW_NETD_USER, optarg);
			break;
		case OPT_APID_USER:
			flag_set(f, "--apid-user", PKW_APID_USER, optarg);
			break;
		case 'u':
			/* Accepted as the reference does, which ignores it. */
			break;
		case 'd':
			f->debug++;
			break;
		case 'f':
			if (f->conf_file != NULL)
				badflag("-f given twice");
			f->conf_file = optarg;
			break;
		case 'n':
			f->check = 1;
			break;
		case 'V':
			printf("rmb-peer %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			name = argv[optind - 1];
			badflag("%s needs a value", name);
		default:
			name = argv[optind - 1];
			/* A long option given a value ("--debug=2"). */
			if (optopt >= 256 || (optopt > 0 && optopt != ':' &&
			    strchr(PEER_OPTS, optopt) != NULL))
				badflag("%.*s takes no value",
				    (int)strcspn(name, "="), name);
			if (optopt != 0)
				badflag("unknown option -%c", optopt);
			badflag("unknown option %.*s", (int)strcspn(name, "="),
			    name);
		}
	}
	if (optind != argc)
		badflag("unexpected argument \"%.64s\"", argv[optind]);
	if (f->nsecret > 1)
		badflag("give only one of -m, --mnemonics, --seed and "
		    "--mnemonic-file");
	if (f->debug > 0) {
		f->conf.debug = f->debug > PEER_DEBUG_MAX ? PEER_DEBUG_MAX :
		    f->debug;
		f->conf.set |= 1U << PKW_DEBUG;
	}
}

/* keyd will refuse a secret file others can read: say so before. */
static void
check_secret_file(const char *path)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		die("secret file %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("secret file %s: not a regular file", path);
	if (st.st_mode & S_IRWXO)
		die("secret file %s: others may read it; chmod o-rwx it",
		    path);
}

/*
 * Where keyd reads the secret: -m's pipe, --mnemonic-file, systemd's
 * credentials, then the file's mnemonic-file, in that order.
 */
static enum keyd_secret_source
secret_source(const struct peer_flags *f, const struct peer_conf *c)
{
	const char	*dir;
	char		 path[PATH_MAX];

	if (f->secret_flag != NULL)
		return KEYD_SECRET_FD;
	if (f->conf.set & (1U << PKW_MNEMONIC_FILE)) {
		check_secret_file(c->mnemonic_file);
		return KEYD_SECRET_FILE;
	}
	if ((dir = getenv("CREDENTIALS_DIRECTORY")) != NULL && *dir != '\0') {
		if ((size_t)snprintf(path, sizeof(path), "%s/mnemonic", dir) >=
		    sizeof(path))
			die("CREDENTIALS_DIRECTORY is too long");
		check_secret_file(path);
		return KEYD_SECRET_CREDENTIALS;
	}
	if (c->mnemonic_file[0] != '\0') {
		check_secret_file(c->mnemonic_file);
		return KEYD_SECRET_FILE;
	}
	die("no secret: give --mnemonic-file FILE, set mnemonic-file in the "
	    "configuration file, or use systemd credentials (a credential "
	    "named mnemonic)");
}

/* The jail keyd checks as root: ours to create, root-owned and empty. */
static void
prepare_jail(const char *dir, int create)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;

	if (lstat(dir, &st) == -1) {
		if (errno != ENOENT)
			die("jail %s: %s", dir, strerror(errno));
		if (!create)
			return;
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			die("jail %s: cannot create it: %s", dir,
			    strerror(errno));
		/* mkdir(2) is subject to the umask; the mode is not. */
		if (chmod(dir, 0755) == -1 || lstat(dir, &st) == -1)
			die("jail %s: %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		die("jail %s: not a directory", dir);
	if (st.st_uid != 0)
		die("jail %s: not owned by root", dir);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		die("jail %s: writable by group or others", dir);
	if ((d = opendir(dir)) == NULL)
		die("jail %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			die("jail %s: not empty (%s)", dir, de->d_name);
	closedir(d);
}

/*
 * A child's user, named by its keyword (kw) for the message.  The
 * defaults are the packages' system users: a peer run from a build tree
 * as root has none of them unless it is told whom to become.
 */
static void
check_user(const char *user, const char *kw)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL)
		die("user %s (%s) does not exist: create the packages' system "
		    "users (systemd-sysusers), or name another with %s or user "
		    "in rmb-peer.conf, or with --%s or --user", user, kw, kw,
		    kw);
	if (pw->pw_uid == 0)
		die("user %s (%s) is root; the children must not run as root",
		    user, kw);
}

/* Descriptors 0-2 open, so that no channel lands on one of them. */
static void
open_stdio(void)
{
	int	fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", O_RDWR) != fd)
			die("cannot open /dev/null on descriptor %d", fd);
}

static void
child_path(char *buf, size_t cap, const char *dir, const char *prog)
{
	if ((size_t)snprintf(buf, cap, "%s/%s", dir, prog) >= cap)
		die("libexec directory %s: path too long", dir);
	if (access(buf, X_OK) == -1)
		die("cannot run %s: %s", buf, strerror(errno));
}

/*
 * In the child: fds[i] becomes descriptor 3 + i, nothing else stays open
 * but the standard ones, signals are as a fresh process has them.
 */
static _Noreturn void
exec_child(const char *path, const struct peer_child *c, int debug,
    const int *fds, int nfds, pid_t parent)
{
	struct sigaction sa;
	sigset_t	 none;
	char		*argv[2 + PEER_DEBUG_MAX + 1];
	int		 high[3], i, sig, argc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* A parent killed outright still takes its children with it. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(127);
	/* Out of the way first, so that no dup2() lands on a source. */
	for (i = 0; i < nfds; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD, 3 + nfds)) == -1)
			_exit(127);
	for (i = 0; i < nfds; i++)
		if (dup2(high[i], 3 + i) == -1)
			_exit(127);
	if (close_range(3 + (unsigned int)nfds, ~0U, 0) == -1)
		for (i = 3 + nfds; i < 1024; i++)
			(void)close(i);
	argv[argc++] = (char *)c->prog;
	/* The log level travels as -v only (common/trusted/proc.h). */
	for (i = 0; i < debug && i < PEER_DEBUG_MAX; i++)
		argv[argc++] = (char *)"-v";
	argv[argc] = NULL;
	execv(path, argv);
	log_warn("exec %s", path);
	_exit(127);
}

static void
start_child(struct peer_child *c, const char *dir, int debug, const int *fds,
    int nfds)
{
	char	path[PATH_MAX];
	pid_t	parent = getpid();

	child_path(path, sizeof(path), dir, c->prog);
	switch (c->pid = fork()) {
	case -1:
		log_warn("fork for %s", c->name);
		return;
	case 0:
		exec_child(path, c, debug, fds, nfds, parent);
	default:
		log_debug("%s is pid %ld", c->name, (long)c->pid);
	}
}

/* The relay domains and field were computed once, by peer_conf_finish(). */
static int
send_keyd_config(struct ipc_chan *ib, const struct peer_conf *c,
    enum keyd_secret_source src, int root)
{
	static struct keyd_config	k;

	k.key_type = c->key_type;
	k.source = src;
	snprintf(k.path, sizeof(k.path), "%s",
	    src == KEYD_SECRET_FILE ? c->mnemonic_file : "");
	k.pallet = TFCHAIN_PALLET_TFGRID;
	k.call = TFCHAIN_CALL_UPDATE_TWIN;
	memcpy(k.relay, c->chain_relay, sizeof(k.relay));
	snprintf(k.jail, sizeof(k.jail), "%s", root ? c->jail : "");
	snprintf(k.user, sizeof(k.user), "%s", root ? c->keyd_user : "");
	if (keyd_req_put(ib, IPC_KEYD_CONFIG, 0, &k) == -1)
		return -1;
	return ipc_flush(ib);
}

static int
send_netd_config(struct ipc_chan *ib, const struct peer_conf *c, int root)
{
	static struct netd_config	n;

	n.nrelays = c->nrelay;
	memcpy(n.relays, c->relay, sizeof(n.relays));
	n.ndomains = c->ndomains;
	memcpy(n.domains, c->domains, sizeof(n.domains));
	n.nsubstrates = c->nsubstrate;
	memcpy(n.substrates, c->substrate, sizeof(n.substrates));
	memcpy(n.twins, c->twins, sizeof(n.twins));
	n.no_update = (uint32_t)c->no_update;
	snprintf(n.user, sizeof(n.user), "%s", root ? c->netd_user : "");
	n.twin_cache = c->twin_cache;
	n.twin_ttl = c->twin_ttl;
	if (netd_config_put(ib, &n) == -1)
		return -1;
	return ipc_flush(ib);
}

static int
send_apid_config(struct ipc_chan *ib, const struct peer_conf *c, int root)
{
	struct apid_config	a;

	memcpy(a.redis, c->redis, sizeof(a.redis));
	snprintf(a.user, sizeof(a.user), "%s", root ? c->apid_user : "");
	if (apid_config_put(ib, &a) == -1)
		return -1;
	return ipc_flush(ib);
}

static int
alive(const struct peer_child *c)
{
	return c->pid > 0;
}

/* A signal's name for the log: "SIGKILL" says more than "Killed". */
static const char *
signame(int sig)
{
	static const struct {
		int		 sig;
		const char	*name;
	} names[] = {
		{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" },
		{ SIGQUIT, "SIGQUIT" }, { SIGILL, "SIGILL" },
		{ SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
		{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" },
		{ SIGKILL, "SIGKILL" }, { SIGUSR1, "SIGUSR1" },
		{ SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" },
		{ SIGTERM, "SIGTERM" }, { SIGXCPU, "SIGXCPU" },
		{ SIGXFSZ, "SIGXFSZ" }, { SIGSYS, "SIGSYS" }
	};
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].sig == sig)
			return names[i].name;
	return strsignal(sig);
}

/* How a child ended, for one log line. */
static void
describe(const struct peer_child *c, char *buf, size_t cap)
{
	int	sig;

	if (WIFEXITED(c->status))
		snprintf(buf, cap, "exited with status %d",
		    WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status)) {
		sig = WTERMSIG(c->status);
		/* SIGSYS is how a seccomp filter kills a process. */
		if (sig == SIGSYS)
			snprintf(buf, cap, "was killed by signal %d (SIGSYS: "
			    "a system call its seccomp filter forbids)", sig);
		else
			snprintf(buf, cap, "was killed by signal %d (%s)",
			    sig, signame(sig));
	} else
		snprintf(buf, cap, "ended with wait status 0x%x", c->status);
}

/*
 * How likely a child's end is the cause of the others', among those
 * first seen to end by the same look: lower first.  A child we stopped
 * is never the cause; a signal is never how a child reacts to a
 * sibling's end, while exiting, and exiting 0 most of all, is.
 */
static int
cause_rank(const struct peer_child *c)
{
	if (c->stopped)
		return 3;
	if (WIFSIGNALED(c->status))
		return 0;
	return WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0 ? 2 : 1;
}

/* Reaps every child that has ended; the look sees them end now. */
static void
reap(void)
{
	pid_t	pid;
	int	status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < PROC_COUNT; i++) {
			if (children[i].pid != pid)
				continue;
			children[i].pid = -1;
			children[i].status = status;
			children[i].ended = 1;
			if (children[i].seen == 0)
				children[i].seen = looks;
		}
	}
}

/*
 * Whether a child is on its way out: a zombie, or PF_EXITING in the
 * flags of /proc/PID/stat (its ninth field), which the kernel sets before
 * it closes the process's descriptors.  A process killed while its
 * siblings run may be preempted between closing their channels and
 * closing ours, or becoming a zombie: long enough for them to exit first.
 */
static int
dying(pid_t pid)
{
	char		 path[64], buf[512], *p, state;
	unsigned int	 flags;
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The name, in parentheses, may hold anything: after the last. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %c %*d %*d %*d %*d %*d %u", &state, &flags) != 2)
		return 0;
	return state == 'Z' || state == 'X' || (flags & PEER_PF_EXITING);
}

/* What is dying when another is seen to end is seen to end with it. */
static void
see_dying(void)
{
	int	i, any = 0;

	for (i = 0; i < PROC_COUNT; i++)
		any |= children[i].seen != 0;
	for (i = 0; any && i < PROC_COUNT; i++)
		if (children[i].seen == 0 && alive(&children[i]) &&
		    dying(children[i].pid))
			children[i].seen = looks;
}

/* Our end of a child's channel, closed; it stays open until then. */
static void
close_channel(int i)
{
	if (children[i].ib.fd == -1)
		return;
	ipc_clear(&children[i].ib);
	close(children[i].ib.fd);
	children[i].ib.fd = -1;
}

/*
 * Logs one reaped child.  One that ended by itself is an error however
 * it ended: the peer cannot run without it.  One we stopped is not to
 * blame, unless it ended otherwise than by exiting or by our signal.
 * quiet: the stop was asked for, so its children's ends are debug lines.
 */
static void
log_ended(int i, int quiet)
{
	struct peer_child	*c = &children[i];
	char			 how[128];
	int			 sig;

	describe(c, how, sizeof(how));
	sig = WIFSIGNALED(c->status) ? WTERMSIG(c->status) : 0;
	if (!c->stopped && first == -1) {
		first = i;
		log_warnx("%s %s: first to end, the cause", c->name, how);
	} else if (!c->stopped)
		log_warnx("%s %s: ended after %s", c->name, how,
		    children[first].name);
	else if (sig != 0 && sig != SIGTERM && sig != c->stopped)
		log_warnx("%s %s while rmb-peer stopped it", c->name, how);
	else if (quiet)
		log_debug("%s stopped by rmb-peer (%s)", c->name, how);
	else
		log_info("%s stopped by rmb-peer (%s)", c->name, how);
	c->ended = 2;
}

/*
 * Logs every child reaped and not yet logged, in the order they were
 * seen to end; those seen by the same look, by cause_rank().
 */
static void
log_reaped(int quiet)
{
	struct peer_child	*c, *n;
	int			 i, next;

	for (;;) {
		next = -1;
		for (i = 0; i < PROC_COUNT; i++) {
			c = &children[i];
			if (c->ended != 1)
				continue;
			n = next == -1 ? NULL : &children[next];
			if (n == NULL || c->seen < n->seen ||
			    (c->seen == n->seen && cause_rank(c) <
			    cause_rank(n)))
				next = i;
		}
		if (next == -1)
			return;
		log_ended(next, quiet);
	}
}

/* Reads the signal numbers the handler queued; returns the last stop. */
static int
drain_signals(void)
{
	unsigned char	buf[64];
	ssize_t		n, i;
	int		stop = 0;

	while ((n = read(sigfd[0], buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] == SIGTERM || buf[i] == SIGINT)
				stop = buf[i];
			else if (buf[i] == SIGHUP)
				log_info("SIGHUP: the configuration is read at "
				    "start only; restart rmb-peer to change "
				    "it");
		}
	}
	return stop;
}

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The one message a child sends: netd's and apid's IPC_PEER_READY.
 * Once both have come the peer is up (keyd answered netd first), and
 * the service manager is told.  Anything else is logged and ignored.
 */
static void
child_message(int i, struct ipc_msg *imsg)
{
	static uint32_t		twin;
	struct peer_ready	r;

	if (imsg->hdr.type != IPC_PEER_READY || i == PROC_KEYD) {
		log_warnx("ignoring %s (size %u) from %s",
		    ipc_type_name(imsg->hdr.type), imsg->hdr.len,
		    children[i].name);
		return;
	}
	if (peer_ready_get(imsg, &r) == -1 || children[i].ready) {
		log_warnx("ignoring a malformed or repeated %s from %s",
		    ipc_type_name(imsg->hdr.type), children[i].name);
		return;
	}
	children[i].ready = 1;
	log_debug("%s is ready", children[i].name);
	if (i == PROC_NETD)
		twin = r.twin;
	if (!children[PROC_NETD].ready || !children[PROC_APID].ready)
		return;
	log_info("ready: twin %u", twin);
	notify("READY=1\nSTATUS=twin %u: keyd, netd and apid are up", twin);
}

/*
 * One look at the children: up to ms (-1: no limit) for a signal or a
 * channel, then it reaps and reads.  A child is seen to end by the first
 * look that reaps it, finds its channel closed or finds it dying(): the
 * order in which they are reaped is not always the order in which they
 * ended.  Returns the stop signal seen, 0, or -1 when the channels
 * cannot be trusted any more.
 */
static int
look(int ms)
{
	struct pollfd	 pfd[1 + PROC_COUNT];
	struct ipc_msg	 imsg;
	ssize_t		 n;
	int		 i, rc, stop, bad = 0;

	pfd[0].fd = sigfd[0];
	pfd[0].events = POLLIN;
	for (i = 0; i < PROC_COUNT; i++) {
		pfd[1 + i].fd = children[i].ib.fd;	/* -1: skipped */
		pfd[1 + i].events = POLLIN;
		pfd[1 + i].revents = 0;
	}
	if (poll(pfd, 1 + PROC_COUNT, ms) == -1) {
		if (errno == EINTR)
			return 0;
		log_warn("poll");
		return -1;
	}
	looks++;
	stop = drain_signals();
	reap();
	for (i = 0; i < PROC_COUNT; i++) {
		if (children[i].ib.fd == -1 || (pfd[1 + i].revents &
		    (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		n = ipc_read(&children[i].ib);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			log_debug("%s closed its channel", children[i].name);
			close_channel(i);
			if (children[i].seen == 0)
				children[i].seen = looks;
			continue;
		}
		while ((rc = ipc_next(&children[i].ib, &imsg)) == 1)
			child_message(i, &imsg);
		if (rc == -1) {
			log_warnx("malformed frame from %s",
			    children[i].name);
			bad = 1;
		}
	}
	see_dying();
	return bad ? -1 : stop;
}

/* Whether a child has been seen to end but not yet reaped. */
static int
ending(void)
{
	int	i;

	for (i = 0; i < PROC_COUNT; i++)
		if (children[i].seen != 0 && alive(&children[i]))
			return 1;
	return 0;
}

/*
 * Once a child is seen to end: up to PEER_GRACE_MS for every child seen
 * to end to be reaped, then each end is logged, in order, before any of
 * the others is stopped.
 */
static void
collect(void)
{
	long long	deadline = now_ms() + PEER_GRACE_MS, left;
	int		i;

	while (ending() && (left = deadline - now_ms()) > 0)
		if (look((int)left) == -1)
			break;
	log_reaped(0);
	for (i = 0; i < PROC_COUNT; i++)
		if (children[i].seen != 0 && alive(&children[i]))
			log_warnx("%s closed its channel but did not exit",
			    children[i].name);
}

/*
 * Up to ms for every child to end, reaping and logging each end as
 * SIGCHLD tells of it.  A stop signal meanwhile changes nothing: we are
 * stopping already.
 */
static void
wait_ended(long long ms, int quiet)
{
	struct pollfd	pfd;
	long long	deadline = now_ms() + ms, left;
	int		i, running;

	for (;;) {
		looks++;
		reap();
		log_reaped(quiet);
		for (i = 0, running = 0; i < PROC_COUNT; i++)
			running += alive(&children[i]);
		if (running == 0 || (left = deadline - now_ms()) <= 0)
			return;
		pfd.fd = sigfd[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR) {
			log_warn("poll");
			return;
		}
		(void)drain_signals();
	}
}

/*
 * Ends every child still running: first what has ended already is
 * reaped and logged, as its own end; then their channels are closed,
 * SIGTERM, and SIGKILL after PEER_STOP_WAIT_MS.  quiet: the stop was
 * asked for (SIGTERM, SIGINT), not caused by a child.
 */
static void
stop_children(int quiet)
{
	char	names[64] = "";
	size_t	len = 0;
	int	i;

	looks++;
	reap();
	see_dying();
	log_reaped(quiet);
	for (i = 0; i < PROC_COUNT; i++) {
		close_channel(i);
		/* Three short names: never truncated. */
		if (alive(&children[i]))
			len += (size_t)snprintf(names + len,
			    sizeof(names) - len, "%s%s", len > 0 ? ", " : "",
			    children[i].name);
	}
	if (names[0] != '\0' && !quiet) {
		if (first != -1)
			log_warnx("stopping %s: %s ended first", names,
			    children[first].name);
		else
			log_warnx("stopping %s", names);
	}
	for (i = 0; i < PROC_COUNT; i++) {
		/* One on its way out already ends by itself. */
		if (alive(&children[i]) && (children[i].seen == 0 ||
		    !dying(children[i].pid))) {
			children[i].stopped = SIGTERM;
			kill(children[i].pid, SIGTERM);
		}
	}
	wait_ended(PEER_STOP_WAIT_MS, quiet);
	for (i = 0; i < PROC_COUNT; i++) {
		if (!alive(&children[i]))
			continue;
		log_warnx("%s did not stop within %d s: killing it",
		    children[i].name, PEER_STOP_WAIT_MS / 1000);
		children[i].stopped = SIGKILL;
		kill(children[i].pid, SIGKILL);
	}
	/* SIGKILL cannot be refused, but a process stuck in the kernel may
	 * take its time: we wait for it as long, and no longer. */
	wait_ended(PEER_STOP_WAIT_MS, quiet);
	for (i = 0; i < PROC_COUNT; i++)
		if (alive(&children[i]))
			log_warnx("%s (pid %ld) did not end after SIGKILL; "
			    "leaving it", children[i].name,
			    (long)children[i].pid);
}

/*
 * Waits for a child to end or a stop signal.  Returns 0 for a stop
 * signal; otherwise the children are stopped and it returns 1.
 */
static int
supervise(void)
{
	int	stop, i, seen = 0;

	while (!seen) {
		if ((stop = look(-1)) > 0) {
			log_info("%s: stopping", stop == SIGTERM ? "SIGTERM" :
			    "SIGINT");
			notify("STOPPING=1");
			stop_children(1);
			return 0;
		}
		if (stop == -1)
			break;
		for (i = 0; i < PROC_COUNT; i++)
			seen |= children[i].seen != 0;
	}
	/* Failing: the service manager restarts us, not the children. */
	notify("STOPPING=1\nSTATUS=a child ended; stopping the others");
	collect();
	stop_children(0);
	return 1;
}

static void
setup_signals(void)
{
	struct sigaction	sa;

	if (pipe2(sigfd, O_CLOEXEC | O_NONBLOCK) == -1)
		die("pipe: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = sighandler;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		die("sigaction: %s", strerror(errno));
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	if (sigaction(SIGCHLD, &sa, NULL) == -1)
		die("sigaction: %s", strerror(errno));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		die("sigaction: %s", strerror(errno));
}

/* The -m secret into a pipe keyd reads on descriptor 5; then gone here. */
static int
secret_pipe(void)
{
	size_t	off = 0;
	ssize_t	n;
	int	p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		die("pipe: %s", strerror(errno));
	/* A pipe holds 64 KiB: the 1 KiB secret never blocks. */
	while (off < secretlen) {
		n = write(p[1], secret + off, secretlen - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("writing the secret to keyd's pipe: %s",
			    strerror(errno));
		off += (size_t)n;
	}
	explicit_bzero(secret, sizeof(secret));
	secretlen = 0;
	close(p[1]);
	return p[0];
}

static void
start(const struct peer_conf *c, enum keyd_secret_source src, const char *dir)
{
	sigset_t	 all, old;
	int		 pk[2], pn[2], pa[2], kn[2], na[2], sp = -1;
	int		 fds[3], i, root = geteuid() == 0, failed = -1;

	open_stdio();
	setup_signals();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pk) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pn) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pa) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, kn) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, na) == -1)
		die("socketpair: %s", strerror(errno));
	if (src == KEYD_SECRET_FD)
		sp = secret_pipe();

	/* No handler of ours may run in a child before it execs. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	fds[0] = pk[1];
	fds[1] = kn[0];
	fds[2] = sp;
	start_child(&children[PROC_KEYD], dir, c->debug, fds, sp != -1 ? 3 : 2);
	fds[0] = pn[1];
	fds[1] = kn[1];
	fds[2] = na[0];
	if (alive(&children[PROC_KEYD]))
		start_child(&children[PROC_NETD], dir, c->debug, fds, 3);
	fds[0] = pa[1];
	fds[1] = na[1];
	if (alive(&children[PROC_NETD]))
		start_child(&children[PROC_APID], dir, c->debug, fds, 2);
	sigprocmask(SIG_SETMASK, &old, NULL);

	close(pk[1]);
	close(pn[1]);
	close(pa[1]);
	close(kn[0]);
	close(kn[1]);
	close(na[0]);
	close(na[1]);
	if (sp != -1)
		close(sp);
	if (ipc_init(&children[PROC_KEYD].ib, pk[0]) == -1 ||
	    ipc_init(&children[PROC_NETD].ib, pn[0]) == -1 ||
	    ipc_init(&children[PROC_APID].ib, pa[0]) == -1) {
		log_warn("ipc_init");
		stop_children(0);
		exit(1);
	}
	for (i = 0; i < PROC_COUNT; i++) {
		if (!alive(&children[i])) {
			stop_children(0);
			exit(1);
		}
	}

	if (send_keyd_config(&children[PROC_KEYD].ib, c, src, root) == -1)
		failed = PROC_KEYD;
	else if (send_netd_config(&children[PROC_NETD].ib, c, root) == -1)
		failed = PROC_NETD;
	else if (send_apid_config(&children[PROC_APID].ib, c, root) == -1)
		failed = PROC_APID;
	if (failed != -1) {
		log_warn("sending %s its configuration",
		    children[failed].name);
		/* Most likely it has ended: its end is what to log. */
		children[failed].seen = ++looks;
		collect();
		stop_children(0);
		exit(1);
	}
	for (i = 0; i < PROC_COUNT; i++) {
		if (proc_nonblock(children[i].ib.fd) == -1) {
			log_warn("O_NONBLOCK");
			stop_children(0);
			exit(1);
		}
	}
	log_info("started keyd (%ld), netd (%ld), apid (%ld)",
	    (long)children[PROC_KEYD].pid, (long)children[PROC_NETD].pid,
	    (long)children[PROC_APID].pid);
	notify("STATUS=waiting for netd and apid to be ready");
}

int
main(int argc, char *argv[])
{
	struct peer_flags		 f;
	struct peer_conf		 c;
	enum keyd_secret_source		 src;
	const char			*file, *dir = NULL;
	char				 err[1024], path[PATH_MAX];
	int				 rc, i;

	log_init("rmb-peer", 0);
	/* The -m secret is in our memory: no core file, no ptrace peers. */
	privdrop_harden();

	parse_flags(&f, argc, argv);
	if (f.secret_flag != NULL)
		log_warnx("warning: %s puts the secret where every local "
		    "user can read it (ps, /proc); use --mnemonic-file or "
		    "systemd credentials", f.secret_flag);
	file = f.conf_file != NULL ? f.conf_file : PEER_CONF_FILE;
	peer_conf_init(&c);
	if ((rc = peer_conf_load(&c, file, f.conf_file == NULL, err,
	    sizeof(err))) == -1)
		die("%s", err);
	peer_conf_merge(&c, &f.conf);
	if (peer_conf_finish(&c, err, sizeof(err)) == -1)
		die("%s", err);
	src = secret_source(&f, &c);
	log_init("rmb-peer", c.debug);
	log_debug("configuration from %s%s", file,
	    rc == 1 ? " (missing, defaults used)" : "");
	if (!f.check) {
		if ((dir = getenv("RMB_LIBEXECDIR")) == NULL || *dir == '\0')
			dir = LIBEXECDIR;
		for (i = 0; i < PROC_COUNT; i++)
			child_path(path, sizeof(path), dir, children[i].prog);
	}
	if (geteuid() == 0) {
		check_user(c.keyd_user, "keyd-user");
		check_user(c.netd_user, "netd-user");
		check_user(c.apid_user, "apid-user");
		prepare_jail(c.jail, !f.check);
	}
	if (f.check) {
		explicit_bzero(secret, sizeof(secret));
		printf("configuration OK\n");
		return 0;
	}
	start(&c, src, dir);
	return supervise();
}
