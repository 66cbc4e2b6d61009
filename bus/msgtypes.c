/* SPDX-License-Identifier: MIT */
/* The frame type table: per Atoll__MsgType its name, message descriptor and
 * the most fds a frame of that type may carry. */
#include <stddef.h>

#include "bus-private.h"

struct msgtype_info {
	const char *name;
	const ProtobufCMessageDescriptor *desc;
	unsigned max_fds;
	uint16_t reply; /* the one non-Error reply type; 0: Ack */
};

#define T(id, nm, d, fds) \
	[ATOLL__MSG_TYPE__MSG_##id] = { nm, &atoll__##d##__descriptor, fds, 0 }
#define R(id, nm, d, rep) \
	[ATOLL__MSG_TYPE__MSG_##id] = { nm, &atoll__##d##__descriptor, 0, \
					ATOLL__MSG_TYPE__MSG_##rep }

static const struct msgtype_info msgtypes[] = {
	R(HELLO, "HELLO", hello, HELLO),
	T(ERROR, "ERROR", error, 0),
	T(ACK, "ACK", ack, 0),
	T(READY, "READY", ready, 0),
	T(SHUTDOWN, "SHUTDOWN", shutdown, 0),
	R(HEALTH, "HEALTH", health_request, HEALTH_REPORT),
	T(HEALTH_REPORT, "HEALTH_REPORT", health_report, 0),
	T(FAULT_INJECT, "FAULT_INJECT", fault_inject, 0),
	T(PEER_CONNECT, "PEER_CONNECT", peer_connect, 1),
	T(POWER_EVENT, "POWER_EVENT", power_event, 0),
	T(PAUSE, "PAUSE", pause, 0),
	T(RESUME, "RESUME", resume, 0),
	T(RESET, "RESET", reset, 0),
	R(STATE_SAVE, "STATE_SAVE", state_save, STATE),
	T(STATE, "STATE", device_state, 0),
	T(STATE_LOAD, "STATE_LOAD", device_state, 0),
	T(CONSOLE_ATTACH, "CONSOLE_ATTACH", console_attach, 1),
	T(DEVICE_FAULT, "DEVICE_FAULT", device_fault, 0),
	T(MEM_CREATE, "MEM_CREATE", mem_layout, 0),
	R(MEM_GRANT_REQUEST, "MEM_GRANT_REQUEST", mem_grant_request,
	  MEM_GRANT),
	T(MEM_GRANT, "MEM_GRANT", mem_grant, 16),
	R(MEM_USAGE_REQUEST, "MEM_USAGE_REQUEST", mem_usage_request,
	  MEM_USAGE),
	T(MEM_USAGE, "MEM_USAGE", mem_usage, 0),
	R(DEVICE_DESCRIBE, "DEVICE_DESCRIBE", device_describe, DEVICE_DESC),
	T(DEVICE_DESC, "DEVICE_DESC", device_desc, 0),
	T(FEATURES_SET, "FEATURES_SET", features_set, 0),
	T(QUEUE_SETUP, "QUEUE_SETUP", queue_setup, 3),
	R(QUEUE_STOP, "QUEUE_STOP", queue_stop, QUEUE_STATE),
	T(QUEUE_STATE, "QUEUE_STATE", queue_state, 0),
	R(CONFIG_READ, "CONFIG_READ", config_read, CONFIG_DATA),
	T(CONFIG_DATA, "CONFIG_DATA", config_data, 0),
	T(CONFIG_WRITE, "CONFIG_WRITE", config_write, 0),
	R(REGION_READ, "REGION_READ", region_read, REGION_DATA),
	T(REGION_DATA, "REGION_DATA", region_data, 0),
	T(REGION_WRITE, "REGION_WRITE", region_write, 0),
	T(IRQ_SETUP, "IRQ_SETUP", irq_setup, 16),
	T(CONFIG_CHANGED, "CONFIG_CHANGED", config_changed, 0),
	T(IRQ_LEVEL, "IRQ_LEVEL", irq_level, 0),
	T(REGION_PLACED, "REGION_PLACED", region_placed, 0),
	T(SCREENDUMP, "SCREENDUMP", screendump, 1),
	T(INPUT_EVENTS, "INPUT_EVENTS", input_events, 0),
	T(SCANOUT_DIRTY, "SCANOUT_DIRTY", scanout_dirty, 0),
};

#undef T
#undef R

_Static_assert(ATOLL_BUS_MAX_FDS >= 16, "MEM_GRANT and IRQ_SETUP carry 16");

static const struct msgtype_info *lookup(uint16_t type)
{
	if (type >= sizeof(msgtypes) / sizeof(msgtypes[0]))
		return NULL;
	/* Gaps in the numbering (19, 25..29) are zero entries. */
	return msgtypes[type].desc ? &msgtypes[type] : NULL;
}

const char *atoll_msg_type_name(uint16_t type)
{
	const struct msgtype_info *t = lookup(type);

	return t ? t->name : NULL;
}

const ProtobufCMessageDescriptor *atoll_msg_type_descriptor(uint16_t type)
{
	const struct msgtype_info *t = lookup(type);

	return t ? t->desc : NULL;
}

unsigned atoll_msg_type_max_fds(uint16_t type)
{
	const struct msgtype_info *t = lookup(type);

	return t ? t->max_fds : 0;
}

uint16_t atoll_msg_type_reply(uint16_t type)
{
	const struct msgtype_info *t = lookup(type);

	if (!t)
		return 0;
	return t->reply ? t->reply : ATOLL__MSG_TYPE__MSG_ACK;
}
