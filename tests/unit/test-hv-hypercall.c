/*
 * test-hv-hypercall.c: hypercall argument validation. A domain here is a
 * real struct hv_domain over a real memory buffer, with no runner: the
 * handlers run exactly as pvhv runs them, and every pointer a "guest"
 * passes is hostile until checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

#include "cunit-main.h"
#include "hv-priv.h"

#define MEM_SIZE	(4u << 20)


static struct hv_domain *d;
static char logpath[] = "/tmp/sv-test-console-XXXXXX";

static struct hv_domain *new_domain(void)
{
	struct hv_domain *nd = calloc(1, sizeof(*nd));

	nd->domid = 7;
	sv_strlcpy(nd->name, "victim", sizeof(nd->name));
	nd->mem_size = MEM_SIZE;
	nd->nr_pages = nd->max_pages = MEM_SIZE >> 12;
	nd->mem = calloc(1, MEM_SIZE);
	nd->vcpus = 1;
	nd->reason = -1;
	nd->mem_fd = nd->pidfd = nd->hcall_fd = nd->event_fd = nd->notify_fd = -1;
	nd->kernel_fd = -1;
	nd->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	nd->console_fd = mkstemp(logpath);
	nd->on_poweroff = nd->on_reboot = nd->on_crash = PVH_ACTION_PRESERVE;
	nd->console_rl = (struct sv_ratelimit)SV_RATELIMIT_INIT(HV_CONSOLE_BURST, HV_CONSOLE_RATE);
	return nd;
}

static int setup(void)
{
	hv.epfd = epoll_create1(0);
	hv.rundir = "/tmp";
	d = new_domain();
	return d->mem && d->console_fd >= 0 && d->timer_fd >= 0 ? 0 : -1;
}

static int teardown(void)
{
	close(d->console_fd);
	unlink(logpath);
	close(d->timer_fd);
	free(d->mem);
	free(d);
	return 0;
}

static int64_t call(uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t arg[5] = { a0, a1, a2, 0, 0 };

	return hv_hcall_dispatch(d, op, arg);
}

static void test_console_write(void)
{
	char back[64] = "";

	memcpy(d->mem + 0x200000, "hello, console\n", 15);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_console_io, CONSOLEIO_write, 15, 0x200000), 0);
	CU_ASSERT_EQUAL(pread(d->console_fd, back, sizeof(back) - 1, 0), 15);
	CU_ASSERT_STRING_EQUAL(back, "hello, console\n");
}

static void test_console_hostile(void)
{
	CU_ASSERT_EQUAL(call(__HYPERVISOR_console_io, CONSOLEIO_write, 64 * 1024 + 1, 0x1000), -EINVAL);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_console_io, CONSOLEIO_write, 16, MEM_SIZE), -EFAULT);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_console_io, CONSOLEIO_write, 16, MEM_SIZE - 8), -EFAULT);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_console_io, CONSOLEIO_write, 16, UINT64_MAX - 4), -EFAULT);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_console_io, CONSOLEIO_write, UINT64_MAX, 0), -EINVAL);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_console_io, 77, 1, 0), -ENOSYS);
	/* Exactly up to the end of memory is fine. */
	CU_ASSERT_EQUAL(call(__HYPERVISOR_console_io, CONSOLEIO_write, 8, MEM_SIZE - 8), 0);
}

/* Over its budget, output is dropped; the next write that fits says how much. */
static void test_console_budget(void)
{
	static const char note[] = "\n[pvhv: 60 bytes of console output dropped: over its budget]\n";
	struct sv_ratelimit saved = d->console_rl;
	char back[256] = "";
	off_t start = lseek(d->console_fd, 0, SEEK_END);

	d->console_rl = (struct sv_ratelimit)SV_RATELIMIT_INIT(100, 0);	/* no refill */
	memset(d->mem + 0x200000, 'a', 60);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_console_io, CONSOLEIO_write, 60, 0x200000), 0);
	CU_ASSERT_EQUAL(lseek(d->console_fd, 0, SEEK_END), start + 60);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_console_io, CONSOLEIO_write, 60, 0x200000), 0);
	CU_ASSERT_EQUAL(lseek(d->console_fd, 0, SEEK_END), start + 60);
	/* A bad pointer is still refused, over budget or not. */
	CU_ASSERT_EQUAL(call(__HYPERVISOR_console_io, CONSOLEIO_write, 16, MEM_SIZE), -EFAULT);
	d->console_rl.tokens = 100;
	memcpy(d->mem + 0x200000, "ok\n", 3);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_console_io, CONSOLEIO_write, 3, 0x200000), 0);
	CU_ASSERT_EQUAL(pread(d->console_fd, back, sizeof(back) - 1, start + 60),
			(ssize_t)(sizeof(note) - 1 + 3));
	CU_ASSERT_NSTRING_EQUAL(back, note, sizeof(note) - 1);
	CU_ASSERT_STRING_EQUAL(back + sizeof(note) - 1, "ok\n");
	d->console_rl = saved;
}

