/* SPDX-License-Identifier: MIT */
/* X11 keysyms to Linux key codes, for a US layout: letters, digits,
 * punctuation (and their shifted symbols), and the usual named keys. */
#include <linux/input-event-codes.h>
#include <stddef.h>

#include "keysym.h"

static const unsigned short letters[26] = {
	KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I,
	KEY_J, KEY_K, KEY_L, KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R,
	KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
};

static const struct {
	uint32_t sym;
	unsigned short key;
} table[] = {
	{ '1', KEY_1 }, { '!', KEY_1 }, { '2', KEY_2 }, { '@', KEY_2 },
	{ '3', KEY_3 }, { '#', KEY_3 }, { '4', KEY_4 }, { '$', KEY_4 },
	{ '5', KEY_5 }, { '%', KEY_5 }, { '6', KEY_6 }, { '^', KEY_6 },
	{ '7', KEY_7 }, { '&', KEY_7 }, { '8', KEY_8 }, { '*', KEY_8 },
	{ '9', KEY_9 }, { '(', KEY_9 }, { '0', KEY_0 }, { ')', KEY_0 },
	{ ' ', KEY_SPACE }, { '-', KEY_MINUS }, { '_', KEY_MINUS },
	{ '=', KEY_EQUAL }, { '+', KEY_EQUAL }, { '[', KEY_LEFTBRACE },
	{ '{', KEY_LEFTBRACE }, { ']', KEY_RIGHTBRACE }, { '}', KEY_RIGHTBRACE },
	{ ';', KEY_SEMICOLON }, { ':', KEY_SEMICOLON },
	{ '\'', KEY_APOSTROPHE }, { '"', KEY_APOSTROPHE },
	{ '`', KEY_GRAVE }, { '~', KEY_GRAVE }, { '\\', KEY_BACKSLASH },
	{ '|', KEY_BACKSLASH }, { ',', KEY_COMMA }, { '<', KEY_COMMA },
	{ '.', KEY_DOT }, { '>', KEY_DOT }, { '/', KEY_SLASH },
	{ '?', KEY_SLASH },
	{ 0xff08, KEY_BACKSPACE }, { 0xff09, KEY_TAB }, { 0xff0d, KEY_ENTER },
	{ 0xff1b, KEY_ESC }, { 0xffff, KEY_DELETE }, { 0xff63, KEY_INSERT },
	{ 0xff50, KEY_HOME }, { 0xff57, KEY_END }, { 0xff55, KEY_PAGEUP },
	{ 0xff56, KEY_PAGEDOWN }, { 0xff51, KEY_LEFT }, { 0xff52, KEY_UP },
	{ 0xff53, KEY_RIGHT }, { 0xff54, KEY_DOWN },
	{ 0xffe1, KEY_LEFTSHIFT }, { 0xffe2, KEY_RIGHTSHIFT },
	{ 0xffe3, KEY_LEFTCTRL }, { 0xffe4, KEY_RIGHTCTRL },
	{ 0xffe9, KEY_LEFTALT }, { 0xffea, KEY_RIGHTALT },
	{ 0xffe7, KEY_LEFTMETA }, { 0xffe8, KEY_RIGHTMETA },
	{ 0xffeb, KEY_LEFTMETA }, { 0xffec, KEY_RIGHTMETA },
	{ 0xffe5, KEY_CAPSLOCK }, { 0xff67, KEY_COMPOSE },
};

unsigned keysym_to_linux(uint32_t keysym)
{
	if (keysym >= 'a' && keysym <= 'z')
		return letters[keysym - 'a'];
	if (keysym >= 'A' && keysym <= 'Z')
		return letters[keysym - 'A'];
	if (keysym >= 0xffbe && keysym <= 0xffc7)        /* F1..F10 */
		return KEY_F1 + (keysym - 0xffbe);
	if (keysym == 0xffc8)
		return KEY_F11;
	if (keysym == 0xffc9)
		return KEY_F12;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].sym == keysym)
			return table[i].key;
	return 0;
}
