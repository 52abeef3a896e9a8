/*
 * test-pvdm.c: the pvdm daemon against a stand-in for pvhv and a runner.
 *
 * The test plays both of pvdm's peers: it listens on <rundir>/pvhv.sock
 * and answers PVH_CTL_DOM_FD (the ioreq socket's far end is one end of a
 * socketpair it keeps; the memory is a memfd it also maps), and it sends
 * ioreqs as a runner would. So the daemon's own code is tested: claiming,
 * readiness, serving PIO and DMA, answering malformed requests, claiming
 * again after the socket ends (an in-place restart, with the drive reset),
 * and exiting 0 when pvhv says the domain is gone.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ata.h"
#include "cunit-main.h"
#include "public/pvh_ctl.h"
#include "public/pvh_ioreq.h"
#include "sv.h"

#define MEM_SIZE	(4u << 20)
#define DISK_SECTORS	64u
#define TIMEOUT_MS	10000

static char rundir[64], disk[128], logpath[128];
static int listen_fd = -1, ctl = -1, runner = -1, memfd = -1;
static uint8_t *mem;
static pid_t pid;
static uint32_t seq;

static bool readable(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	return poll(&pf, 1, TIMEOUT_MS) == 1;
}

/* Answers one control request: DOM_FD gets the runner's far end or the memory. */
static int answer_ctl(int32_t status_for_ioreq)
{
	uint8_t buf[256];
	struct pvh_ctl_req req;
	struct pvh_ctl_dom_fd df;
	struct pvh_ctl_rsp rsp = { .magic = PVH_CTL_MAGIC, .type = PVH_CTL_DOM_FD };
	int pair[2], give = -1, fd_in = -1;
	ssize_t n;

	if (!readable(ctl))
		return -ETIMEDOUT;
	n = sv_recv_msg(ctl, buf, sizeof(buf), &fd_in);
	if (n != (ssize_t)(sizeof(req) + sizeof(df)))
		return -EPROTO;
	memcpy(&req, buf, sizeof(req));
	memcpy(&df, buf + sizeof(req), sizeof(df));
	if (req.type != PVH_CTL_DOM_FD || df.domid != 7)
		return -EPROTO;
	if (df.which == PVH_DOM_FD_IOREQ && status_for_ioreq == 0) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
			return -errno;
		if (runner >= 0)
			close(runner);
		runner = pair[0];
		give = pair[1];
	} else if (df.which == PVH_DOM_FD_IOREQ) {
		rsp.status = status_for_ioreq;
	} else if (df.which == PVH_DOM_FD_MEMORY) {
		give = memfd;
	} else {
		return -EPROTO;
	}
	n = sv_send_msg(ctl, &rsp, sizeof(rsp), give);
	if (give >= 0 && give != memfd)
		close(give);
	return n == sizeof(rsp) ? (int)df.which : -EPROTO;
}

/* The claim: the ioreq socket, then the memory. */
static int answer_claim(void)
{
	int a = answer_ctl(0), b = answer_ctl(0);

	return a == PVH_DOM_FD_IOREQ && b == PVH_DOM_FD_MEMORY ? 0 : -EPROTO;
}

/* One ioreq; returns the response status and copies IN data to data. */
static int32_t ioreq(uint16_t port, uint8_t size, uint8_t dir, uint32_t count, void *data)
{
	static uint8_t buf[PVH_IOREQ_MSG_MAX + 64];
	struct pvh_ioreq h = { PVH_IOREQ_MAGIC, ++seq, port, size, dir, count };
	struct pvh_ioreq_rsp r;
	size_t len = sizeof(h);
	ssize_t n;

	memcpy(buf, &h, sizeof(h));
	if (dir == PVH_IOREQ_OUT) {
		memcpy(buf + sizeof(h), data, (size_t)count * size);
		len += (size_t)count * size;
	}
	if (send(runner, buf, len, 0) != (ssize_t)len || !readable(runner))
		return -1000;
	n = recv(runner, buf, sizeof(buf), 0);
	if (n < (ssize_t)sizeof(r))
		return -1001;
	memcpy(&r, buf, sizeof(r));
	if (r.magic != PVH_IOREQ_MAGIC || r.seq != seq)
		return -1002;
	if (r.status == PVH_IOREQ_OK && dir == PVH_IOREQ_IN) {
		if ((size_t)n != sizeof(r) + (size_t)count * size)
			return -1003;
		memcpy(data, buf + sizeof(r), (size_t)count * size);
	}
	return r.status;
}

