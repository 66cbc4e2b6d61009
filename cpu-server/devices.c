/* SPDX-License-Identifier: MIT */
#include "devices.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "generic/gdev-set.h"
#include "log.h"
#include "virtio-pci/peer.h"
#include "virtio-pci/vpci-set.h"

#define DESCRIBE_TIMEOUT_MS 1000

/* A device seen for the first time: which model is it? */
static int add(struct vpci_set *vs, struct gdev_set *gs, const char *me,
	       const char *name, int fd)
{
	struct vpci_peer *p;
	struct vpci_peer_desc vd;
	struct atoll_msg *r = NULL;
	const Atoll__DeviceDesc *dd;
	int rc = vpci_peer_open(fd, me, name, DESCRIBE_TIMEOUT_MS, NULL, NULL,
				&p);

	if (rc == 0) {
		rc = vpci_peer_describe_msg(p, DESCRIBE_TIMEOUT_MS, &r);
		if (rc < 0)
			vpci_peer_free(p);    /* the open freed it otherwise */
	}
	if (rc < 0) {
		log_error("%s: cannot set up the device: %s; left out", name,
			  strerror(-rc));
		return 0;
	}
	dd = (const Atoll__DeviceDesc *)r->body;
	if (dd->model == ATOLL__DEVICE_MODEL__MODEL_GENERIC)
		rc = gdev_set_add(gs, name, p, dd);
	else if (vpci_peer_virtio_desc(p, dd, &vd) == 0)
		rc = vpci_set_add(vs, name, p, &vd);
	else
		vpci_peer_free(p);    /* neither model: logged, left out */
	atoll_msg_free(r);
	return rc;
}

int devices_peer_connect(struct vpci_set *vs, struct gdev_set *gs,
			 const char *me, struct atoll_msg *msg)
{
	const Atoll__PeerConnect *pc = (const Atoll__PeerConnect *)msg->body;
	int fd;

	if (msg->nfds != 1 || !pc->peer || !pc->peer[0] ||
	    pc->peer_role != ATOLL__ROLE__ROLE_DEVICE) {
		log_warn("PEER_CONNECT without a device socket; ignored");
		return 0;
	}
	fd = atoll_msg_take_fd(msg, 0);
	if (vpci_set_has(vs, pc->peer))
		return vpci_set_reattach(vs, pc->peer, fd);
	if (gdev_set_has(gs, pc->peer))
		return gdev_set_reattach(gs, pc->peer, fd);
	return add(vs, gs, me, pc->peer, fd);
}
