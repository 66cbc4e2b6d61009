/* SPDX-License-Identifier: MIT */
/*
 * The EDID atoll-virtio-gpu answers GET_EDID with: an EDID 1.4 base block
 * whose preferred (first detailed) timing is the configured mode at 60 Hz
 * with CVT reduced-blanking-like porches, and a monitor name. Linux reads
 * its modes from here when VIRTIO_GPU_F_EDID is offered.
 */
#include <string.h>

#include "gpu.h"

#define HBLANK 160u
#define VBLANK 30u

static void detailed_timing(uint8_t *d, uint32_t w, uint32_t h)
{
	/* Pixel clock in 10 kHz units; w, h < 4096 keep it below 2^16. */
	uint32_t clock = (w + HBLANK) * (h + VBLANK) * 60u / 10000u;
	const uint32_t hso = 48, hsw = 32, vso = 3, vsw = 5;

	d[0] = (uint8_t)clock;
	d[1] = (uint8_t)(clock >> 8);
	d[2] = (uint8_t)w;
	d[3] = (uint8_t)HBLANK;
	d[4] = (uint8_t)(((w >> 8) & 0xf) << 4 | ((HBLANK >> 8) & 0xf));
	d[5] = (uint8_t)h;
	d[6] = (uint8_t)VBLANK;
	d[7] = (uint8_t)(((h >> 8) & 0xf) << 4 | ((VBLANK >> 8) & 0xf));
	d[8] = (uint8_t)hso;
	d[9] = (uint8_t)hsw;
	d[10] = (uint8_t)((vso & 0xf) << 4 | (vsw & 0xf));
	d[11] = 0;
	d[17] = 0x1e;   /* digital separate sync, +hsync, +vsync */
}

static void name_descriptor(uint8_t *d)
{
	static const char name[13] = "Atoll\n       ";

	d[3] = 0xfc;
	memcpy(d + 5, name, sizeof(name));
}

void gpu_edid(uint8_t out[128], uint32_t width, uint32_t height)
{
	static const uint8_t header[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff,
					   0xff, 0 };
	uint8_t sum = 0;

	if (width > 4095)
		width = 4095;
	if (height > 4095)
		height = 4095;
	memset(out, 0, 128);
	memcpy(out, header, sizeof(header));
	out[8] = 0x06;          /* manufacturer "ATL": 1, 20, 12 in 5 bits */
	out[9] = 0x8c;
	out[17] = 36;           /* model year 2026 */
	out[18] = 1;            /* EDID 1.4 */
	out[19] = 4;
	out[20] = 0x80;         /* digital input */
	out[23] = 120;          /* gamma 2.2 */
	out[24] = 0x06;         /* sRGB, preferred timing is native */
	for (int i = 38; i < 54; i++)
		out[i] = 1;     /* no standard timings */
	detailed_timing(out + 54, width, height);
	name_descriptor(out + 72);
	out[93] = 0x10;         /* two dummy descriptors */
	out[111] = 0x10;
	for (int i = 0; i < 127; i++)
		sum += out[i];
	out[127] = (uint8_t)(0x100 - sum);
}
