/* SPDX-License-Identifier: MIT */
/* launcher/qmp.c: a fake VM's QMP server in a forked process, driven by
 * plain blocking sockets, plus the socket-file rules tested in-process. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "fake-server.h"
#include "qmp.h"
#include "test-util.h"

static char dir[64], path[100];
static pid_t server;

static void server_start(void)
{
	int p[2];
	char c;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/atoll-qmp-XXXXXX");
	ck_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	CHECK_OK(pipe(p));
	server = fork();
	ck_assert_int_ge(server, 0);
	if (server == 0) {
		close(p[0]);
		_exit(fake_server_run(path, p[1]));
	}
	close(p[1]);
	ck_assert_msg(read(p[0], &c, 1) == 1, "fake server did not start");
	close(p[0]);
}

static void server_stop(void)
{
	int st;

	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, &st, 0);
		server = 0;
	}
	unlink(path);
	rmdir(dir);
}

static int connect_raw(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 3 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	CHECK_OK(connect(fd, (struct sockaddr *)&a, sizeof(a)));
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	return fd;
}

static void send_str(int fd, const char *s)
{
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* One line from the server, parsed; NULL on EOF. */
static json_t *recv_json(int fd)
{
	char line[65536];
	size_t n = 0;
	json_error_t e;
	json_t *v;

	while (n < sizeof(line) - 1) {
		ssize_t r = read(fd, &line[n], 1);

		/* A reset is how a cut-off client with unread input sees it. */
		ck_assert_msg(r >= 0 || errno == ECONNRESET, "read: %s",
			      strerror(errno));
		if (r <= 0)
			return NULL;
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	ck_assert_msg(n >= 2 && line[n - 2] == '\r', "line not CRLF-ended: %s", line);
	v = json_loads(line, 0, &e);
	ck_assert_msg(v, "server sent bad JSON (%s): %s", e.text, line);
	return v;
}

static const char *str_at(json_t *v, const char *a, const char *b)
{
	json_t *o = json_object_get(v, a);

	return json_string_value(b ? json_object_get(o, b) : o);
}

static void expect_error(int fd, const char *cls, const char *desc_part)
{
	json_t *v = recv_json(fd);
	const char *desc;

	ck_assert_msg(v && json_object_get(v, "error"), "wanted an error reply");
	ck_assert_str_eq(str_at(v, "error", "class"), cls);
	desc = str_at(v, "error", "desc");
	ck_assert_msg(strstr(desc, desc_part), "desc '%s' lacks '%s'", desc,
		      desc_part);
	json_decref(v);
}

/* Returns the "return" member (new reference). */
static json_t *expect_return(int fd)
{
	json_t *v = recv_json(fd);
	json_t *r;

	ck_assert_msg(v, "connection closed");
	r = json_object_get(v, "return");
	ck_assert_msg(r, "wanted a return, got %s", json_dumps(v, 0));
	json_incref(r);
	json_decref(v);
	return r;
}

static int client(void)
{
	int fd = connect_raw();
	json_t *g = recv_json(fd);

	ck_assert_msg(g && json_object_get(g, "QMP"), "no greeting");
	json_decref(g);
	send_str(fd, "{\"execute\": \"qmp_capabilities\"}\n");
	json_decref(expect_return(fd));
	return fd;
}

static bool is_running(int fd)
{
	json_t *r;
	bool run;

	send_str(fd, "{\"execute\": \"query-status\"}\n");
	r = expect_return(fd);
	run = json_is_true(json_object_get(r, "running"));
	ck_assert_str_eq(str_at(r, "status", NULL), run ? "running" : "paused");
	ck_assert(json_is_false(json_object_get(r, "singlestep")));
	json_decref(r);
	return run;
}

START_TEST(test_greeting)
{
	int fd = connect_raw();
	json_t *g = recv_json(fd);
	json_t *q = json_object_get(g, "QMP");
	json_t *ver = json_object_get(json_object_get(q, "version"), "qemu");

	ck_assert_int_eq(json_integer_value(json_object_get(ver, "major")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(ver, "minor")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(ver, "micro")), 0);
	ck_assert_str_eq(str_at(json_object_get(q, "version"), "package", NULL),
			 "atoll 0.1.0");
	ck_assert(json_is_array(json_object_get(q, "capabilities")));
	ck_assert_uint_eq(json_array_size(json_object_get(q, "capabilities")), 0);
	json_decref(g);
	close(fd);
}
END_TEST

START_TEST(test_capabilities_first)
{
	int fd = connect_raw();

	json_decref(recv_json(fd));
	send_str(fd, "{\"execute\": \"query-status\"}\n");
	expect_error(fd, "CommandNotFound",
		     "Expecting capabilities negotiation with 'qmp_capabilities'");
	send_str(fd, "{\"execute\": \"qmp_capabilities\"}\n");
	json_decref(expect_return(fd));
	send_str(fd, "{\"execute\": \"qmp_capabilities\"}\n");
	expect_error(fd, "CommandNotFound", "already complete");
	ck_assert(is_running(fd));
	close(fd);
}
END_TEST

START_TEST(test_query_version_and_commands)
{
	static const char *const want[] = {
		"qmp_capabilities", "query-commands", "query-version",
		"query-status", "stop", "cont", "quit",
	};
	int fd = client();
	json_t *r;

	send_str(fd, "{\"execute\": \"query-version\"}\n");
	r = expect_return(fd);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(r, "qemu"), "minor")), 1);
	ck_assert_str_eq(str_at(r, "package", NULL), "atoll 0.1.0");
	json_decref(r);
	send_str(fd, "{\"execute\": \"query-commands\"}\n");
	r = expect_return(fd);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;
		size_t k;
		json_t *e;

		json_array_foreach(r, k, e)
			found |= !strcmp(str_at(e, "name", NULL), want[i]);
		ck_assert_msg(found, "query-commands lacks %s", want[i]);
	}
	json_decref(r);
	close(fd);
}
END_TEST

