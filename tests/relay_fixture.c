#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "relay_fixture.h"
#include "tap.h"

#define RF_ARGS_MAX	40

int
rf_start(struct relay_proc *p, const char *bin, const char *dir,
    const char *name, int redis_port, int port, const char *const opts[],
    const char *const extra[])
{
	char	 url[64], listen[64];
	char	*argv[RF_ARGS_MAX];
	int	 n = 0, i;

	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->log, sizeof(p->log), "%s/%s.log", dir, name);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", redis_port);
	p->port = port != 0 ? port : free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", p->port);
	argv[n++] = (char *)bin;
	argv[n++] = (char *)"-r";
	argv[n++] = url;
	argv[n++] = (char *)"-l";
	argv[n++] = listen;
	for (i = 0; opts != NULL && opts[i] != NULL &&
	    n < RF_ARGS_MAX - 1; i++)
		argv[n++] = (char *)opts[i];
	for (i = 0; extra != NULL && extra[i] != NULL &&
	    n < RF_ARGS_MAX - 1; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	if ((p->pid = proc_start(argv, p->log)) == -1)
		return -1;
	return wait_log(p->log, "listening on", 10000);
}

int
rf_alive(const struct relay_proc *p)
{
	int	st;

	return proc_exited(p->pid, &st) == 0;
}

int
rf_session(struct wsc *w, const struct relay_proc *p, const struct rc_twin *t,
    const char *sid)
{
	int	status;
	char	body[256];

	return rc_connect(w, p->port, t, sid, &status, body, sizeof(body));
}

int
rf_send_req(struct wsc *w, const struct rc_twin *from, const char *from_sid,
    uint32_t to, const char *to_sid, const char *uid, const char *tags,
    const char *payload)
{
	struct rc_msg	m;

	memset(&m, 0, sizeof(m));
	m.src = from;
	m.src_sid = from_sid;
	m.dst = to;
	m.dst_sid = to_sid;
	m.kind = RC_REQUEST;
	m.uid = uid;
	m.tags = tags;
	m.payload = payload;
	m.len = strlen(payload);
	return rc_send(w, &m);
}

int
rf_got(struct wsc *w, const char *uid, const char *text)
{
	Envelope	*e;
	int		 r;

	if (rc_recv(w, &e, RF_WAIT) != 1)
		return 0;
	r = strcmp(e->uid, uid) == 0 && (text == NULL ||
	    (e->payload_case == ENVELOPE__PAYLOAD_PLAIN &&
	    e->plain.len == strlen(text) &&
	    memcmp(e->plain.data, text, e->plain.len) == 0));
	if (!r)
		diag("got uid %s, wanted %s", e->uid, uid);
	envelope__free_unpacked(e, NULL);
	return r;
}

int
rf_got_error(struct wsc *w, const char *uid, const char *text, int anonymous)
{
	Envelope	*e;
	int		 r;

	if (rc_recv(w, &e, RF_WAIT) != 1) {
		diag("no error envelope for %s", uid);
		return 0;
	}
	r = strcmp(e->uid, uid) == 0 &&
	    e->message_case == ENVELOPE__MESSAGE_ERROR &&
	    strcmp(e->error->message, text) == 0 && (!anonymous ||
	    ((e->source == NULL || e->source->twin == 0) &&
	    e->opt_signature_case != ENVELOPE__OPT_SIGNATURE_SIGNATURE));
	if (!r)
		diag("got uid %s: %s", e->uid,
		    e->message_case == ENVELOPE__MESSAGE_ERROR ?
		    e->error->message : "(not an error)");
	envelope__free_unpacked(e, NULL);
	return r;
}

long long
rf_metric(const struct relay_proc *p, const char *name)
{
	char		*resp, *line;
	size_t		 n, k = strlen(name);
	int		 status;
	long long	 v = -1;

	if (http_request("127.0.0.1", p->port, "GET", "/metrics", NULL, 0,
	    &status, &resp, &n, RF_WAIT) == -1)
		return -1;
	for (line = resp; line != NULL && *line != '\0';) {
		if (strncmp(line, name, k) == 0 && line[k] == ' ')
			v = strtoll(line + k + 1, NULL, 10);
		if ((line = strchr(line, '\n')) != NULL)
			line++;
	}
	free(resp);
	return v;
}
