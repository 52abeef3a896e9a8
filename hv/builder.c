/*
 * builder.c: the domain builder. Loads a kernel's ELF PT_LOAD segments
 * into a fresh domain's memory and writes start_info and shared_info as
 * public/pvh_layout.h lays them out.
 *
 * The kernel image comes from the toolstack and may be hostile or simply
 * broken, so every header field is checked before it is used: class,
 * byte order, machine and type; program headers inside the file; every
 * segment inside the file and inside guest memory above the boot area; no
 * two segments overlapping; the entry point inside an executable segment;
 * room left for the guest's own allocations. All arithmetic on the
 * header's numbers is overflow-checked. This file touches nothing but the
 * buffers it is given, so the unit tests run it on crafted images.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <xen/xen.h>

#include "hv-priv.h"

#define MAX_PHDRS		64
#define MIN_FREE_BYTES		(256 * 1024)	/* what the guest must have left */

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -ENOEXEC;
}

static int check_ehdr(const Elf64_Ehdr *eh, size_t elf_size, char *err, size_t errlen)
{
	uint64_t ph_bytes, ph_end;

	if (elf_size < sizeof(*eh))
		return fail(err, errlen, "file is %zu bytes, too small for an ELF header", elf_size);
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return fail(err, errlen, "not an ELF file (bad magic)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return fail(err, errlen, "ELF class %u is not ELFCLASS64; guests are 64-bit",
			    eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, "ELF is not little-endian");
	if (eh->e_machine != EM_X86_64)
		return fail(err, errlen, "ELF machine %u is not x86-64 (%u)",
			    eh->e_machine, EM_X86_64);
	if (eh->e_type != ET_EXEC)
		return fail(err, errlen, "ELF type %u is not ET_EXEC; link the kernel at a fixed address",
			    eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return fail(err, errlen, "program header size %u, expected %zu",
			    eh->e_phentsize, sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0 || eh->e_phnum > MAX_PHDRS)
		return fail(err, errlen, "%u program headers (1 to %d allowed)",
			    eh->e_phnum, MAX_PHDRS);
	ph_bytes = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (__builtin_add_overflow(eh->e_phoff, ph_bytes, &ph_end) || ph_end > elf_size)
		return fail(err, errlen, "program headers run past the end of the file");
	return 0;
}

/* Checks one PT_LOAD against the file and guest memory; returns its paddr range. */
static int check_load(const Elf64_Phdr *ph, unsigned int idx, size_t elf_size,
		      uint64_t mem_size, uint64_t *start_out, uint64_t *end_out,
		      char *err, size_t errlen)
{
	uint64_t file_end, paddr, pend;

	if (ph->p_filesz > ph->p_memsz)
		return fail(err, errlen, "segment %u: file size %#lx exceeds memory size %#lx",
			    idx, (unsigned long)ph->p_filesz, (unsigned long)ph->p_memsz);
	if (__builtin_add_overflow(ph->p_offset, ph->p_filesz, &file_end) || file_end > elf_size)
		return fail(err, errlen, "segment %u: data at offset %#lx+%#lx runs past the end of the file (%zu bytes)",
			    idx, (unsigned long)ph->p_offset, (unsigned long)ph->p_filesz, elf_size);
	if (ph->p_vaddr < PVH_GUEST_BASE + PVH_KERNEL_MIN_PADDR)
		return fail(err, errlen, "segment %u: address %#lx is below the kernel area at %#lx",
			    idx, (unsigned long)ph->p_vaddr,
			    PVH_GUEST_BASE + PVH_KERNEL_MIN_PADDR);
	paddr = ph->p_vaddr - PVH_GUEST_BASE;
	if (__builtin_add_overflow(paddr, ph->p_memsz, &pend) || pend > mem_size)
		return fail(err, errlen, "segment %u: [%#lx, +%#lx) does not fit in the domain's %lu MiB",
			    idx, (unsigned long)ph->p_vaddr, (unsigned long)ph->p_memsz,
			    (unsigned long)(mem_size >> 20));
	*start_out = paddr;
	*end_out = pend;
	return 0;
}

struct seg {
	uint64_t start, end;
	bool exec;
	Elf64_Phdr ph;		/* a copy: e_phoff need not be aligned */
};

static int collect_loads(const uint8_t *elf, size_t elf_size, const Elf64_Ehdr *eh,
			 uint64_t mem_size, struct seg *segs, unsigned int *nseg_out,
			 char *err, size_t errlen)
{
	unsigned int n = 0;
	int rc;

	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, elf + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		rc = check_load(&ph, i, elf_size, mem_size, &segs[n].start, &segs[n].end,
				err, errlen);
		if (rc < 0)
			return rc;
		for (unsigned int j = 0; j < n; j++) {
			if (segs[n].start < segs[j].end && segs[j].start < segs[n].end)
				return fail(err, errlen, "segments overlap at guest address %#lx",
					    (unsigned long)(PVH_GUEST_BASE +
					    (segs[n].start > segs[j].start ? segs[n].start : segs[j].start)));
		}
		segs[n].exec = ph.p_flags & PF_X;
		segs[n].ph = ph;
		n++;
	}
	if (n == 0)
		return fail(err, errlen, "no loadable segments");
	*nseg_out = n;
	return 0;
}