static uint8_t inb(uint16_t port)
{
	uint8_t v = 0;

	CU_ASSERT_EQUAL(ioreq(port, 1, PVH_IOREQ_IN, 1, &v), PVH_IOREQ_OK);
	return v;
}

static void outb(uint16_t port, uint8_t v)
{
	CU_ASSERT_EQUAL(ioreq(port, 1, PVH_IOREQ_OUT, 1, &v), PVH_IOREQ_OK);
}

static int start(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *build = getenv("SV_BUILDDIR");
	char exe[256], rfd[16];
	uint8_t sector[512];
	int ready[2], img;
	char c;

	snprintf(rundir, sizeof(rundir), "/tmp/test-pvdm-XXXXXX");
	if (!mkdtemp(rundir))
		return -1;
	snprintf(disk, sizeof(disk), "%s/hda.img", rundir);
	snprintf(logpath, sizeof(logpath), "%s/pvdm.log", rundir);
	img = open(disk, O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (uint32_t s = 0; img >= 0 && s < DISK_SECTORS; s++) {
		memset(sector, (int)s, sizeof(sector));
		if (pwrite(img, sector, sizeof(sector), (off_t)s * 512) != 512)
			return -1;
	}
	if (img < 0)
		return -1;
	close(img);
	memfd = memfd_create("test-pvdm", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, MEM_SIZE) < 0)
		return -1;
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", rundir, PVH_CTL_SOCKET);
	listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (mem == MAP_FAILED || listen_fd < 0 ||
	    bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(listen_fd, 4) < 0 ||
	    pipe(ready) < 0)
		return -1;
	snprintf(exe, sizeof(exe), "%s/dom0/pvdm", build ? build : ".");
	snprintf(rfd, sizeof(rfd), "%d", ready[1]);
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		execl(exe, "pvdm", "--rundir", rundir, "--domid", "7", "--disk", disk,
		      "--ready-fd", rfd, "--log", logpath, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	if (pid < 0 || !readable(listen_fd))
		return -1;
	ctl = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (ctl < 0 || answer_claim() < 0)
		return -1;
	if (!readable(ready[0]) || read(ready[0], &c, 1) != 1)
		return -1;
	close(ready[0]);
	return 0;
}

static int stop(void)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (mem && mem != MAP_FAILED)
		munmap(mem, MEM_SIZE);
	if (getenv("TEST_PVDM_KEEP") == NULL) {
		char sock[128];

		snprintf(sock, sizeof(sock), "%s/%s", rundir, PVH_CTL_SOCKET);
		unlink(sock);
		unlink(disk);
		unlink(logpath);
		rmdir(rundir);
	}
	return 0;
}

static void test_identify_and_pio(void)
{
	uint16_t id[256];
	uint8_t data[512];

	CU_ASSERT_EQUAL(inb(PVH_IDE_CMD_BASE + 7), ATA_ST_DRDY | ATA_ST_DSC);
	outb(PVH_IDE_CMD_BASE + 7, ATA_CMD_IDENTIFY);
	CU_ASSERT_EQUAL(ioreq(PVH_IDE_CMD_BASE, 2, PVH_IOREQ_IN, 256, id), PVH_IOREQ_OK);
	CU_ASSERT_EQUAL(id[60], DISK_SECTORS);
	CU_ASSERT_EQUAL(id[27], ('S' << 8) | 'p');
	/* Read sector 5 by PIO: the taskfile in one rep outsb, then a rep insw. */
	data[0] = 1; data[1] = 5; data[2] = 0; data[3] = 0; data[4] = 0xe0;
	CU_ASSERT_EQUAL(ioreq(PVH_IDE_CMD_BASE + 2, 1, PVH_IOREQ_OUT, 1, &data[0]), PVH_IOREQ_OK);
	CU_ASSERT_EQUAL(ioreq(PVH_IDE_CMD_BASE + 3, 1, PVH_IOREQ_OUT, 1, &data[1]), PVH_IOREQ_OK);
	CU_ASSERT_EQUAL(ioreq(PVH_IDE_CMD_BASE + 4, 2, PVH_IOREQ_OUT, 1, &data[2]), PVH_IOREQ_OK);
	CU_ASSERT_EQUAL(ioreq(PVH_IDE_CMD_BASE + 6, 1, PVH_IOREQ_OUT, 1, &data[4]), PVH_IOREQ_OK);
	outb(PVH_IDE_CMD_BASE + 7, ATA_CMD_READ_SECTORS);
	CU_ASSERT_EQUAL(ioreq(PVH_IDE_CMD_BASE, 4, PVH_IOREQ_IN, 128, data), PVH_IOREQ_OK);
	CU_ASSERT_EQUAL(data[0], 5);
	CU_ASSERT_EQUAL(data[511], 5);
	CU_ASSERT_EQUAL(inb(PVH_IDE_CMD_BASE + 7), ATA_ST_DRDY | ATA_ST_DSC);
}

