/* SPDX-License-Identifier: MIT */
/* A QMP server (launcher/qmp.c) with fake VM commands, for tests. */
#ifndef ATOLL_TEST_QMP_FAKE_SERVER_H
#define ATOLL_TEST_QMP_FAKE_SERVER_H

/* Serves `path` until "quit" or SIGTERM; writes one byte to ready_fd (if
 * >= 0) once listening. Returns the process exit status. */
int fake_server_run(const char *path, int ready_fd);

#endif
