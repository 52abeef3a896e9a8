/*
 * xs-priv.h: the data model shared by the files of pvxenstored.
 *
 * One struct xs_store holds everything: the node tree, the domains known to
 * the store (for quota accounting), the connections, and the settings.  The
 * daemon keeps exactly one; the unit tests make a fresh one per test.
 *
 * Layering, bottom up:
 *   path.c    validates and canonicalises paths from the wire
 *   perms.c   parses/prints permission strings, decides access
 *   tree.c    the committed node tree with per-node generation counts
 *   quota.c   quota table and per-domain usage
 *   transaction.c  per-transaction overlay, read set, commit
 *   store.c   node operations as one request sees them (tx + perms + watches)
 *   watch.c   watch registration and event delivery
 *   wire.c    message framing and reply building
 *   conn.c    connections: input assembly, output queues, limits
 *   request.c, request-domain.c, control.c   the XS_* handlers
 *   ring.c, sock.c, pvxenstored.c   transports and the daemon
 */
#ifndef SPLITVISOR_XS_PRIV_H
#define SPLITVISOR_XS_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <xen/io/xs_wire.h>

#include "xs.h"

#define XS_DOMID_INVALID 0x7ff4u	/* DOMID_INVALID in xen.h */
#define XS_DOMID_MAX 0x7fefu		/* largest real domid (DOMID_FIRST_RESERVED - 1) */

/* Limits that are not quotas (not configurable). */
#define XS_OUTQ_MAX_BYTES (1024u * 1024u)	/* unread output per connection */
#define XS_REQS_PER_ROUND 16u			/* requests per connection per loop round */
#define XS_MAX_DEPTH 1024u			/* nodes below the root */

/* ---- paths (path.c) ---- */

/*
 * Canonicalise @in (from connection of @domid) into @out of size @size:
 * a relative path gets "/local/domain/<domid>/" in front.  Rejects bad
 * characters, "//", a trailing "/", empty paths and paths too long.
 * Special "@..." names are accepted only if @allow_special.
 */
int xs_path_canonical(const char *in, unsigned int domid, bool allow_special,
		      char *out, size_t size);
bool xs_path_is_special(const char *path);
/* True if @anc is @path or one of its ancestors. */
bool xs_path_is_prefix(const char *anc, const char *path);
/* Points into @path at the last component; *parent_len_out gets its prefix. */
const char *xs_path_basename(const char *path, size_t *parent_len_out);
unsigned int xs_path_depth(const char *path);

/* ---- permissions (perms.c) ---- */

#define XS_PERM_NONE 0u
#define XS_PERM_READ 1u
#define XS_PERM_WRITE 2u
#define XS_PERM_BOTH 3u

struct xs_perm {
	uint16_t domid;
	uint8_t perm;
};

struct xs_perms {
	unsigned int num;
	struct xs_perm *p;	/* p[0] is the owner; its letter is the default */
};

int xs_perms_parse(const char *buf, size_t len, unsigned int max,
		   struct xs_perms *out);
/* Writes "n0\0r1\0"; returns the length used or -E2BIG. */
int xs_perms_format(const struct xs_perms *perms, char *buf, size_t size);
int xs_perms_copy(const struct xs_perms *src, struct xs_perms *out);
void xs_perms_free(struct xs_perms *perms);
/* The access @domid has (with @target acting for it, or XS_DOMID_INVALID). */
unsigned int xs_perms_access(const struct xs_perms *perms, unsigned int domid,
			     unsigned int target);
/* Inherit @parent's list for a child made by @creator (owner replaced). */
int xs_perms_inherit(const struct xs_perms *parent, unsigned int creator,
		     bool privileged, struct xs_perms *out);

/* ---- the committed tree (tree.c) ---- */

struct xs_store;

