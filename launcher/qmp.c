/* SPDX-License-Identifier: MIT */
#include "qmp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "unix-listen.h"

#define QMP_VERSION_MAJOR 0
#define QMP_VERSION_MINOR 1
#define QMP_VERSION_MICRO 0
#define QMP_PACKAGE "atoll 0.1.0"

struct qmp_client {
	struct qmp_server *s;
	struct bufferevent *bev;
	bool negotiated;
	bool dead;       /* waiting for the reaper; no more I/O */
	bool closing;    /* peer sent EOF: drop once the output is flushed */
	struct qmp_reply *waiting;   /* a deferred reply: input waits, as
					QEMU runs one command at a time */
	struct qmp_client *next;
};

struct qmp_reply {
	struct qmp_client *c;   /* NULL once the client is gone */
	json_t *id;
};

struct qmp_command {
	char *name;
	qmp_handler fn;
};

struct qmp_server {
	struct event_base *base;
	void *opaque;
	char *path;
	struct unix_listen_id id;   /* free unlinks ours, not a successor's */
	int fd;
	struct event *accept_ev;
	struct event *accept_pause;   /* re-arms accept_ev after EMFILE */
	/* Clients are freed from here, never from inside their own callbacks
	 * or while the client list is being walked. */
	struct event *reaper;
	struct qmp_client *clients;
	unsigned nclients;
	struct qmp_command *cmds;
	size_t ncmds;
	struct qmp_client *running;   /* whose command a handler runs */
	json_t *running_id;
};

typedef int (*builtin_fn)(struct qmp_client *c, json_t *args, json_t **ret,
			  char **err);

/* ---- output ---- */

static void client_kill(struct qmp_client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	event_active(c->s->reaper, 0, 0);
}

/* Sends one value (a reference is stolen) followed by CRLF, as QEMU does. */
static void client_send(struct qmp_client *c, json_t *v)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char *text = v ? json_dumps(v, JSON_PRESERVE_ORDER) : NULL;

	json_decref(v);
	if (c->dead)
		goto done;
	/* A client that does not read its replies and events must not make
	 * the launcher buffer without bound. */
	if (!text || evbuffer_get_length(out) > QMP_MAX_OUTPUT ||
	    bufferevent_write(c->bev, text, strlen(text)) < 0 ||
	    bufferevent_write(c->bev, "\r\n", 2) < 0)
		client_kill(c);
done:
	free(text);
}

static json_t *with_id(json_t *reply, json_t *id)
{
	if (reply && id)
		json_object_set(reply, "id", id);
	return reply;
}

static void send_error(struct qmp_client *c, json_t *id, const char *cls,
		       const char *desc)
{
	/* A description quoting client bytes may not be valid UTF-8. */
	json_t *d = json_string(desc);

	if (!d)
		d = json_string("(error description is not valid UTF-8)");
	client_send(c, with_id(json_pack("{s:{s:s, s:o}}", "error", "class", cls,
					 "desc", d), id));
}

static void send_return(struct qmp_client *c, json_t *id, json_t *ret)
{
	client_send(c, with_id(json_pack("{s:o}", "return",
					 ret ? ret : json_object()), id));
}

static json_t *version_json(void)
{
	return json_pack("{s:{s:i, s:i, s:i}, s:s}", "qemu",
			 "micro", QMP_VERSION_MICRO, "minor", QMP_VERSION_MINOR,
			 "major", QMP_VERSION_MAJOR, "package", QMP_PACKAGE);
}

static void send_greeting(struct qmp_client *c)
{
	client_send(c, json_pack("{s:{s:o, s:[]}}", "QMP", "version",
				 version_json(), "capabilities"));
}

/* ---- built-in commands ---- */

static int cmd_capabilities(struct qmp_client *c, json_t *args, json_t **ret,
			    char **err)
{
	json_t *enable = json_object_get(args, "enable");

	/* Atoll offers no optional capabilities (no "oob"). */
	if (enable && (!json_is_array(enable) || json_array_size(enable))) {
		*err = strdup("Capability negotiation: no optional capabilities are available");
		return -EINVAL;
	}
	c->negotiated = true;
	return 0;
}

static int cmd_query_version(struct qmp_client *c, json_t *args, json_t **ret,
			     char **err)
{
	*ret = version_json();
	return *ret ? 0 : -ENOMEM;
}

static int cmd_query_commands(struct qmp_client *c, json_t *args, json_t **ret,
			      char **err);

