/*
 * echo.c: init=echo, the console ring round trip. Prints "echo: ready",
 * then answers every input line with "echo: <line>"; the line "quit"
 * powers the domain off. Lines end at \n or \r (a \r\n pair is one end);
 * control characters are shown as '?', and a line longer than the buffer
 * is answered in pieces. Blocks between lines and answers control/shutdown.
 */
#include <stdbool.h>

#include <pvos/console.h>
#include <pvos/control.h>
#include <pvos/events.h>
#include <pvos/kernel.h>
#include <pvos/string.h>
#include <pvos/xen.h>

#define ECHO_LINE_MAX	200

static char text[ECHO_LINE_MAX + 1];
static size_t text_len;
static bool after_cr;

static void answer(void)
{
	text[text_len] = '\0';
	if (strcmp(text, "quit") == 0) {
		printk("echo: quit, powering off\n");
		kernel_shutdown(SHUTDOWN_poweroff);
	}
	printk("echo: %s\n", text);
	text_len = 0;
}

static void take(char c)
{
	bool was_cr = after_cr;

	after_cr = c == '\r';
	if (c == '\n' && was_cr)
		return;
	if (c == '\n' || c == '\r') {
		answer();
		return;
	}
	if ((unsigned char)c < 0x20 || c == 0x7f)
		c = '?';
	text[text_len++] = c;
	if (text_len == ECHO_LINE_MAX)
		answer();
}

void workload_echo(void)
{
	char buf[64];

	if (!console_ring_is_active())
		panic("echo: no console ring to read input from");
	control_enable();
	printk("echo: ready\n");
	for (;;) {
		size_t n = console_read(buf, sizeof(buf));

		if (n == 0) {
			kernel_block(EVENTS_NO_DEADLINE);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			take(buf[i]);
	}
}
