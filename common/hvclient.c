/*
 * hvclient.c: dom0's side of the control protocol. Requests are one
 * SOCK_SEQPACKET message each; replies likewise, except EVTCHN_NOTIFY,
 * which has none so that a backend never waits to notify.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "evtchn-2l.h"
#include "hvclient.h"
#include "public/pvh_ctl.h"
#include "sv.h"

int hvc_open(const char *rundir, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", rundir, PVH_CTL_SOCKET) >=
	    sizeof(sa.sun_path)) {
		snprintf(err, errlen, "run directory path too long: %s", rundir);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	e = errno;
	close(fd);
	if (e == ENOENT || e == ECONNREFUSED)
		snprintf(err, errlen, "pvhv is not running in %s (start the host with: pvctl host start)", rundir);
	else if (e == EACCES)
		snprintf(err, errlen, "permission denied on %s: run as root", sa.sun_path);
	else
		snprintf(err, errlen, "cannot connect to %s: %s", sa.sun_path, strerror(e));
	return -e;
}

int hvc_call(int fd, uint32_t type, const void *req, size_t req_len, int fd_in,
	     void *body, size_t size, size_t *len_out, int *fd_out,
	     char *err, size_t errlen)
{
	static __thread uint8_t buf[PVH_CTL_MSG_MAX];	/* backends call from threads */
	struct pvh_ctl_req hdr = { .magic = PVH_CTL_MAGIC, .type = type, .len = (uint32_t)req_len };
	struct pvh_ctl_rsp rsp;
	size_t n_body;
	ssize_t n;
	int rfd = -1;

	if (fd_out)
		*fd_out = -1;
	if (req_len > sizeof(buf) - sizeof(hdr))
		return -E2BIG;
	memcpy(buf, &hdr, sizeof(hdr));
	if (req_len)
		memcpy(buf + sizeof(hdr), req, req_len);
	n = sv_send_msg(fd, buf, sizeof(hdr) + req_len, fd_in);
	if (n >= 0)
		n = sv_recv_msg(fd, buf, sizeof(buf) - 1, fd_out ? &rfd : NULL);
	if (n < (ssize_t)sizeof(rsp)) {
		snprintf(err, errlen, "pvhv closed the connection without answering (see its log)");
		return -EPROTO;
	}
	memcpy(&rsp, buf, sizeof(rsp));
	if (rsp.magic != PVH_CTL_MAGIC || rsp.len != (size_t)n - sizeof(rsp)) {
		if (rfd >= 0)
			close(rfd);
		return -EPROTO;
	}
	if (rsp.status < 0) {
		buf[n] = '\0';
		snprintf(err, errlen, "%s", rsp.len ? (char *)buf + sizeof(rsp) : strerror(-rsp.status));
		if (rfd >= 0)
			close(rfd);
		return rsp.status;
	}
	n_body = rsp.len < size ? rsp.len : size;
	if (body && n_body)
		memcpy(body, buf + sizeof(rsp), n_body);
	if (len_out)
		*len_out = n_body;
	if (fd_out)
		*fd_out = rfd;
	return 0;
}

int hvc_evtchn_bind(int fd, uint32_t domid, uint32_t remote_port,
		    uint32_t *port_out, int *evfd_out, char *err, size_t errlen)
{
	struct pvh_ctl_evtchn ev = { .domid = domid, .remote_port = remote_port };
	int rc;

	rc = hvc_call(fd, PVH_CTL_EVTCHN_BIND, &ev, sizeof(ev), -1, &ev, sizeof(ev), NULL,
		      evfd_out, err, errlen);
	if (rc == 0 && *evfd_out < 0)
		rc = -EPROTO;
	if (rc == 0)
		*port_out = ev.local_port;
	return rc;
}

int hvc_evtchn_notify(int fd, uint32_t port)
{
	struct {
		struct pvh_ctl_req hdr;
		struct pvh_ctl_evtchn ev;
	} msg = {
		.hdr = { .magic = PVH_CTL_MAGIC, .type = PVH_CTL_EVTCHN_NOTIFY,
			 .len = sizeof(struct pvh_ctl_evtchn) },
		.ev = { .local_port = port },
	};
	ssize_t n = sv_send_msg(fd, &msg, sizeof(msg), -1);

	return n < 0 ? (int)n : 0;
}

int hvc_evtchn_unbind(int fd, uint32_t port)
{
	struct pvh_ctl_evtchn ev = { .local_port = port };
	char err[160];

	return hvc_call(fd, PVH_CTL_EVTCHN_UNBIND, &ev, sizeof(ev), -1, NULL, 0, NULL, NULL,
			err, sizeof(err));
}