struct xs_node {
	char *name;			/* one component; "" for the root */
	struct xs_node *parent;
	struct xs_node **children;
	unsigned int nchildren, cap;
	char *value;
	unsigned int vlen;
	struct xs_perms perms;
	uint64_t gen;			/* bumped on create, value or perms change */
	uint64_t cgen;			/* bumped when a child is added or removed */
};

int xs_tree_init(struct xs_store *st);
void xs_tree_dispose(struct xs_store *st);
struct xs_node *xs_tree_lookup(struct xs_store *st, const char *path);
struct xs_node *xs_tree_child(const struct xs_node *node, const char *name,
			      size_t len);
int xs_tree_create(struct xs_store *st, struct xs_node *parent,
		   const char *name, const struct xs_perms *perms,
		   struct xs_node **node_out);
int xs_tree_set_value(struct xs_store *st, struct xs_node *node,
		      const char *value, unsigned int vlen);
int xs_tree_set_perms(struct xs_store *st, struct xs_node *node,
		      const struct xs_perms *perms);
/* Removes @node and everything below it (iteratively). Not the root. */
void xs_tree_remove(struct xs_store *st, struct xs_node *node);
int xs_node_path(const struct xs_node *node, char *buf, size_t size);
/* Bytes a node is charged: value, perms, child names. */
size_t xs_node_size(const struct xs_node *node);
/* Calls @fn on each node in pre-order; @fn returning non-zero stops. */
int xs_tree_walk(struct xs_store *st, int (*fn)(struct xs_node *, void *),
		 void *arg);

/* ---- domains and quotas (quota.c) ---- */

enum xs_quota_id {
	XS_Q_NODES, XS_Q_NODE_SIZE, XS_Q_WATCHES, XS_Q_TRANSACTIONS,
	XS_Q_OUTSTANDING, XS_Q_MEMORY, XS_Q_PERMS, XS_Q_TX_NODES,
	XS_Q_RATE, XS_Q_BURST,		/* request rate limit (ratelimit.c) */
	XS_QUOTA_COUNT
};

extern const char *const xs_quota_names[XS_QUOTA_COUNT];

struct xs_domain {
	unsigned int domid;
	bool introduced;
	bool shutdown;
	unsigned int target;		/* SET_TARGET, or XS_DOMID_INVALID */
	unsigned int nodes;
	unsigned int watches;
	unsigned int transactions;
	size_t memory;			/* node bytes owned */
	size_t tx_memory;		/* values held in open transactions */
	struct xs_conn *conn;		/* its ring connection, if introduced */
	uint32_t port;			/* its store port, as INTRODUCE gave it */
	/* request token bucket (ratelimit.c), in thousandths of a request */
	bool rate_started;
	uint64_t rate_tokens;
	uint64_t rate_stamp;		/* st->now_ns of the last refill */
	unsigned long rate_delays;	/* times its connection had to wait */
	struct xs_domain *next;
};

void xs_quota_defaults(unsigned int *quota);
int xs_quota_set(unsigned int *quota, const char *name_eq_value);
struct xs_domain *xs_domain_find(struct xs_store *st, unsigned int domid);
struct xs_domain *xs_domain_get(struct xs_store *st, unsigned int domid);
void xs_domain_put_if_unused(struct xs_store *st, struct xs_domain *d);
/* Node accounting, called by tree.c. */
void xs_quota_node_add(struct xs_store *st, unsigned int owner, size_t size);
void xs_quota_node_del(struct xs_store *st, unsigned int owner, size_t size);
/* 0, or -ENOSPC after logging which quota @domid would exceed. */
int xs_quota_check(struct xs_store *st, unsigned int domid,
		   enum xs_quota_id q, size_t want);
int xs_quota_report(struct xs_store *st, char *buf, size_t size);

/* ---- request rate limits (ratelimit.c) ---- */

uint64_t xs_monotonic_ns(void);
/* May @c start another request now?  Sets c->rate_blocked if not. */
bool xs_rate_may_read(struct xs_store *st, struct xs_conn *c);
/* @c dispatched a request: take its token. */
void xs_rate_take(struct xs_store *st, struct xs_conn *c);
/* Nanoseconds until a rate-blocked connection may go on; 0 if none. */
uint64_t xs_rate_next_ns(struct xs_store *st);

