/* SPDX-License-Identifier: MIT */
#include "uring-restrict.h"

/* io_uring_register() directly: liburing 2.3 (Debian 12) declares
 * io_uring_register_restrictions() and io_uring_enable_rings() but does
 * not export them. */

static int restrict_ring(struct io_uring *ring)
{
	static const unsigned char ops[] = {
		IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
		IORING_OP_FALLOCATE,
	};
	struct io_uring_restriction r[sizeof(ops) + 1] = { { 0 } };
	unsigned n = 0;

	for (; n < sizeof(ops); n++) {
		r[n].opcode = IORING_RESTRICTION_SQE_OP;
		r[n].sqe_op = ops[n];
	}
	/* With no IORING_RESTRICTION_SQE_FLAGS_ALLOWED entry, this is also
	 * the only flag an SQE may carry; no REGISTER_OP entry: nothing may
	 * be registered once the ring is enabled. */
	r[n].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	r[n++].sqe_flags = IOSQE_FIXED_FILE;
	return io_uring_register(ring->ring_fd, IORING_REGISTER_RESTRICTIONS,
				 r, n);
}

int uring_restricted_init(struct io_uring *ring, unsigned depth, int disk_fd,
			  int event_fd)
{
	int rc = io_uring_queue_init(depth, ring, IORING_SETUP_R_DISABLED);

	if (rc < 0)
		return rc;
	if ((rc = io_uring_register_files(ring, &disk_fd, 1)) < 0 ||
	    (event_fd >= 0 &&
	     (rc = io_uring_register_eventfd(ring, event_fd)) < 0) ||
	    (rc = restrict_ring(ring)) < 0 ||
	    (rc = io_uring_register(ring->ring_fd, IORING_REGISTER_ENABLE_RINGS,
				    NULL, 0)) < 0) {
		io_uring_queue_exit(ring);
		return rc;
	}
	return 0;
}
