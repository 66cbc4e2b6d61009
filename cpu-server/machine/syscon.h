/* SPDX-License-Identifier: MIT */
/*
 * The sifive_test "finisher" at 0x100000 that QEMU's virt machine exposes and
 * that the device tree's syscon-poweroff / syscon-reboot nodes point at: a
 * 32-bit write whose low half is 0x5555 powers off, 0x7777 resets, 0x3333
 * reports a failure with the exit code in the high half.
 */
#ifndef ATOLL_MACHINE_SYSCON_H
#define ATOLL_MACHINE_SYSCON_H

#include <stdint.h>

#define SYSCON_SIZE 0x1000u
#define SYSCON_FAIL 0x3333u
#define SYSCON_PASS 0x5555u
#define SYSCON_RESET 0x7777u

enum syscon_action {
	SYSCON_ACTION_NONE = 0,
	SYSCON_ACTION_POWEROFF,
	SYSCON_ACTION_RESET,
	SYSCON_ACTION_FAIL,
};

/* Decodes a write at offset off; returns the action (NONE for writes that
 * mean nothing) and sets *code for FAIL. */
enum syscon_action syscon_decode(uint64_t off, uint64_t val, uint32_t *code);

#endif