/* ---- connections (conn.c) ---- */

struct xs_conn;

struct xs_transport {
	const char *kind;
	/* Copy up to @len bytes of input; 0 if none now; -errno if dead. */
	int (*read)(struct xs_conn *c, void *buf, size_t len);
	/* Write up to @len bytes; returns bytes taken (maybe 0) or -errno. */
	int (*write)(struct xs_conn *c, const void *buf, size_t len);
	/* After a flush: whether output is still pending. */
	void (*want_write)(struct xs_conn *c, bool on);
	/* After a batch of reads and writes (ring: notify the guest). */
	void (*kick)(struct xs_conn *c);
	/* A request was handled; all replies were written (ring: publish). */
	void (*dispatched)(struct xs_conn *c);
	void (*settled)(struct xs_conn *c);
	void (*destroy)(struct xs_conn *c);
};

struct xs_outmsg {
	struct xs_outmsg *next;
	size_t len, off;
	bool is_reply;
	char data[];
};

struct xs_watch;
struct xs_tx;

struct xs_conn {
	struct xs_store *st;
	unsigned int id;
	unsigned int domid;
	bool privileged;
	bool dead;			/* close as soon as the loop sees it */
	bool throttle_logged;
	bool rate_blocked;		/* its domain is out of request tokens */
	unsigned int round;		/* st->round its budget is for */
	unsigned int budget;		/* requests left in that round */
	const struct xs_transport *tp;
	void *tp_priv;
	/* input assembly */
	struct xsd_sockmsg hdr;
	size_t hdr_got;
	char *body;
	size_t body_got;
	/* output */
	struct xs_outmsg *out_head, *out_tail;
	size_t out_bytes;
	unsigned int out_replies;	/* replies queued, not yet sent */
	struct xs_watch *watches;
	struct xs_tx *txs;
	struct xs_conn *next;
};

struct xs_conn *xs_conn_create(struct xs_store *st, unsigned int domid,
			       bool privileged, const struct xs_transport *tp,
			       void *tp_priv);
void xs_conn_destroy(struct xs_store *st, struct xs_conn *c);
/* Read and handle input; returns 0, or -errno if the conn must close. */
int xs_conn_handle_input(struct xs_store *st, struct xs_conn *c);
/* Try to write queued output; -errno if the conn must close. */
int xs_conn_flush(struct xs_conn *c);
int xs_conn_queue(struct xs_conn *c, uint32_t type, uint32_t req_id,
		  uint32_t tx_id, const void *p1, size_t l1, const void *p2,
		  size_t l2, bool is_reply);
/* Drop watches, transactions, partial input and output (ring reconnect). */
void xs_conn_reset(struct xs_store *st, struct xs_conn *c);
bool xs_conn_throttled(struct xs_store *st, const struct xs_conn *c);
void xs_conn_reap(struct xs_store *st);

/* ---- wire (wire.c) ---- */

#define XS_MAX_ARGS 16u

struct xs_req {
	struct xsd_sockmsg hdr;
	char *body;			/* private copy, NUL appended */
	unsigned int nargs;
	const char *arg[XS_MAX_ARGS];	/* NUL-terminated strings in body */
	const char *tail;		/* WRITE value: bytes after arg[0] */
	size_t tail_len;
};

const char *xs_type_name(uint32_t type);
const char *xs_errno_name(int err);
/* 0 if the header may be accepted; -E2BIG / -EINVAL otherwise. */
int xs_wire_check_header(const struct xsd_sockmsg *hdr);
/* Split @req->body into NUL-terminated args; -EINVAL on a missing NUL. */
int xs_wire_split(struct xs_req *req, unsigned int want_min);
int xs_reply(struct xs_conn *c, const struct xs_req *req, const void *data,
	     size_t len);
