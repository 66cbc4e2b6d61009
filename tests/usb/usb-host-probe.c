/* SPDX-License-Identifier: MIT */
/*
 * usb-host.c's set-up and teardown with no device (usb_host_new_unplugged:
 * libusb_init without device discovery, its pollfds on the loop,
 * usbredirhost on a socketpair to usb-redir.c), as a program of its own so
 * that it can run under kind usb's sandbox profile
 * (usb-host-sandboxed.sh): a system call the profile lacks kills it.
 * Exits 0 once usbredirhost's hello reached usb-redir.c and all is freed.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "usb-models.h"
#include "usb-redir.h"

int main(int argc, char **argv)
{
	const char *why = NULL;
	struct event_base *base;
	struct usb_device *d;
	bool hello;

	if (argc > 1) {
		printf("usage: usb-host-probe\n"
		       "Sets up usb-host.c with no device, waits for the "
		       "usbredir hello, tears down;\nexit 0 if it all "
		       "worked.\n");
		return strcmp(argv[1], "--help") ? 2 : 0;
	}
	/* As atoll-usb's child runtime. */
	signal(SIGPIPE, SIG_IGN);
	log_init("usb-host-probe", ATOLL_LOG_INFO);
	base = event_base_new();
	if (!base)
		return 1;
	d = usb_host_new_unplugged(base, &why);
	if (!d) {
		fprintf(stderr, "usb-host-probe: %s\n", why);
		return 1;
	}
	/* Both ends are in this process: the exchange settles in a bounded
	 * number of turns. */
	for (int i = 0; i < 100 && !usb_redir_peer_hello(d); i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	hello = usb_redir_peer_hello(d);
	d->ops->destroy(d);
	event_base_free(base);
	if (!hello) {
		fprintf(stderr, "usb-host-probe: no hello from usbredirhost\n");
		return 1;
	}
	return 0;
}
