/* SPDX-License-Identifier: MIT */
/*
 * libatoll-bus: the Atoll IPC bus, and the SDK a device model builds against.
 *
 * One `atoll_bus` is one connection: a SOCK_SEQPACKET unix socket carrying
 * frames. A frame is a fixed header (struct atoll_frame_header) followed by
 * one protobuf-c message whose type the header names, plus up to
 * ATOLL_BUS_MAX_FDS file descriptors passed with SCM_RIGHTS.
 *
 * The library has no global state and knows no event loop. The caller polls
 * atoll_bus_fd() for reading and calls atoll_bus_dispatch() when it is
 * readable, and arms a timer for atoll_bus_next_timeout_ms() and calls
 * atoll_bus_expire() when it fires. <atoll/bus-event.h> does both for a
 * libevent loop.
 *
 * The peer is untrusted: every frame is checked (size, header, known type,
 * fd count for that type, protobuf decoding) before any callback sees it.
 * A peer that breaks the protocol is cut off: its socket is shut down, the
 * `closed` callback runs once with a negative errno, and every pending
 * request completes with -ECONNRESET. The library never aborts and never
 * writes to stdout/stderr; it reports through the `log` callback.
 *
 * Errors are negative errno values.
 */
#ifndef ATOLL_BUS_H
#define ATOLL_BUS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Generated from proto/ by protoc-c; installed beside this header. */
#include <atoll/proto/types.pb-c.h>
#include <atoll/proto/control.pb-c.h>
#include <atoll/proto/memory.pb-c.h>
#include <atoll/proto/device.pb-c.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ATOLL_BUS_BUILDING)
#define ATOLL_BUS_API __attribute__((visibility("default")))
#else
#define ATOLL_BUS_API
#endif

#define ATOLL_BUS_PROTOCOL_VERSION 2u
#define ATOLL_BUS_MAGIC 0x4c4f5441u      /* "ATOL" little-endian */
#define ATOLL_BUS_MAX_FRAME 65536u       /* header + payload, bytes */
#define ATOLL_BUS_MAX_FDS 16u            /* per frame */

/* Frame header flags. */
#define ATOLL_FRAME_NEED_REPLY 0x1u      /* a request: the peer must reply */
#define ATOLL_FRAME_REPLY 0x2u           /* a reply to request `id` */
#define ATOLL_FRAME_FLAGS_MASK 0x3u

/* Host byte order: both ends are on the same host. */
struct atoll_frame_header {
	uint32_t magic;      /* ATOLL_BUS_MAGIC */
	uint16_t type;       /* Atoll__MsgType */
	uint16_t flags;      /* ATOLL_FRAME_* */
	uint64_t id;         /* request id; a reply carries its request's id */
	uint32_t size;       /* payload bytes after the header */
	uint32_t reserved;   /* must be zero */
};

typedef struct atoll_bus atoll_bus;

/*
 * A received frame. `body` is the decoded message (cast it to the type's
 * struct, e.g. (Atoll__Hello *)msg->body). The bus owns body and fds and
 * frees/closes them after the callback returns; a handler that keeps an fd
 * takes it with atoll_msg_take_fd().
 */
struct atoll_msg {
	uint16_t type;
	uint16_t flags;
	uint64_t id;
	ProtobufCMessage *body;
	int fds[ATOLL_BUS_MAX_FDS];
	unsigned nfds;
};

enum atoll_log_level {
	ATOLL_LOG_ERROR = 0,
	ATOLL_LOG_WARN = 1,
	ATOLL_LOG_INFO = 2,
	ATOLL_LOG_DEBUG = 3,
};

struct atoll_bus_callbacks {
	/* A request (ATOLL_FRAME_NEED_REPLY set) or a posted message. A request
	 * must be answered, now or later, with atoll_bus_reply*(). */
	void (*message)(atoll_bus *bus, struct atoll_msg *msg, void *opaque);
	/* The connection ended: 0 for an orderly close by the peer, or a
	 * negative errno (-EPROTO for a protocol violation, -ECONNRESET, ...).
	 * Called once. The bus may be freed from inside this callback. */
	void (*closed)(atoll_bus *bus, int error, void *opaque);
	/* Optional diagnostics; the library prints nothing itself. */
	void (*log)(void *opaque, enum atoll_log_level level, const char *fmt,
		    va_list ap);
};