int xs_reply_str(struct xs_conn *c, const struct xs_req *req, const char *s);
int xs_reply_error(struct xs_conn *c, const struct xs_req *req, int err);
int xs_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* ---- transactions (transaction.c) ---- */

struct xs_txnode {
	char *path;
	bool deleted;
	char *value;
	unsigned int vlen;
	struct xs_perms perms;
	bool wiped;			/* committed children below are removed */
	bool dirty;			/* value/perms to write at commit */
	bool implicit;			/* missing parent made by a write */
};

/*
 * What a transaction saw of a committed node (or of a directory's committed
 * child list) at its first access: returned for every later access, so a
 * transaction reads a consistent view, and compared at commit.
 */
struct xs_txread {
	char *path;
	uint64_t gen;			/* 0: absent */
	bool dir;			/* child list and cgen, not node and gen */
	char *value;			/* node: its value (NULL if absent) */
	unsigned int vlen;
	struct xs_perms perms;
	char *names;			/* dir: committed children, NUL-separated */
	size_t nlen;
};

struct xs_tx {
	uint32_t id;
	struct xs_conn *conn;
	struct xs_txnode *nodes;
	unsigned int nnodes, capnodes;
	struct xs_txread *reads;
	unsigned int nreads, capreads;
	unsigned int naccessed;		/* distinct nodes and lists, for the quota */
	size_t bytes;			/* overlay values and snapshots, charged */
	struct xs_tx *next;
};

int xs_tx_start(struct xs_store *st, struct xs_conn *c, uint32_t *id_out);
struct xs_tx *xs_tx_find(struct xs_conn *c, uint32_t id);
/* Commit (@commit) or abort; frees the transaction either way. */
int xs_tx_end(struct xs_store *st, struct xs_tx *tx, bool commit);
void xs_tx_free(struct xs_store *st, struct xs_tx *tx);
void xs_tx_free_all(struct xs_store *st, struct xs_conn *c);
struct xs_txnode *xs_tx_lookup(struct xs_tx *tx, const char *path);
/*
 * The view of committed node (or child list, @dir) @path in @tx: taken from
 * the tree and kept at the first access, the kept one afterwards.  *@out is
 * NULL for an implicit transaction (nothing can intervene): read the tree.
 */
int xs_tx_snapshot(struct xs_store *st, struct xs_tx *tx, const char *path,
		   bool dir, const struct xs_txread **out);
/* The kept view of @path if the transaction accessed it, else NULL. */
const struct xs_txread *xs_tx_seen(const struct xs_tx *tx, const char *path,
				   bool dir);
/* Charge @delta bytes held by @tx to its domain's memory quota. */
void xs_tx_charge(struct xs_store *st, struct xs_tx *tx, long delta);
struct xs_txnode *xs_tx_touch(struct xs_store *st, struct xs_tx *tx,
			      const char *path, int *rc_out);

/* ---- node operations as a request sees them (store.c) ---- */

/* A read-only view of a node, committed or in a transaction overlay. */
struct xs_view {
	const char *value;
	unsigned int vlen;
	const struct xs_perms *perms;
};

struct xs_ctx {
	struct xs_store *st;
	struct xs_conn *conn;
	struct xs_tx *tx;		/* NULL outside a transaction */
	unsigned int domid;
	unsigned int target;
	bool privileged;
};

int xs_store_read(struct xs_ctx *x, const char *path, unsigned int need,
		  struct xs_view *out);
int xs_store_write(struct xs_ctx *x, const char *path, const char *value,
		   unsigned int vlen, bool only_create);
int xs_store_rm(struct xs_ctx *x, const char *path);
int xs_store_set_perms(struct xs_ctx *x, const char *path,
		       const struct xs_perms *perms);
/* Children names NUL-separated into *buf_out (malloc'd), and a generation. */
int xs_store_children(struct xs_ctx *x, const char *path, char **buf_out,
		      size_t *len_out, uint64_t *gen_out);
