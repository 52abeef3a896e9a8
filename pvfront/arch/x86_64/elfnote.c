/*
 * elfnote.c: the Xen ELF notes that describe pvos to a domain builder.
 *
 * elfnote.h: each note is an ELF note named "Xen". The builder reads ENTRY
 * and checks GUEST_OS, XEN_VERSION and LOADER as Xen's libelf does;
 * VIRT_BASE and PADDR_OFFSET state pvh_layout.h's rule that
 * guest-physical = virtual - PVH_GUEST_BASE. They are written in C rather
 * than assembly so they can use pvh_layout.h's C constants. The linker
 * script puts .note.Xen in a PT_NOTE segment.
 */
#include <stdint.h>

#include <xen/elfnote.h>
#include <public/pvh_layout.h>

extern char _start[];

/*
 * One object holds every note so the compiler cannot pad or reorder them:
 * readers walk the PT_NOTE segment note by note. Each descriptor is padded
 * to a multiple of 4 bytes, as the note format requires, and the object's
 * alignment is set on the variable so the compiler keeps it at exactly 4
 * (a note segment aligned more loosely than 4 or 8 is rejected).
 */
struct note_hdr {
	uint32_t namesz;
	uint32_t descsz;
	uint32_t type;
	char name[4];		/* "Xen\0" */
};

#define STR_NOTE(type, str)	{ 4, sizeof(str), type, "Xen" }, str
#define U64_NOTE(type, val)	{ 4, 8, type, "Xen" }, val

static const struct {
	struct note_hdr guest_os_hdr;
	char guest_os[8];
	struct note_hdr guest_version_hdr;
	char guest_version[4];
	struct note_hdr xen_version_hdr;
	char xen_version[8];
	struct note_hdr loader_hdr;
	char loader[8];
	struct note_hdr entry_hdr;
	uint64_t entry;
	struct note_hdr virt_base_hdr;
	uint64_t virt_base;
	struct note_hdr paddr_offset_hdr;
	uint64_t paddr_offset;
} __attribute__((packed)) xen_notes
	__attribute__((section(".note.Xen"), used, aligned(4))) = {
	STR_NOTE(XEN_ELFNOTE_GUEST_OS, "pvos"),
	STR_NOTE(XEN_ELFNOTE_GUEST_VERSION, "0.1"),
	STR_NOTE(XEN_ELFNOTE_XEN_VERSION, "xen-3.0"),
	STR_NOTE(XEN_ELFNOTE_LOADER, "generic"),
	U64_NOTE(XEN_ELFNOTE_ENTRY, (uint64_t)(uintptr_t)_start),
	U64_NOTE(XEN_ELFNOTE_VIRT_BASE, PVH_GUEST_BASE),
	U64_NOTE(XEN_ELFNOTE_PADDR_OFFSET, PVH_GUEST_BASE),
};

_Static_assert(sizeof(xen_notes) == 7 * 16 + 8 + 4 + 8 + 8 + 3 * 8,
	       "Xen notes must be packed back to back");
