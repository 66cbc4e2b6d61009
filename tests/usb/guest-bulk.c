/* SPDX-License-Identifier: MIT */
/*
 * guest-bulk: a bulk transfer from inside the test guest, whose busybox
 * has no USB tool. guest_usb.py builds it for riscv64 (static, no libc:
 * system calls by hand, so it is small enough to type on the console)
 * and runs it in the guest:
 *
 *   guest-bulk /dev/bus/usb/BBB/DDD in EP LEN   bulk IN of LEN bytes
 *   guest-bulk /dev/bus/usb/BBB/DDD out EP LEN  bulk OUT of LEN bytes of
 *                                               the peer's pattern
 *
 * EP is decimal (129 for 0x81). Claims interface 0 through usbfs
 * (USBDEVFS_CLAIMINTERFACE, USBDEVFS_BULK) and prints one line:
 *   ATOLL-BULK dir=in n=BYTES sum=BYTE_SUM fnv=FNV1A_32 head=FIRST_8_HEX
 * (the byte sum as the peer counts it; FNV-1a, 32 bits, to tell the order
 * of the bytes too) or ATOLL-BULK error=STEP errno=N. The pattern is redir_peer_pattern()
 * of tests/usb/redir-peer.h: byte i is i * 7 + 3 + (i >> 8).
 */
#include <linux/ioctl.h>
#include <linux/usbdevice_fs.h>

#define SYS_openat 56
#define SYS_ioctl 29
#define SYS_write 64
#define SYS_exit 93
#define AT_FDCWD (-100)
#define O_RDWR 2
#define MAX_LEN (1 << 20)

static unsigned char buf[MAX_LEN];

static long sys3(long n, long a, long b, long c)
{
	register long a0 __asm__("a0") = a;
	register long a1 __asm__("a1") = b;
	register long a2 __asm__("a2") = c;
	register long a7 __asm__("a7") = n;

	__asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7)
			 : "memory");
	return a0;
}

static long sys4(long n, long a, long b, long c, long d)
{
	register long a0 __asm__("a0") = a;
	register long a1 __asm__("a1") = b;
	register long a2 __asm__("a2") = c;
	register long a3 __asm__("a3") = d;
	register long a7 __asm__("a7") = n;

	__asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3),
			 "r"(a7) : "memory");
	return a0;
}

static unsigned long len_of(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void put(const char *s)
{
	sys3(SYS_write, 1, (long)s, (long)len_of(s));
}

static void put_num(unsigned long v)
{
	char d[24];
	int i = 23;

	d[i] = '\0';
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	put(d + i);
}

/* A decimal argument; -1 when it is not one. */
static long num(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > MAX_LEN)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static void fail(const char *step, long rc)
{
	put("ATOLL-BULK error=");
	put(step);
	put(" errno=");
	put_num((unsigned long)-rc);
	put("\n");
	sys3(SYS_exit, 1, 0, 0);
}

static int run(int argc, char **argv)
{
	struct usbdevfs_bulktransfer bt;
	unsigned int ifno = 0, sum = 0, fnv = 2166136261u;
	static const char hex[] = "0123456789abcdef";
	char head[17];
	long fd, rc, ep, len, i;
	int out;

	if (argc != 5)
		fail("usage", -22);
	out = same(argv[2], "out");
	ep = num(argv[3]);
	len = num(argv[4]);
	if ((!out && !same(argv[2], "in")) || ep < 0 || ep > 255 || len < 0 ||
	    len > MAX_LEN)
		fail("usage", -22);
	fd = sys4(SYS_openat, AT_FDCWD, (long)argv[1], O_RDWR, 0);
	if (fd < 0)
		fail("open", fd);
	rc = sys3(SYS_ioctl, fd, USBDEVFS_CLAIMINTERFACE, (long)&ifno);
	if (rc < 0)
		fail("claim", rc);
	if (out)
		for (i = 0; i < len; i++)
			buf[i] = (unsigned char)(i * 7 + 3 + (i >> 8));
	bt.ep = (unsigned int)ep;
	bt.len = (unsigned int)len;
	bt.timeout = 10000;
	bt.data = buf;
	rc = sys3(SYS_ioctl, fd, USBDEVFS_BULK, (long)&bt);
	if (rc < 0)
		fail("bulk", rc);
	for (i = 0; i < rc; i++) {
		sum += buf[i];
		fnv = (fnv ^ buf[i]) * 16777619u;
	}
	for (i = 0; i < 8; i++) {
		head[2 * i] = i < rc ? hex[buf[i] >> 4] : '-';
		head[2 * i + 1] = i < rc ? hex[buf[i] & 15] : '-';
	}
	head[16] = '\0';
	put(out ? "ATOLL-BULK dir=out n=" : "ATOLL-BULK dir=in n=");
	put_num((unsigned long)rc);
	put(" sum=");
	put_num(sum);
	put(" fnv=");
	put_num(fnv);
	put(" head=");
	put(head);
	put("\n");
	return 0;
}

/* The kernel starts us here with sp at argc, then argv[]. */
__attribute__((used)) static void start_c(long *sp)
{
	sys3(SYS_exit, run((int)sp[0], (char **)(sp + 1)), 0, 0);
}

__asm__(".globl _start\n_start:\n\tmv a0, sp\n\tandi sp, sp, -16\n"
	"\tcall start_c\n");
