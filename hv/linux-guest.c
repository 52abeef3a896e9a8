/*
 * linux-guest.c: what pvhv does differently for a Linux guest.
 *
 * A Linux guest is User-Mode Linux patched to be a Splitvisor guest
 * (pvfront/linux/). Unlike pvos it is not entered at its ELF entry point
 * inside the runner: it is an ordinary static Linux program that the
 * Linux runner (runner-linux.c) execs once the sandbox is in place, and
 * that then maps the domain's memory itself. Three things follow here:
 *
 *   1. recognition: the image carries a Xen GUEST_OS note naming it
 *      (HV_LINUX_GUEST_OS); only then is it run the Linux way;
 *   2. events: UML takes interrupts as SIGIO from descriptors, which an
 *      eventfd cannot raise, so the domain's event descriptor is a
 *      non-blocking pipe instead: pvhv and dom0 still write 8 bytes to
 *      kick it (EAGAIN on a full pipe means an event is already pending)
 *      and the guest reads the other end;
 *   3. start: the runner is cloned into a fresh PID namespace, so UML is
 *      its pid 1 and its death takes every process it made, then exec'd
 *      as pvhv-runner-linux with the kernel image at RUNNER_FD_KERNEL.
 *
 * The ELF image comes from the toolstack and is checked like everything
 * else the builder reads: hv_build() has validated the ELF header and the
 * program header table before hv_linux_image() looks at the notes, and
 * every note is bounds-checked here.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xen/elfnote.h>

#include "hv-priv.h"
#include "public/pvh_trap.h"
#include "runner.h"

#define NOTE_ALIGN(n)	(((uint64_t)(n) + 3) & ~3ull)

/* Does one PT_NOTE segment hold Xen's GUEST_OS note naming a Linux guest? */
static bool note_names_linux(const uint8_t *p, uint64_t len)
{
	static const char want[] = HV_LINUX_GUEST_OS;
	uint64_t off = 0;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_off, desc_off, next;

		memcpy(&nh, p + off, sizeof(nh));
		name_off = off + sizeof(nh);
		desc_off = name_off + NOTE_ALIGN(nh.n_namesz);
		next = desc_off + NOTE_ALIGN(nh.n_descsz);
		if (next > len || desc_off > len)
			return false;
		if (nh.n_namesz == 4 && memcmp(p + name_off, "Xen", 4) == 0 &&
		    nh.n_type == XEN_ELFNOTE_GUEST_OS && nh.n_descsz == sizeof(want) &&
		    memcmp(p + desc_off, want, sizeof(want)) == 0)
			return true;
		off = next;
	}
	return false;
}

bool hv_linux_image(const uint8_t *elf, size_t elf_size)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;

	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t end;

		memcpy(&ph, elf + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_NOTE)
			continue;
		if (__builtin_add_overflow(ph.p_offset, ph.p_filesz, &end) || end > elf_size)
			continue;
		if (note_names_linux(elf + ph.p_offset, ph.p_filesz))
			return true;
	}
	return false;
}

/*
 * Gives a Linux domain its event pipe in place of the eventfd make_fds()
 * created: the write end takes event_fd's place (pvhv's kicks, dom0's
 * DOM_FD), the read end goes to the guest. Idempotent across restarts.
 */
int hv_linux_prepare(struct hv_domain *d, char *err, size_t errlen)
{
	int p[2];

	if (d->event_rd_fd >= 0)
		return 0;
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) {
		snprintf(err, errlen, "event pipe: %s", strerror(errno));
		return -errno;
	}
	if (d->event_fd >= 0)
		close(d->event_fd);
	d->event_rd_fd = p[0];
	d->event_fd = p[1];
	return 0;
}

/* fork() into a new PID namespace: the child is its pid 1. */
pid_t hv_linux_fork(void)
{
	return (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, 0);
}

/*
 * In the child: the descriptors at the numbers public/pvh_trap.h and
 * runner.h fix (the kernel image too), everything else closed, then
 * pvhv-runner-linux.
 */
void hv_linux_child_exec(struct hv_domain *d, int hcall)
{
	char a_domid[16], a_mem[32], a_uid[16], a_chroot[4200], path[4200];
	char a_no_ns[] = "--no-namespaces";
	int devnull = open("/dev/null", O_RDWR);
	int fds[4] = { hcall, d->event_rd_fd, d->mem_fd, d->kernel_fd };
	static const int at[4] = { PVH_FD_HCALL, PVH_FD_EVENT, RUNNER_FD_MEM, RUNNER_FD_KERNEL };
	char *argv[16];
	int n = 0;

	for (int i = 0; i < 4; i++) {
		fds[i] = fcntl(fds[i], F_DUPFD, 16);
		if (fds[i] < 0)
			_exit(RUNNER_EXIT_SETUP);
	}
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
		_exit(RUNNER_EXIT_SETUP);
	for (int i = 0; i < 4; i++) {
		if (dup2(fds[i], at[i]) < 0)
			_exit(RUNNER_EXIT_SETUP);
	}
	if (syscall(SYS_close_range, RUNNER_FD_MEM + 1, RUNNER_FD_KERNEL - 1, 0) < 0 ||
	    syscall(SYS_close_range, RUNNER_FD_KERNEL + 1, ~0U, 0) < 0)
		_exit(RUNNER_EXIT_SETUP);
	snprintf(a_domid, sizeof(a_domid), "%u", d->domid);
	snprintf(a_mem, sizeof(a_mem), "%" PRIu64, d->mem_size);
	snprintf(a_uid, sizeof(a_uid), "%u", hv.uid_base + d->domid);
	snprintf(a_chroot, sizeof(a_chroot), "%s/empty", hv.rundir);
	snprintf(path, sizeof(path), "%s-linux", hv.runner_path);
	argv[n++] = (char[]){ "pvhv-runner-linux" };
	argv[n++] = (char[]){ "--domid" }; argv[n++] = a_domid;
	argv[n++] = (char[]){ "--mem-size" }; argv[n++] = a_mem;
	argv[n++] = (char[]){ "--uid" }; argv[n++] = a_uid;
	argv[n++] = (char[]){ "--gid" }; argv[n++] = a_uid;
	argv[n++] = (char[]){ "--chroot" }; argv[n++] = a_chroot;
	if (hv.no_sandbox_ns)
		argv[n++] = a_no_ns;
	argv[n] = NULL;
	execv(path, argv);
	fprintf(stderr, "pvhv: exec %s: %s\n", path, strerror(errno));
	_exit(RUNNER_EXIT_SETUP);
}
