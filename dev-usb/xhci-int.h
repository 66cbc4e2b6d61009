/* SPDX-License-Identifier: MIT */
/*
 * The controller core's internals, shared by xhci-*.c only. Register and
 * structure layouts follow the xHCI 1.0 specification; the comments give
 * its section numbers.
 */
#ifndef ATOLL_USB_XHCI_INT_H
#define ATOLL_USB_XHCI_INT_H

#include "xhci.h"

/* Register file (BAR 0) layout: capability registers at 0, operational
 * at CAPLENGTH, runtime at RTSOFF, doorbells at DBOFF, extended
 * capabilities at xECP. */
#define XHCI_CAPLENGTH 0x40u
#define XHCI_OP 0x40u
#define XHCI_PORT_BASE (XHCI_OP + 0x400u)
#define XHCI_RTS 0x1000u
#define XHCI_DB 0x2000u
#define XHCI_XECP 0x8000u

/* USBCMD / USBSTS (5.4.1, 5.4.2) */
#define CMD_RS (1u << 0)
#define CMD_HCRST (1u << 1)
#define CMD_INTE (1u << 2)
#define CMD_HSEE (1u << 3)
#define CMD_LHCRST (1u << 7)
#define CMD_CSS (1u << 8)
#define CMD_CRS (1u << 9)
#define CMD_EWE (1u << 10)
#define STS_HCH (1u << 0)
#define STS_HSE (1u << 2)
#define STS_EINT (1u << 3)
#define STS_PCD (1u << 4)
#define STS_SRE (1u << 10)
#define STS_HCE (1u << 12)
/* CRCR (5.4.5) */
#define CRCR_RCS (1u << 0)
#define CRCR_CS (1u << 1)
#define CRCR_CA (1u << 2)
#define CRCR_CRR (1u << 3)

/* PORTSC (5.4.8) */
#define PORTSC_CCS (1u << 0)
#define PORTSC_PED (1u << 1)
#define PORTSC_OCA (1u << 3)
#define PORTSC_PR (1u << 4)
#define PORTSC_PLS_SHIFT 5
#define PORTSC_PLS_MASK (0xfu << 5)
#define PORTSC_PP (1u << 9)
#define PORTSC_SPEED_SHIFT 10
#define PORTSC_SPEED_MASK (0xfu << 10)
#define PORTSC_PIC_MASK (3u << 14)
#define PORTSC_LWS (1u << 16)
#define PORTSC_CSC (1u << 17)
#define PORTSC_PEC (1u << 18)
#define PORTSC_WRC (1u << 19)
#define PORTSC_OCC (1u << 20)
#define PORTSC_PRC (1u << 21)
#define PORTSC_PLC (1u << 22)
#define PORTSC_CEC (1u << 23)
#define PORTSC_WAKE_MASK (7u << 25)
#define PORTSC_WPR (1u << 31)
#define PORTSC_CHANGES (PORTSC_CSC | PORTSC_PEC | PORTSC_WRC | PORTSC_OCC | \
			PORTSC_PRC | PORTSC_PLC | PORTSC_CEC)
#define PLS_U0 0u
#define PLS_U3 3u
#define PLS_DISABLED 4u
#define PLS_RXDETECT 5u
#define PLS_POLLING 7u
#define PLS_RESUME 15u

/* Interrupter registers (5.5.2) */
#define IMAN_IP (1u << 0)
#define IMAN_IE (1u << 1)
#define ERDP_EHB (1u << 3)
#define ERST_MAX_LOG2 4u            /* HCSPARAMS2.ERST Max: 16 entries */
#define ERST_MAX (1u << ERST_MAX_LOG2)

/* TRBs (6.4) */
#define TRB_SIZE 16u
#define TRB_C (1u << 0)
#define TRB_TC (1u << 1)            /* Link: toggle cycle */
#define TRB_ENT (1u << 1)
#define TRB_ISP (1u << 2)
#define TRB_CH (1u << 4)
#define TRB_IOC (1u << 5)
#define TRB_IDT (1u << 6)
#define TRB_BEI (1u << 9)
#define TRB_BSR (1u << 9)           /* Address Device */
#define TRB_DC (1u << 9)            /* Configure Endpoint */
#define TRB_DIR_IN (1u << 16)       /* Data / Status stage */
#define TRB_TYPE(c) (((c) >> 10) & 0x3fu)
#define TRB_SLOT(c) ((c) >> 24)
#define TRB_EP(c) (((c) >> 16) & 0x1fu)

