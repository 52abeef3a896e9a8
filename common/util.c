/*
 * util.c: strings, sizes, directories, descriptor passing and pidfiles,
 * the chores every host program needs exactly once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sv.h"

const char *sv_rundir(const char *cli_value)
{
	const char *env;

	if (cli_value && *cli_value)
		return cli_value;
	env = getenv("SPLITVISOR_RUNDIR");
	if (env && *env)
		return env;
	return SV_DEFAULT_RUNDIR;
}

static int unit_shift(const char *unit, unsigned int *shift_out)
{
	static const struct { const char *name; unsigned int shift; } units[] = {
		{ "", 0 }, { "b", 0 }, { "B", 0 },
		{ "k", 10 }, { "K", 10 }, { "KiB", 10 }, { "KB", 10 },
		{ "m", 20 }, { "M", 20 }, { "MiB", 20 }, { "MB", 20 },
		{ "g", 30 }, { "G", 30 }, { "GiB", 30 }, { "GB", 30 },
		{ "t", 40 }, { "T", 40 }, { "TiB", 40 }, { "TB", 40 },
	};

	for (size_t i = 0; i < SV_ARRAY_SIZE(units); i++) {
		if (strcmp(unit, units[i].name) == 0) {
			*shift_out = units[i].shift;
			return 0;
		}
	}
	return -EINVAL;
}

int sv_parse_size(const char *s, uint64_t *bytes_out)
{
	unsigned long long v;
	unsigned int shift;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (unit_shift(end, &shift) < 0)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes_out = (uint64_t)v << shift;
	return 0;
}

int sv_parse_u32(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

size_t sv_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

bool sv_str_bounded(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

int sv_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (sv_strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int sv_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t send_msg(int sock, const void *buf, size_t len, int fd, int flags)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.space;
		msg.msg_controllen = sizeof(ctl.space);
		ctl.hdr.cmsg_level = SOL_SOCKET;
		ctl.hdr.cmsg_type = SCM_RIGHTS;
		ctl.hdr.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&ctl.hdr), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t sv_send_msg(int sock, const void *buf, size_t len, int fd)
{
	return send_msg(sock, buf, len, fd, 0);
}

ssize_t sv_send_msg_nowait(int sock, const void *buf, size_t len, int fd)
{
	return send_msg(sock, buf, len, fd, MSG_DONTWAIT);
}

/* Keeps the first descriptor received and closes any others. */
static void take_fds(struct msghdr *msg, int *fd_out)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd_out < 0)
				*fd_out = fd;
			else
				close(fd);
		}
	}
}

ssize_t sv_recv_msg(int sock, void *buf, size_t len, int *fd_out)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.space, .msg_controllen = sizeof(ctl.space),
	};
	ssize_t n;
	int fd = -1;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	take_fds(&msg, &fd);
	if (fd_out)
		*fd_out = fd;
	else if (fd >= 0)
		close(fd);
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -EMSGSIZE;
	return n;
}

int sv_listen_unix(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (sv_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path);
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 64) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int sv_pidfile_write(const char *path)
{
	char buf[32];
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	rc = sv_write_all(fd, buf, strlen(buf));
	close(fd);
	return rc;
}

pid_t sv_pidfile_alive(const char *path)
{
	char buf[32] = "";
	long pid;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid <= 1 || kill((pid_t)pid, 0) < 0)
		return 0;
	return (pid_t)pid;
}

const char *sv_fmt_kib(uint64_t kib, char *buf, size_t size)
{
	if (kib >= (1ull << 20) && kib % (1ull << 20) == 0)
		snprintf(buf, size, "%" PRIu64 " GiB", kib >> 20);
	else if (kib >= 1024 && kib % 1024 == 0)
		snprintf(buf, size, "%" PRIu64 " MiB", kib >> 10);
	else if (kib >= 1024)
		snprintf(buf, size, "%.1f MiB", (double)kib / 1024.0);
	else
		snprintf(buf, size, "%" PRIu64 " KiB", kib);
	return buf;
}

int sv_open_image(const char *path, bool readonly, struct sv_image *out)
{
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;
	int fd, err;

	*out = (struct sv_image){ 0 };
	fd = open(path, flags | O_DIRECT);
	out->direct = fd >= 0;
	if (fd < 0)
		fd = open(path, flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		goto fail;
	out->regular = S_ISREG(st.st_mode);
	if (out->regular)
		out->bytes = (uint64_t)st.st_size;
	else if (!S_ISBLK(st.st_mode)) {
		errno = ENOTBLK;
		goto fail;
	} else if (ioctl(fd, BLKGETSIZE64, &out->bytes) < 0)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	return -err;
}
