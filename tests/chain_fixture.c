/* SPDX-License-Identifier: ISC */
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "chain_fixture.h"
#include "extrinsic.h"
#include "harness.h"
#include "hex.h"
#include "jsonrpc.h"
#include "scale.h"
#include "scale_rd.h"
#include "tfchain_read.h"

#define LOCKFILE_MAX		(4 * 1024 * 1024)
#define RESPONSE_MAX		(64 * 1024 * 1024)
#define INSTALL_TIMEOUT_MS	(10 * 60 * 1000)
#define LOCK_TIMEOUT_MS		(INSTALL_TIMEOUT_MS + 60 * 1000)
#define START_TIMEOUT_MS	(60 * 1000)
#define RPC_TIMEOUT_S		30
#define LOG_SCAN_MAX		(256 * 1024)
#define LISTEN_NEEDLE		"RPC listening on http://127.0.0.1:"
#define CHOPSTICKS_CJS		"node_modules/@acala-network/chopsticks/" \
				    "chopsticks.cjs"

double
chain_now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
nap_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static __attribute__((format(printf, 3, 4))) int
why(struct chain_srv *srv, int rc, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(srv->why, sizeof(srv->why), fmt, ap);
	va_end(ap);
	return rc;
}

/* A program's absolute path from $PATH, as execv needs one. */
static int
which(const char *name, char *out, size_t cap)
{
	const char	*p, *e;
	int		 n;

	for (p = getenv("PATH"); p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = strchrnul(p, ':');
		n = snprintf(out, cap, "%.*s/%s", (int)(e - p), p, name);
		if (e > p && n > 0 && (size_t)n < cap && access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

static int
path_join(char *out, size_t cap, const char *a, const char *b)
{
	int	n = snprintf(out, cap, "%s/%s", a, b);

	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/*
 * Runs argv in cwd with stdout and stderr on outfd, in a process group
 * of its own so a timeout kills npm's children too.  Returns the wait
 * status, or -1 on a failure to start or a timeout.
 */
static int
run(char *const argv[], const char *cwd, int outfd, int timeout_ms)
{
	double	deadline = chain_now_s() + timeout_ms / 1000.0;
	pid_t	pid, parent = getpid(), r;
	int	status, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent || setpgid(0, 0) == -1 ||
		    (cwd != NULL && chdir(cwd) == -1))
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(fd, 0) == -1 || dup2(outfd, 1) == -1 ||
		    dup2(outfd, 2) == -1)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		while ((r = waitpid(pid, &status, WNOHANG)) == -1 &&
		    errno == EINTR)
			;
		if (r == pid)
			return status;
		if (r == -1)
			return -1;
		if (chain_now_s() >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
				;
			return -1;
		}
		nap_ms(50);
	}
}

/* "vMAJOR.MINOR.PATCH" from node --version, or -1. */
static int
node_version(const char *node, int *major, int *minor)
{
	char	*argv[] = { (char *)node, "--version", NULL };
	char	 buf[64];
	ssize_t	 n;
	int	 p[2], status;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	status = run(argv, NULL, p[1], 10000);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    n <= 0)
		return -1;
	buf[n] = '\0';
	return sscanf(buf, "v%d.%d.", major, minor) == 2 ? 0 : -1;
}

