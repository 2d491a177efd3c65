/* SPDX-License-Identifier: ISC */
/*
 * The package's version, as the tests expect every program to give it:
 * debian/changelog's first line is "rmb (VERSION) ...", read under
 * $top_srcdir (the test harness sets it).  "" when it cannot be read.
 */
#ifndef RMB_TESTS_CHANGELOG_H
#define RMB_TESTS_CHANGELOG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *
changelog_version(void)
{
	static char	 v[64];
	const char	*dir = getenv("top_srcdir");
	char		 path[4096], line[256], *o, *c;
	FILE		*f;

	snprintf(path, sizeof(path), "%s/debian/changelog",
	    dir != NULL ? dir : ".");
	if ((f = fopen(path, "r")) == NULL)
		return "";
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	if (strncmp(line, "rmb (", 5) != 0 || (c = strchr(line, ')')) == NULL)
		return "";
	o = line + 5;
	snprintf(v, sizeof(v), "%.*s", (int)(c - o), o);
	return v;
}

#endif
