/*
 * console.c: kernel output through console_io(CONSOLEIO_write).
 *
 * Characters collect in a line buffer and go to the hypervisor one line per
 * hypercall: a hypercall is a round trip to pvhv, so writing per character
 * or per printk fragment would multiply the cost and could interleave with
 * other domains' lines in the host's log. The buffer is in guest memory,
 * which is where pvhv reads the bytes from (by guest-physical address).
 */
#include <stdarg.h>
#include <stddef.h>

#include <pvos/console.h>
#include <pvos/hypercall.h>
#include <pvos/printf.h>
#include <pvos/xen.h>

#define CONSOLE_LINE_MAX	256

static char line[CONSOLE_LINE_MAX];
static size_t line_len;

void console_flush(void)
{
	if (line_len == 0)
		return;
	/*
	 * A failed write cannot be reported anywhere but the console itself,
	 * so the line is dropped.
	 */
	(void)HYPERVISOR_console_io(CONSOLEIO_write, (unsigned int)line_len,
				    virt_to_phys(line));
	line_len = 0;
}

void console_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		line[line_len++] = s[i];
		if (s[i] == '\n' || line_len == sizeof(line))
			console_flush();
	}
}

int vprintk(const char *fmt, va_list ap)
{
	char buf[CONSOLE_LINE_MAX];
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
