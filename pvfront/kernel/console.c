/*
 * console.c: kernel output, first through console_io(CONSOLEIO_write),
 * then through the PV console ring (io/console.h) once it is set up.
 *
 * Characters collect in a line buffer and leave one line at a time: a
 * hypercall or a notification is a round trip to dom0, so writing per
 * character would multiply the cost and interleave with other domains'
 * lines in the host's log.
 *
 * The ring (struct xencons_interface, start_info.console.domU) is shared
 * with pvconsoled and we distrust it: our indices (out_prod, in_cons) are
 * private and only published; the daemon's are read once, followed by a
 * barrier, and checked against the ring size. Output waits for space by
 * blocking on events (the daemon notifies the console port when it has
 * consumed), so nothing is dropped; if the daemon corrupts the indices
 * the ring is abandoned and output goes back to console_io. Input arrives
 * in the `in` half; the port's handler copies it to a private queue that
 * console_read() empties.
 *
 * Panics use console_io only: it needs nothing from dom0 but pvhv.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <pvos/console.h>
#include <pvos/events.h>
#include <pvos/hypercall.h>
#include <pvos/printf.h>
#include <pvos/string.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#define CONSOLE_LINE_MAX	256
#define INPUT_MAX		1024
#define SYNC_WAITS		100
#define SYNC_STEP_NS		(20 * NSEC_PER_MSEC)

static char line[CONSOLE_LINE_MAX];
static size_t line_len;

static struct xencons_interface *ring;
static evtchn_port_t ring_port;
static bool ring_broken, emergency;
static XENCONS_RING_IDX out_prod, in_cons;	/* ours, published */
static char input[INPUT_MAX];
static size_t in_head, in_len;

static uint32_t load_once(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store_once(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static bool ring_usable(void)
{
	return ring && !ring_broken && !emergency;
}

static void hv_write(const char *s, size_t len)
{
	/*
	 * A failed write cannot be reported anywhere but the console itself,
	 * so the line is dropped.
	 */
	(void)HYPERVISOR_console_io(CONSOLEIO_write, (unsigned int)len,
				    virt_to_phys(s));
}

/* Copy out what the daemon put in the input half. Runs as the handler. */
static void drain_input(void)
{
	XENCONS_RING_IDX prod, n, took = 0;

	if (!ring_usable())
		return;
	prod = load_once(&ring->in_prod);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* index before data */
	n = prod - in_cons;
	if (n > sizeof(ring->in)) {
		ring_broken = true;
		return;
	}
	while (took < n && in_len < INPUT_MAX) {
		input[(in_head + in_len) % INPUT_MAX] = ((volatile char *)ring->in)
			[MASK_XENCONS_IDX(in_cons + took, ring->in)];
		in_len++;
		took++;
	}
	if (!took)
		return;
	in_cons += took;
	/* Our reads are done before the space is handed back. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	store_once(&ring->in_cons, in_cons);
	evtchn_send(ring_port);
}

static void on_console_event(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
	drain_input();
}

/* Put len bytes in the output half, blocking while it is full. */
static void ring_write(const char *s, size_t len)
{
	while (len > 0 && ring_usable()) {
		XENCONS_RING_IDX cons, used, space;

		cons = load_once(&ring->out_cons);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* cons before reuse */
		used = out_prod - cons;
		if (used > sizeof(ring->out)) {
			ring_broken = true;
			break;
		}
		space = (XENCONS_RING_IDX)sizeof(ring->out) - used;
		if (space == 0) {
			events_block(EVENTS_NO_DEADLINE);
			continue;
		}
		if (space > len)
			space = (XENCONS_RING_IDX)len;
		for (XENCONS_RING_IDX i = 0; i < space; i++)
			((volatile char *)ring->out)
				[MASK_XENCONS_IDX(out_prod + i, ring->out)] = s[i];
		out_prod += space;
		/* Data before the index (pairs with pvconsoled's acquire). */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		store_once(&ring->out_prod, out_prod);
		evtchn_send(ring_port);
		s += space;
		len -= space;
	}
	if (len > 0)
		hv_write(s, len);	/* the ring broke: never drop silently */
}

int console_ring_init(struct xencons_interface *r, evtchn_port_t port)
{
	int rc;

	console_flush();
	ring = r;
	ring_port = port;
	out_prod = load_once(&r->out_prod);
	in_cons = load_once(&r->in_cons);
	if (out_prod - load_once(&r->out_cons) > sizeof(r->out) ||
	    load_once(&r->in_prod) - in_cons > sizeof(r->in)) {
		ring = NULL;
		return -XEN_EIO;
	}
	rc = evtchn_set_handler(port, on_console_event, NULL);
	if (rc < 0) {
		ring = NULL;
		return rc;
	}
	drain_input();
	return 0;
}

bool console_ring_is_active(void)
{
	return ring_usable();
}

void console_emergency(void)
{
	emergency = true;
}

size_t console_read(char *buf, size_t len)
{
	size_t n = 0;

	drain_input();
	while (n < len && in_len > 0) {
		buf[n++] = input[in_head];
		in_head = (in_head + 1) % INPUT_MAX;
		in_len--;
	}
	if (n)
		drain_input();	/* room again: take what waited in the ring */
	return n;
}

void console_sync(void)
{
	console_flush();
	for (int i = 0; i < SYNC_WAITS && ring_usable(); i++) {
		XENCONS_RING_IDX cons = load_once(&ring->out_cons);

		if (cons == out_prod)
			break;
		events_block(time_is_available() ?
			     time_now_ns() + SYNC_STEP_NS : EVENTS_NO_DEADLINE);
	}
}

void console_flush(void)
{
	if (line_len == 0)
		return;
	if (ring_usable())
		ring_write(line, line_len);
	else
		hv_write(line, line_len);
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