/*
 * Completion of atoll_bus_request(). status is 0 with `reply` set on
 * success; the negative errno of an Error reply (reply set, so the handler
 * can read its message); -ETIMEDOUT when the deadline passed; -ECONNRESET
 * when the connection ended; -ECANCELED when the bus was freed. `reply` is
 * NULL unless a frame arrived, and owned by the bus.
 */
typedef void (*atoll_bus_reply_cb)(atoll_bus *bus, int status,
				   struct atoll_msg *reply, void *opaque);

/* Takes ownership of `fd` (a connected SOCK_SEQPACKET socket; it is made
 * non-blocking and close-on-exec). Returns NULL with errno set on failure,
 * in which case fd has been closed. */
ATOLL_BUS_API atoll_bus *atoll_bus_new(int fd,
				       const struct atoll_bus_callbacks *cb,
				       void *opaque);
/* Closes the socket; pending requests complete with -ECANCELED (the closed
 * callback does not run). NULL is a no-op. Safe from inside any callback of
 * this bus: the memory is released when the outermost dispatch/expire
 * returns, and no further callbacks run. */
ATOLL_BUS_API void atoll_bus_free(atoll_bus *bus);

ATOLL_BUS_API int atoll_bus_fd(const atoll_bus *bus);
ATOLL_BUS_API void *atoll_bus_opaque(const atoll_bus *bus);
/* True once the connection has ended or been cut off. */
ATOLL_BUS_API bool atoll_bus_is_closed(const atoll_bus *bus);

/* Reads and handles at most one frame (frames queued by atoll_bus_call
 * first). Returns 1 if a frame was handled, 0 if none was waiting, or a
 * negative errno once the connection has ended (after the closed callback
 * has run): the closed callback's error, or -EPIPE after an orderly close.
 * Returns -ECANCELED if the bus was freed during this call; the bus is
 * then gone. So after any return < 0 the caller stops polling the fd, and
 * must not touch the bus unless it knows it did not free it. */
ATOLL_BUS_API int atoll_bus_dispatch(atoll_bus *bus);

/* Frames read (and set aside) by atoll_bus_call that the next dispatch
 * calls will deliver. They do not make the fd readable: an event loop must
 * run dispatch while this is non-zero (bus-event does). */
ATOLL_BUS_API unsigned atoll_bus_queued(const atoll_bus *bus);

/* Milliseconds until the earliest request deadline, or -1 if none. */
ATOLL_BUS_API int atoll_bus_next_timeout_ms(const atoll_bus *bus);
/* Completes every request whose deadline has passed with -ETIMEDOUT. */
ATOLL_BUS_API void atoll_bus_expire(atoll_bus *bus);

/* A posted (one-way) message. `body` must be of the type's message kind,
 * or NULL for an empty message of that kind. The fds are duplicated into
 * the peer; the caller keeps (and eventually closes) its own.
 * Returns 0 or a negative errno (-EINVAL for a bad type/fd count, -EBADF
 * for a negative fd, -EMSGSIZE for a frame over ATOLL_BUS_MAX_FRAME, -EPIPE
 * once closed, -EAGAIN if the socket buffer is full). */
ATOLL_BUS_API int atoll_bus_post(atoll_bus *bus, uint16_t type,
				 const ProtobufCMessage *body,
				 const int *fds, unsigned nfds);

/* An asynchronous request: `cb` runs exactly once, from dispatch, expire,
 * or free, if this returns 0 (never if it returns < 0). timeout_ms <= 0
 * means no deadline. A reply arriving after the deadline is dropped. */
ATOLL_BUS_API int atoll_bus_request(atoll_bus *bus, uint16_t type,
				    const ProtobufCMessage *body,
				    const int *fds, unsigned nfds,
				    int timeout_ms, atoll_bus_reply_cb cb,
				    void *opaque);