/* Exposed for transaction.c: apply a committed change and fire watches. */
void xs_store_changed(struct xs_store *st, const char *path,
		      const struct xs_perms *perms, bool recursive);

/* ---- watches (watch.c) ---- */

struct xs_watch {
	char *path;			/* canonical, or "@..." */
	char *token;
	bool relative;
	unsigned int depth;		/* 0: unlimited */
	struct xs_watch *next;
};

int xs_watch_add(struct xs_store *st, struct xs_conn *c, const char *path,
		 const char *token, bool relative, unsigned int depth);
int xs_watch_del(struct xs_store *st, struct xs_conn *c, const char *path,
		 const char *token);
void xs_watch_free_all(struct xs_store *st, struct xs_conn *c);
/*
 * Fire watches for a change at @path whose node had @perms (for access
 * checks).  @recursive: the subtree was removed, so watches below fire too.
 */
void xs_watch_fire(struct xs_store *st, const char *path,
		   const struct xs_perms *perms, bool recursive);
void xs_watch_fire_special(struct xs_store *st, const char *name);
int xs_watch_event(struct xs_conn *c, const struct xs_watch *w,
		   const char *path);

/* ---- requests (request.c, request-domain.c, control.c) ---- */

int xs_request_handle(struct xs_store *st, struct xs_conn *c,
		      struct xs_req *req);
int xs_domid_arg(const char *s, unsigned int *domid_out);
int xs_req_introduce(struct xs_ctx *x, struct xs_req *req);
int xs_req_release(struct xs_ctx *x, struct xs_req *req);
int xs_req_is_introduced(struct xs_ctx *x, struct xs_req *req);
int xs_req_domain_path(struct xs_ctx *x, struct xs_req *req);
int xs_req_resume(struct xs_ctx *x, struct xs_req *req);
int xs_req_set_target(struct xs_ctx *x, struct xs_req *req);
int xs_req_control(struct xs_ctx *x, struct xs_req *req);
/* Removes everything of domain @domid: conn, watches, txs, owned nodes. */
void xs_domain_release(struct xs_store *st, unsigned int domid);
int xs_domain_reconnect(struct xs_store *st, unsigned int domid, uint32_t port);
int xs_domain_reattach(struct xs_store *st, unsigned int domid, uint32_t port);

/* ---- durability (persist.c) ---- */

struct xs_persist;

/*
 * Load the store kept in @dir (snapshot and journal) into @st, which has
 * just been initialised, and log every change from now on.
 * *@restored_out: there was a store to load.
 */
int xs_persist_open(struct xs_store *st, const char *dir, bool *restored_out);
/* Flush and stop; @discard removes the files (the store ends with the host). */
void xs_persist_close(struct xs_store *st, bool discard);
/* Write the records of this round; called before any reply goes out. */
int xs_persist_flush(struct xs_store *st);
int xs_persist_compact(struct xs_store *st);
/* Change hooks (no-ops without an open store or while loading). */
void xs_persist_node(struct xs_store *st, const struct xs_node *node);
void xs_persist_remove(struct xs_store *st, const struct xs_node *node);
void xs_persist_domain(struct xs_store *st, const struct xs_domain *d);
void xs_persist_watch(struct xs_store *st, const struct xs_conn *c,
		      const struct xs_watch *w, bool added);
void xs_persist_unwatch_all(struct xs_store *st, const struct xs_conn *c);
void xs_persist_special(struct xs_store *st, unsigned int which);
/* Re-register the kept watches of @c's domain on @c and fire each once. */
int xs_persist_restore_watches(struct xs_store *st, struct xs_conn *c);
void xs_persist_forget_watches(struct xs_store *st, unsigned int domid);

/* ---- logging (log.c) ---- */

