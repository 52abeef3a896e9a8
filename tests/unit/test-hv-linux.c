/*
 * test-hv-linux.c: how pvhv knows a Linux guest (hv/linux-guest.c) from
 * its Xen GUEST_OS note, with hostile note segments: sizes that run past
 * the segment or the file, a name or type that is almost right, and a
 * segment offset past the end of the image.
 */
#include <elf.h>
#include <stdint.h>
#include <string.h>

#include <xen/elfnote.h>

#include "cunit-main.h"
#include "hv-priv.h"

struct hv hv;

/* An image with one PT_NOTE segment holding two notes. */
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[1];
	struct {
		Elf64_Nhdr h;
		char name[4];
		char desc[16];
	} gnu;
	struct {
		Elf64_Nhdr h;
		char name[4];
		char desc[24];
	} xen;
};

static void make_image(struct image *im)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 1;
	im->ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(struct image, gnu),
		.p_filesz = sizeof(im->gnu) + sizeof(im->xen), .p_align = 4 };
	im->gnu.h = (Elf64_Nhdr){ .n_namesz = 4, .n_descsz = 16, .n_type = 1 };
	memcpy(im->gnu.name, "GNU", 4);
	im->xen.h = (Elf64_Nhdr){ .n_namesz = 4, .n_descsz = sizeof(HV_LINUX_GUEST_OS),
		.n_type = XEN_ELFNOTE_GUEST_OS };
	memcpy(im->xen.name, "Xen", 4);
	memcpy(im->xen.desc, HV_LINUX_GUEST_OS, sizeof(HV_LINUX_GUEST_OS));
}

static bool is_linux(const struct image *im)
{
	return hv_linux_image((const uint8_t *)im, sizeof(*im));
}

static void test_linux_note(void)
{
	struct image im;

	make_image(&im);
	CU_ASSERT_TRUE(is_linux(&im));
}

static void test_not_linux(void)
{
	struct image im;

	make_image(&im);
	memcpy(im.xen.desc, "pvos", 5);
	CU_ASSERT_FALSE(is_linux(&im));
	make_image(&im);
	im.xen.h.n_type = XEN_ELFNOTE_GUEST_VERSION;
	CU_ASSERT_FALSE(is_linux(&im));
	make_image(&im);
	memcpy(im.xen.name, "Xem", 4);
	CU_ASSERT_FALSE(is_linux(&im));
	make_image(&im);
	im.xen.h.n_descsz = sizeof(HV_LINUX_GUEST_OS) - 1;	/* a prefix */
	CU_ASSERT_FALSE(is_linux(&im));
	make_image(&im);
	im.ph[0].p_type = PT_LOAD;
	CU_ASSERT_FALSE(is_linux(&im));
}

static void test_hostile_notes(void)
{
	struct image im;

	/* A note before ours claiming more than the segment holds. */
	make_image(&im);
	im.gnu.h.n_descsz = 0xfffffff0u;
	CU_ASSERT_FALSE(is_linux(&im));
	make_image(&im);
	im.gnu.h.n_namesz = 0xffffffffu;
	CU_ASSERT_FALSE(is_linux(&im));
	/* Our note cut off by the segment's size. */
	make_image(&im);
	im.ph[0].p_filesz -= 4;
	CU_ASSERT_FALSE(is_linux(&im));
	/* A segment past the end of the file, or wrapping around. */
	make_image(&im);
	im.ph[0].p_filesz = sizeof(im);
	CU_ASSERT_FALSE(is_linux(&im));
	make_image(&im);
	im.ph[0].p_offset = UINT64_MAX - 8;
	CU_ASSERT_FALSE(is_linux(&im));
	/* A segment too short for even a note header. */
	make_image(&im);
	im.ph[0].p_filesz = sizeof(Elf64_Nhdr) - 1;
	CU_ASSERT_FALSE(is_linux(&im));
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "an image with the Linux GUEST_OS note is a Linux guest", test_linux_note },
		{ "other notes, names, types and segments are not", test_not_linux },
		{ "hostile note sizes and offsets are refused", test_hostile_notes },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "linux-guest", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return sv_cunit_run(suites);
}
