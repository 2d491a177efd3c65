/* SPDX-License-Identifier: ISC */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keyd_client.h"

/* Milliseconds left until deadline (CLOCK_MONOTONIC), 0 when past it. */
static int
ms_left(const struct timespec *deadline)
{
	struct timespec	now;
	long long	ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

static void
deadline_in(struct timespec *deadline, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += ms / 1000;
	deadline->tv_nsec += (ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

const char *
kd_path(void)
{
	static char	path[4096];
	const char	*top = getenv("top_builddir");

	snprintf(path, sizeof(path), "%s/keyd/rmb-keyd", top ? top : ".");
	return path;
}

int
kd_start(struct kd *k, const struct kd_opts *o)
{
	static struct keyd_config	 c;
	int				 ps[2], ns[2], pp[2] = { -1, -1 };
	size_t				 i, len;

	signal(SIGPIPE, SIG_IGN);
	memset(k, 0, sizeof(*k));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, ps) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, ns) == -1)
		return -1;
	if (o->source == KEYD_SECRET_FD && pipe(pp) == -1)
		return -1;
	if ((k->pid = fork()) == -1)
		return -1;
	if (k->pid == 0) {
		if (dup2(ps[1], 3) == -1 || dup2(ns[1], 4) == -1 ||
		    (pp[0] != -1 && dup2(pp[0], 5) == -1))
			_exit(127);
		if (o->run_as != 0 && (setgroups(0, NULL) == -1 ||
		    setgid(o->run_as_gid) == -1 || setuid(o->run_as) == -1))
			_exit(126);
		/* Only the channels (and the pipe) go to keyd. */
		close_range(pp[0] != -1 ? 6 : 5, ~0U, 0);
		execl(kd_path(), "rmb-keyd", (char *)NULL);
		_exit(127);
	}
	close(ps[1]);
	close(ns[1]);
	if (pp[0] != -1) {
		close(pp[0]);
		if (o->secret != NULL && write(pp[1], o->secret,
		    strlen(o->secret)) != (ssize_t)strlen(o->secret))
			return -1;
		close(pp[1]);
	}
	if (ipc_init(&k->parent, ps[0]) == -1 ||
	    ipc_init(&k->netd, ns[0]) == -1)
		return -1;
	memset(&c, 0, sizeof(c));
	c.key_type = (uint32_t)o->key_type;
	c.source = (uint32_t)o->source;
	snprintf(c.path, sizeof(c.path), "%s", o->path ? o->path : "");
	c.pallet = o->pallet ? o->pallet : TFCHAIN_PALLET_TFGRID;
	c.call = o->call ? o->call : TFCHAIN_CALL_UPDATE_TWIN;
	/* The chain's field, as the parent joins it (relay_join()). */
	for (i = 0, len = 0; i < RELAYS_MAX && o->domains[i] != NULL &&
	    len < sizeof(c.relay); i++)
		len += (size_t)snprintf(c.relay + len, sizeof(c.relay) - len,
		    "%s%s", i > 0 ? "_" : "", o->domains[i]);
	if (len >= sizeof(c.relay))
		return -1;
	snprintf(c.jail, sizeof(c.jail), "%s", o->jail ? o->jail : "");
	snprintf(c.user, sizeof(c.user), "%s", o->user ? o->user : "");
	if (keyd_req_put(&k->parent, IPC_KEYD_CONFIG, 0, &c) == -1 ||
	    ipc_flush(&k->parent) == -1)
		return -1;
	k->next_id = 1;
	return 0;
}

uint32_t
kd_next(struct kd *k)
{
	return k->next_id++;
}

struct ipc_buf *
kd_req(struct kd *k, uint32_t type)
{
	return ipc_create(type, kd_next(k), 64);
}

int
kd_call(struct kd *k, struct ipc_buf *b, struct ipc_msg *reply)
{
	if (ipc_close(&k->netd, b) == -1)
		return -1;
	return kd_reply(k, reply);
}

int
kd_reply(struct kd *k, struct ipc_msg *reply)
{
	struct timespec	deadline;
	struct pollfd	pfd;
	ssize_t		n;
	int		rc, ms;

	if (ipc_flush(&k->netd) == -1)
		return -1;
	deadline_in(&deadline, KD_TIMEOUT_MS);
	while ((rc = ipc_next(&k->netd, reply)) == 0) {
		pfd.fd = k->netd.fd;
		pfd.events = POLLIN;
		if ((ms = ms_left(&deadline)) == 0 ||
		    (rc = poll(&pfd, 1, ms)) == 0) {
			fprintf(stderr, "keyd_client: no reply from rmb-keyd "
			    "in %d ms\n", KD_TIMEOUT_MS);
			return -1;
		}
		if (rc == -1 && errno != EINTR)
			return -1;
		if (rc == -1)
			continue;
		n = ipc_read(&k->netd);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
	}
	return rc == 1 ? (int)reply->hdr.type : -1;
}

/*
 * Reaps keyd within KD_TIMEOUT_MS.  A keyd still up then is killed and
 * reported as -1, so that a keyd that wrongly stays up fails the test
 * instead of hanging it.
 */
int
kd_wait(struct kd *k)
{
	struct timespec	deadline, nap = { 0, 5 * 1000 * 1000 };
	pid_t		r;
	int		status = -1;

	deadline_in(&deadline, KD_TIMEOUT_MS);
	for (;;) {
		if ((r = waitpid(k->pid, &status, WNOHANG)) == k->pid)
			break;
		if (r == -1 && errno != EINTR) {
			status = -1;
			break;
		}
		if (ms_left(&deadline) == 0) {
			fprintf(stderr, "keyd_client: rmb-keyd (pid %d) still "
			    "runs after %d ms: killed\n", (int)k->pid,
			    KD_TIMEOUT_MS);
			kill(k->pid, SIGKILL);
			while (waitpid(k->pid, &status, 0) == -1 &&
			    errno == EINTR)
				;
			status = -1;
			break;
		}
		nanosleep(&nap, NULL);
	}
	ipc_clear(&k->parent);
	ipc_clear(&k->netd);
	close(k->parent.fd);
	close(k->netd.fd);
	return status;
}

int
kd_stop(struct kd *k)
{
	shutdown(k->parent.fd, SHUT_RDWR);
	shutdown(k->netd.fd, SHUT_RDWR);
	return kd_wait(k);
}