enum trb_type {
	TRB_NORMAL = 1, TRB_SETUP = 2, TRB_DATA = 3, TRB_STATUS = 4,
	TRB_ISOCH = 5, TRB_LINK = 6, TRB_EVENT_DATA = 7, TRB_NOOP = 8,
	TRB_ENABLE_SLOT = 9, TRB_DISABLE_SLOT = 10, TRB_ADDRESS_DEVICE = 11,
	TRB_CONFIGURE_EP = 12, TRB_EVALUATE_CTX = 13, TRB_RESET_EP = 14,
	TRB_STOP_EP = 15, TRB_SET_TR_DEQ = 16, TRB_RESET_DEVICE = 17,
	TRB_NOOP_CMD = 23,
	TRB_EV_TRANSFER = 32, TRB_EV_CMD_COMPLETE = 33, TRB_EV_PORT = 34,
	TRB_EV_HOST = 37,
};

/* Completion codes (6.4.5) */
enum cc {
	CC_SUCCESS = 1, CC_DATA_BUFFER = 2, CC_BABBLE = 3, CC_TRANSACTION = 4,
	CC_TRB = 5, CC_STALL = 6, CC_RESOURCE = 7, CC_NO_SLOTS = 9,
	CC_SLOT_NOT_ENABLED = 11, CC_EP_NOT_ENABLED = 12, CC_SHORT_PACKET = 13,
	CC_PARAMETER = 17, CC_CONTEXT_STATE = 19, CC_EVENT_RING_FULL = 21,
	CC_CMD_RING_STOPPED = 24, CC_CMD_ABORTED = 25, CC_STOPPED = 26,
};

struct trb {
	uint64_t param;
	uint32_t status;
	uint32_t control;
};

/* Slot and endpoint context states (6.2.2, 6.2.3) */
enum { SLOT_ENABLED = 0, SLOT_DEFAULT = 1, SLOT_ADDRESSED = 2,
       SLOT_CONFIGURED = 3 };
enum { EP_DISABLED = 0, EP_RUNNING = 1, EP_HALTED = 2, EP_STOPPED = 3,
       EP_ERROR = 4 };
enum { EPT_INVALID = 0, EPT_ISOCH_OUT = 1, EPT_BULK_OUT = 2, EPT_INT_OUT = 3,
       EPT_CONTROL = 4, EPT_ISOCH_IN = 5, EPT_BULK_IN = 6, EPT_INT_IN = 7 };
#define CTX_SIZE 32u                /* HCCPARAMS1.CSZ = 0 */

/* Bounds on what one guest action may make the controller do. */
#define XHCI_MAX_LINKS 32u          /* Link TRBs in a row */
/* TRBs in one TD: Linux queues a 1 MiB SuperSpeed usb-storage transfer
 * of 4 KiB pages as 256 Normal TRBs; 1024 leaves room. */
#define XHCI_TD_MAX_TRBS 1024u
#define XHCI_CHUNK (256u * 1024u)   /* bytes handed to a device at once */
/* Bytes in one TD (Linux's largest, usbfs's, is 16 MiB by default) and
 * bytes one doorbell or completion may move before the endpoint waits
 * for the next: a guest cannot keep the process busy for long. */
#define XHCI_TD_MAX_BYTES (16u << 20)
#define XHCI_BYTES_PER_KICK (64u << 20)
#define XHCI_TDS_PER_KICK 1024u     /* TDs per doorbell */
/* Bounce buffers and TD copies of all endpoints together: a guest that
 * addresses 32 slots with 30 endpoints each cannot make the process
 * allocate without bound; past it a transfer ends in Resource Error. */
#define XHCI_MEM_BUDGET (64u << 20)
#define XHCI_CMDS_PER_KICK 256u     /* commands per doorbell */

/* A ring the controller consumes: the dequeue pointer and its cycle. */
struct ring {
	uint64_t deq;
	bool ccs;
};

/* One TRB of a TD as the walk found it. */
struct td_trb {
	uint64_t addr;                /* the TRB's guest address */
	struct trb t;
};

/* Endpoint state: plain data but for the bounce buffer. */
struct xhci_ep {
	uint8_t state;                /* EP_* */
	uint8_t type;                 /* EPT_* */
	uint16_t mps;
	struct ring ring;
	uint32_t ctx[5];              /* the guest's context dwords 0-4 */
	bool nak_wait;                /* waiting for usb_port_wakeup */
	bool async;                   /* pkt is with the device */
	bool busy;                    /* inside ep_run (re-entry guard) */
	bool kick;                    /* ring again once ep_run returns */
	struct usb_packet pkt;
	uint8_t *buf;
	size_t buf_size;
	/* The TD being executed (valid while async). */
	unsigned td_n;
	size_t td_done;               /* bytes done in earlier chunks */
	struct ring td_end;           /* the ring after the TD */
	struct td_trb *td;            /* XHCI_TD_MAX_TRBS entries */
};