static void test_dma_write_read(void)
{
	uint32_t prd[2] = { 0x100000, 0x80000000u | 1024 };
	uint8_t v[4];

	/* Write sectors 10-11 from guest memory, then read them back elsewhere. */
	memcpy(mem + 0x1000, prd, sizeof(prd));
	memset(mem + 0x100000, 0xab, 1024);
	memcpy(v, &(uint32_t){ 0x1000 }, 4);
	CU_ASSERT_EQUAL(ioreq(PVH_IDE_BM_BASE + 4, 4, PVH_IOREQ_OUT, 1, v), PVH_IOREQ_OK);
	outb(PVH_IDE_BM_BASE, 0);
	outb(PVH_IDE_CMD_BASE + 2, 2);
	outb(PVH_IDE_CMD_BASE + 3, 10);
	outb(PVH_IDE_CMD_BASE + 4, 0);
	outb(PVH_IDE_CMD_BASE + 5, 0);
	outb(PVH_IDE_CMD_BASE + 6, 0xe0);
	outb(PVH_IDE_CMD_BASE + 7, ATA_CMD_WRITE_DMA);
	outb(PVH_IDE_BM_BASE, ATA_BM_CMD_START);
	CU_ASSERT_EQUAL(inb(PVH_IDE_BM_BASE + 2) & 7, ATA_BM_ST_INTR);
	CU_ASSERT_EQUAL(inb(PVH_IDE_CMD_BASE + 7), ATA_ST_DRDY | ATA_ST_DSC);
	outb(PVH_IDE_BM_BASE, 0);
	outb(PVH_IDE_BM_BASE + 2, ATA_BM_ST_INTR);

	prd[0] = 0x200000;
	memcpy(mem + 0x1000, prd, sizeof(prd));
	outb(PVH_IDE_BM_BASE, ATA_BM_CMD_TO_MEM);
	outb(PVH_IDE_CMD_BASE + 2, 2);
	outb(PVH_IDE_CMD_BASE + 3, 10);
	outb(PVH_IDE_CMD_BASE + 7, ATA_CMD_READ_DMA);
	outb(PVH_IDE_BM_BASE, ATA_BM_CMD_START | ATA_BM_CMD_TO_MEM);
	CU_ASSERT_EQUAL(inb(PVH_IDE_CMD_BASE + 7), ATA_ST_DRDY | ATA_ST_DSC);
	CU_ASSERT_EQUAL(memcmp(mem + 0x100000, mem + 0x200000, 1024), 0);
	/* A PRD entry past the end of the domain's memory. */
	prd[0] = MEM_SIZE - 512;
	memcpy(mem + 0x1000, prd, sizeof(prd));
	outb(PVH_IDE_CMD_BASE + 2, 2);
	outb(PVH_IDE_CMD_BASE + 7, ATA_CMD_READ_DMA);
	outb(PVH_IDE_BM_BASE, 0);
	outb(PVH_IDE_BM_BASE, ATA_BM_CMD_START | ATA_BM_CMD_TO_MEM);
	CU_ASSERT_EQUAL(inb(PVH_IDE_BM_BASE + 2) & ATA_BM_ST_ERROR, ATA_BM_ST_ERROR);
	CU_ASSERT_EQUAL(inb(PVH_IDE_CMD_BASE + 7) & ATA_ST_ERR, ATA_ST_ERR);
	outb(PVH_IDE_BM_BASE, 0);
}

