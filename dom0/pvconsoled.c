/*
 * pvconsoled.c: the console daemon. For every guest it maps the console
 * ring (grant 0, struct xencons_interface), binds the console event
 * channel, appends what the guest writes to <rundir>/console/<name>.log
 * and relays it to every attached `pvctl console` viewer; what a viewer
 * types goes into the ring's input half.
 *
 * Discovery is Xen's: a watch on @introduceDomain and @releaseDomain, then
 * a look at /local/domain/N/console/{ring-ref,port} and name. A domain
 * that is gone, or whose console cannot be mapped, is detached.
 *
 * The ring is guest memory: each index is read once, the producer is
 * checked against the ring size before anything is copied (a guest that
 * lies is logged once and its console stops), and only the bytes between
 * the checked indices are read.
 *
 * Viewers connect to <rundir>/pvconsoled.sock and send one line,
 * "attach NAME\n"; from then on the connection is the console. Output to
 * a viewer that does not keep up is dropped rather than queued: a slow
 * terminal cannot grow the daemon or hold up the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/xen.h>
#include <xen/io/console.h>

#include "hvclient.h"
#include "public/pvh_ctl.h"
#include "sv.h"

#define MAX_CONSOLES	512
#define MAX_VIEWERS	8	/* per console */
#define LOG_MAX		(1u << 20)
#define ATTACH_MAX	128

enum src_kind { SRC_SIGNAL = 1, SRC_XS, SRC_LISTEN, SRC_PORT, SRC_VIEWER, SRC_DOM_EXC, SRC_HV };

/* How often an idle daemon makes sure pvxenstored is still there. */
#define XS_CHECK_MS	1000

struct src {
	enum src_kind kind;
	void *obj;
};

struct viewer {
	int fd;
	struct console *con;	/* NULL until it has attached */
	char line[ATTACH_MAX];
	size_t got;
	bool input_done;
	struct src src;
};

struct console {
	unsigned int domid;
	char name[64];
	struct xencons_interface *ring;
	uint32_t handle;
	struct hvc_evtchn ev;
	uint32_t restarts;		/* pvhv's count when we attached */
	int log_fd;
	uint64_t log_bytes;
	bool broken;
	/* Our indices, kept here: the copies in the ring are the guest's too. */
	XENCONS_RING_IDX out_cons, in_prod;
	struct viewer *viewers[MAX_VIEWERS];
	struct src src;
};

static struct {
	const char *rundir;
	int epfd;
	int hv;
	struct xs_handle *xs;
	struct console *cons[MAX_CONSOLES];
	struct sv_ratelimit rl;
	int dom_exc_fd;
	struct src dom_exc_src;
	struct src hv_src;
} cd = { .hv = -1, .dom_exc_fd = -1, .rl = SV_RATELIMIT_INIT(10, 1) };

