/* SPDX-License-Identifier: ISC */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

/* The jail must hold nothing: there is nothing in it to open. */
static void
check_jail(const char *dir)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;

	if (stat(dir, &st) == -1)
		fatal("jail %s", dir);
	if (!S_ISDIR(st.st_mode))
		fatalx("jail %s: not a directory", dir);
	if (st.st_uid != 0)
		fatalx("jail %s: not owned by root", dir);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		fatalx("jail %s: writable by group or others", dir);
	if ((d = opendir(dir)) == NULL)
		fatal("jail %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			fatalx("jail %s: not empty (%s)", dir, de->d_name);
	}
	closedir(d);
}

/*
 * The kernel clears the parent-death signal when the credentials change:
 * set it again, or a process whose starter dies outlives it.  If the
 * parent died while it was unset, the signal comes now, as it would have.
 */
static void
keep_pdeathsig(int sig, pid_t ppid)
{
	if (sig == 0)
		return;
	if (prctl(PR_SET_PDEATHSIG, sig) == -1)
		fatal("PR_SET_PDEATHSIG");
	if (getppid() != ppid)
		(void)kill(getpid(), sig);
}

/* Groups, gid, uid, in that order, and proof that root is gone. */
static void
become(uid_t uid, gid_t gid)
{
	pid_t	ppid = getppid();
	int	pdeath = 0;

	if (prctl(PR_GET_PDEATHSIG, &pdeath) == -1)
		fatal("PR_GET_PDEATHSIG");
	if (setgroups(1, &gid) == -1)
		fatal("setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("setresgid");
	if (setresuid(uid, uid, uid) == -1)
		fatal("setresuid");
	if (setresuid(0, 0, 0) != -1 || geteuid() == 0)
		fatalx("could still become root after dropping privileges");
	keep_pdeathsig(pdeath, ppid);
}

void
privdrop_jail(const char *dir, const char *user)
{
	struct passwd	*pw;
	uid_t		 uid;
	gid_t		 gid;

	if (geteuid() != 0) {
		log_debug("not root: no chroot, running as uid %u",
		    (unsigned int)geteuid());
		return;
	}
	if (dir == NULL || user == NULL)
		fatalx("running as root needs a jail directory and a user");
	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s", user);
	if (pw->pw_uid == 0)
		fatalx("user %s is root", user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	check_jail(dir);
	if (chroot(dir) == -1)
		fatal("chroot %s", dir);
	if (chdir("/") == -1)
		fatal("chdir /");
	become(uid, gid);
}

void
privdrop_user(const char *user)
{
	struct passwd	*pw;

	if (geteuid() != 0) {
		log_debug("not root: running as uid %u",
		    (unsigned int)geteuid());
		return;
	}
	if (user == NULL)
		fatalx("running as root needs a user to become");
	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s", user);
	if (pw->pw_uid == 0)
		fatalx("user %s is root", user);
	become(pw->pw_uid, pw->pw_gid);
}

void
privdrop_harden(void)
{
	struct rlimit	zero = { 0, 0 };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("PR_SET_DUMPABLE");
	if (setrlimit(RLIMIT_CORE, &zero) == -1)
		fatal("RLIMIT_CORE");
}

void
privdrop_limits(int maxfd)
{
	struct rlimit	nofile = { (rlim_t)maxfd, (rlim_t)maxfd };
	int		fd;

	/*
	 * No RLIMIT_FSIZE of 0: stderr may be a file an operator redirected
	 * to, and a log line would then kill us with SIGXFSZ; the jail and
	 * the filter already keep us from opening anything.
	 */
	privdrop_harden();
	if (close_range((unsigned int)maxfd, ~0U, 0) == -1) {
		/* Older kernels: close what may be open, one by one. */
		for (fd = maxfd; fd < 1024; fd++)
			(void)close(fd);
	}
	if (setrlimit(RLIMIT_NOFILE, &nofile) == -1)
		fatal("RLIMIT_NOFILE");
}