struct xhci_slot {
	bool enabled;
	uint8_t state;                /* SLOT_* */
	uint8_t port;                 /* root port, 1..XHCI_PORTS, or 0 */
	uint64_t out_ctx;             /* the device context (DCBAA entry) */
	uint32_t ctx[4];              /* the slot context's dwords */
	/* The device's configuration as its last SET_CONFIGURATION set it:
	 * a restarted process sets it again (xhci-state.c). */
	uint8_t dev_config;
	struct xhci_ep ep[32];        /* by DCI; [0] unused */
};

struct xhci_port {
	uint32_t portsc;
	bool usb3;
	struct usb_device *dev;
};

struct xhci_erst {
	uint64_t base;
	uint32_t size;                /* TRBs */
};

struct xhci_intr {
	uint32_t iman, imod, erstsz;
	uint64_t erstba, erdp;
	/* The event ring as loaded at the last ERSTBA write. */
	bool valid;
	unsigned nseg;
	struct xhci_erst seg[ERST_MAX];
	unsigned enq_seg;
	uint32_t enq_idx;
	bool pcs;
	bool full;                    /* the Event Ring Full event was posted */
};

struct xhci {
	const struct xhci_host_ops *ops;
	void *opaque;
	uint32_t usbcmd, usbsts, dnctrl, config;
	uint64_t dcbaap;
	struct ring cmd_ring;
	bool crr;
	struct xhci_intr intr;
	struct xhci_port port[XHCI_PORTS + 1];     /* [0] unused */
	struct xhci_slot slot[XHCI_SLOTS + 1];     /* [0] unused */
	bool irq_level;
	uint64_t pkt_seq;
	struct xhci_stats stats;
	size_t mem_used;              /* bounce buffers and TD copies */
	/* Where the state is kept across a restart (xhci-state.c). */
	uint8_t *state_mem;
	size_t state_len;
	uint64_t state_seq;
};

/* xhci-regs.c */
void xhci_log(struct xhci *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A guest action refused: logged at the 1st, 2nd, 4th, 8th... time. */
void xhci_refuse(struct xhci *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sets USBSTS.HCE: the controller stops until reset (4.24.1). */
void xhci_host_error(struct xhci *x, const char *why);
void xhci_reset(struct xhci *x);
bool xhci_running(const struct xhci *x);

/* xhci-ring.c */
enum ring_fetch { RING_OK, RING_EMPTY, RING_ERROR };
/* The next TRB of `r` (following Link TRBs, at most XHCI_MAX_LINKS),
 * advancing `r` past it on RING_OK. *addr: the TRB's address. */
enum ring_fetch ring_fetch(struct xhci *x, struct ring *r, struct trb *t,
			   uint64_t *addr);
bool xhci_dma_ok_ptr(uint64_t p, uint64_t align);
int xhci_read(struct xhci *x, uint64_t gpa, void *buf, size_t len);
int xhci_write(struct xhci *x, uint64_t gpa, const void *buf, size_t len);

/* xhci-event.c */
/* Posts an event on interrupter 0; interrupts unless `bei`. */
void xhci_event(struct xhci *x, const struct trb *ev, bool bei);
void xhci_update_irq(struct xhci *x);
void xhci_erst_load(struct xhci *x);
void xhci_erdp_written(struct xhci *x);

/* xhci-cmd.c */
void xhci_cmd_run(struct xhci *x);
void xhci_cmd_abort(struct xhci *x);
void xhci_slot_disable(struct xhci *x, unsigned sid);
/* Writes the slot's and endpoint `dci`'s context to the device context. */
void xhci_ctx_writeback(struct xhci *x, unsigned sid, unsigned dci);

/* xhci-xfer.c */
void xhci_doorbell(struct xhci *x, unsigned sid, uint32_t value);
void xhci_ep_run(struct xhci *x, unsigned sid, unsigned dci);
/* Withdraws what the endpoint has with its device (NAK wait, async). */
void xhci_ep_cancel(struct xhci *x, unsigned sid, unsigned dci);
void xhci_ep_free(struct xhci *x, struct xhci_ep *ep);
extern const struct usb_port_ops xhci_port_ops;

/* xhci-state.c: copies the state out at the end of every entry point. */
void xhci_state_sync(struct xhci *x);

/* xhci-port.c */
uint32_t xhci_portsc_read(struct xhci *x, unsigned port);
void xhci_portsc_write(struct xhci *x, unsigned port, uint32_t v);
void xhci_port_reset_all(struct xhci *x);
void xhci_port_connection(struct xhci *x, unsigned port, bool connected);
/* The port as its device is now, with CSC set and no event yet. */
void xhci_port_replug(struct xhci *x, unsigned port);
/* Port status change events for ports with a change bit (RS set). */
void xhci_port_notify_all(struct xhci *x);

#endif
