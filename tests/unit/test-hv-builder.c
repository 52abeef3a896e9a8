/*
 * test-hv-builder.c: the domain builder against well-formed and hostile
 * kernel images. Each hostile case is a valid image with one field broken,
 * so a failure points at exactly one missing check.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>

#include "cunit-main.h"
#include "hv-priv.h"

#define MEM_SIZE	(8u << 20)
#define LOAD_VA		(PVH_GUEST_BASE + PVH_KERNEL_MIN_PADDR)

struct hv hv;	/* time.c calibrates into it */

/* An image: header, two program headers, 64 bytes of "code", 32 of data. */
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint8_t text[64];
	uint8_t data[32];
};

static uint8_t *mem;
static char err[256];
static struct hv_boot boot;

static void make_image(struct image *im)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_type = ET_EXEC;
	im->eh.e_machine = EM_X86_64;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_entry = LOAD_VA + 8;
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_ehsize = sizeof(Elf64_Ehdr);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 2;
	im->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = offsetof(struct image, text), .p_vaddr = LOAD_VA,
		.p_paddr = LOAD_VA, .p_filesz = 64, .p_memsz = 64, .p_align = 4096 };
	im->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
		.p_offset = offsetof(struct image, data), .p_vaddr = LOAD_VA + 0x1000,
		.p_paddr = LOAD_VA + 0x1000, .p_filesz = 32, .p_memsz = 0x2000, .p_align = 4096 };
	memset(im->text, 0x90, sizeof(im->text));
	memset(im->data, 0xab, sizeof(im->data));
}

static int build_mem(const void *elf, size_t size, uint64_t mem_size, const char *cmdline)
{
	struct hv_build_params p = {
		.nr_pages = mem_size >> PVH_PAGE_SHIFT, .cmdline = cmdline,
		.tsc_to_system_mul = 0x80000000u, .tsc_shift = 1,
		.system_time_ns = 123, .tsc_stamp = 456, .wallclock_ns = 1000000000ull * 1700000000ull,
	};

	memset(mem, 0, MEM_SIZE);
	err[0] = '\0';
	return hv_build(mem, mem_size, elf, size, &p, &boot, err, sizeof(err));
}

static int build_image(const struct image *im)
{
	return build_mem(im, sizeof(*im), MEM_SIZE, "init=hello");
}

static int suite_init(void)
{
	mem = malloc(MEM_SIZE);
	return mem ? 0 : -1;
}

static int suite_fini(void)
{
	free(mem);
	return 0;
}

static void test_good_image(void)
{
	struct image im;
	const start_info_t *si;
	const shared_info_t *sh;

	make_image(&im);
	CU_ASSERT_EQUAL_FATAL(build_image(&im), 0);
	CU_ASSERT_EQUAL(boot.entry, LOAD_VA + 8);
	CU_ASSERT_EQUAL(boot.stack_va, PVH_GUEST_BASE + PVH_STACK_TOP_PADDR);
	CU_ASSERT_EQUAL(boot.free_paddr, PVH_KERNEL_MIN_PADDR + 0x3000);
	CU_ASSERT_EQUAL(mem[PVH_KERNEL_MIN_PADDR], 0x90);
	CU_ASSERT_EQUAL(mem[PVH_KERNEL_MIN_PADDR + 0x1000], 0xab);
	CU_ASSERT_EQUAL(mem[PVH_KERNEL_MIN_PADDR + 0x1000 + 32], 0);	/* bss */
	si = (const start_info_t *)(mem + (PVH_START_INFO_PFN << PVH_PAGE_SHIFT));
	CU_ASSERT_STRING_EQUAL(si->magic, "xen-3.0-x86_64");
	CU_ASSERT_EQUAL(si->nr_pages, MEM_SIZE >> 12);
	CU_ASSERT_EQUAL(si->store_mfn, PVH_XENSTORE_PFN);
	CU_ASSERT_EQUAL(si->console.domU.mfn, PVH_CONSOLE_PFN);
	CU_ASSERT_EQUAL(si->pt_base, PVH_GUEST_BASE + boot.free_paddr);
	CU_ASSERT_STRING_EQUAL((const char *)si->cmd_line, "init=hello");
	sh = (const shared_info_t *)(mem + (PVH_SHARED_INFO_PFN << PVH_PAGE_SHIFT));
	CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_upcall_mask, 1);
	CU_ASSERT_EQUAL(sh->vcpu_info[0].time.tsc_to_system_mul, 0x80000000u);
	CU_ASSERT_EQUAL(sh->vcpu_info[0].time.version % 2, 0);
	CU_ASSERT_EQUAL(sh->wc_sec, 1700000000u);
}

