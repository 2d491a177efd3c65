/* SPDX-License-Identifier: ISC */
#include <sodium.h>

#include "scale_rd.h"
#include "tap.h"

static const struct {
	uint64_t	 v;
	const char	*hex;
} compacts[] = {
	{ 0, "00" },
	{ 1, "04" },
	{ 63, "fc" },
	{ 64, "0101" },
	{ 16383, "fdff" },
	{ 16384, "02000100" },
	{ (1U << 30) - 1, "feffffff" },
	{ 1U << 30, "0300000040" },
	{ 0xffffffffU, "03ffffffff" },
	{ 1ULL << 32, "070000000001" },
	{ (1ULL << 40) - 1, "07ffffffffff" },
	{ 1ULL << 40, "0b000000000001" },
	{ 1ULL << 56, "130000000000000001" },
	{ UINT64_MAX, "13ffffffffffffffff" },
};

/* Encodings a lenient decoder would take but substrate rejects. */
static const char *const noncanonical[] = {
	"0100",			/* 0 in two-byte mode */
	"fd00",			/* 63 in two-byte mode */
	"02000000",		/* 0 in four-byte mode */
	"feff0000",		/* 16383 in four-byte mode */
	"03ffffff3f",		/* 2^30 - 1 in big mode */
	"0300000000",		/* 0 in big mode */
	"0700000000" "00",	/* five bytes, top one zero */
	"0bffffffffff" "00",	/* six bytes, top one zero */
	"13ffffffffffffff" "00",	/* eight bytes, top one zero */
	"17000000000000000001",	/* nine bytes: more than a u64 */
	"ff" "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
	    "ffffff",		/* 67 bytes */
};

static void
test_compact(void)
{
	struct scale_rd	rd;
	struct scale_wr	w;
	uint8_t		buf[80], out[SCALE_COMPACT_MAX];
	uint64_t	v;
	size_t		i, n, k;
	int		bad;

	for (i = 0; i < sizeof(compacts) / sizeof(compacts[0]); i++) {
		scale_wr_init(&w, out, sizeof(out));
		ok(scale_put_compact(&w, compacts[i].v) == 0 &&
		    scale_compact_len(compacts[i].v) == w.len,
		    "encode compact %llu", (unsigned long long)compacts[i].v);
		is_hex(out, w.len, compacts[i].hex, "  bytes");

		n = unhex(buf, sizeof(buf), compacts[i].hex);
		scale_rd_init(&rd, buf, n);
		v = 12345;
		ok(scale_get_compact(&rd, &v) == 0 && v == compacts[i].v &&
		    scale_rd_end(&rd) == 0, "decode compact %s",
		    compacts[i].hex);

		bad = 0;
		for (k = 0; k < n; k++) {
			scale_rd_init(&rd, buf, k);
			if (scale_get_compact(&rd, &v) != -1 || rd.off != 0)
				bad++;
		}
		ok(bad == 0, "  every truncation of %s rejected",
		    compacts[i].hex);
	}

	for (i = 0; i < sizeof(noncanonical) / sizeof(noncanonical[0]); i++) {
		n = unhex(buf, sizeof(buf), noncanonical[i]);
		scale_rd_init(&rd, buf, n);
		ok(scale_get_compact(&rd, &v) == -1 && rd.off == 0,
		    "non-canonical compact %.20s rejected", noncanonical[i]);
	}

	/* A decode followed by more data leaves the rest for the next read. */
	n = unhex(buf, sizeof(buf), "0101ff");
	scale_rd_init(&rd, buf, n);
	ok(scale_get_compact(&rd, &v) == 0 && v == 64 && rd.off == 2 &&
	    scale_rd_end(&rd) == -1, "compact leaves trailing bytes");
}

static void
test_ints(void)
{
	struct scale_rd	 rd;
	struct scale_wr	 w;
	uint8_t		 buf[32], b8;
	uint32_t	 v32;
	uint64_t	 v64;
	size_t		 n, k;
	int		 bad;

	n = unhex(buf, sizeof(buf), "2a78563412efcdab9078563412");
	scale_rd_init(&rd, buf, n);
	ok(scale_get_u8(&rd, &b8) == 0 && b8 == 0x2a, "u8");
	ok(scale_get_u32(&rd, &v32) == 0 && v32 == 0x12345678, "u32 LE");
	ok(scale_get_u64(&rd, &v64) == 0 && v64 == 0x1234567890abcdefULL,
	    "u64 LE");
	ok(scale_rd_end(&rd) == 0, "fully consumed");
	ok(scale_get_u8(&rd, &b8) == -1, "u8 past the end rejected");

	bad = 0;
	for (k = 0; k < 4; k++) {
		scale_rd_init(&rd, buf, k);
		if (scale_get_u32(&rd, &v32) != -1 || rd.off != 0)
			bad++;
	}
	for (k = 0; k < 8; k++) {
		scale_rd_init(&rd, buf, k);
		if (scale_get_u64(&rd, &v64) != -1 || rd.off != 0)
			bad++;
	}
	ok(bad == 0, "truncated u32 and u64 rejected");

	scale_rd_init(&rd, NULL, 0);
	ok(scale_get_u8(&rd, &b8) == -1 && scale_rd_end(&rd) == 0,
	    "empty NULL input");

	scale_wr_init(&w, buf, sizeof(buf));
	ok(scale_put_u8(&w, 0x2a) == 0 && scale_put_u32(&w, 0x12345678) == 0 &&
	    scale_put_u64(&w, 0x1234567890abcdefULL) == 0, "put ints");
	is_hex(buf, w.len, "2a78563412efcdab9078563412", "  bytes");
}