START_TEST(test_unknown_and_failing)
{
	int fd = client();

	send_str(fd, "{\"execute\": \"nope\"}\n");
	expect_error(fd, "CommandNotFound", "The command nope has not been found");
	send_str(fd, "{\"execute\": \"fail\"}\n");
	expect_error(fd, "GenericError", "fake failure");
	send_str(fd, "[1, 2]\n");
	expect_error(fd, "GenericError", "must be a JSON object");
	send_str(fd, "{\"id\": 1}\n");
	expect_error(fd, "GenericError", "lacks member 'execute'");
	send_str(fd, "{\"execute\": \"stop\", \"arguments\": [1]}\n");
	expect_error(fd, "GenericError", "'arguments' must be an object");
	send_str(fd, "{\"execute\": \"stop\", \"exec-oob\": 1}\n");
	expect_error(fd, "GenericError", "member 'exec-oob' is unexpected");
	send_str(fd, "{\"execute\": 5}\n");
	expect_error(fd, "GenericError", "must be a string");
	ck_assert(is_running(fd));   /* nothing above ran stop */
	close(fd);
}
END_TEST

START_TEST(test_id_echoed)
{
	int fd = client();
	json_t *v, *id;

	send_str(fd, "{\"execute\": \"query-status\", \"id\": \"abc\"}\n");
	v = recv_json(fd);
	ck_assert_str_eq(str_at(v, "id", NULL), "abc");
	ck_assert(json_object_get(v, "return"));
	json_decref(v);
	send_str(fd, "{\"execute\": \"nope\", \"id\": {\"n\": [1, 2]}}\n");
	v = recv_json(fd);
	id = json_pack("{s:[i,i]}", "n", 1, 2);
	ck_assert(json_equal(json_object_get(v, "id"), id));
	ck_assert(json_object_get(v, "error"));
	json_decref(id);
	json_decref(v);
	close(fd);
}
END_TEST

START_TEST(test_malformed_json)
{
	int fd = client();

	send_str(fd, "{\"execute\" xx}\n");
	expect_error(fd, "GenericError", "JSON parse error");
	send_str(fd, "trx\n");
	expect_error(fd, "GenericError", "JSON parse error");
	ck_assert(is_running(fd));   /* the connection is still usable */
	close(fd);
}
END_TEST

START_TEST(test_two_values_one_write)
{
	int fd = client();
	json_t *a, *b;

	send_str(fd, "{\"execute\": \"query-version\", \"id\": 1}"
		     "{\"execute\": \"query-status\", \"id\": 2}\n");
	a = recv_json(fd);
	b = recv_json(fd);
	ck_assert_int_eq(json_integer_value(json_object_get(a, "id")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(b, "id")), 2);
	ck_assert(json_object_get(json_object_get(a, "return"), "qemu"));
	ck_assert(json_object_get(json_object_get(b, "return"), "running"));
	json_decref(a);
	json_decref(b);
	close(fd);
}
END_TEST

/* A command answered later (qmp_server_defer): the command after it in the
 * same write waits, so the answers come in order; another client is
 * served meanwhile. */
