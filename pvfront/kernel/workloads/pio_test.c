/*
 * pio_test.c: init=pio-test [case=bad-ins|bad-outs|hlt].
 *
 * Checks the runner's trap-and-emulate path from inside a guest that has
 * no device model, where every port reads as all ones and writes vanish:
 * each in/out form leaves exactly the register bits the CPU would, rep
 * ins/outs move %rdi/%rsi and %rcx by the whole count even when the runner
 * serves it in several chunks, the direction flag and a 32-bit address
 * size are honoured, and a zero count does nothing. Prints
 * "pio-test: ok N checks" and powers off, or names each failure and
 * crashes the domain.
 *
 * case= runs one instruction the host must refuse instead, and expects to
 * be killed (pvhv reports SIGSEGV): a rep insb whose buffer lies outside
 * guest memory, a rep outsb reading outside it, or a privileged
 * instruction that is not port I/O.
 */
#include <stdint.h>

#include <public/pvh_layout.h>
#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/kernel.h>
#include <pvos/string.h>
#include <pvos/xen.h>

#define PORT		0x510		/* claimed by nobody */
#define BIG		3000		/* words: more than one ioreq chunk */
#define PATTERN		0x1122334455667788ull

static unsigned int checks, failures;
static uint8_t buf[2 * BIG + 64];

static void expect(const char *what, uint64_t got, uint64_t want)
{
	checks++;
	if (got == want)
		return;
	failures++;
	printk("pio-test: FAIL %s: got %#lx, want %#lx\n", what,
	       (unsigned long)got, (unsigned long)want);
}

static void test_in_out(void)
{
	uint64_t rax;

	rax = PATTERN;
	__asm__ volatile("inb $0x80, %%al" : "+a"(rax));
	expect("inb imm keeps bits 8-63", rax, 0x11223344556677ffull);
	rax = PATTERN;
	__asm__ volatile("inw %%dx, %%ax" : "+a"(rax) : "d"(PORT));
	expect("inw dx keeps bits 16-63", rax, 0x112233445566ffffull);
	rax = PATTERN;
	__asm__ volatile("inl %%dx, %%eax" : "+a"(rax) : "d"(PORT));
	expect("inl dx zero-extends", rax, 0xffffffffull);
	rax = PATTERN;
	__asm__ volatile("inl $0x71, %%eax" : "+a"(rax));
	expect("inl imm zero-extends", rax, 0xffffffffull);
	rax = PATTERN;
	__asm__ volatile("outb %%al, $0x80\n\t"
			 "outw %%ax, %%dx\n\t"
			 "outl %%eax, %%dx" : "+a"(rax) : "d"(PORT));
	expect("out leaves %rax alone", rax, PATTERN);
}

static void test_rep_ins(void)
{
	uint8_t *dst = buf + 8, *rdi = dst;
	uint64_t rcx = BIG;
	size_t ones = 0;

	memset(buf, 0, sizeof(buf));
	__asm__ volatile("cld\n\trep insw" : "+D"(rdi), "+c"(rcx) : "d"(PORT) : "memory");
	for (size_t i = 0; i < 2 * BIG; i++)
		ones += dst[i] == 0xff;
	expect("rep insw %rcx", rcx, 0);
	expect("rep insw %rdi", (uint64_t)(rdi - dst), 2 * BIG);
	expect("rep insw filled every byte", ones, 2 * BIG);
	expect("rep insw wrote nothing before", buf[7], 0);
	expect("rep insw wrote nothing after", dst[2 * BIG], 0);
}

static void test_rep_ins_down(void)
{
	uint8_t *top = buf + 100, *rdi = top;
	uint64_t rcx = 10;

	memset(buf, 0, sizeof(buf));
	__asm__ volatile("std\n\trep insb\n\tcld" : "+D"(rdi), "+c"(rcx) : "d"(PORT) : "memory");
	expect("std rep insb %rdi", (uint64_t)(top - rdi), 10);
	expect("std rep insb top byte", top[0], 0xff);
	expect("std rep insb lowest byte", top[-9], 0xff);
	expect("std rep insb stops below", top[-10], 0);
	expect("std rep insb nothing above", top[1], 0);
}

static void test_rep_outs_and_zero(void)
{
	const uint8_t *rsi = buf;
	uint8_t *rdi = buf;
	uint64_t rcx = BIG;

	__asm__ volatile("cld\n\trep outsw" : "+S"(rsi), "+c"(rcx) : "d"(PORT) : "memory");
	expect("rep outsw %rcx", rcx, 0);
	expect("rep outsw %rsi", (uint64_t)(rsi - buf), 2 * BIG);
	memset(buf, 0, 16);
	rcx = 0;
	__asm__ volatile("rep insl" : "+D"(rdi), "+c"(rcx) : "d"(PORT) : "memory");
	expect("rep insl with %rcx 0 moves nothing", (uint64_t)(rdi - buf), 0);
	expect("rep insl with %rcx 0 writes nothing", buf[0], 0);
}

static void test_addr32(void)
{
	uint64_t rdi = (uint64_t)(uintptr_t)(buf + 4) | (0xabcdull << 32);
	uint64_t rcx = 0xffffffff00000004ull;	/* %ecx counts: 4 */

	/* Guest memory sits below 4 GiB, so its addresses fit %edi. */
	memset(buf, 0, 16);
	__asm__ volatile("addr32 rep insb" : "+D"(rdi), "+c"(rcx) : "d"(PORT) : "memory");
	expect("addr32 rep insb %edi, upper half cleared", rdi,
	       (uint64_t)(uintptr_t)(buf + 8));
	expect("addr32 rep insb %ecx", rcx, 0);
	expect("addr32 rep insb data", buf[7], 0xff);
	expect("addr32 rep insb bound", buf[8], 0);
}

static __attribute__((noreturn)) void run_case(const char *c)
{
	uint64_t outside = PVH_GUEST_BASE + pvos_start_info.nr_pages * PVH_PAGE_SIZE;
	uint64_t rcx = 16;

	printk("pio-test: case %s; the host must kill this domain\n", c);
	if (strcmp(c, "bad-ins") == 0)
		__asm__ volatile("rep insb" : "+D"(outside), "+c"(rcx) : "d"(PORT) : "memory");
	else if (strcmp(c, "bad-outs") == 0)
		__asm__ volatile("rep outsb" : "+S"(outside), "+c"(rcx) : "d"(PORT) : "memory");
	else if (strcmp(c, "hlt") == 0)
		__asm__ volatile("hlt");
	else
		printk("pio-test: unknown case=%s; known: bad-ins bad-outs hlt\n", c);
	printk("pio-test: SANDBOX FAILED: case %s returned\n", c);
	kernel_shutdown(SHUTDOWN_crash);
}

__attribute__((noreturn)) void workload_pio_test(void)
{
	const char *c = cmdline_get("case", "");

	if (*c)
		run_case(c);
	test_in_out();
	test_rep_ins();
	test_rep_ins_down();
	test_rep_outs_and_zero();
	test_addr32();
	if (failures) {
		printk("pio-test: %u of %u checks failed\n", failures, checks);
		kernel_shutdown(SHUTDOWN_crash);
	}
	printk("pio-test: ok %u checks\n", checks);
	kernel_shutdown(SHUTDOWN_poweroff);
}