/* A synchronous request: blocks (poll) until the reply or the deadline
 * (timeout_ms <= 0: none). Other frames arriving meanwhile are queued (at
 * most 256; more cuts the peer off with -ENOBUFS) and delivered by later
 * dispatch calls, in order. Runs no callbacks: if the connection ends it
 * returns -ECONNRESET and the closed callback runs from the next dispatch.
 * On 0, *reply is set and the caller frees it with atoll_msg_free().
 * Returns the same statuses as atoll_bus_reply_cb (-EPIPE if already
 * closed); on an Error reply, *reply is set too. */
ATOLL_BUS_API int atoll_bus_call(atoll_bus *bus, uint16_t type,
				 const ProtobufCMessage *body,
				 const int *fds, unsigned nfds, int timeout_ms,
				 struct atoll_msg **reply);

/* Replies to a request (req->flags has ATOLL_FRAME_NEED_REPLY, else
 * -EINVAL). `req` may be a copy: only its id and flags are used, so a
 * handler may keep {id, flags} and reply after its callback returned. */
ATOLL_BUS_API int atoll_bus_reply(atoll_bus *bus, const struct atoll_msg *req,
				  uint16_t type, const ProtobufCMessage *body,
				  const int *fds, unsigned nfds);
ATOLL_BUS_API int atoll_bus_reply_ack(atoll_bus *bus,
				      const struct atoll_msg *req);
/* err is a negative or positive errno; the Error's message is formatted. */
ATOLL_BUS_API int atoll_bus_reply_error(atoll_bus *bus,
					const struct atoll_msg *req, int err,
					const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Returns msg->fds[i] and leaves -1 in its place, or -1 if out of range. */
ATOLL_BUS_API int atoll_msg_take_fd(struct atoll_msg *msg, unsigned i);
/* Frees a message returned by atoll_bus_call (closes its remaining fds). */
ATOLL_BUS_API void atoll_msg_free(struct atoll_msg *msg);

/* "HELLO", "QUEUE_SETUP", ... or NULL for an unknown type. */
ATOLL_BUS_API const char *atoll_msg_type_name(uint16_t type);
/* The protobuf descriptor for a type, or NULL if the type is unknown. */
ATOLL_BUS_API const ProtobufCMessageDescriptor *
atoll_msg_type_descriptor(uint16_t type);
/* Most fds a frame of this type may carry (0 for unknown types). */
ATOLL_BUS_API unsigned atoll_msg_type_max_fds(uint16_t type);
/* The reply type a request of this type must get (besides MSG_ERROR):
 * e.g. HEALTH_REPORT for HEALTH, ACK for types without a data reply; 0 for
 * unknown types. The bus enforces it: a reply of another type is a
 * protocol violation, so a reply callback may cast reply->body to the
 * struct of atoll_msg_type_reply(request type) or, on status < 0 with
 * reply set, to Atoll__Error. */
ATOLL_BUS_API uint16_t atoll_msg_type_reply(uint16_t type);

/* Checks and decodes one raw frame as received (header + payload). On
 * success returns 0 and fills *msg (body allocated; fds copied from `fds`,
 * ownership moves to msg). On failure returns a negative errno and leaves
 * the fds untouched: -EBADMSG (shorter than the header, header.size not
 * the payload length, undecodable protobuf), -EPROTO (magic, reserved,
 * flags, id rule: requests/replies carry id != 0 and posted frames id 0,
 * unknown type), -E2BIG (more fds than the type allows), -EMSGSIZE (over
 * ATOLL_BUS_MAX_FRAME), -EINVAL (NULL arguments). docs/protocol.md has the
 * full list. Exposed for tests and fuzzing; atoll_bus_dispatch() uses it. */
ATOLL_BUS_API int atoll_frame_decode(const void *buf, size_t len,
				     const int *fds, unsigned nfds,
				     struct atoll_msg *msg);

ATOLL_BUS_API const char *atoll_bus_version(void);

#ifdef __cplusplus
}
#endif
#endif /* ATOLL_BUS_H */
