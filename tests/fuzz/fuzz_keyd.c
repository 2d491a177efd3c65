/*
 * keyd's dispatcher on arbitrary frames: the input is cut into frames by
 * their headers and each is handed to keyd_dispatch() with real keys, as
 * netd's channel would.  Malformed requests must be reported (keyd would
 * exit), never crash or read outside the frame.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "keyd.h"

static struct keyd	k;
static struct imsgbuf	out;

static void
setup(void)
{
	const char	*err;
	const char	*secret = "bottom drive obey lake curtain smoke basket "
	    "hold race lonely fit walk";

	if (sodium_init() < 0 || e2e_init() != 0 || keyd_init(&k) != 0 ||
	    keyd_set_secret(&k, KEY_SR25519, secret, strlen(secret),
	    &err) != 0 || imsgbuf_init(&out, -1) != 0)
		abort();
	strcpy(k.relay, "relay.grid.tf");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 ready;
	struct imsg	 m;
	size_t		 off = 0;

	if (!ready) {
		setup();
		ready = 1;
	}
	k.twin = 0;
	while (size - off >= IMSG_HDR_SIZE) {
		memcpy(&m.hdr, data + off, sizeof(m.hdr));
		if (m.hdr.len < IMSG_HDR_SIZE || m.hdr.len > size - off)
			break;
		m.data = data + off + IMSG_HDR_SIZE;
		m.datalen = m.hdr.len - IMSG_HDR_SIZE;
		if (keyd_dispatch(&k, &m, &out) != 0)
			break;		/* keyd would exit here */
		off += m.hdr.len;
	}
	/* Drop the replies: nobody reads them. */
	imsgbuf_clear(&out);
	if (imsgbuf_init(&out, -1) != 0)
		abort();
	return 0;
}
