/*
 * ctl.c: the dom0 control socket (public/pvh_ctl.h).
 *
 * Connections are accepted only from root (SO_PEERCRED). Each message is
 * one request, answered by one reply. Requests come from trusted dom0
 * tools, but they are still checked for size and termination before use:
 * a confused client gets an error, never a crashed hypervisor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hv-priv.h"

struct ctl_conn {
	int fd;
	struct hv_src src;
	struct ctl_conn *next;
};

static struct ctl_conn *conns;
static char reply_buf[PVH_CTL_MSG_MAX];

static void conn_close(struct ctl_conn *c)
{
	struct ctl_conn **pp;

	for (pp = &conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	hv_dom0_release(c);
	hv_epoll_del(c->fd);
	close(c->fd);
	free(c);
}

static void reply_fd(struct ctl_conn *c, uint32_t type, int status, const void *body,
		     size_t len, int fd)
{
	struct pvh_ctl_rsp *rsp = (struct pvh_ctl_rsp *)reply_buf;

	if (len > sizeof(reply_buf) - sizeof(*rsp)) {
		status = -E2BIG;
		len = 0;
	}
	rsp->magic = PVH_CTL_MAGIC;
	rsp->type = type;
	rsp->status = status;
	rsp->len = (uint32_t)len;
	if (len && body != reply_buf + sizeof(*rsp))
		memcpy(reply_buf + sizeof(*rsp), body, len);
	if (sv_send_msg(c->fd, reply_buf, sizeof(*rsp) + len, fd) < 0)
		sv_debug("control reply failed");
}

static void reply(struct ctl_conn *c, uint32_t type, int status, const void *body, size_t len)
{
	reply_fd(c, type, status, body, len, -1);
}

static void reply_err(struct ctl_conn *c, uint32_t type, int status, const char *msg)
{
	reply(c, type, status, msg, strlen(msg) + 1);
}

static struct hv_domain *lookup(struct ctl_conn *c, uint32_t type, const void *body, size_t len)
{
	const struct pvh_ctl_dom *sel = body;
	struct hv_domain *d;
	char msg[160];

	if (len != sizeof(*sel) || !sv_str_bounded(sel->dom, sizeof(sel->dom))) {
		reply_err(c, type, -EINVAL, "malformed domain selector");
		return NULL;
	}
	d = hv_domain_find(sel->dom);
	if (!d) {
		snprintf(msg, sizeof(msg), "no domain '%s' (pvctl list shows the domains)", sel->dom);
		reply_err(c, type, -ENOENT, msg);
	}
	return d;
}

static void do_host_info(struct ctl_conn *c, uint32_t type)
{
	struct pvh_ctl_host h;

	memset(&h, 0, sizeof(h));
	sv_strlcpy(h.version, PACKAGE_VERSION, sizeof(h.version));
	h.budget_kib = hv.budget_kib;
	h.used_kib = hv.used_kib;
	h.domains = hv.ndomains;
	h.uptime_ns = sv_now_ns() - hv.start_mono_ns;
	h.tsc_khz = hv.tsc_khz;
	reply(c, type, 0, &h, sizeof(h));
}

static void do_create(struct ctl_conn *c, uint32_t type, const void *body, size_t len, int *fd)
{
	struct pvh_ctl_create req;
	struct pvh_ctl_created out = { 0 };
	struct hv_domain *d;
	char err[512] = "";
	int rc;

	if (len != sizeof(req) || *fd < 0) {
		reply_err(c, type, -EINVAL, "malformed create request (it needs the kernel's descriptor)");
		return;
	}
	memcpy(&req, body, sizeof(req));
	rc = hv_domain_create(&req, *fd, &out.domid, err, sizeof(err));
	if (rc < 0) {
		reply_err(c, type, rc, err[0] ? err : strerror(-rc));
		return;
	}
	*fd = -1;	/* the domain owns it now */
	d = hv_domain_by_id(out.domid);
	if (d) {
		out.store_port = d->store_port;
		out.console_port = d->console_port;
	}
	reply(c, type, 0, &out, sizeof(out));
}

