/*
 * pio_test.c: arch/x86_64/pio.h, the real instructions. A process without
 * I/O privilege (this test, like a guest) takes a general protection
 * fault, SIGSEGV, on each of them; the handler notes where it faulted and
 * the test checks the encoding there: the immediate-port form for a port
 * the compiler knows is below 256, the %dx form otherwise, the operand
 * size prefix for words, rep for the string forms, and the registers the
 * runner's decoder reads (%dx the port, %rdi/%rsi the buffer, %rcx the
 * count).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include "../arch/x86_64/pio.h"
#include "host.h"

static sigjmp_buf jump;
static volatile uint8_t fault_bytes[4];
static volatile uint64_t fault_rdx, fault_rcx, fault_rdi, fault_rsi;
static volatile sig_atomic_t fault_seen;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;
	const uint8_t *ip = (const uint8_t *)uc->uc_mcontext.gregs[REG_RIP];

	(void)sig;
	(void)si;
	for (int i = 0; i < 4; i++)
		fault_bytes[i] = ip[i];
	fault_rdx = (uint64_t)uc->uc_mcontext.gregs[REG_RDX];
	fault_rcx = (uint64_t)uc->uc_mcontext.gregs[REG_RCX];
	fault_rdi = (uint64_t)uc->uc_mcontext.gregs[REG_RDI];
	fault_rsi = (uint64_t)uc->uc_mcontext.gregs[REG_RSI];
	fault_seen = 1;
	siglongjmp(jump, 1);
}

static struct sigaction saved;

static void arm(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, &saved);
	for (int i = 0; i < 4; i++)
		fault_bytes[i] = 0;
	fault_seen = 0;
}

static void disarm(void)
{
	sigaction(SIGSEGV, &saved, NULL);
}

/* Run STMT, which must fault; the value is whether it did. */
#define FAULTS(stmt) ({						\
	arm();							\
	if (sigsetjmp(jump, 1) == 0) {				\
		stmt;						\
	}							\
	disarm();						\
	fault_seen != 0;					\
})

static bool bytes_are(uint8_t a, uint8_t b, uint8_t c)
{
	return fault_bytes[0] == a && fault_bytes[1] == b && fault_bytes[2] == c;
}

static void test_single_forms(void)
{
	volatile uint16_t dx_port = 0x1f7;

	CU_ASSERT(FAULTS((void)inb(0x80)));
	CU_ASSERT(fault_bytes[0] == 0xe4 && fault_bytes[1] == 0x80);	/* in al, imm8 */
	CU_ASSERT(FAULTS((void)inb(dx_port)));
	CU_ASSERT_EQUAL(fault_bytes[0], 0xec);			/* in al, dx */
	CU_ASSERT_EQUAL(fault_rdx & 0xffff, 0x1f7);
	CU_ASSERT(FAULTS((void)inw(0x1f0)));
	CU_ASSERT(fault_bytes[0] == 0x66 && fault_bytes[1] == 0xed);	/* in ax, dx */
	CU_ASSERT(FAULTS((void)inl(0x70)));
	CU_ASSERT(fault_bytes[0] == 0xe5 && fault_bytes[1] == 0x70);	/* in eax, imm8 */
	CU_ASSERT(FAULTS(outb(1, 0x80)));
	CU_ASSERT(fault_bytes[0] == 0xe6 && fault_bytes[1] == 0x80);	/* out imm8, al */
	CU_ASSERT(FAULTS(outw(1, dx_port)));
	CU_ASSERT(fault_bytes[0] == 0x66 && fault_bytes[1] == 0xef);	/* out dx, ax */
	CU_ASSERT(FAULTS(outl(1, 0xc004)));
	CU_ASSERT_EQUAL(fault_bytes[0], 0xef);			/* out dx, eax */
	CU_ASSERT_EQUAL(fault_rdx & 0xffff, 0xc004);
}

static void test_string_forms(void)
{
	static uint8_t buf[512];

	CU_ASSERT(FAULTS(insw(0x1f0, buf, 256)));
	CU_ASSERT(bytes_are(0xf3, 0x66, 0x6d) || bytes_are(0x66, 0xf3, 0x6d));
	CU_ASSERT_EQUAL(fault_rcx, 256);
	CU_ASSERT_EQUAL(fault_rdi, (uint64_t)(uintptr_t)buf);
	CU_ASSERT_EQUAL(fault_rdx & 0xffff, 0x1f0);
	CU_ASSERT(FAULTS(outsw(0x1f0, buf, 256)));
	CU_ASSERT(bytes_are(0xf3, 0x66, 0x6f) || bytes_are(0x66, 0xf3, 0x6f));
	CU_ASSERT_EQUAL(fault_rsi, (uint64_t)(uintptr_t)buf);
	CU_ASSERT(FAULTS(insb(0x60, buf, 3)));
	CU_ASSERT(fault_bytes[0] == 0xf3 && fault_bytes[1] == 0x6c);
	CU_ASSERT_EQUAL(fault_rcx, 3);
	CU_ASSERT(FAULTS(insl(0x1f0, buf, 128)));
	CU_ASSERT(fault_bytes[0] == 0xf3 && fault_bytes[1] == 0x6d);
	CU_ASSERT(FAULTS(outsb(0x60, buf, 5)));
	CU_ASSERT(fault_bytes[0] == 0xf3 && fault_bytes[1] == 0x6e);
	CU_ASSERT(FAULTS(outsl(0x1f0, buf, 128)));
	CU_ASSERT(fault_bytes[0] == 0xf3 && fault_bytes[1] == 0x6f);
	CU_ASSERT_EQUAL(fault_rcx, 128);
}

void add_pio_suite(void)
{
	CU_pSuite s = CU_add_suite("pio", NULL, NULL);

	CU_add_test(s, "in/out encodings", test_single_forms);
	CU_add_test(s, "rep ins/outs encodings", test_string_forms);
}
