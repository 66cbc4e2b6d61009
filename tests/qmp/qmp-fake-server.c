/* SPDX-License-Identifier: MIT */
/* qmp-fake-server PATH: the fake QMP server for scripts (socat test).
 * Prints "ready" on stdout once it listens. */
#include <stdio.h>
#include <unistd.h>

#include "fake-server.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SOCKET-PATH\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	return fake_server_run(argv[1], STDOUT_FILENO);
}