static void do_list(struct ctl_conn *c, uint32_t type)
{
	struct pvh_ctl_dominfo *out = (struct pvh_ctl_dominfo *)(reply_buf + sizeof(struct pvh_ctl_rsp));
	size_t n = 0;

	for (unsigned int i = 0; i < HV_MAX_DOMAINS; i++) {
		if (hv.domains[i])
			hv_domain_info(hv.domains[i], &out[n++]);
	}
	reply(c, type, 0, out, n * sizeof(*out));
}

static void do_domain_op(struct ctl_conn *c, uint32_t type, const void *body, size_t len)
{
	struct pvh_ctl_dominfo info;
	struct hv_domain *d = lookup(c, type, body, len);
	char err[256] = "";
	int rc = 0;

	if (!d)
		return;
	switch (type) {
	case PVH_CTL_DOMINFO:
		hv_domain_info(d, &info);
		reply(c, type, 0, &info, sizeof(info));
		return;
	case PVH_CTL_DESTROY: rc = hv_domain_destroy(d); break;
	case PVH_CTL_PAUSE: rc = hv_domain_pause(d, err, sizeof(err)); break;
	case PVH_CTL_UNPAUSE: rc = hv_domain_unpause(d, err, sizeof(err)); break;
	}
	if (rc < 0)
		reply_err(c, type, rc, err[0] ? err : strerror(-rc));
	else
		reply(c, type, 0, NULL, 0);
}

static void do_evtchn(struct ctl_conn *c, uint32_t type, const void *body, size_t len)
{
	struct pvh_ctl_evtchn ev;
	char msg[160];
	int fd = -1, rc;

	if (len != sizeof(ev)) {
		if (type != PVH_CTL_EVTCHN_NOTIFY)
			reply_err(c, type, -EINVAL, "malformed event channel request");
		return;
	}
	memcpy(&ev, body, sizeof(ev));
	switch (type) {
	case PVH_CTL_EVTCHN_NOTIFY:
		hv_dom0_notify(c, ev.local_port);	/* fire and forget */
		return;
	case PVH_CTL_EVTCHN_BIND:
		rc = hv_dom0_bind(c, ev.domid, ev.remote_port, &ev.local_port, &fd);
		break;
	default:
		rc = hv_dom0_unbind(c, ev.local_port);
		break;
	}
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "event channel %s domain %u port %u: %s",
			 type == PVH_CTL_EVTCHN_BIND ? "bind to" : "unbind of", ev.domid,
			 type == PVH_CTL_EVTCHN_BIND ? ev.remote_port : ev.local_port, strerror(-rc));
		reply_err(c, type, rc, msg);
		return;
	}
	reply_fd(c, type, 0, &ev, sizeof(ev), fd);
}

static void do_gnt(struct ctl_conn *c, uint32_t type, const void *body, size_t len)
{
	struct pvh_ctl_gnt g;
	char msg[160];
	int fd = -1, st;

	if (len != sizeof(g)) {
		reply_err(c, type, -EINVAL, "malformed grant request");
		return;
	}
	memcpy(&g, body, sizeof(g));
	if (type == PVH_CTL_GNT_MAP)
		st = hv_dom0_map(c, g.domid, g.ref, g.readonly, &g.handle, &g.offset, &fd);
	else
		st = hv_dom0_unmap(c, g.handle);
	if (st != 0) {
		snprintf(msg, sizeof(msg), "grant %s domain %u ref %u handle %u: GNTST %d",
			 type == PVH_CTL_GNT_MAP ? "map of" : "unmap of", g.domid, g.ref, g.handle, st);
		reply_err(c, type, st == -4 /* GNTST_bad_handle */ ? -EBADF : -EPERM, msg);
		return;
	}
	reply_fd(c, type, 0, &g, sizeof(g), fd);
}

