/* SPDX-License-Identifier: ISC */
/* The twin directory: the file source behind the TTL cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "twindir.h"

#define ACC7	"0x0707070707070707070707070707070707070707070707070707070707070707"

int
main(void)
{
	struct twindir		d;
	struct twin_record	t;
	char			path[] = "/tmp/rmb-twindir.XXXXXX", err[256];
	uint8_t			acc[32];
	uint32_t		id;
	int			fd;
	FILE			*f;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return 1;
	fprintf(f, "[{\"id\": 7, \"account\": \"%s\", \"relay\": \"r1.example\","
	    " \"pk\": null},\n {\"id\": 8, \"account\": "
	    "\"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY\"}]\n", ACC7);
	fclose(f);

	ok(twindir_open_file(&d, path, 2, 300, err, sizeof(err)) == 0,
	    "opens the file");
	ok(twindir_get(&d, 7, &t, 1000) == 1 && t.id == 7 && t.has_relay &&
	    strcmp(t.relay, "r1.example") == 0, "twin 7 by id");
	ok(d.misses == 1 && twindir_cached(&d) == 1, "the first lookup asks "
	    "the source and caches");
	ok(twindir_get(&d, 7, &t, 1100) == 1 && d.misses == 1 && d.hits == 1,
	    "the second is a cache hit");
	ok(twindir_get(&d, 7, &t, 1300) == 1 && d.misses == 2,
	    "after the TTL the source is asked again");
	ok(twindir_get(&d, 99, &t, 1300) == 0 && twindir_cached(&d) == 1,
	    "an unknown twin: 0, and not cached");
	ok(twindir_get(&d, 8, &t, 1300) == 1 && !t.has_relay && !t.has_pk,
	    "twin 8 without relay and pk");
	twindir_forget(&d, 8);
	ok(twindir_get(&d, 8, &t, 1301) == 1 && d.misses == 5,
	    "a forgotten twin is read from the source again");
	memset(acc, 7, sizeof(acc));
	ok(twindir_find(&d, acc, &id) == 1 && id == 7, "twin id by account");
	acc[0] = 0;
	ok(twindir_find(&d, acc, &id) == 0, "an unknown account: 0");
	twindir_close(&d);
	twindir_close(&d);
	ok(1, "close twice is harmless");

	f = fopen(path, "w");
	fprintf(f, "[{\"id\": 7, \"account\": \"%s\", \"relay\": \".bad\"}]\n",
	    ACC7);
	fclose(f);
	ok(twindir_open_file(&d, path, 2, 300, err, sizeof(err)) == -1 &&
	    strstr(err, path) != NULL && strstr(err, "entry 1 (id 7)") != NULL,
	    "a bad entry: refused, naming the file and the entry");
	diag("%s", err);
	ok(twindir_open_file(&d, "/nonexistent", 2, 300, err,
	    sizeof(err)) == -1 && strstr(err, "/nonexistent") != NULL,
	    "a missing file: refused, naming it");
	unlink(path);
	return done_testing();
}