static void test_unknown_ops(void)
{
	CU_ASSERT_EQUAL(call(__HYPERVISOR_set_trap_table, 0, 0, 0), -ENOSYS);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_arch_7, 0, 0, 0), -ENOSYS);
	CU_ASSERT_EQUAL(call(1000, 0, 0, 0), -ENOSYS);
	CU_ASSERT_EQUAL(call(UINT32_MAX, 0, 0, 0), -ENOSYS);
}

static void test_xen_version(void)
{
	char extra[XEN_EXTRAVERSION_LEN];

	CU_ASSERT_EQUAL(call(__HYPERVISOR_xen_version, XENVER_version, 0, 0), (4 << 16) | 17);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_xen_version, XENVER_extraversion, 0x3000, 0), 0);
	memcpy(extra, d->mem + 0x3000, sizeof(extra));
	CU_ASSERT_STRING_EQUAL(extra, "-splitvisor");
	CU_ASSERT_EQUAL(call(__HYPERVISOR_xen_version, XENVER_extraversion, MEM_SIZE - 4, 0), -EFAULT);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_xen_version, XENVER_capabilities, MEM_SIZE - 100, 0), -EFAULT);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_xen_version, XENVER_pagesize, 0, 0), 4096);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_xen_version, 99, 0, 0), -ENOSYS);
}

static void test_memory_op(void)
{
	domid_t self = DOMID_SELF, other = 0, mine = 7;

	memcpy(d->mem + 0x4000, &self, sizeof(self));
	CU_ASSERT_EQUAL(call(__HYPERVISOR_memory_op, XENMEM_current_reservation, 0x4000, 0), MEM_SIZE >> 12);
	memcpy(d->mem + 0x4000, &mine, sizeof(mine));
	CU_ASSERT_EQUAL(call(__HYPERVISOR_memory_op, XENMEM_maximum_reservation, 0x4000, 0), MEM_SIZE >> 12);
	memcpy(d->mem + 0x4000, &other, sizeof(other));
	CU_ASSERT_EQUAL(call(__HYPERVISOR_memory_op, XENMEM_current_reservation, 0x4000, 0), -EPERM);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_memory_op, XENMEM_current_reservation, MEM_SIZE - 1, 0), -EFAULT);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_memory_op, 0x7777, 0x4000, 0), -ENOSYS);
}

static void test_vcpu_and_timer(void)
{
	struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = 1, .flags = VCPU_SSHOTTMR_future };

	CU_ASSERT_EQUAL(call(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0), 1);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), -ENOENT);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_vcpu_op, VCPUOP_is_up, UINT64_MAX, 0), -ENOENT);
	memcpy(d->mem + 0x5000, &t, sizeof(t));
	CU_ASSERT_EQUAL(call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, 0x5000), -ETIME);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, MEM_SIZE), -EFAULT);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0, 0), 0);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_set_timer_op, sv_now_ns() + 1000000000ull, 0, 0), 0);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_set_timer_op, 0, 0, 0), 0);
}

static void test_shutdown(void)
{
	struct sched_shutdown bad = { .reason = 99 }, off = { .reason = SHUTDOWN_poweroff };

	memcpy(d->mem + 0x6000, &bad, sizeof(bad));
	CU_ASSERT_EQUAL(call(__HYPERVISOR_sched_op, SCHEDOP_shutdown, 0x6000, 0), -EINVAL);
	CU_ASSERT_EQUAL(d->state, PVH_STATE_RUNNING);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_sched_op, SCHEDOP_shutdown, MEM_SIZE, 0), -EFAULT);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, 0x6000, 0), -EPERM);
	CU_ASSERT_EQUAL(call(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0), 0);
	memcpy(d->mem + 0x6000, &off, sizeof(off));
	call(__HYPERVISOR_sched_op, SCHEDOP_shutdown, 0x6000, 0);
	CU_ASSERT_EQUAL(d->state, PVH_STATE_SHUTDOWN);
	CU_ASSERT_EQUAL(d->reason, SHUTDOWN_poweroff);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "console_io writes to the console log", test_console_write },
		{ "console_io refuses hostile lengths and pointers", test_console_hostile },
		{ "console_io is held to its byte budget", test_console_budget },
		{ "unknown hypercalls return ENOSYS", test_unknown_ops },
		{ "xen_version", test_xen_version },
		{ "memory_op only about itself", test_memory_op },
		{ "vcpu_op and timers", test_vcpu_and_timer },
		{ "sched_op shutdown validates the reason", test_shutdown },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "hypercall", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return sv_cunit_run(suites);
}