static void do_virq(struct ctl_conn *c, uint32_t type, const void *body, size_t len)
{
	struct pvh_ctl_virq v;
	int fd = -1, rc;

	if (len != sizeof(v)) {
		reply_err(c, type, -EINVAL, "malformed VIRQ request");
		return;
	}
	memcpy(&v, body, sizeof(v));
	rc = hv_dom0_virq_bind(c, v.virq, &fd);
	if (rc < 0)
		reply_err(c, type, rc, "only VIRQ_DOM_EXC can be bound by dom0");
	else
		reply_fd(c, type, 0, &v, sizeof(v), fd);
}

static void do_dom_fd(struct ctl_conn *c, uint32_t type, const void *body, size_t len)
{
	struct pvh_ctl_dom_fd q;
	const char *why = "";
	bool close_after;
	int fd = -1, rc;

	if (len != sizeof(q)) {
		reply_err(c, type, -EINVAL, "malformed DOM_FD request");
		return;
	}
	memcpy(&q, body, sizeof(q));
	rc = hv_dom0_dom_fd(c, q.domid, q.which, &fd, &close_after, &why);
	if (rc < 0) {
		reply_err(c, type, rc, why);
		return;
	}
	reply_fd(c, type, 0, &q, sizeof(q), fd);
	if (close_after)
		close(fd);
}

static void dispatch(struct ctl_conn *c, const struct pvh_ctl_req *req, const void *body, int *fd)
{
	switch (req->type) {
	case PVH_CTL_HOST_INFO: do_host_info(c, req->type); break;
	case PVH_CTL_CREATE: do_create(c, req->type, body, req->len, fd); break;
	case PVH_CTL_LIST: do_list(c, req->type); break;
	case PVH_CTL_DOMINFO:
	case PVH_CTL_DESTROY:
	case PVH_CTL_PAUSE:
	case PVH_CTL_UNPAUSE:
		do_domain_op(c, req->type, body, req->len);
		break;
	case PVH_CTL_EVTCHN_BIND:
	case PVH_CTL_EVTCHN_NOTIFY:
	case PVH_CTL_EVTCHN_UNBIND:
		do_evtchn(c, req->type, body, req->len);
		break;
	case PVH_CTL_GNT_MAP:
	case PVH_CTL_GNT_UNMAP:
		do_gnt(c, req->type, body, req->len);
		break;
	case PVH_CTL_VIRQ_BIND:
		do_virq(c, req->type, body, req->len);
		break;
	case PVH_CTL_DOM_FD:
		do_dom_fd(c, req->type, body, req->len);
		break;
	default:
		reply_err(c, req->type, -ENOSYS, "unknown control request (pvctl and pvhv versions differ?)");
	}
}

/* Serves one message; false when there was none or the connection closed. */
bool hv_ctl_on_readable(void *obj)
{
	static uint8_t buf[8192];
	struct ctl_conn *c = obj;
	struct pvh_ctl_req req;
	ssize_t n;
	int fd = -1;

	n = sv_recv_msg(c->fd, buf, sizeof(buf), &fd);
	if (n == -EAGAIN)
		return false;
	if (n <= 0) {
		conn_close(c);
		return false;
	}
	memcpy(&req, buf, n < (ssize_t)sizeof(req) ? (size_t)n : sizeof(req));
	if ((size_t)n < sizeof(req) || req.magic != PVH_CTL_MAGIC ||
	    req.len != (size_t)n - sizeof(req)) {
		sv_warn("dropping a control connection that sent a malformed message");
		if (fd >= 0)
			close(fd);
		conn_close(c);
		return false;
	}
	dispatch(c, &req, buf + sizeof(req), &fd);
	if (fd >= 0)
		close(fd);
	return true;
}

void hv_ctl_on_accept(int lfd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_conn *c;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
		sv_warn("refused a control connection from uid %d: only root may control pvhv",
			(int)cred.uid);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->src = (struct hv_src){ HV_SRC_CTL_CONN, c };
	if (hv_epoll_add(fd, &c->src) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = conns;
	conns = c;
}

void hv_ctl_close_all(void)
{
	while (conns)
		conn_close(conns);
}

int hv_ctl_listen(const char *rundir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", rundir, PVH_CTL_SOCKET);
	return sv_listen_unix(path, SOCK_SEQPACKET);
}