static int epoll_add(int fd, struct src *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

	return epoll_ctl(cd.epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void viewer_close(struct viewer *v)
{
	if (v->con) {
		for (int i = 0; i < MAX_VIEWERS; i++)
			if (v->con->viewers[i] == v)
				v->con->viewers[i] = NULL;
	}
	epoll_ctl(cd.epfd, EPOLL_CTL_DEL, v->fd, NULL);
	close(v->fd);
	free(v);
}

static void log_open(struct console *c)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/console/%s.log", cd.rundir, c->name);
	c->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	c->log_bytes = c->log_fd >= 0 ? (uint64_t)lseek(c->log_fd, 0, SEEK_END) : 0;
}

static void log_write(struct console *c, const char *buf, size_t len)
{
	char path[PATH_MAX], old[PATH_MAX + 8];

	if (c->log_fd >= 0 && c->log_bytes + len > LOG_MAX) {
		snprintf(path, sizeof(path), "%s/console/%s.log", cd.rundir, c->name);
		snprintf(old, sizeof(old), "%s.old", path);
		if (rename(path, old) == 0) {
			close(c->log_fd);
			c->log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
			c->log_bytes = 0;
		}
	}
	if (c->log_fd >= 0 && sv_write_all(c->log_fd, buf, len) == 0)
		c->log_bytes += len;
}

static void relay(struct console *c, const char *buf, size_t len)
{
	log_write(c, buf, len);
	for (int i = 0; i < MAX_VIEWERS; i++) {
		struct viewer *v = c->viewers[i];

		if (v && send(v->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
		    errno != EAGAIN)
			viewer_close(v);
	}
}

static void broken(struct console *c, const char *why)
{
	unsigned long missed = 0;

	c->broken = true;
	if (sv_ratelimit_ok(&cd.rl, &missed))
		sv_warn("domain %u (%s): console ring %s; its console stops", c->domid, c->name, why);
}

/* Drains the output half: guest -> us. */
static void drain_out(struct console *c)
{
	char buf[sizeof(c->ring->out)];
	XENCONS_RING_IDX cons, prod, n;

	if (c->broken)
		return;
	cons = c->out_cons;
	prod = __atomic_load_n(&c->ring->out_prod, __ATOMIC_ACQUIRE);	/* read once */
	n = prod - cons;
	if (n > sizeof(c->ring->out)) {
		broken(c, "output indices are corrupt");
		return;
	}
	for (XENCONS_RING_IDX i = 0; i < n; i++)
		buf[i] = c->ring->out[MASK_XENCONS_IDX(cons + i, c->ring->out)];
	/* Pairs with the guest's read barrier before it reuses the space. */
	c->out_cons = prod;
	__atomic_store_n(&c->ring->out_cons, prod, __ATOMIC_RELEASE);
	if (n) {
		relay(c, buf, n);
		hvc_evtchn_kick(cd.hv, &c->ev);
	}
}

/* Fills the input half: viewer -> guest. Returns bytes taken. */
static size_t feed_in(struct console *c, const char *buf, size_t len)
{
	XENCONS_RING_IDX cons, prod, space;
	size_t n;

	if (c->broken)
		return len;
	cons = __atomic_load_n(&c->ring->in_cons, __ATOMIC_ACQUIRE);	/* read once */
	prod = c->in_prod;
	space = sizeof(c->ring->in) - (prod - cons);
	if (prod - cons > sizeof(c->ring->in)) {
		broken(c, "input indices are corrupt");
		return len;
	}
	n = len < space ? len : space;
	for (size_t i = 0; i < n; i++)
		c->ring->in[MASK_XENCONS_IDX(prod + i, c->ring->in)] = buf[i];
	/* Publish the bytes before the index; pairs with the guest's rmb. */
	c->in_prod = prod + (XENCONS_RING_IDX)n;
	__atomic_store_n(&c->ring->in_prod, c->in_prod, __ATOMIC_RELEASE);
	if (n)
		hvc_evtchn_kick(cd.hv, &c->ev);
	return n;
}

static char *xs_get(unsigned int domid, const char *key)
{
	char path[128];
	unsigned int len;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
	return xs_read(cd.xs, XBT_NULL, path, &len);
}

static struct console *find(unsigned int domid)
{
	for (int i = 0; i < MAX_CONSOLES; i++)
		if (cd.cons[i] && cd.cons[i]->domid == domid)
			return cd.cons[i];
	return NULL;
}

static void detach(struct console *c)
{
	for (int i = 0; i < MAX_VIEWERS; i++)
		if (c->viewers[i])
			viewer_close(c->viewers[i]);
	if (c->ev.evfd >= 0) {
		epoll_ctl(cd.epfd, EPOLL_CTL_DEL, c->ev.evfd, NULL);
		hvc_evtchn_close(cd.hv, &c->ev);
	}
	if (c->ring)
		hvc_gnt_unmap(cd.hv, c->handle, c->ring);
	if (c->log_fd >= 0)
		close(c->log_fd);
	for (int i = 0; i < MAX_CONSOLES; i++)
		if (cd.cons[i] == c)
			cd.cons[i] = NULL;
	free(c);
}

/*
 * pvhv's restart count for a domain; UINT32_MAX if it is gone or no
 * longer running (its console has nothing more to say).
 */
static uint32_t restarts_of(unsigned int domid)
{
	struct pvh_ctl_dominfo info;
	struct pvh_ctl_dom sel;
	char err[200];
	size_t len = 0;

	snprintf(sel.dom, sizeof(sel.dom), "%u", domid);
	if (hvc_call(cd.hv, PVH_CTL_DOMINFO, &sel, sizeof(sel), -1, &info, sizeof(info), &len,
		     NULL, err, sizeof(err)) < 0 || len != sizeof(info))
		return UINT32_MAX;
	if (info.state != PVH_STATE_RUNNING && info.state != PVH_STATE_PAUSED)
		return UINT32_MAX;
	return info.restarts;
}

static int attach(unsigned int domid)
{
	char *name = xs_get(domid, "name"), *port = xs_get(domid, "console/port"), err[256];
	struct console *c = calloc(1, sizeof(*c));
	int slot = -1, rc = -EINVAL;
	uint32_t remote;
	void *page;

	for (int i = 0; i < MAX_CONSOLES && slot < 0; i++)
		if (!cd.cons[i])
			slot = i;
	if (!c || !name || !port || slot < 0 || sv_parse_u32(port, &remote) < 0)
		goto out;
	c->domid = domid;
	c->ev.evfd = c->ev.kick_fd = c->log_fd = -1;
	sv_strlcpy(c->name, name, sizeof(c->name));
	c->restarts = restarts_of(domid);
	rc = hvc_gnt_map(cd.hv, domid, 0 /* GNTTAB_RESERVED_CONSOLE */, false, &c->handle, &page,
			 err, sizeof(err));
	if (rc == 0) {
		c->ring = page;
		c->out_cons = __atomic_load_n(&c->ring->out_cons, __ATOMIC_ACQUIRE);
		c->in_prod = __atomic_load_n(&c->ring->in_prod, __ATOMIC_ACQUIRE);
		rc = hvc_evtchn_open(cd.hv, domid, remote, &c->ev, err, sizeof(err));
	}
	if (rc < 0) {
		sv_warn("domain %u: cannot attach its console: %s", domid, err);
		goto out;
	}
	log_open(c);
	c->src = (struct src){ SRC_PORT, c };
	epoll_add(c->ev.evfd, &c->src);
	cd.cons[slot] = c;
	c = NULL;
	drain_out(cd.cons[slot]);
out:
	if (c)
		detach(c);
	free(name);
	free(port);
	return rc;
}

/*
 * Our control connection to pvhv and the VIRQ_DOM_EXC bound on it. pvhv
 * answers on it only when asked, so it becomes readable only when pvhv
 * dies (hv_gone()); the next rescan connects again.
 */
static int hv_connect(void)
{
	char err[256];

	if (cd.hv >= 0)
		return 0;
	cd.hv = hvc_open(cd.rundir, err, sizeof(err));
	if (cd.hv < 0) {
		sv_err("%s", err);
		return cd.hv;
	}
	cd.hv_src = (struct src){ SRC_HV, NULL };
	epoll_add(cd.hv, &cd.hv_src);
	if (hvc_dom_exc_bind(cd.hv, &cd.dom_exc_fd, err, sizeof(err)) == 0) {
		cd.dom_exc_src = (struct src){ SRC_DOM_EXC, &cd.dom_exc_fd };
		epoll_add(cd.dom_exc_fd, &cd.dom_exc_src);
	}
	return 0;
}

/*
 * pvhv died, and every guest with it (as in a hypervisor crash): take
 * what the rings still hold into the logs, release every console, and
 * wait for a new pvhv.
 */
static void hv_gone(void)
{
	unsigned int n = 0;

	for (int i = 0; i < MAX_CONSOLES; i++) {
		if (!cd.cons[i])
			continue;
		drain_out(cd.cons[i]);
		detach(cd.cons[i]);
		n++;
	}
	if (cd.dom_exc_fd >= 0) {
		epoll_ctl(cd.epfd, EPOLL_CTL_DEL, cd.dom_exc_fd, NULL);
		close(cd.dom_exc_fd);
		cd.dom_exc_fd = -1;
	}
	epoll_ctl(cd.epfd, EPOLL_CTL_DEL, cd.hv, NULL);
	close(cd.hv);
	cd.hv = -1;
	sv_warn("pvhv went away, and every guest with it: released %u console%s; waiting for a new pvhv",
		n, n == 1 ? "" : "s");
}

/* Attaches new domains and detaches vanished ones. */
static void rescan(void)
{
	unsigned int n = 0;
	char **ents;
	bool seen[MAX_CONSOLES] = { false };

	if (hv_connect() < 0)
		return;		/* no pvhv, no guests: the next watch event looks again */
	ents = xs_directory(cd.xs, XBT_NULL, "/local/domain", &n);

	for (unsigned int i = 0; ents && i < n; i++) {
		uint32_t domid;
		struct console *c;

		if (sv_parse_u32(ents[i], &domid) < 0 || domid == 0)
			continue;
		c = find(domid);
		if (!c && attach(domid) == 0)
			c = find(domid);
		for (int j = 0; c && j < MAX_CONSOLES; j++)
			if (cd.cons[j] == c)
				seen[j] = true;
	}
	free(ents);
	for (int i = 0; i < MAX_CONSOLES; i++)
		if (cd.cons[i] && !seen[i])
			detach(cd.cons[i]);
}

/*
 * Some domain changed state. One that restarted in place has fresh memory
 * and a fresh ring: reattach it. One that is gone is detached.
 */
static void on_dom_exc(int evfd)
{
	hvc_evtchn_ack(evfd);
	for (int i = 0; i < MAX_CONSOLES; i++) {
		struct console *c = cd.cons[i];
		unsigned int domid;
		uint32_t now;

		if (!c)
			continue;
		domid = c->domid;
		now = restarts_of(domid);
		if (now == c->restarts)
			continue;
		drain_out(c);	/* its last words reach the log and the viewers */
		detach(c);
		if (now != UINT32_MAX)
			attach(domid);
	}
}

static void on_xs_watch(void)
{
	unsigned int n;
	char **ev = xs_read_watch(cd.xs, &n);

	free(ev);
	rescan();
}

static struct console *find_name(const char *name)
{
	for (int i = 0; i < MAX_CONSOLES; i++)
		if (cd.cons[i] && strcmp(cd.cons[i]->name, name) == 0)
			return cd.cons[i];
	return NULL;
}

/* "status": the health check of pvctl host status, one line, then close. */
static void status_reply(struct viewer *v)
{
	unsigned int n = 0;
	char line[96];

	for (int i = 0; i < MAX_CONSOLES; i++)
		n += cd.cons[i] != NULL;
	snprintf(line, sizeof(line), "ok pvconsoled pid %d: %u console%s\n", (int)getpid(), n,
		 n == 1 ? "" : "s");
	if (write(v->fd, line, strlen(line)) < 0)
		sv_debug("a status client went away before its answer");
	viewer_close(v);
}

static void viewer_attach(struct viewer *v)
{
	char *nl = memchr(v->line, '\n', v->got), msg[160];
	struct console *c;

	*nl = '\0';
	if (strcmp(v->line, "status") == 0) {
		status_reply(v);
		return;
	}
	c = strncmp(v->line, "attach ", 7) == 0 ? find_name(v->line + 7) : NULL;
	if (!c) {
		snprintf(msg, sizeof(msg), "error: no console for '%s'\n", v->line + 7);
		if (write(v->fd, msg, strlen(msg)) < 0)
			sv_debug("viewer gone");
		viewer_close(v);
		return;
	}
	for (int i = 0; i < MAX_VIEWERS; i++) {
		if (!c->viewers[i]) {
			c->viewers[i] = v;
			v->con = c;
			if (write(v->fd, "ok\n", 3) < 0)
				sv_debug("viewer gone");
			/* Bytes typed right after the attach line go to the guest. */
			if (nl + 1 < v->line + v->got)
				feed_in(c, nl + 1, (size_t)(v->line + v->got - nl - 1));
			return;
		}
	}
	if (write(v->fd, "error: too many viewers\n", 24) < 0)
		sv_debug("viewer gone");
	viewer_close(v);
}

static void on_viewer(struct viewer *v)
{
	char buf[1024];
	ssize_t n;

	if (!v->con) {
		n = read(v->fd, v->line + v->got, sizeof(v->line) - 1 - v->got);
		if (n <= 0) {
			viewer_close(v);
			return;
		}
		v->got += (size_t)n;
		if (memchr(v->line, '\n', v->got))
			viewer_attach(v);
		else if (v->got >= sizeof(v->line) - 1)
			viewer_close(v);
		return;
	}
	n = read(v->fd, buf, sizeof(buf));
	if (n == 0) {
		/*
		 * The viewer has no more input (a script's stdin ended) but may
		 * still want output: stop reading; a full close shows as EPOLLHUP.
		 */
		struct epoll_event ev = { .events = 0, .data.ptr = &v->src };

		if (v->input_done)
			viewer_close(v);
		v->input_done = true;
		epoll_ctl(cd.epfd, EPOLL_CTL_MOD, v->fd, &ev);
		return;
	}
	if (n < 0) {
		viewer_close(v);
		return;
	}
	feed_in(v->con, buf, (size_t)n);	/* what does not fit is dropped */
}

static void on_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct viewer *v;

	if (fd < 0)
		return;
	v = calloc(1, sizeof(*v));
	if (!v) {
		close(fd);
		return;
	}
	v->fd = fd;
	v->src = (struct src){ SRC_VIEWER, v };
	if (epoll_add(fd, &v->src) < 0) {
		close(fd);
		free(v);
	}
}

static int listen_sock(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/pvconsoled.sock", cd.rundir);
	return sv_listen_unix(path, SOCK_STREAM);
}

static int setup(struct src *s_sig, struct src *s_xs, struct src *s_lis, int *lfd, int *sfd)
{
	char path[PATH_MAX];
	sigset_t set;

	snprintf(path, sizeof(path), "%s/xenstored/socket", cd.rundir);
	setenv("XENSTORED_PATH", path, 1);
	cd.xs = xs_open(0);
	if (!cd.xs || !xs_watch(cd.xs, "@introduceDomain", "intro") ||
	    !xs_watch(cd.xs, "@releaseDomain", "release")) {
		sv_err("cannot watch XenStore at %s: is pvxenstored running?", path);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	*sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	*lfd = listen_sock();
	cd.epfd = epoll_create1(EPOLL_CLOEXEC);
	*s_sig = (struct src){ SRC_SIGNAL, NULL };
	*s_xs = (struct src){ SRC_XS, NULL };
	*s_lis = (struct src){ SRC_LISTEN, NULL };
	if (cd.epfd < 0 || hv_connect() < 0)
		return -1;
	if (*sfd < 0 || *lfd < 0 || cd.epfd < 0 || epoll_add(*sfd, s_sig) < 0 ||
	    epoll_add(xs_fileno(cd.xs), s_xs) < 0 || epoll_add(*lfd, s_lis) < 0) {
		sv_err("cannot set up: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * libxenstore's reader thread closes the connection when pvxenstored goes
 * away, but wakes nobody who polls: ask something cheap now and then.
 */
static bool xenstore_alive(void)
{
	unsigned int n;
	char **ents = xs_directory(cd.xs, XBT_NULL, "/", &n);

	free(ents);
	return ents != NULL;
}

/* Returns 0 on SIGTERM, 1 when pvxenstored went away. */
static int run(int lfd)
{
	struct epoll_event evs[1];

	for (;;) {
		/*
		 * One event per wait: any handler may free consoles or viewers
		 * that later events of a batch point at, and epoll, being
		 * level-triggered, reports the rest again.
		 */
		int n = epoll_wait(cd.epfd, evs, 1, XS_CHECK_MS);

		if (n == 0 && !xenstore_alive()) {
			sv_err("lost the connection to pvxenstored: releasing every console and exiting");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct src *s = evs[i].data.ptr;

			switch (s->kind) {
			case SRC_SIGNAL: return 0;
			case SRC_HV: hv_gone(); break;
			case SRC_XS: on_xs_watch(); break;
			case SRC_LISTEN: on_accept(lfd); break;
			case SRC_PORT:
				hvc_evtchn_ack(((struct console *)s->obj)->ev.evfd);
				drain_out(s->obj);
				break;
			case SRC_VIEWER: on_viewer(s->obj); break;
			case SRC_DOM_EXC: on_dom_exc(*(int *)s->obj); break;
			}
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct src s_sig, s_xs, s_lis;
	char pidfile[PATH_MAX], sock[PATH_MAX];
	int c, lfd = -1, sfd = -1, rc;

	sv_log_init("pvconsoled", SV_LOG_INFO);
	cd.rundir = sv_rundir(NULL);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'r') {
			fprintf(stderr, "usage: pvconsoled [--rundir DIR]\n");
			return 2;
		}
		cd.rundir = optarg;
	}
	if (setup(&s_sig, &s_xs, &s_lis, &lfd, &sfd) < 0)
		return 1;
	snprintf(pidfile, sizeof(pidfile), "%s/pvconsoled.pid", cd.rundir);
	sv_pidfile_write(pidfile);
	rescan();
	sv_info("serving consoles in %s", cd.rundir);
	rc = run(lfd);
	for (int i = 0; i < MAX_CONSOLES; i++)
		if (cd.cons[i])
			detach(cd.cons[i]);
	snprintf(sock, sizeof(sock), "%s/pvconsoled.sock", cd.rundir);
	unlink(sock);
	unlink(pidfile);
	sv_info("stopped");
	return rc;
}