static const struct {
	const char *name;
	builtin_fn fn;
} builtins[] = {
	{ "qmp_capabilities", cmd_capabilities },
	{ "query-commands", cmd_query_commands },
	{ "query-version", cmd_query_version },
};
#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

static int cmd_query_commands(struct qmp_client *c, json_t *args, json_t **ret,
			      char **err)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < NBUILTINS + c->s->ncmds; i++) {
		const char *n = i < NBUILTINS ? builtins[i].name
					      : c->s->cmds[i - NBUILTINS].name;

		if (json_array_append_new(list, json_pack("{s:s}", "name", n)) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	*ret = list;
	return list ? 0 : -ENOMEM;
}

/* ---- dispatch ---- */

/* Returns NULL for a well-formed command, else why it is not. */
static const char *check_request(json_t *v, char *buf, size_t len)
{
	const char *key;
	json_t *val;

	if (!json_is_object(v))
		return "QMP input must be a JSON object";
	json_object_foreach(v, key, val) {
		if (!strcmp(key, "execute")) {
			if (!json_is_string(val))
				return "QMP input member 'execute' must be a string";
		} else if (!strcmp(key, "arguments")) {
			if (!json_is_object(val))
				return "QMP input member 'arguments' must be an object";
		} else if (strcmp(key, "id")) {
			snprintf(buf, len, "QMP input member '%s' is unexpected",
				 strlen(key) < 64 ? key : "(long name)");
			return buf;
		}
	}
	if (!json_object_get(v, "execute"))
		return "QMP input lacks member 'execute'";
	return NULL;
}

static qmp_handler find_command(const struct qmp_server *s, const char *name)
{
	for (size_t i = 0; i < s->ncmds; i++)
		if (!strcmp(s->cmds[i].name, name))
			return s->cmds[i].fn;
	return NULL;
}

static builtin_fn find_builtin(const char *name)
{
	for (size_t i = 0; i < NBUILTINS; i++)
		if (!strcmp(builtins[i].name, name))
			return builtins[i].fn;
	return NULL;
}

static void run_command(struct qmp_client *c, const char *name, json_t *args,
			json_t *id)
{
	builtin_fn bfn = find_builtin(name);
	qmp_handler fn = bfn ? NULL : find_command(c->s, name);
	json_t *ret = NULL;
	char *err = NULL;
	char buf[192];
	int rc;

	if (!bfn && !fn) {
		snprintf(buf, sizeof(buf), "The command %s has not been found",
			 strlen(name) < 128 ? name : "(name too long)");
		send_error(c, id, "CommandNotFound", buf);
		return;
	}
	c->s->running = c;
	c->s->running_id = id;
	rc = bfn ? bfn(c, args, &ret, &err) : fn(c->s->opaque, args, &ret, &err);
	c->s->running = NULL;
	if (rc == QMP_DEFERRED && c->waiting) {
		json_decref(ret);   /* the answer comes with qmp_reply_send */
	} else if (rc < 0) {
		json_decref(ret);
		send_error(c, id, "GenericError", err ? err : strerror(-rc));
	} else {
		send_return(c, id, ret);
	}
	free(err);
}

static void handle_value(struct qmp_client *c, json_t *v)
{
	char buf[128];
	const char *bad = check_request(v, buf, sizeof(buf));
	json_t *id = json_is_object(v) ? json_object_get(v, "id") : NULL;
	json_t *args;
	const char *name;

	if (bad) {
		send_error(c, id, "GenericError", bad);
		return;
	}
	name = json_string_value(json_object_get(v, "execute"));
	if (c->negotiated && !strcmp(name, "qmp_capabilities")) {
		send_error(c, id, "CommandNotFound",
			   "Capabilities negotiation is already complete, command ignored");
		return;
	}
	if (!c->negotiated && strcmp(name, "qmp_capabilities")) {
		send_error(c, id, "CommandNotFound",
			   "Expecting capabilities negotiation with 'qmp_capabilities'");
		return;
	}
	args = json_object_get(v, "arguments");
	args = args ? json_incref(args) : json_object();
	run_command(c, name, args, id);
	json_decref(args);
}

/* ---- input ---- */

static void drain_space(struct evbuffer *in)
{
	struct evbuffer_ptr p;
	size_t n = 0;
	char ch;

	evbuffer_ptr_set(in, &p, 0, EVBUFFER_PTR_SET);
	while (evbuffer_copyout_from(in, &p, &ch, 1) == 1 &&
	       (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')) {
		n++;
		evbuffer_ptr_set(in, &p, 1, EVBUFFER_PTR_ADD);
	}
	evbuffer_drain(in, n);
}

/* After a syntax error, resynchronise at the next line: clients send one
 * command per line, so this drops the bad command and keeps the next. */
static void drain_bad(struct evbuffer *in, size_t from)
{
	struct evbuffer_ptr p;

	if (evbuffer_ptr_set(in, &p, from, EVBUFFER_PTR_SET) == 0) {
		p = evbuffer_search(in, "\n", 1, &p);
		if (p.pos >= 0) {
			evbuffer_drain(in, (size_t)p.pos + 1);
			return;
		}
	}
	evbuffer_drain(in, evbuffer_get_length(in));
}

/* Handles one complete value from the input. Returns false when the input
 * holds no complete value yet. */
static bool parse_one(struct qmp_client *c, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in);
	const char *buf = (const char *)evbuffer_pullup(in, -1);
	json_error_t e;
	json_t *v;
	char desc[256];

	v = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &e);
	if (!v) {
		/* An error at the very end may be a value cut short ("tr" of
		 * "true"): wait for more bytes. */
		if (json_error_code(&e) == json_error_premature_end_of_input ||
		    e.position < 0 || (size_t)e.position >= len)
			return false;
		snprintf(desc, sizeof(desc), "JSON parse error, %s", e.text);
		send_error(c, NULL, "GenericError", desc);
		drain_bad(in, (size_t)e.position);
		return true;
	}
	/* With JSON_DISABLE_EOF_CHECK, position is the bytes consumed. */
	evbuffer_drain(in, e.position > 0 ? (size_t)e.position : len);
	handle_value(c, v);
	json_decref(v);
	return true;
}