START_TEST(test_deferred_answer)
{
	int fd = client(), other = client();
	json_t *a, *b;

	send_str(fd, "{\"execute\": \"answer-later\", \"id\": 1}"
		     "{\"execute\": \"query-status\", \"id\": 2}\n");
	ck_assert(is_running(other));
	a = recv_json(fd);
	b = recv_json(fd);
	ck_assert_int_eq(json_integer_value(json_object_get(a, "id")), 1);
	ck_assert_str_eq(str_at(a, "return", "answered"), "later");
	ck_assert_int_eq(json_integer_value(json_object_get(b, "id")), 2);
	json_decref(a);
	json_decref(b);
	/* a client that leaves before its answer: the server carries on */
	send_str(other, "{\"execute\": \"answer-later\"}\n");
	close(other);
	ck_assert(is_running(fd));
	/* ... and its answer, once due, is dropped: the next one is served
	 * (until then the fake refuses a second one). */
	for (int i = 0; i < 500; i++) {
		send_str(fd, "{\"execute\": \"answer-later\", \"id\": 3}\n");
		a = recv_json(fd);
		ck_assert_int_eq(json_integer_value(json_object_get(a, "id")), 3);
		if (json_object_get(a, "return"))
			break;
		json_decref(a);
		a = NULL;
		usleep(10000);
	}
	ck_assert_str_eq(str_at(a, "return", "answered"), "later");
	json_decref(a);
	close(fd);
}
END_TEST

/* Byte by byte, so that cuts fall inside strings, numbers and "true". */
START_TEST(test_split_value)
{
	static const char cmd[] =
		"{\"execute\": \"emit-event\", \"arguments\": {\"name\": \"SPLIT\","
		" \"data\": {\"t\": true, \"n\": -1.5e3, \"u\": \"\\u00e9\"}}, \"id\": 7}";
	int fd = client();
	json_t *v, *data;

	for (size_t i = 0; i < sizeof(cmd) - 1; i++) {
		ck_assert_int_eq(write(fd, &cmd[i], 1), 1);
		usleep(500);
	}
	v = recv_json(fd);   /* the event comes first, then the reply */
	ck_assert_str_eq(str_at(v, "event", NULL), "SPLIT");
	data = json_object_get(v, "data");
	ck_assert(json_is_true(json_object_get(data, "t")));
	ck_assert(json_real_value(json_object_get(data, "n")) == -1500.0);
	ck_assert_str_eq(str_at(data, "u", NULL), "\xc3\xa9");
	json_decref(v);
	v = recv_json(fd);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "id")), 7);
	json_decref(v);
	close(fd);
}
END_TEST

START_TEST(test_oversized_input)
{
	int fd = client(), other = client();
	char chunk[4096];
	json_t *v;

	send_str(fd, "{\"execute\": \"");
	memset(chunk, 'a', sizeof(chunk));
	/* No reply is due, so the server must cut us off by itself. */
	for (int i = 0; i < 20; i++)
		if (write(fd, chunk, sizeof(chunk)) < 0)
			break;
	v = recv_json(fd);
	ck_assert_msg(!v, "oversized client was not disconnected");
	close(fd);
	ck_assert(is_running(other));
	close(other);
}
END_TEST

START_TEST(test_two_clients_and_events)
{
	int a = client(), b = client();
	int raw = connect_raw();   /* not negotiated: gets no events */
	json_t *v, *g;

	g = recv_json(raw);
	json_decref(g);
	send_str(a, "{\"execute\": \"stop\"}\n");
	v = recv_json(a);   /* event before return: the handler emits first */
	ck_assert_str_eq(str_at(v, "event", NULL), "STOP");
	ck_assert(json_integer_value(json_object_get(
			  json_object_get(v, "timestamp"), "seconds")) > 0);
	ck_assert(json_object_get(json_object_get(v, "timestamp"), "microseconds"));
	json_decref(v);
	json_decref(expect_return(a));
	v = recv_json(b);
	ck_assert_str_eq(str_at(v, "event", NULL), "STOP");
	json_decref(v);
	ck_assert(!is_running(b));
	send_str(b, "{\"execute\": \"emit-event\", \"arguments\": {\"name\": \"X\","
		    " \"data\": {\"k\": 1}}}\n");
	v = recv_json(a);
	ck_assert_str_eq(str_at(v, "event", NULL), "X");
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(v, "data"), "k")), 1);
	json_decref(v);
	/* The raw client's first frame is the reply to its own command. */
	send_str(raw, "{\"execute\": \"query-status\"}\n");
	expect_error(raw, "CommandNotFound", "capabilities");
	close(a);
	close(b);
	close(raw);
}
END_TEST

static int dummy(void *opaque, json_t *args, json_t **ret, char **err)
{
	return 0;
}

