/* SPDX-License-Identifier: MIT */
/*
 * A CoreMark-like mix (our own code, not CoreMark's): each round runs a
 * linked-list pass (reverse, find, insertion-sort by key), a 12x12 integer
 * matrix multiply, a state machine that classifies the bytes of a text as
 * numbers, and a CRC-16 over the results of the other three, which
 * chain into the next round's inputs. The checksum is the final CRC.
 */
#include "bm.h"

#define ROUNDS 150000
#define NODES 64
#define MAT 12
#define TEXT 256

const char bench_name[] = "mix";

struct node {
	struct node *next;
	int32_t key, val;
};

static struct node pool[NODES];
static int32_t ma[MAT][MAT], mb[MAT][MAT], mc[MAT][MAT];
static uint8_t text[TEXT];

static uint16_t crc16(uint16_t crc, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++, v >>= 8) {
		crc ^= (uint8_t)v;
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xa001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

static struct node *list_reverse(struct node *l)
{
	struct node *r = 0;

	while (l) {
		struct node *n = l->next;
		l->next = r;
		r = l;
		l = n;
	}
	return r;
}

static struct node *list_sort(struct node *l)
{
	struct node *sorted = 0;

	while (l) {
		struct node *n = l->next, **p = &sorted;
		while (*p && (*p)->key < l->key)
			p = &(*p)->next;
		l->next = *p;
		*p = l;
		l = n;
	}
	return sorted;
}

static uint32_t list_round(uint32_t seed)
{
	struct node *l = 0;
	uint32_t acc = 0;

	for (int i = 0; i < NODES; i++) {
		seed = seed * 1103515245u + 12345u;
		pool[i].key = (int32_t)(seed >> 16) & 0x3ff;
		pool[i].val = i;
		pool[i].next = l;
		l = &pool[i];
	}
	l = list_reverse(l);
	for (struct node *n = l; n; n = n->next)
		if (n->key == (int32_t)(seed & 0x3ff))
			acc += (uint32_t)n->val;
	l = list_sort(l);
	for (struct node *n = l; n; n = n->next)
		acc = acc * 31 + (uint32_t)n->key;
	return acc;
}

static uint32_t matrix_round(uint32_t seed)
{
	uint32_t acc = 0;

	for (int i = 0; i < MAT; i++)
		for (int j = 0; j < MAT; j++) {
			ma[i][j] = (int32_t)(seed ^ (uint32_t)(i * 7 + j)) & 0xff;
			mb[i][j] = (int32_t)((seed >> 8) + (uint32_t)(i * j)) & 0xff;
		}
	for (int i = 0; i < MAT; i++)
		for (int j = 0; j < MAT; j++) {
			int32_t s = 0;
			for (int k = 0; k < MAT; k++)
				s += ma[i][k] * mb[k][j];
			mc[i][j] = s;
		}
	for (int i = 0; i < MAT; i++)
		acc += (uint32_t)mc[i][i] ^ (uint32_t)mc[i][MAT - 1 - i];
	return acc;
}

enum state { S_START, S_INT, S_FRAC, S_EXP, S_EXPSIGN, S_EXPINT, S_BAD };

static uint32_t state_round(uint32_t seed)
{
	static const char alphabet[] = "0123456789.e-+ ,x";
	uint32_t counts[S_BAD + 1] = { 0 };
	enum state s = S_START;

	for (int i = 0; i < TEXT; i++) {
		seed = seed * 1664525u + 1013904223u;
		text[i] = (uint8_t)alphabet[(seed >> 24) % (sizeof(alphabet) - 1)];
	}
	for (int i = 0; i < TEXT; i++) {
		uint8_t c = text[i];
		int digit = c >= '0' && c <= '9';

		if (c == ' ' || c == ',') {
			counts[s]++;
			s = S_START;
			continue;
		}
		switch (s) {
		case S_START:
			s = digit ? S_INT : (c == '-' || c == '+') ? S_INT : c == '.' ? S_FRAC : S_BAD;
			break;
		case S_INT:
			s = digit ? S_INT : c == '.' ? S_FRAC : c == 'e' ? S_EXP : S_BAD;
			break;
		case S_FRAC:
			s = digit ? S_FRAC : c == 'e' ? S_EXP : S_BAD;
			break;
		case S_EXP:
			s = digit ? S_EXPINT : (c == '-' || c == '+') ? S_EXPSIGN : S_BAD;
			break;
		case S_EXPSIGN:
		case S_EXPINT:
			s = digit ? S_EXPINT : S_BAD;
			break;
		case S_BAD:
			break;
		}
	}
	counts[s]++;
	uint32_t acc = 0;
	for (int i = 0; i <= S_BAD; i++)
		acc = acc * 17 + counts[i];
	return acc;
}

uint64_t bench_work(void)
{
	uint16_t crc = 0xffff;
	uint32_t seed = 1;

	for (int r = 0; r < ROUNDS; r++) {
		uint32_t a = list_round(seed);
		uint32_t b = matrix_round(seed ^ a);
		uint32_t c = state_round(seed + b);

		crc = crc16(crc, a, 4);
		crc = crc16(crc, b, 4);
		crc = crc16(crc, c, 4);
		seed = seed * 69069u + crc;
	}
	return ((uint64_t)seed << 16) | crc;
}