static void client_read(struct bufferevent *bev, void *opaque)
{
	struct qmp_client *c = opaque;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		if (c->dead || c->waiting)
			return;
		drain_space(in);
		if (!evbuffer_get_length(in) || !parse_one(c, in))
			break;
	}
	if (evbuffer_get_length(in) > QMP_MAX_INPUT)
		client_kill(c);
}

static void client_written(struct bufferevent *bev, void *opaque)
{
	struct qmp_client *c = opaque;

	if (c->closing)
		client_kill(c);
}

static void client_event(struct bufferevent *bev, short what, void *opaque)
{
	struct qmp_client *c = opaque;

	if (!(what & BEV_EVENT_EOF) || (what & BEV_EVENT_ERROR)) {
		client_kill(c);
		return;
	}
	/* The peer shut down its sending side (socat at the end of its input
	 * does): answer what is buffered, flush, then close. */
	client_read(bev, c);
	c->closing = true;
	bufferevent_disable(bev, EV_READ);
	if (!c->waiting && !evbuffer_get_length(bufferevent_get_output(bev)))
		client_kill(c);
}

static void client_free(struct qmp_client *c)
{
	if (c->waiting)
		c->waiting->c = NULL;   /* its owner still finishes it */
	bufferevent_free(c->bev);
	c->s->nclients--;
	free(c);
}

static void reap(evutil_socket_t fd, short what, void *opaque)
{
	struct qmp_server *s = opaque;
	struct qmp_client **pp = &s->clients;

	while (*pp) {
		struct qmp_client *c = *pp;

		if (c->dead) {
			*pp = c->next;
			client_free(c);
		} else {
			pp = &c->next;
		}
	}
}