static void test_cmdline_truncated(void)
{
	struct image im;
	char long_cmd[3000];
	const start_info_t *si = (const start_info_t *)(mem + (PVH_START_INFO_PFN << 12));

	make_image(&im);
	memset(long_cmd, 'x', sizeof(long_cmd) - 1);
	long_cmd[sizeof(long_cmd) - 1] = '\0';
	CU_ASSERT_EQUAL_FATAL(build_mem(&im, sizeof(im), MEM_SIZE, long_cmd), 0);
	CU_ASSERT_EQUAL(strnlen((const char *)si->cmd_line, MAX_GUEST_CMDLINE), MAX_GUEST_CMDLINE - 1);
}

/* Each entry breaks one thing in a good image and names the error text. */
struct bad_case {
	const char *what;
	void (*mutate)(struct image *im);
	const char *expect;	/* a fragment of the message */
};

static void m_magic(struct image *im) { im->eh.e_ident[1] = 'X'; }
static void m_class(struct image *im) { im->eh.e_ident[EI_CLASS] = ELFCLASS32; }
static void m_endian(struct image *im) { im->eh.e_ident[EI_DATA] = ELFDATA2MSB; }
static void m_machine(struct image *im) { im->eh.e_machine = EM_386; }
static void m_type(struct image *im) { im->eh.e_type = ET_DYN; }
static void m_phentsize(struct image *im) { im->eh.e_phentsize = 40; }
static void m_phnum0(struct image *im) { im->eh.e_phnum = 0; }
static void m_phnum_big(struct image *im) { im->eh.e_phnum = 65; }
static void m_phoff_past(struct image *im) { im->eh.e_phoff = sizeof(*im) - 8; }
static void m_phoff_wrap(struct image *im) { im->eh.e_phoff = UINT64_MAX - 16; }
static void m_filesz(struct image *im) { im->ph[0].p_filesz = 128; im->ph[0].p_memsz = 64; }
static void m_offset_past(struct image *im) { im->ph[1].p_offset = sizeof(*im) - 8; }
static void m_offset_wrap(struct image *im) { im->ph[1].p_offset = UINT64_MAX - 8; }
static void m_low(struct image *im) { im->ph[0].p_vaddr = PVH_GUEST_BASE + 0x2000; im->eh.e_entry = PVH_GUEST_BASE + 0x2008; }
static void m_below_base(struct image *im) { im->ph[0].p_vaddr = 0x400000; }
static void m_past_mem(struct image *im) { im->ph[1].p_memsz = MEM_SIZE; }
static void m_memsz_wrap(struct image *im) { im->ph[1].p_memsz = UINT64_MAX - 0x1000; }
static void m_overlap(struct image *im) { im->ph[1].p_vaddr = LOAD_VA + 32; }
static void m_entry_data(struct image *im) { im->eh.e_entry = LOAD_VA + 0x1000; }
static void m_entry_out(struct image *im) { im->eh.e_entry = LOAD_VA + 0x100000; }
static void m_entry_low(struct image *im) { im->eh.e_entry = 0x1000; }
static void m_no_load(struct image *im) { im->ph[0].p_type = PT_NOTE; im->ph[1].p_type = PT_NULL; }
static void m_no_room(struct image *im) { im->ph[1].p_memsz = MEM_SIZE - PVH_KERNEL_MIN_PADDR - 0x1000 - 4096; }

