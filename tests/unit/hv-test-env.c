/*
 * hv-test-env.c: what pvhv.c provides to the rest of hv/, for unit tests
 * that run hv/ code without the daemon: the global state and a real
 * epoll set to register descriptors in.
 */
#include <errno.h>
#include <sys/epoll.h>

#include "hv-priv.h"

struct hv hv;

int hv_epoll_add(int fd, struct hv_src *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	return epoll_ctl(hv.epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void hv_epoll_del(int fd)
{
	epoll_ctl(hv.epfd, EPOLL_CTL_DEL, fd, NULL);
}