static void on_accept(evutil_socket_t fd, short what, void *opaque)
{
	struct qmp_server *s = opaque;
	struct qmp_client *c;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (cfd < 0) {
		/* Out of fds or memory: the socket stays readable, so stop
		 * listening for a while instead of spinning. */
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
			static const struct timeval pause = { .tv_sec = 1 };

			event_del(s->accept_ev);
			evtimer_add(s->accept_pause, &pause);
		}
		return;
	}
	if (s->nclients >= QMP_MAX_CLIENTS || !(c = calloc(1, sizeof(*c)))) {
		close(cfd);
		return;
	}
	c->s = s;
	c->bev = bufferevent_socket_new(s->base, cfd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(cfd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, client_read, client_written, client_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = s->clients;
	s->clients = c;
	s->nclients++;
	send_greeting(c);
}

static void on_accept_resume(evutil_socket_t fd, short what, void *opaque)
{
	struct qmp_server *s = opaque;

	event_add(s->accept_ev, NULL);
}

/* ---- events ---- */

void qmp_server_event(struct qmp_server *s, const char *event, json_t *data)
{
	struct timeval tv;
	json_t *ev;

	gettimeofday(&tv, NULL);
	ev = json_pack("{s:s, s:{s:I, s:I}}", "event", event, "timestamp",
		       "seconds", (json_int_t)tv.tv_sec,
		       "microseconds", (json_int_t)tv.tv_usec);
	if (ev && data)
		json_object_set(ev, "data", data);
	for (struct qmp_client *c = s->clients; ev && c; c = c->next)
		if (c->negotiated && !c->dead)
			client_send(c, json_incref(ev));
	json_decref(ev);
	json_decref(data);
}

struct qmp_reply *qmp_server_defer(struct qmp_server *s)
{
	struct qmp_client *c = s->running;
	struct qmp_reply *r;

	if (!c || c->waiting || !(r = calloc(1, sizeof(*r))))
		return NULL;
	r->c = c;
	r->id = s->running_id ? json_incref(s->running_id) : NULL;
	c->waiting = r;
	return r;
}

void qmp_reply_send(struct qmp_reply *r, json_t *ret, const char *err)
{
	struct qmp_client *c = r->c;

	if (c && !c->dead) {
		if (err)
			send_error(c, r->id, "GenericError", err);
		else
			send_return(c, r->id, json_incref(ret));
	}
	json_decref(ret);
	json_decref(r->id);
	free(r);
	if (!c)
		return;
	c->waiting = NULL;
	if (c->closing) {
		if (!evbuffer_get_length(bufferevent_get_output(c->bev)))
			client_kill(c);
		return;
	}
	client_read(c->bev, c);   /* what came in meanwhile */
}

unsigned qmp_server_clients(const struct qmp_server *s)
{
	return s->nclients;
}

struct qmp_server *qmp_server_new(struct event_base *base,
				  const char *socket_path, void *opaque,
				  int *err)
{
	struct qmp_server *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;

	if (!s)
		goto fail;
	s->base = base;
	s->opaque = opaque;
	s->fd = -1;
	if (!(s->path = strdup(socket_path)))
		goto fail;
	if ((s->fd = unix_listen(socket_path, 8, &s->id)) < 0) {
		rc = s->fd;
		goto fail;
	}
	rc = -ENOMEM;
	s->accept_ev = event_new(base, s->fd, EV_READ | EV_PERSIST, on_accept, s);
	s->accept_pause = evtimer_new(base, on_accept_resume, s);
	s->reaper = event_new(base, -1, 0, reap, s);
	if (!s->accept_ev || !s->accept_pause || !s->reaper ||
	    event_add(s->accept_ev, NULL) < 0)
		goto fail;
	return s;
fail:
	qmp_server_free(s);
	if (err)
		*err = rc;
	return NULL;
}

int qmp_server_register(struct qmp_server *s, const char *command,
			qmp_handler fn)
{
	struct qmp_command *n;

	if (!command || !*command || !fn || find_builtin(command))
		return -EINVAL;
	for (size_t i = 0; i < s->ncmds; i++)
		if (!strcmp(s->cmds[i].name, command)) {
			s->cmds[i].fn = fn;
			return 0;
		}
	n = realloc(s->cmds, (s->ncmds + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->cmds = n;
	if (!(n[s->ncmds].name = strdup(command)))
		return -ENOMEM;
	n[s->ncmds++].fn = fn;
	return 0;
}

/* Best effort, without blocking: a "quit" reply should reach its client.
 * (The output evbuffer of a socket bufferevent is frozen at the front, so
 * evbuffer_write and evbuffer_copyout refuse it; pullup does not drain.) */
static void flush_now(struct qmp_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = evbuffer_get_length(out);
	const unsigned char *p = len && !c->dead ? evbuffer_pullup(out, -1) : NULL;

	if (p && write(bufferevent_getfd(c->bev), p, len) < 0)
		return;   /* nothing more to try */
}

void qmp_server_free(struct qmp_server *s)
{
	if (!s)
		return;
	while (s->clients) {
		struct qmp_client *c = s->clients;

		flush_now(c);
		s->clients = c->next;
		client_free(c);
	}
	if (s->accept_ev)
		event_free(s->accept_ev);
	if (s->accept_pause)
		event_free(s->accept_pause);
	if (s->reaper)
		event_free(s->reaper);
	if (s->fd >= 0) {
		close(s->fd);
		unix_listen_remove(s->path, &s->id);
	}
	for (size_t i = 0; i < s->ncmds; i++)
		free(s->cmds[i].name);
	free(s->cmds);
	free(s->path);
	free(s);
}
