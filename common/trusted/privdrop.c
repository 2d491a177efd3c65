/* SPDX-License-Identifier: ISC */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

/* Root's, writable by root alone, and empty: nothing in it to open. */
static void
check_jail(const char *dir)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;

	if (stat(dir, &st) == -1 || (d = opendir(dir)) == NULL)
		fatal("jail %s", dir);
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		fatalx("jail %s: not owned by root, or writable by others",
		    dir);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			fatalx("jail %s: not empty (%s)", dir, de->d_name);
	closedir(d);
}

void
privdrop(const char *dir, const char *user)
{
	struct passwd	*pw;
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 ppid = getppid();
	int		 pdeath = 0;

	if (geteuid() != 0) {
		log_debug("not root: running as uid %u",
		    (unsigned int)geteuid());
		return;
	}
	if (user == NULL)
		fatalx("running as root needs a user to become");
	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s", user);
	if ((uid = pw->pw_uid) == 0)
		fatalx("user %s is root", user);
	gid = pw->pw_gid;
	if (dir != NULL) {
		check_jail(dir);
		if (chroot(dir) == -1 || chdir("/") == -1)
			fatal("chroot %s", dir);
	}
	if (prctl(PR_GET_PDEATHSIG, &pdeath) == -1)
		fatal("PR_GET_PDEATHSIG");
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		fatal("becoming %s", user);
	if (setresuid(0, 0, 0) != -1 || geteuid() == 0)
		fatalx("could still become root after dropping privileges");
	/*
	 * The kernel cleared the parent-death signal with the credentials:
	 * set it again, or a process whose starter dies outlives it.  If the
	 * parent died meanwhile, the signal comes now, as it would have.
	 */
	if (pdeath != 0 && prctl(PR_SET_PDEATHSIG, pdeath) == -1)
		fatal("PR_SET_PDEATHSIG");
	if (pdeath != 0 && getppid() != ppid)
		(void)kill(getpid(), pdeath);
}

void
privdrop_harden(void)
{
	struct rlimit	zero = { 0, 0 };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1 ||
	    setrlimit(RLIMIT_CORE, &zero) == -1)
		fatal("no new privileges, not dumpable, no core");
}