void xs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For messages a client can trigger: rate limited. */
void xs_log_client(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void xs_log_set_file(FILE *f);
void xs_access_log(struct xs_store *st, const struct xs_conn *c,
		   const struct xs_req *req, int rc);

/* ---- ring transport (ring.c) ---- */

struct xs_ring;

/*
 * Wrap a mapped ring page.  @notify is called after we produce responses
 * or consume requests.  Resets the ring and advertises our features.
 */
struct xs_ring *xs_ring_create(struct xenstore_domain_interface *intf,
			       void (*notify)(void *arg), void *arg);
/* Wrap a page a previous daemon served: indices are kept (checked). */
struct xs_ring *xs_ring_attach(struct xenstore_domain_interface *intf,
			       void (*notify)(void *arg), void *arg);
void xs_ring_destroy(struct xs_ring *r);
/* A request was read whole and handled; publish it with xs_ring_settle(). */
void xs_ring_msg_done(struct xs_ring *r);
/* Every reply is in the ring: publish consumption of handled requests. */
void xs_ring_settle(struct xs_ring *r);
/* Copy up to @len request bytes out; 0 if none; -EIO if indices corrupt. */
int xs_ring_read(struct xs_ring *r, void *buf, size_t len);
/* Copy up to @len response bytes in; returns bytes written or -EIO. */
int xs_ring_write(struct xs_ring *r, const void *buf, size_t len);
/* Notify the guest once if indices moved since the last kick. */
void xs_ring_kick(struct xs_ring *r);
/* Handle connection=XENSTORE_RECONNECT; true if a reset happened. */
bool xs_ring_check_reconnect(struct xs_ring *r);
void xs_ring_set_error(struct xs_ring *r, uint32_t error);
extern const struct xs_transport xs_ring_transport;
/* The guest notified: reconnect, flush, read.  1 if input remains. */
int xs_ring_conn_event(struct xs_store *st, struct xs_conn *c);

/* ---- the daemon's poll entries (sock.c, pvxenstored.c) ---- */

enum xs_poll_kind { XS_POLL_LISTEN, XS_POLL_SOCK, XS_POLL_RING,
		    XS_POLL_SIGNAL, XS_POLL_DOM_EXC };

/* ---- the link to pvhv (hvlink.c) ---- */

/* Serves guest rings through pvhv in @rundir; *@dom_exc_fd_out is -1 without pvhv. */
int xs_hv_attach(struct xs_store *st, const char *rundir, int *dom_exc_fd_out);
void xs_hv_on_dom_exc(struct xs_store *st, int evfd);
/* After a restart with a kept store: re-attach live domains, release the rest. */
void xs_hv_restore(struct xs_store *st);

struct xs_pollent {
	enum xs_poll_kind kind;
	int fd;
	int epfd;
	struct xs_conn *c;
	struct xs_pollent *next;
};

int xs_sock_listen(const char *path, int *fd_out);
/* Accept one client on @lfd as a privileged dom0 connection. */
int xs_sock_accept(struct xs_store *st, int lfd, int epfd);

/* ---- the store ---- */

struct xs_store {
	struct xs_node *root;
	uint64_t gen;
	unsigned int nnodes;
	struct xs_perms special_perms[2];	/* @introduceDomain, @releaseDomain */
	struct xs_domain *domains;
	struct xs_conn *conns;
	unsigned int next_conn_id;
	uint32_t next_tx_id;
	unsigned int quota[XS_QUOTA_COUNT];
	uint64_t now_ns;			/* the loop's clock (ratelimit.c) */
	unsigned int round;			/* loop rounds, for per-conn budgets */
	const struct xs_ring_ops *ring_ops;
	void *ring_opaque;
	struct xs_persist *persist;		/* NULL: nothing is kept */
	FILE *access_log;
	bool access_log_on;
	/* The daemon's poll hooks for ring conns (NULL in unit tests). */
	int (*watch_fd)(void *arg, int fd, struct xs_conn *c);
	void (*unwatch_fd)(void *arg, int fd);
	void *loop_arg;
};

int xs_store_init(struct xs_store *st);
void xs_store_dispose(struct xs_store *st);

#endif