void hvc_evtchn_ack(int evfd)
{
	uint64_t n;

	while (read(evfd, &n, sizeof(n)) == sizeof(n))
		;
}

int hvc_gnt_map(int fd, uint32_t domid, uint32_t ref, bool readonly,
		uint32_t *handle_out, void **page_out, char *err, size_t errlen)
{
	struct pvh_ctl_gnt g = { .domid = domid, .ref = ref, .readonly = readonly };
	int memfd = -1, rc;
	void *p;

	rc = hvc_call(fd, PVH_CTL_GNT_MAP, &g, sizeof(g), -1, &g, sizeof(g), NULL, &memfd,
		      err, errlen);
	if (rc < 0)
		return rc;
	if (memfd < 0)
		return -EPROTO;
	p = mmap(NULL, 4096, PROT_READ | (readonly ? 0 : PROT_WRITE), MAP_SHARED, memfd,
		 (off_t)g.offset);
	close(memfd);
	if (p == MAP_FAILED) {
		rc = -errno;
		hvc_gnt_unmap(fd, g.handle, NULL);
		snprintf(err, errlen, "mmap of domain %u's granted page: %s", domid, strerror(-rc));
		return rc;
	}
	*handle_out = g.handle;
	*page_out = p;
	return 0;
}

int hvc_gnt_unmap(int fd, uint32_t handle, void *page)
{
	struct pvh_ctl_gnt g = { .handle = handle };
	char err[160];

	if (page)
		munmap(page, 4096);
	return hvc_call(fd, PVH_CTL_GNT_UNMAP, &g, sizeof(g), -1, NULL, 0, NULL, NULL,
			err, sizeof(err));
}

int hvc_dom_exc_bind(int fd, int *evfd_out, char *err, size_t errlen)
{
	return hvc_virq_bind(fd, VIRQ_DOM_EXC, evfd_out, err, errlen);
}

int hvc_virq_bind(int fd, uint32_t virq, int *evfd_out, char *err, size_t errlen)
{
	struct pvh_ctl_virq v = { .virq = virq };
	int rc;

	rc = hvc_call(fd, PVH_CTL_VIRQ_BIND, &v, sizeof(v), -1, NULL, 0, NULL, evfd_out,
		      err, errlen);
	if (rc == 0 && *evfd_out < 0)
		rc = -EPROTO;
	return rc;
}

static int dom_fd(int fd, uint32_t domid, uint32_t which, int *out)
{
	struct pvh_ctl_dom_fd q = { .domid = domid, .which = which };
	char err[160];
	int rc = hvc_call(fd, PVH_CTL_DOM_FD, &q, sizeof(q), -1, NULL, 0, NULL, out, err, sizeof(err));

	return rc == 0 && *out < 0 ? -EPROTO : rc;
}

int hvc_evtchn_open(int fd, uint32_t domid, uint32_t remote_port, struct hvc_evtchn *e,
		    char *err, size_t errlen)
{
	int memfd = -1, rc;

	memset(e, 0, sizeof(*e));
	e->evfd = e->kick_fd = -1;
	e->domid = domid;
	e->remote_port = remote_port;
	rc = hvc_evtchn_bind(fd, domid, remote_port, &e->port, &e->evfd, err, errlen);
	if (rc < 0)
		return rc;
	/* The fast path is an optimisation: without it, kicks go through pvhv. */
	if (dom_fd(fd, domid, 1, &memfd) == 0) {
		e->shinfo = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
		if (e->shinfo == MAP_FAILED)
			e->shinfo = NULL;
		close(memfd);
	}
	if (e->shinfo && dom_fd(fd, domid, 0, &e->kick_fd) < 0) {
		munmap(e->shinfo, 4096);
		e->shinfo = NULL;
	}
	return 0;
}

void hvc_evtchn_kick(int fd, const struct hvc_evtchn *e)
{
	uint64_t one = 1;

	if (!e->shinfo || e->kick_fd < 0) {
		hvc_evtchn_notify(fd, e->port);
		return;
	}
	if (evtchn_2l_set_pending(e->shinfo, e->remote_port) &&
	    write(e->kick_fd, &one, sizeof(one)) < 0)
		hvc_evtchn_notify(fd, e->port);
}

void hvc_evtchn_close(int fd, struct hvc_evtchn *e)
{
	if (e->shinfo)
		munmap(e->shinfo, 4096);
	if (e->kick_fd >= 0)
		close(e->kick_fd);
	if (e->evfd >= 0) {
		hvc_evtchn_unbind(fd, e->port);
		close(e->evfd);
	}
	memset(e, 0, sizeof(*e));
	e->evfd = e->kick_fd = -1;
}