START_TEST(test_client_limit)
{
	int fds[QMP_MAX_CLIENTS], extra;
	char c;

	for (unsigned i = 0; i < QMP_MAX_CLIENTS; i++) {
		fds[i] = connect_raw();
		json_decref(recv_json(fds[i]));   /* accepted and greeted */
	}
	extra = connect_raw();
	ck_assert_msg(read(extra, &c, 1) <= 0, "client over the limit served");
	close(extra);
	close(fds[0]);
	usleep(50000);   /* let the server see the close */
	extra = client();   /* a freed slot is usable again */
	ck_assert(is_running(extra));
	close(extra);
	for (unsigned i = 1; i < QMP_MAX_CLIENTS; i++)
		close(fds[i]);
}
END_TEST

/* A client that sends commands but never reads must not make the server
 * buffer without bound: it is cut off once QMP_MAX_OUTPUT is pending. */
START_TEST(test_unread_output_bounded)
{
	static char cmd[8192];
	int fd = client(), other = client();
	size_t sent = 0, got = 0;
	char buf[65536];
	ssize_t n;
	int len;

	len = snprintf(cmd, sizeof(cmd), "{\"execute\": \"emit-event\", "
		       "\"arguments\": {\"name\": \"BIG\", \"data\": {\"s\": \"%04000d\"}}}\n", 0);
	/* Blocking writes: the server reads for as long as it serves us, so
	 * a write fails only once it has cut us off. */
	for (int i = 0; i < 1000; i++) {
		if (write(fd, cmd, (size_t)len) != len)
			break;
		sent++;
	}
	ck_assert_msg(sent < 1000, "never cut off after %zu commands", sent);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		got += (size_t)n;
	printf("unread output: sent %zu commands, %zu bytes came back\n", sent,
	       got);
	/* Each command yields an event and a reply of > 4 KiB together. */
	ck_assert_msg(got < sent * 4000,
		      "all %zu bytes of output were kept for a non-reading client",
		      got);
	ck_assert_msg(got <= QMP_MAX_OUTPUT + 1024 * 1024,
		      "%zu bytes reached a non-reading client", got);
	close(fd);
	json_decref(recv_json(other));   /* the other client got the events */
	close(other);
}
END_TEST

/* In-process: the socket file's mode and the stale/live/foreign rules. */
START_TEST(test_socket_rules)
{
	struct event_base *base = event_base_new();
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct qmp_server *s;
	char other[100];
	struct stat st;
	int rc = 0, fd;

	s = qmp_server_new(base, path, NULL, &rc);   /* the fake server lives */
	ck_assert_ptr_null(s);
	CHECK_RET(rc, -EADDRINUSE);

	snprintf(other, sizeof(other), "%s/stale.sock", dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", other);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	close(fd);   /* a dead server's leftover */
	s = qmp_server_new(base, other, NULL, &rc);
	ck_assert_msg(s, "stale socket not replaced: %s", strerror(-rc));
	CHECK_OK(stat(other, &st));
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	CHECK_RET(qmp_server_register(s, "qmp_capabilities", dummy), -EINVAL);
	CHECK_RET(qmp_server_register(s, "x", dummy), 0);
	qmp_server_free(s);
	ck_assert_int_eq(access(other, F_OK), -1);   /* unlinked */

	fd = open(other, O_CREAT | O_WRONLY, 0600);   /* not a socket */
	close(fd);
	s = qmp_server_new(base, other, NULL, &rc);
	ck_assert_ptr_null(s);
	CHECK_RET(rc, -EEXIST);
	ck_assert_int_eq(access(other, F_OK), 0);   /* left alone */
	unlink(other);
	event_base_free(base);
}
END_TEST

static Suite *qmp_suite(void)
{
	Suite *s = suite_create("qmp");
	TCase *tc = tcase_create("server");

	tcase_add_checked_fixture(tc, server_start, server_stop);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_greeting);
	tcase_add_test(tc, test_capabilities_first);
	tcase_add_test(tc, test_query_version_and_commands);
	tcase_add_test(tc, test_unknown_and_failing);
	tcase_add_test(tc, test_deferred_answer);
	tcase_add_test(tc, test_id_echoed);
	tcase_add_test(tc, test_malformed_json);
	tcase_add_test(tc, test_two_values_one_write);
	tcase_add_test(tc, test_split_value);
	tcase_add_test(tc, test_oversized_input);
	tcase_add_test(tc, test_two_clients_and_events);
	tcase_add_test(tc, test_client_limit);
	tcase_add_test(tc, test_unread_output_bounded);
	tcase_add_test(tc, test_socket_rules);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(qmp_suite)