static void test_malformed(void)
{
	uint8_t junk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct pvh_ioreq_rsp r;
	uint8_t buf[64], v;

	CU_ASSERT_EQUAL(ioreq(PVH_IDE_CMD_BASE, 3, PVH_IOREQ_IN, 1, junk), PVH_IOREQ_EBADREQ);
	CU_ASSERT_EQUAL(ioreq(PVH_IDE_CMD_BASE, 2, PVH_IOREQ_IN, 0, junk), PVH_IOREQ_EBADREQ);
	CU_ASSERT_EQUAL(ioreq(PVH_IDE_CMD_BASE, 4, PVH_IOREQ_IN, 1025, junk), PVH_IOREQ_EBADREQ);
	CU_ASSERT_EQUAL(send(runner, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	CU_ASSERT_TRUE(readable(runner));
	CU_ASSERT_EQUAL(recv(runner, buf, sizeof(buf), 0), (ssize_t)sizeof(r));
	memcpy(&r, buf, sizeof(r));
	CU_ASSERT_EQUAL(r.status, PVH_IOREQ_EBADREQ);
	/* Longer than any request can be: refused, and the next one still works. */
	{
		static uint8_t big[PVH_IOREQ_MSG_MAX + 64];
		struct pvh_ioreq h = { PVH_IOREQ_MAGIC, 99, PVH_IDE_CMD_BASE, 4, PVH_IOREQ_OUT,
				       PVH_IOREQ_DATA_MAX / 4 };

		memcpy(big, &h, sizeof(h));
		CU_ASSERT_EQUAL(send(runner, big, sizeof(big), 0), (ssize_t)sizeof(big));
		CU_ASSERT_TRUE(readable(runner));
		CU_ASSERT_EQUAL(recv(runner, buf, sizeof(buf), 0), (ssize_t)sizeof(r));
		memcpy(&r, buf, sizeof(r));
		CU_ASSERT_EQUAL(r.status, PVH_IOREQ_EBADREQ);
		CU_ASSERT_EQUAL(r.seq, 99);
	}
	/* Still serving. */
	CU_ASSERT_EQUAL(ioreq(0x80, 1, PVH_IOREQ_IN, 1, &v), PVH_IOREQ_OK);
	CU_ASSERT_EQUAL(v, 0xff);
}

static void test_restart_and_exit(void)
{
	char log[8192] = "";
	int status = -1, fd;
	ssize_t n;

	/* The runner goes (an in-place restart): pvdm claims the new one. */
	outb(PVH_IDE_CMD_BASE + 2, 0x42);
	close(runner);
	runner = -1;
	/* pvhv has no new runner yet the first two times: pvdm asks again. */
	CU_ASSERT_EQUAL(answer_ctl(-EBUSY), PVH_DOM_FD_IOREQ);
	CU_ASSERT_EQUAL(answer_ctl(-EBUSY), PVH_DOM_FD_IOREQ);
	CU_ASSERT_EQUAL(answer_claim(), 0);
	CU_ASSERT_EQUAL(inb(PVH_IDE_CMD_BASE + 2), 1);		/* reset: the signature */
	CU_ASSERT_EQUAL(inb(PVH_IDE_CMD_BASE + 7), ATA_ST_DRDY | ATA_ST_DSC);
	/* SIGUSR1 logs the counters. */
	kill(pid, SIGUSR1);
	/* The domain dies: pvhv says so, pvdm exits 0. */
	close(runner);
	runner = -1;
	CU_ASSERT_EQUAL(answer_ctl(-ESRCH), PVH_DOM_FD_IOREQ);
	for (int i = 0; i < TIMEOUT_MS / 10 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pid = 0;
	fd = open(logpath, O_RDONLY);
	n = fd >= 0 ? read(fd, log, sizeof(log) - 1) : -1;
	if (n > 0)
		log[n] = '\0';
	if (fd >= 0)
		close(fd);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "malformed ioreq"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "serving its new runner"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "domain 7 is gone"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "sectors read"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "read-dma"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "stats: domid=7 ioreqs="));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, " cmd.write-dma=1 "));
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "IDENTIFY and a PIO read through ioreqs", test_identify_and_pio },
		{ "DMA into the domain's memory", test_dma_write_read },
		{ "malformed ioreqs answered EBADREQ", test_malformed },
		{ "a new runner, then the domain gone", test_restart_and_exit },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "pvdm", start, stop, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	signal(SIGPIPE, SIG_IGN);
	return sv_cunit_run(suites);
}
