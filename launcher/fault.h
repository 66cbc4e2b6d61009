/* SPDX-License-Identifier: MIT */
/*
 * Fault injection into a running device, for the operator (QMP
 * inject-fault) and for unattended runs: what is done, and the record
 * query-faults shows. crash and hang are done by the launcher itself when
 * the device cannot (no CAP_FAULTS: SIGKILL; a hang is always SIGSTOP, so
 * every thread of the device stops, as a real hang would); delay and
 * io-error are the device's to do (FAULT_INJECT, CAP_FAULTS).
 */
#ifndef ATOLL_LAUNCHER_FAULT_H
#define ATOLL_LAUNCHER_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vm.h"

enum fault_kind {
	FAULT_KIND_CRASH,
	FAULT_KIND_HANG,
	FAULT_KIND_DELAY,
	FAULT_KIND_IO_ERROR,
	FAULT_KIND_DROP_INTERRUPT,
	FAULT_KIND_CLEAR,
};

#define FAULT_ALL_QUEUES UINT32_MAX

struct fault_spec {
	enum fault_kind kind;
	unsigned count;         /* io-error: requests to fail (default 1) */
	uint32_t queue;         /* delay, io-error: FAULT_ALL_QUEUES or one */
	unsigned duration_ms;   /* hang: 0 is forever; delay: per request */
	unsigned after;         /* crash, io-error, drop-interrupt: after this
				   many more requests (the device counts) */
};

/* "crash" -> FAULT_KIND_CRASH; -1 for a name that is not a kind. */
int fault_kind_from_name(const char *name);
const char *fault_kind_name(enum fault_kind k);

/* Injects f into p, a running device. On failure returns -errno with the
 * reason in err. `source` ("qmp", "manifest") goes in the record. */
int fault_inject(struct proc *p, const struct fault_spec *f,
		 const char *source, char *err, size_t errlen);

/* The records, newest last, as query-faults returns them. */
json_t *fault_log_json(const struct vm *vm);
void fault_log_free(struct vm *vm);

#endif
