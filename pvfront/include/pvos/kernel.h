/*
 * pvos/kernel.h: kernel-wide definitions: boot information, shutdown and
 * panic, and the workload table.
 */
#ifndef PVOS_KERNEL_H
#define PVOS_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvos/xen.h>

#define PVOS_VERSION	"0.1"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A private copy of start_info, taken at boot. */
extern start_info_t pvos_start_info;

/* SCHEDOP_shutdown with reason (SHUTDOWN_*); never returns. */
__attribute__((noreturn)) void kernel_shutdown(unsigned int reason);

/* Called by start.S if pvos_main() returns; crashes the domain. */
__attribute__((noreturn)) void kernel_entry_returned(void);

/* Print "pvos: panic: ..." and crash the domain (SHUTDOWN_crash). */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* A workload: what the kernel runs after boot, chosen by init=. */
struct workload {
	const char *name;
	__attribute__((noreturn)) void (*run)(void);
};

__attribute__((noreturn)) void workload_hello(void);
__attribute__((noreturn)) void workload_escape(void);
__attribute__((noreturn)) void workload_memscan(void);
__attribute__((noreturn)) void workload_spin(void);
__attribute__((noreturn)) void workload_idle(void);
__attribute__((noreturn)) void workload_timer(void);
__attribute__((noreturn)) void workload_hcall_bench(void);
__attribute__((noreturn)) void workload_prim_bench(void);
__attribute__((noreturn)) void workload_pio_bench(void);
__attribute__((noreturn)) void workload_peer(void);
__attribute__((noreturn)) void workload_selftest(void);
__attribute__((noreturn)) void workload_echo(void);
__attribute__((noreturn)) void workload_blk_sha256(void);
__attribute__((noreturn)) void workload_blk_idle(void);
__attribute__((noreturn)) void workload_blk_fill(void);
__attribute__((noreturn)) void workload_blk_verify(void);
__attribute__((noreturn)) void workload_blkbench(void);
__attribute__((noreturn)) void workload_pio_test(void);
__attribute__((noreturn)) void workload_blk_hostile(void);
__attribute__((noreturn)) void workload_blk_cycle(void);
__attribute__((noreturn)) void workload_blk_grants(void);
__attribute__((noreturn)) void workload_blk_rounds(void);
__attribute__((noreturn)) void workload_gnt_flood(void);
__attribute__((noreturn)) void workload_hcall_probe(void);
__attribute__((noreturn)) void workload_net_echo(void);
__attribute__((noreturn)) void workload_net_hostile(void);
__attribute__((noreturn)) void workload_xs_flood(void);
__attribute__((noreturn)) void workload_hcall_flood(void);
__attribute__((noreturn)) void workload_reboot_loop(void);
__attribute__((noreturn)) void workload_console_flood(void);
__attribute__((noreturn)) void workload_ioreq_flood(void);
__attribute__((noreturn)) void workload_hcall_latency(void);

#endif /* PVOS_KERNEL_H */
