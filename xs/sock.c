/*
 * sock.c: the Unix socket transport for dom0 clients.
 *
 * Every socket client is dom0 and privileged, as with xenstored's socket
 * (libxenstore reaches it through XENSTORED_PATH).  The socket is created
 * with mode 0600 inside a 0700 directory.  I/O is non-blocking; a short
 * write leaves the rest queued and asks epoll for EPOLLOUT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xs-priv.h"

static int sock_read(struct xs_conn *c, void *buf, size_t len)
{
	struct xs_pollent *pe = c->tp_priv;
	ssize_t r = read(pe->fd, buf, len);

	if (r > 0)
		return (int)r;
	if (r == 0)
		return -ECONNRESET;
	return errno == EAGAIN || errno == EINTR ? 0 : -errno;
}

static int sock_write(struct xs_conn *c, const void *buf, size_t len)
{
	struct xs_pollent *pe = c->tp_priv;
	ssize_t r = send(pe->fd, buf, len, MSG_NOSIGNAL);

	if (r >= 0)
		return (int)r;
	return errno == EAGAIN || errno == EINTR ? 0 : -errno;
}

static void sock_want_write(struct xs_conn *c, bool on)
{
	struct xs_pollent *pe = c->tp_priv;
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0u),
				  .data.ptr = pe };

	epoll_ctl(pe->epfd, EPOLL_CTL_MOD, pe->fd, &ev);
}

static void sock_destroy(struct xs_conn *c)
{
	struct xs_pollent *pe = c->tp_priv;

	epoll_ctl(pe->epfd, EPOLL_CTL_DEL, pe->fd, NULL);
	close(pe->fd);
	free(pe);
}

static const struct xs_transport sock_transport = {
	.kind = "socket",
	.read = sock_read,
	.write = sock_write,
	.want_write = sock_want_write,
	.destroy = sock_destroy,
};

int xs_sock_listen(const char *path, int *fd_out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		rc = -EADDRINUSE;	/* another daemon answers there */
		goto out;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, 0600) || listen(fd, 64)) {
		rc = -errno;
		goto out;
	}
	*fd_out = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int xs_sock_accept(struct xs_store *st, int lfd, int epfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct xs_pollent *pe = NULL;
	int fd, rc = -ENOMEM;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EAGAIN ? -EAGAIN : -errno;
	pe = calloc(1, sizeof(*pe));
	if (!pe)
		goto out;
	pe->kind = XS_POLL_SOCK;
	pe->fd = fd;
	pe->epfd = epfd;
	ev.data.ptr = pe;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) {
		rc = -errno;
		goto out;
	}
	pe->c = xs_conn_create(st, 0, true, &sock_transport, pe);
	if (!pe->c) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
		goto out;
	}
	return 0;
out:
	free(pe);
	close(fd);
	return rc;
}