static void
test_option_bytes(void)
{
	struct scale_rd	 rd;
	const uint8_t	*p;
	uint8_t		 buf[300];
	size_t		 n, got, k;
	int		 present, bad;

	n = unhex(buf, sizeof(buf), "000102ff");
	scale_rd_init(&rd, buf, n);
	ok(scale_get_option(&rd, &present) == 0 && present == 0, "option 00");
	ok(scale_get_option(&rd, &present) == 0 && present == 1, "option 01");
	ok(scale_get_option(&rd, &present) == -1 && rd.off == 2,
	    "option 02 rejected");
	rd.off = 3;
	ok(scale_get_option(&rd, &present) == -1 && rd.off == 3,
	    "option ff rejected");
	rd.off = 4;
	ok(scale_get_option(&rd, &present) == -1, "option at end rejected");

	n = unhex(buf, sizeof(buf), "0c616263");
	scale_rd_init(&rd, buf, n);
	ok(scale_get_bytes(&rd, &p, &got, 3) == 0 && got == 3 &&
	    memcmp(p, "abc", 3) == 0 && scale_rd_end(&rd) == 0, "bytes");
	scale_rd_init(&rd, buf, n);
	ok(scale_get_bytes(&rd, &p, &got, 2) == -1 && rd.off == 0,
	    "bytes over max rejected");
	bad = 0;
	for (k = 0; k < n; k++) {
		scale_rd_init(&rd, buf, k);
		if (scale_get_bytes(&rd, &p, &got, 100) != -1 || rd.off != 0)
			bad++;
	}
	ok(bad == 0, "truncated bytes rejected at every length");

	n = unhex(buf, sizeof(buf), "13ffffffffffffffff00");
	scale_rd_init(&rd, buf, n);
	ok(scale_get_bytes(&rd, &p, &got, SIZE_MAX) == -1 && rd.off == 0,
	    "length 2^64-1 rejected");
	n = unhex(buf, sizeof(buf), "0100");
	scale_rd_init(&rd, buf, n);
	ok(scale_get_bytes(&rd, &p, &got, 100) == -1,
	    "non-canonical length rejected");
	n = unhex(buf, sizeof(buf), "00");
	scale_rd_init(&rd, buf, n);
	ok(scale_get_bytes(&rd, &p, &got, 0) == 0 && got == 0 &&
	    scale_rd_end(&rd) == 0, "empty bytes");

	scale_rd_init(&rd, buf, 1);
	ok(scale_get_raw(&rd, &p, 2) == -1 && rd.off == 0 &&
	    scale_get_raw(&rd, &p, 1) == 0 && scale_rd_end(&rd) == 0, "raw");
}

static void
test_writer(void)
{
	struct scale_wr	w;
	uint8_t		buf[300];
	size_t		i;

	memset(buf, 0xee, sizeof(buf));
	scale_wr_init(&w, buf, 3);
	ok(scale_put_u32(&w, 1) == -1 && w.err && w.len == 0 &&
	    buf[0] == 0xee, "u32 into 3 bytes fails cleanly");
	ok(scale_put_u8(&w, 1) == -1 && w.len == 0, "error is sticky");

	scale_wr_init(&w, buf, 4);
	ok(scale_put_u32(&w, 0xdeadbeef) == 0 && !w.err && w.len == 4,
	    "u32 into exactly 4 bytes");
	ok(scale_put_u8(&w, 0) == -1 && w.err && w.len == 4,
	    "one more byte fails");

	scale_wr_init(&w, buf, 8);
	ok(scale_put_u64(&w, 1) == 0 && scale_put_raw(&w, NULL, 0) == 0 &&
	    scale_put_raw(&w, "x", 1) == -1 && w.len == 8, "u64 then overflow");

	memset(buf, 0xee, sizeof(buf));
	scale_wr_init(&w, buf, 4);
	ok(scale_put_compact(&w, 1U << 30) == -1 && w.len == 0 &&
	    buf[0] == 0xee, "5-byte compact into 4 bytes fails cleanly");

	/* The length prefix must not be written when the data will not fit. */
	memset(buf, 0xee, sizeof(buf));
	scale_wr_init(&w, buf, 3);
	ok(scale_put_bytes(&w, "abc", 3) == -1 && w.len == 0 &&
	    buf[0] == 0xee, "bytes: prefix not written on overflow");
	scale_wr_init(&w, buf, 4);
	ok(scale_put_bytes(&w, "abc", 3) == 0 && w.len == 4, "bytes fit");
	is_hex(buf, w.len, "0c616263", "  bytes");

	scale_wr_init(&w, buf, sizeof(buf));
	for (i = 0; i < 64; i++)
		buf[200 + i] = (uint8_t)i;
	ok(scale_put_bytes(&w, buf + 200, 64) == 0 && w.len == 66 &&
	    buf[0] == 0x01 && buf[1] == 0x01 && buf[2] == 0, "64 bytes");

	scale_wr_init(&w, buf, sizeof(buf));
	ok(scale_put_bytes(&w, buf, SIZE_MAX) == -1 && w.err && w.len == 0,
	    "SIZE_MAX bytes rejected");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_compact();
	test_ints();
	test_option_bytes();
	test_writer();
	return done_testing();
}