static const struct bad_case bad_cases[] = {
	{ "bad magic", m_magic, "not an ELF file" },
	{ "32-bit", m_class, "ELFCLASS64" },
	{ "big-endian", m_endian, "little-endian" },
	{ "i386", m_machine, "not x86-64" },
	{ "ET_DYN", m_type, "ET_EXEC" },
	{ "phentsize", m_phentsize, "program header size" },
	{ "no phdrs", m_phnum0, "program headers" },
	{ "65 phdrs", m_phnum_big, "program headers" },
	{ "phdrs past EOF", m_phoff_past, "past the end of the file" },
	{ "phoff wraps", m_phoff_wrap, "past the end of the file" },
	{ "filesz > memsz", m_filesz, "exceeds memory size" },
	{ "data past EOF", m_offset_past, "past the end of the file" },
	{ "offset wraps", m_offset_wrap, "past the end of the file" },
	{ "in the boot area", m_low, "below the kernel area" },
	{ "below the guest base", m_below_base, "below the kernel area" },
	{ "past guest memory", m_past_mem, "does not fit" },
	{ "memsz wraps", m_memsz_wrap, "does not fit" },
	{ "overlapping", m_overlap, "overlap" },
	{ "entry in data", m_entry_data, "executable segment" },
	{ "entry outside", m_entry_out, "executable segment" },
	{ "entry below base", m_entry_low, "not in guest memory" },
	{ "no PT_LOAD", m_no_load, "no loadable segments" },
	{ "no room left", m_no_room, "free" },
};

static void test_hostile_images(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct image im;
		int rc;

		make_image(&im);
		bad_cases[i].mutate(&im);
		rc = build_image(&im);
		if (rc != -ENOEXEC || !strstr(err, bad_cases[i].expect)) {
			fprintf(stderr, "\n  case '%s': rc %d, message '%s'\n", bad_cases[i].what, rc, err);
			CU_FAIL("hostile image not refused with the expected message");
		}
	}
}

static void test_truncated(void)
{
	struct image im;

	make_image(&im);
	for (size_t len = 0; len < sizeof(im.eh) + sizeof(im.ph); len += 7)
		CU_ASSERT_EQUAL(build_mem(&im, len, MEM_SIZE, ""), -ENOEXEC);
}

static void test_bad_mem_size(void)
{
	struct image im;

	make_image(&im);
	CU_ASSERT_EQUAL(build_mem(&im, sizeof(im), MEM_SIZE - 100, ""), -ENOEXEC);
	CU_ASSERT_EQUAL(build_mem(&im, sizeof(im), 1 << 20, ""), -ENOEXEC);
}

static void test_tsc_scale(void)
{
	static const uint64_t hz[] = { 1000000, 999999999, 1000000000, 2100000000, 3900000000u, 10000000000ull };

	for (size_t i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		uint32_t mul;
		int8_t shift;
		uint64_t ticks = hz[i] / 1000, ns;	/* one millisecond */

		hv_tsc_scale(hz[i], &mul, &shift);
		ticks = shift >= 0 ? ticks << shift : ticks >> -shift;
		ns = (uint64_t)(((unsigned __int128)ticks * mul) >> 32);
		CU_ASSERT(ns > 999000 && ns < 1001000);
		CU_ASSERT(mul >= 0x80000000u);
	}
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "a good image loads and start_info is right", test_good_image },
		{ "an overlong command line is truncated", test_cmdline_truncated },
		{ "hostile images are refused with a reason", test_hostile_images },
		{ "truncated images are refused", test_truncated },
		{ "bad memory sizes are refused", test_bad_mem_size },
		{ "TSC scaling gives nanoseconds", test_tsc_scale },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "builder", suite_init, suite_fini, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return sv_cunit_run(suites);
}