static int check_entry(const Elf64_Ehdr *eh, const struct seg *segs, unsigned int n,
		       char *err, size_t errlen)
{
	uint64_t entry;

	if (eh->e_entry < PVH_GUEST_BASE)
		return fail(err, errlen, "entry point %#lx is not in guest memory",
			    (unsigned long)eh->e_entry);
	entry = eh->e_entry - PVH_GUEST_BASE;
	for (unsigned int i = 0; i < n; i++) {
		if (entry >= segs[i].start && entry < segs[i].end && segs[i].exec)
			return 0;
	}
	return fail(err, errlen, "entry point %#lx is not inside an executable segment",
		    (unsigned long)eh->e_entry);
}

static void write_start_info(uint8_t *mem, const struct hv_build_params *p, uint64_t free_paddr)
{
	start_info_t *si = (start_info_t *)(mem + (PVH_START_INFO_PFN << PVH_PAGE_SHIFT));

	memset(si, 0, PVH_PAGE_SIZE);
	snprintf(si->magic, sizeof(si->magic), "xen-3.0-x86_64");
	si->nr_pages = p->nr_pages;
	si->shared_info = PVH_SHARED_INFO_PFN << PVH_PAGE_SHIFT;
	si->store_mfn = PVH_XENSTORE_PFN;
	si->store_evtchn = p->store_evtchn;
	si->console.domU.mfn = PVH_CONSOLE_PFN;
	si->console.domU.evtchn = p->console_evtchn;
	si->pt_base = PVH_GUEST_BASE + free_paddr;
	si->nr_pt_frames = 0;
	sv_strlcpy((char *)si->cmd_line, p->cmdline ? p->cmdline : "", sizeof(si->cmd_line));
}

static void write_shared_info(uint8_t *mem, const struct hv_build_params *p)
{
	shared_info_t *sh = (shared_info_t *)(mem + (PVH_SHARED_INFO_PFN << PVH_PAGE_SHIFT));
	struct vcpu_time_info *t;
	uint64_t wc = p->wallclock_ns;

	memset(sh, 0, PVH_PAGE_SIZE);
	for (unsigned int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
		sh->vcpu_info[i].evtchn_upcall_mask = 1;
	t = &sh->vcpu_info[0].time;
	t->version = 2;		/* even: stable */
	t->tsc_timestamp = p->tsc_stamp;
	t->system_time = p->system_time_ns;
	t->tsc_to_system_mul = p->tsc_to_system_mul;
	t->tsc_shift = p->tsc_shift;
	t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
	sh->wc_version = 2;
	sh->wc_sec = (uint32_t)(wc / 1000000000ull);
	sh->wc_sec_hi = (uint32_t)((wc / 1000000000ull) >> 32);
	sh->wc_nsec = (uint32_t)(wc % 1000000000ull);
	sh->arch.max_pfn = p->nr_pages;
}

int hv_build(uint8_t *mem, uint64_t mem_size, const uint8_t *elf, size_t elf_size,
	     const struct hv_build_params *p, struct hv_boot *boot_out,
	     char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
	struct seg segs[MAX_PHDRS];
	uint64_t kernel_end = 0, free_paddr;
	unsigned int nseg = 0;
	int rc;

	if (mem_size < PVH_MEM_MIN || mem_size > PVH_MEM_MAX || mem_size % PVH_PAGE_SIZE)
		return fail(err, errlen, "memory size %lu is outside 4 MiB..64 GiB or not page aligned",
			    (unsigned long)mem_size);
	rc = check_ehdr(eh, elf_size, err, errlen);
	if (rc < 0)
		return rc;
	rc = collect_loads(elf, elf_size, eh, mem_size, segs, &nseg, err, errlen);
	if (rc < 0)
		return rc;
	rc = check_entry(eh, segs, nseg, err, errlen);
	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < nseg; i++)
		kernel_end = segs[i].end > kernel_end ? segs[i].end : kernel_end;
	free_paddr = (kernel_end + PVH_PAGE_SIZE - 1) & ~(PVH_PAGE_SIZE - 1);
	if (mem_size - free_paddr < MIN_FREE_BYTES)
		return fail(err, errlen, "the kernel ends at %lu KiB, leaving less than %d KiB of the domain's %lu KiB free",
			    (unsigned long)(kernel_end >> 10), MIN_FREE_BYTES >> 10,
			    (unsigned long)(mem_size >> 10));

	/* Decode done; now act. Fresh memory is zero, so bss needs nothing. */
	for (unsigned int i = 0; i < nseg; i++)
		memcpy(mem + segs[i].start, elf + segs[i].ph.p_offset, segs[i].ph.p_filesz);
	write_start_info(mem, p, free_paddr);
	write_shared_info(mem, p);

	boot_out->entry = eh->e_entry;
	boot_out->start_info_va = PVH_GUEST_BASE + (PVH_START_INFO_PFN << PVH_PAGE_SHIFT);
	boot_out->stack_va = PVH_GUEST_BASE + PVH_STACK_TOP_PADDR;
	boot_out->free_paddr = free_paddr;
	boot_out->kernel_end = kernel_end;
	return 0;
}
