/*
 * fuzz-builder.c: pvhv's ELF builder (hv/builder.c) on any kernel image,
 * the way pvctl hands it one: the whole file, into a 4 MiB domain.
 *
 * Oracles: an image is either refused with a message or loaded so that
 * the kernel, its entry point and the first free page lie inside the
 * domain's memory, above 1 MiB; and
 * the builder writes nothing outside the memory it was given (ASan: the
 * memory is its own allocation, with nothing around it to hide a write).
 */
#include <stdbool.h>

#include "fuzz.h"
#include "hv-priv.h"

#define MEM_SIZE	PVH_MEM_MIN

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *mem;
	static bool dirty;
	struct hv_build_params p = {
		.nr_pages = MEM_SIZE >> PVH_PAGE_SHIFT, .cmdline = "init=hello",
		.tsc_to_system_mul = 0x80000000u, .tsc_shift = 1,
	};
	struct hv_boot boot;
	char err[256];
	int rc;

	if (!mem && !(mem = calloc(1, MEM_SIZE)))
		return 0;
	if (dirty)
		memset(mem, 0, MEM_SIZE);	/* the builder expects fresh memory */
	err[0] = '\0';
	rc = hv_build(mem, MEM_SIZE, data, size, &p, &boot, err, sizeof(err));
	dirty = rc == 0;
	if (rc < 0) {
		FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
		return 0;
	}
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(boot.kernel_end > PVH_KERNEL_MIN_PADDR && boot.kernel_end <= MEM_SIZE);
	FUZZ_CHECK(boot.free_paddr >= boot.kernel_end && boot.free_paddr % PVH_PAGE_SIZE == 0);
	FUZZ_CHECK(boot.free_paddr <= MEM_SIZE);
	FUZZ_CHECK(boot.entry >= PVH_GUEST_BASE + PVH_KERNEL_MIN_PADDR &&
		   boot.entry < PVH_GUEST_BASE + boot.kernel_end);
	return 0;
}