/* Reads a whole small file into a malloc'd buffer. */
static char *
slurp(const char *path, size_t max, size_t *len)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || st.st_size < 0 ||
	    (size_t)st.st_size > max || (buf = malloc((size_t)st.st_size +
	    1)) == NULL) {
		close(fd);
		return NULL;
	}
	for (*len = 0; *len < (size_t)st.st_size; *len += (size_t)n) {
		n = read(fd, buf + *len, (size_t)st.st_size - *len);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
	close(fd);
	if (*len != (size_t)st.st_size) {
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

static int
spit(const char *path, const char *buf, size_t len)
{
	ssize_t	n;
	size_t	off = 0;
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return -1;
	while (off < len) {
		if ((n = write(fd, buf + off, len - off)) > 0)
			off += (size_t)n;
		else if (n == 0 || errno != EINTR)
			break;
	}
	if (close(fd) == -1 || off != len)
		return -1;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
rm_rf(const char *path)
{
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int
mkdir_p(const char *path)
{
	char	buf[PATH_MAX], *p;

	if (strlen(path) >= sizeof(buf))
		return -1;
	strcpy(buf, path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

/* Copies the end of a log to stderr, where the test's log keeps it. */
static void
show_tail(const char *path)
{
	char	*buf;
	size_t	 len, from;

	if ((buf = slurp(path, LOG_SCAN_MAX, &len)) == NULL)
		return;
	from = len > 3000 ? len - 3000 : 0;
	fprintf(stderr, "--- %s ---\n%s\n---\n", path, buf + from);
	free(buf);
}

/* $RMB_CHOPSTICKS_DIR, else the XDG cache, else ~/.cache. */
static int
cache_base(struct chain_srv *srv, char *out, size_t cap)
{
	const char	*p;
	int		 n;

	if ((p = getenv("RMB_CHOPSTICKS_DIR")) != NULL && *p != '\0')
		n = snprintf(out, cap, "%s", p);
	else if ((p = getenv("XDG_CACHE_HOME")) != NULL && *p == '/')
		n = snprintf(out, cap, "%s/rmb-chopsticks", p);
	else if ((p = getenv("HOME")) != NULL && *p == '/')
		n = snprintf(out, cap, "%s/.cache/rmb-chopsticks", p);
	else
		return why(srv, -2, "neither RMB_CHOPSTICKS_DIR nor HOME is "
		    "set");
	if (n <= 0 || (size_t)n >= cap)
		return why(srv, -1, "the chopsticks cache path is too long");
	return 0;
}

/*
 * npm ci into <base>/<hash>.tmp, then a rename to <base>/<hash>, all
 * under a lock: a second test waits and then finds it installed, and an
 * install that died half way is never taken for a whole one.
 */
static int
install(struct chain_srv *srv, const char *npm, const char *srcdir,
    char *dir, size_t dircap)
{
	char		 base[PATH_MAX - 64], tmp[PATH_MAX], path[PATH_MAX];
	char		 lock[PATH_MAX], hash[17], src[PATH_MAX];
	char		*lockf = NULL, *pkg = NULL;
	char		*argv[] = { (char *)npm, "ci", "--ignore-scripts",
			    "--no-audit", "--no-fund", "--no-update-notifier",
			    "--loglevel=warn", NULL };
	uint8_t		 h[8];
	size_t		 locklen, pkglen;
	double		 t0, deadline;
	int		 rc, lfd = -1, logfd, status;

	if ((rc = cache_base(srv, base, sizeof(base))) != 0)
		return rc;
	if (path_join(src, sizeof(src), srcdir,
	    "tests/chain/package-lock.json") != 0 ||
	    (lockf = slurp(src, LOCKFILE_MAX, &locklen)) == NULL)
		return why(srv, -1, "cannot read %s", src);
	if (path_join(src, sizeof(src), srcdir, "tests/chain/package.json") !=
	    0 || (pkg = slurp(src, LOCKFILE_MAX, &pkglen)) == NULL) {
		free(lockf);
		return why(srv, -1, "cannot read %s", src);
	}
	crypto_generichash(h, sizeof(h), (const uint8_t *)lockf, locklen,
	    NULL, 0);
	hex_encode(hash, h, sizeof(h));
	rc = -1;
	if (snprintf(dir, dircap, "%s/%s", base, hash) >= (int)dircap ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", dir) >= (int)sizeof(tmp) ||
	    snprintf(lock, sizeof(lock), "%s.lock", dir) >=
	    (int)sizeof(lock)) {
		why(srv, -1, "the chopsticks cache path is too long");
		goto out;
	}
	if (mkdir_p(base) == -1 || (lfd = open(lock, O_RDWR | O_CREAT |
	    O_CLOEXEC, 0644)) == -1) {
		why(srv, -1, "%s: %s", lock, strerror(errno));
		goto out;
	}
	deadline = chain_now_s() + LOCK_TIMEOUT_MS / 1000.0;
	while (flock(lfd, LOCK_EX | LOCK_NB) == -1) {
		if ((errno != EWOULDBLOCK && errno != EINTR) ||
		    chain_now_s() >= deadline) {
			why(srv, -1, "%s: cannot lock: %s", lock,
			    strerror(errno));
			goto out;
		}
		nap_ms(100);
	}
	if (path_join(path, sizeof(path), dir, CHOPSTICKS_CJS) == 0 &&
	    access(path, R_OK) == 0) {
		rc = 0;
		goto out;
	}
	t0 = chain_now_s();
	if (rm_rf(dir) == -1 || rm_rf(tmp) == -1 || mkdir(tmp, 0755) == -1 ||
	    path_join(path, sizeof(path), tmp, "package-lock.json") != 0 ||
	    spit(path, lockf, locklen) == -1 ||
	    path_join(path, sizeof(path), tmp, "package.json") != 0 ||
	    spit(path, pkg, pkglen) == -1 ||
	    path_join(path, sizeof(path), tmp, "npm.log") != 0) {
		why(srv, -1, "cannot prepare %s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		why(srv, -1, "%s: %s", path, strerror(errno));
		goto out;
	}
	status = run(argv, tmp, logfd, INSTALL_TIMEOUT_MS);
	close(logfd);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		show_tail(path);
		why(srv, -1, "npm ci in %s failed or timed out (log above)",
		    tmp);
		goto out;
	}
	if (rename(tmp, dir) == -1) {
		why(srv, -1, "rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	srv->install_s = chain_now_s() - t0;
	rc = 0;
out:
	if (lfd != -1)
		close(lfd);	/* drops the lock */
	free(lockf);
	free(pkg);
	return rc;
}

/* The port in chopsticks' "RPC listening on" line, 0 if not there yet. */
static int
listen_port(const char *log)
{
	char	*buf, *p;
	size_t	 len;
	long	 port = 0;

	if ((buf = slurp(log, LOG_SCAN_MAX, &len)) == NULL)
		return 0;
	if ((p = strstr(buf, LISTEN_NEEDLE)) != NULL) {
		p += strlen(LISTEN_NEEDLE);
		while (*p >= '0' && *p <= '9' && port < 65536)
			port = port * 10 + (*p++ - '0');
		/* A line still being written ends in digits. */
		if (*p != ' ' && *p != '\n')
			port = 0;
	}
	free(buf);
	return port > 0 && port < 65536 ? (int)port : 0;
}

int
chain_start(struct chain_srv *srv)
{
	char		 node[PATH_MAX], npm[PATH_MAX], spec[PATH_MAX];
	char		 specdir[PATH_MAX], real[PATH_MAX], cache[PATH_MAX];
	char		 cjs[PATH_MAX];
	const char	*srcdir, *p;
	char		*argv[12];
	double		 t0, deadline;
	int		 major, minor, rc, status;

	memset(srv, 0, sizeof(*srv));
	srv->pid = -1;
	srv->next_id = 1;
	if (which("node", node, sizeof(node)) != 0)
		return why(srv, -2, "node is not installed");
	if (which("npm", npm, sizeof(npm)) != 0)
		return why(srv, -2, "npm is not installed");
	if (node_version(node, &major, &minor) != 0)
		return why(srv, -2, "%s --version failed", node);
	if (!(major > 22 || (major == 22 && minor >= CHAIN_NODE_MIN_22) ||
	    (major == 20 && minor >= CHAIN_NODE_MIN_20)))
		return why(srv, -2, "node v%d.%d cannot run chopsticks 1.5.1, "
		    "which needs require() of ES modules: Node 20.%d or "
		    "22.%d and later", major, minor, CHAIN_NODE_MIN_20,
		    CHAIN_NODE_MIN_22);

	if ((srcdir = getenv("top_srcdir")) == NULL || *srcdir == '\0')
		srcdir = CHAIN_SRCDIR;
	/* The runtime travels with the tests, so a clean clone runs them. */
	if ((p = getenv("RMB_TFCHAIN_DIR")) != NULL && *p != '\0')
		rc = snprintf(specdir, sizeof(specdir), "%s", p);
	else
		rc = snprintf(specdir, sizeof(specdir), "%s/tests/chain",
		    srcdir);
	if (rc <= 0 || (size_t)rc >= sizeof(specdir) ||
	    path_join(spec, sizeof(spec), specdir, CHAIN_SPEC_FILE) != 0 ||
	    realpath(spec, real) == NULL || access(real, R_OK) != 0)
		return why(srv, -2, "no chain spec at %s/%s (set "
		    "RMB_TFCHAIN_DIR)", specdir, CHAIN_SPEC_FILE);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((rc = install(srv, npm, srcdir, cache, sizeof(cache))) != 0)
		return rc;
	if (path_join(cjs, sizeof(cjs), cache, CHOPSTICKS_CJS) != 0 ||
	    path_join(srv->modules, sizeof(srv->modules), cache,
	    "node_modules") != 0)
		return why(srv, -1, "the chopsticks path is too long");

	p = getenv("TMPDIR");
	if (snprintf(srv->dir, sizeof(srv->dir), "%s/rmb-chain.XXXXXX",
	    p != NULL && *p == '/' ? p : "/tmp") >= (int)sizeof(srv->dir) ||
	    mkdtemp(srv->dir) == NULL)
		return why(srv, -1, "mkdtemp: %s", strerror(errno));
	snprintf(srv->log, sizeof(srv->log), "%s/chopsticks.log", srv->dir);

	argv[0] = node;
	argv[1] = cjs;
	argv[2] = "--chain-spec";
	argv[3] = real;
	/* Loopback only, and port 0: a busy port silently moves on. */
	argv[4] = "--host";
	argv[5] = "127.0.0.1";
	argv[6] = "--port";
	argv[7] = "0";
	argv[8] = "--build-block-mode";
	argv[9] = "Instant";
	argv[10] = NULL;
	t0 = chain_now_s();
	if ((srv->pid = proc_start(argv, srv->log)) == -1) {
		chain_stop(srv);
		return why(srv, -1, "fork: %s", strerror(errno));
	}
	deadline = t0 + START_TIMEOUT_MS / 1000.0;
	while ((srv->port = listen_port(srv->log)) == 0) {
		if (proc_exited(srv->pid, &status) != 0 || chain_now_s() >= deadline) {
			if (chain_now_s() >= deadline)
				proc_stop(srv->pid, 2000);
			srv->pid = -1;
			show_tail(srv->log);
			chain_stop(srv);
			return why(srv, -1, "chopsticks did not start (log "
			    "above)");
		}
		nap_ms(20);
	}
	srv->start_s = chain_now_s() - t0;
	snprintf(srv->url, sizeof(srv->url), "http://127.0.0.1:%d", srv->port);
	return 0;
}

int
chain_put_twin(struct chain_srv *srv, uint32_t id, const uint8_t account[32],
    const char *relay, const uint8_t *pk, size_t pklen)
{
	struct twin_record	r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	memcpy(r.account, account, sizeof(r.account));
	if (relay != NULL) {
		if (strlen(relay) >= sizeof(r.relay))
			return -1;
		r.has_relay = 1;
		snprintf(r.relay, sizeof(r.relay), "%s", relay);
	}
	if (pk != NULL) {
		if (pklen > sizeof(r.pk))
			return -1;
		r.has_pk = 1;
		r.pklen = pklen;
		memcpy(r.pk, pk, pklen);
	}
	return chain_set_twin(srv, &r) == 0 &&
	    chain_set_twin_id(srv, account, id) == 0 ? 0 : -1;
}

int
chain_begin(struct chain_srv *srv)
{
	int	rc;

	if ((rc = chain_start(srv)) == -2) {
		printf("1..0 # SKIP %s\n", srv->why);
		return 0;
	}
	if (rc != 0) {
		printf("Bail out! chopsticks: %s\n", srv->why);
		return 1;
	}
	printf("# chopsticks on %s: install %.1f s, start %.1f s\n", srv->url,
	    srv->install_s, srv->start_s);
	return -1;
}

void
chain_stop(struct chain_srv *srv)
{
	if (srv->pid > 0)
		proc_stop(srv->pid, 5000);
	srv->pid = -1;
	if (srv->dir[0] != '\0')
		rm_rf(srv->dir);
	srv->dir[0] = '\0';
}

struct body {
	char	*p;
	size_t	 len;
	int	 over;
};

static size_t
body_write(char *data, size_t size, size_t n, void *arg)
{
	struct body	*b = arg;
	char		*np;

	/* size is 1 for write callbacks; n is bounded by curl's buffer. */
	if (size != 1 || n > RESPONSE_MAX - b->len) {
		b->over = 1;
		return 0;
	}
	if ((np = realloc(b->p, b->len + n + 1)) == NULL)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

int
chain_post(struct chain_srv *srv, const char *body, char **out,
    size_t *outlen)
{
	struct curl_slist	*hdr = NULL;
	struct body		 b = { NULL, 0, 0 };
	char			 errbuf[CURL_ERROR_SIZE] = "";
	CURL			*c;
	CURLcode		 cc;
	long			 code = 0;

	if ((c = curl_easy_init()) == NULL ||
	    (hdr = curl_slist_append(NULL,
	    "Content-Type: application/json")) == NULL) {
		fprintf(stderr, "chain: curl init failed\n");
		curl_easy_cleanup(c);
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, srv->url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)RPC_TIMEOUT_S);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK || code != 200 || b.p == NULL) {
		fprintf(stderr, "chain: %s: %s\n", srv->url, cc != CURLE_OK ?
		    (b.over ? "response too large" : errbuf[0] ? errbuf :
		    curl_easy_strerror(cc)) : code != 200 ? "HTTP error" :
		    "empty response");
		free(b.p);
		return -1;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}

/* One call; r->result points into *text, which the caller frees. */
static int
rpc(struct chain_srv *srv, const char *method, const char *params,
    struct jsonrpc_resp *r, char **text)
{
	char		 err[JSONRPC_ERR_MAX];
	char		*req;
	size_t		 cap, len;
	uint64_t	 id = srv->next_id++;

	cap = (params != NULL ? strlen(params) : 2) + 256;
	if ((req = malloc(cap)) == NULL)
		return -1;
	if (jsonrpc_request(req, cap, NULL, id, method, params, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "chain: %s: %s\n", method, err);
		free(req);
		return -1;
	}
	if (chain_post(srv, req, text, &len) != 0) {
		free(req);
		return -1;
	}
	free(req);
	if (jsonrpc_parse(r, *text, len, id, err, sizeof(err)) != 0) {
		fprintf(stderr, "chain: %s: %s\n", method, err);
		free(*text);
		*text = NULL;
		return -1;
	}
	return 0;
}

int
chain_rpc(struct chain_srv *srv, const char *method, const char *params,
    char **result)
{
	struct jsonrpc_resp	 r;
	char			*text;

	if (rpc(srv, method, params, &r, &text) != 0)
		return -1;
	if (result != NULL && (*result = strndup(r.result.p,
	    r.result.len)) == NULL) {
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

/* "0x" and the hex of len bytes, malloc'd. */
static char *
hex0x(const uint8_t *p, size_t len)
{
	char	*s;

	if ((s = malloc(2 * len + 3)) == NULL)
		return NULL;
	memcpy(s, "0x", 2);
	hex_encode(s + 2, p, len);
	return s;
}

int
chain_get_storage(struct chain_srv *srv, const uint8_t *key, size_t keylen,
    uint8_t *val, size_t cap, size_t *len)
{
	struct jsonrpc_resp	 r;
	char			 err[JSONRPC_ERR_MAX];
	char			*k, *params = NULL, *text = NULL;
	int			 rc = -1;

	if ((k = hex0x(key, keylen)) == NULL ||
	    asprintf(&params, "[\"%s\"]", k) == -1) {
		free(k);
		return -1;
	}
	if (rpc(srv, "state_getStorage", params, &r, &text) == 0) {
		if (jsonrpc_is_null(&r.result))
			rc = 0;
		else if (jsonrpc_get_hex(&r.result, val, cap, len, err,
		    sizeof(err)) == 0)
			rc = 1;
		else
			fprintf(stderr, "chain: state_getStorage: %s\n", err);
	}
	free(text);
	free(params);
	free(k);
	return rc;
}

int
chain_set_storage(struct chain_srv *srv, const uint8_t *key, size_t keylen,
    const uint8_t *val, size_t vallen)
{
	char	*k, *v = NULL, *params = NULL;
	int	 rc = -1;

	if ((k = hex0x(key, keylen)) == NULL ||
	    (val != NULL && (v = hex0x(val, vallen)) == NULL))
		goto out;
	if (val != NULL)
		rc = asprintf(&params, "[[[\"%s\",\"%s\"]]]", k, v);
	else
		rc = asprintf(&params, "[[[\"%s\",null]]]", k);
	if (rc == -1) {
		params = NULL;
		goto out;
	}
	rc = chain_rpc(srv, "dev_setStorage", params, NULL);
out:
	free(params);
	free(v);
	free(k);
	return rc;
}

int
chain_set_twin(struct chain_srv *srv, const struct twin_record *t)
{
	struct scale_wr	w;
	uint8_t		key[TFCHAIN_KEY_TWIN_LEN], val[TWIN_ENCODED_MAX];

	scale_wr_init(&w, val, sizeof(val));
	if (twin_encode(&w, t) != 0 || w.err)
		return -1;
	tfchain_key_twin(key, t->id);
	return chain_set_storage(srv, key, sizeof(key), val, w.len);
}

int
chain_set_twin_id(struct chain_srv *srv, const uint8_t account[32],
    uint32_t id)
{
	uint8_t	key[TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN], val[4];

	tfchain_key_twin_by_account(key, account);
	val[0] = (uint8_t)id;
	val[1] = (uint8_t)(id >> 8);
	val[2] = (uint8_t)(id >> 16);
	val[3] = (uint8_t)(id >> 24);
	return chain_set_storage(srv, key, sizeof(key), val, sizeof(val));
}

void
chain_key_account(uint8_t out[CHAIN_KEY_ACCOUNT_LEN],
    const uint8_t account[32])
{
	tfchain_key_value(out, "System", "Account");
	crypto_generichash(out + 32, 16, account, 32, NULL, 0);
	memcpy(out + 48, account, 32);
}

int
chain_fund(struct chain_srv *srv, const uint8_t account[32])
{
	struct scale_wr	w;
	uint8_t		key[CHAIN_KEY_ACCOUNT_LEN];
	uint8_t		val[CHAIN_ACCOUNT_INFO_LEN];

	scale_wr_init(&w, val, sizeof(val));
	scale_put_u32(&w, 0);			/* nonce */
	scale_put_u32(&w, 0);			/* consumers */
	scale_put_u32(&w, 1);			/* providers: it exists */
	scale_put_u32(&w, 0);			/* sufficients */
	scale_put_u64(&w, CHAIN_FUND_PLANCK);	/* free, low half */
	scale_put_u64(&w, 0);
	while (!w.err && w.len < sizeof(val))	/* reserved, frozen, flags */
		scale_put_u8(&w, 0);
	if (w.err || w.len != sizeof(val))
		return -1;
	chain_key_account(key, account);
	return chain_set_storage(srv, key, sizeof(key), val, sizeof(val));
}

int
chain_head(struct chain_srv *srv, uint64_t *number, uint8_t hash[32])
{
	char	*res = NULL, *hdr = NULL, *params = NULL, *p, *e;
	size_t	 len;
	int	 rc = -1;

	if (chain_rpc(srv, "chain_getFinalizedHead", "[]", &res) != 0)
		return -1;
	len = strlen(res);
	if (len != 2 + 2 + 64 || strncmp(res, "\"0x", 3) != 0 ||
	    hex_decode(hash, 32, res + 3, 64) != 0 ||
	    asprintf(&params, "[%s]", res) == -1) {
		fprintf(stderr, "chain: finalized head %s\n", res);
		params = NULL;
		goto out;
	}
	if (chain_rpc(srv, "chain_getHeader", params, &hdr) != 0)
		goto out;
	/* The header's number is a JSON string such as "0x0000002a". */
	if ((p = strstr(hdr, "\"number\":\"0x")) == NULL) {
		fprintf(stderr, "chain: header without a number: %s\n", hdr);
		goto out;
	}
	p += strlen("\"number\":\"0x");
	*number = strtoull(p, &e, 16);
	if (e == p || *e != '"' || e - p > 16) {
		fprintf(stderr, "chain: header number: %s\n", hdr);
		goto out;
	}
	rc = 0;
out:
	free(params);
	free(hdr);
	free(res);
	return rc;
}

int
chain_new_blocks(struct chain_srv *srv, unsigned int n)
{
	char	params[64];

	snprintf(params, sizeof(params), "[{\"count\":%u}]", n);
	return chain_rpc(srv, "dev_newBlock", params, NULL);
}

int
chain_submit(struct chain_srv *srv, const uint8_t *ext, size_t len,
    char *why, size_t whycap)
{
	struct jsonrpc_resp	 r;
	char			 err[JSONRPC_ERR_MAX];
	char			*hex, *params = NULL, *req = NULL, *text = NULL;
	size_t			 cap, tlen;
	uint64_t		 id = srv->next_id++;
	int			 rc = -1;

	if ((hex = hex0x(ext, len)) == NULL ||
	    asprintf(&params, "[\"%s\"]", hex) == -1) {
		free(hex);
		return -1;
	}
	memset(&r, 0, sizeof(r));
	cap = strlen(params) + 256;
	if ((req = malloc(cap)) == NULL ||
	    jsonrpc_request(req, cap, NULL, id, "author_submitExtrinsic",
	    params, err, sizeof(err)) != 0 ||
	    chain_post(srv, req, &text, &tlen) != 0)
		goto out;
	if (jsonrpc_parse(&r, text, tlen, id, err, sizeof(err)) == 0)
		rc = 1;
	else if (r.rpc_error) {
		snprintf(why, whycap, "%s", err);
		rc = 0;
	} else
		fprintf(stderr, "chain: author_submitExtrinsic: %s\n", err);
out:
	free(text);
	free(req);
	free(params);
	free(hex);
	return rc;
}

/* The spec and transaction versions, and the genesis hash. */
static int
runtime_of(struct chain_srv *srv, struct ext_params *x)
{
	char	*res = NULL, *p;
	int	 rc = -1;

	if (chain_rpc(srv, "state_getRuntimeVersion", "[]", &res) != 0)
		return -1;
	if ((p = strstr(res, "\"specVersion\":")) != NULL)
		x->spec_version = (uint32_t)strtoul(p + 14, NULL, 10);
	if ((p = strstr(res, "\"transactionVersion\":")) != NULL)
		x->tx_version = (uint32_t)strtoul(p + 21, NULL, 10);
	free(res);
	if (x->spec_version == 0 || chain_rpc(srv, "chain_getBlockHash",
	    "[0]", &res) != 0)
		return -1;
	if (strlen(res) == 68 && hex_decode(x->genesis, 32, res + 3,
	    64) == 0)
		rc = 0;
	free(res);
	return rc;
}

size_t
chain_update_twin(struct chain_srv *srv, uint8_t out[CHAIN_EXT_MAX],
    const uint8_t seed[32], uint32_t nonce, const char *relay,
    const uint8_t *pk, size_t pklen)
{
	struct ext_params	x;
	struct scale_wr		w;
	uint8_t			call[TWIN_RELAY_MAX + TWIN_PK_MAX + 16];
	uint8_t			payload[sizeof(call) + 128];
	uint8_t			msg[EXT_SIGN_MAX], sig[64], pub[32], sk[64];
	size_t			calllen, mlen;

	memset(&x, 0, sizeof(x));
	if (runtime_of(srv, &x) == -1)
		return 0;
	x.nonce = nonce;
	memcpy(x.checkpoint, x.genesis, sizeof(x.checkpoint));
	scale_wr_init(&w, call, sizeof(call));
	if (tfchain_update_twin_call(&w, TFCHAIN_PALLET_TFGRID,
	    TFCHAIN_CALL_UPDATE_TWIN, relay, pk, pklen) != 0)
		return 0;
	calllen = w.len;
	scale_wr_init(&w, payload, sizeof(payload));
	if (ext_payload(&w, &x, call, calllen) != 0)
		return 0;
	ext_signing_bytes(msg, &mlen, payload, w.len);
	crypto_sign_seed_keypair(pub, sk, seed);
	crypto_sign_detached(sig, NULL, msg, mlen, sk);
	sodium_memzero(sk, sizeof(sk));
	scale_wr_init(&w, out, CHAIN_EXT_MAX);
	if (ext_assemble(&w, &x, pub, EXT_SIG_ED25519, sig, call,
	    calllen) != 0)
		return 0;
	return w.len;
}
