/*
 * xenport_stubs.c: the kernel half of xenport.h for the host tests.
 *
 * "Guest memory" is test_guest_mem, so guest-physical addresses are
 * offsets in it. The hypercalls are a tiny scripted hypervisor: event
 * channel ops return test_evtchn_rc; grant table ops serve setup_table
 * (frames TEST_GNTTAB_FIRST_PFN.. unless told otherwise) and query_size
 * and count everything else. test_cmpxchg_peer, when set, runs once
 * between the caller's read of a grant entry and its exchange: a peer
 * (the hypervisor mapping the grant) writing at the worst moment.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "xenport.h"

#include "host.h"

uint8_t test_guest_mem[TEST_GUEST_PAGES * 4096] __attribute__((aligned(4096)));
long test_evtchn_rc;
int test_evtchn_last_cmd = -1;
int16_t test_setup_status;
bool test_setup_scatter;
unsigned int test_gnttab_calls;
void (*test_cmpxchg_peer)(volatile uint16_t *flags);
unsigned int test_cmpxchg_calls;

unsigned int test_evtchn_sends;

long xenport_event_channel_op(int cmd, void *arg)
{
	test_evtchn_last_cmd = cmd;
	if (cmd == EVTCHNOP_send)
		test_evtchn_sends++;
	if (cmd == EVTCHNOP_alloc_unbound && test_evtchn_rc == 0)
		((struct evtchn_alloc_unbound *)arg)->port = TEST_UNBOUND_PORT;
	return test_evtchn_rc;
}

static long setup_table(struct gnttab_setup_table *s)
{
	xen_pfn_t *frames = xenport_phys_to_virt((uint64_t)(uintptr_t)s->frame_list.p);

	s->status = test_setup_status;
	if (s->status != GNTST_okay)
		return 0;
	for (unsigned int i = 0; i < s->nr_frames; i++)
		frames[i] = TEST_GNTTAB_FIRST_PFN + i * (test_setup_scatter ? 2 : 1);
	return 0;
}

long xenport_grant_table_op(unsigned int cmd, void *args, unsigned int count)
{
	test_gnttab_calls++;
	if (count != 1)
		return -XEN_EINVAL;
	switch (cmd) {
	case GNTTABOP_setup_table:
		return setup_table(args);
	default:
		return -XEN_ENOSYS;
	}
}

uint64_t xenport_virt_to_phys(const volatile void *p)
{
	return (uint64_t)((uintptr_t)p - (uintptr_t)test_guest_mem);
}

void *xenport_phys_to_virt(uint64_t paddr)
{
	return (void *)((uintptr_t)test_guest_mem + (uintptr_t)paddr);
}

bool xenport_cmpxchg16(volatile uint16_t *p, uint16_t *expected,
		       uint16_t desired)
{
	void (*peer)(volatile uint16_t *) = test_cmpxchg_peer;

	test_cmpxchg_calls++;
	if (peer)
		peer(p);
	return __atomic_compare_exchange_n(p, expected, desired, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* The blocking wait: a test's scripted peer runs here (xenbus_test.c). */
void (*test_block_hook)(void);
unsigned int test_block_calls;

/* The clock: each block takes 100 ms of it, as pvos's may. */
uint64_t test_now_ns;

uint64_t xenport_now_ns(void)
{
	return test_now_ns;
}

void xenport_block(void)
{
	test_block_calls++;
	test_now_ns += 100000000ULL;
	if (test_block_hook)
		test_block_hook();
}

/*
 * Pages for the frontends: a bump allocator over test_guest_mem from
 * TEST_ARENA_FIRST_PFN, reset by test_arena_reset(); the last single page
 * handed out is remembered (blkfront's ring page).
 */
static unsigned long arena_next = TEST_ARENA_FIRST_PFN;
void *test_last_page;

void test_arena_reset(void)
{
	arena_next = TEST_ARENA_FIRST_PFN;
	test_last_page = NULL;
}

void *xenport_alloc_pages(unsigned long n)
{
	void *p;

	if (n > TEST_GUEST_PAGES - arena_next)
		return NULL;
	p = test_guest_mem + arena_next * 4096;
	memset(p, 0, n * 4096);
	arena_next += n;
	if (n == 1)
		test_last_page = p;
	return p;
}

void xenport_free_pages(void *p, unsigned long n)
{
	(void)p;
	(void)n;
}

int xenport_take_fd(void)
{
	return -1;	/* the host tests have no fast path */
}

void xenport_fd_notify(int fd)
{
	(void)fd;
}

void xenport_fd_close(int fd)
{
	(void)fd;
}
