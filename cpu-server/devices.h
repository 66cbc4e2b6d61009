/* SPDX-License-Identifier: MIT */
/*
 * The devices of one atoll-cpu under the launcher, whatever their model: a
 * PEER_CONNECT is answered with HELLO and DEVICE_DESCRIBE, and the device
 * goes to the virtio-pci transport (MODEL_VIRTIO) or the generic proxy
 * (MODEL_GENERIC); a later PEER_CONNECT of the same name is a restarted
 * device and re-attaches to what it was. Main thread only.
 */
#ifndef ATOLL_CPU_DEVICES_H
#define ATOLL_CPU_DEVICES_H

#include <atoll/bus.h>

struct gdev_set;
struct vpci_set;

/* Takes the message's fd. A device that fails HELLO/DESCRIBE or is
 * refused is logged and left out (its supervisor restarts it); returns 0
 * then too, and a negative errno only when the cpu server cannot go on. */
int devices_peer_connect(struct vpci_set *vs, struct gdev_set *gs,
			 const char *me, struct atoll_msg *msg);

#endif
