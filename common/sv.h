/*
 * sv.h: small utilities shared by every host-side program (pvhv, the
 * runner, pvctl, the dom0 daemons): logging with rate limits, the run
 * directory, sizes, descriptor passing and daemon chores. Guest code never
 * includes this.
 */
#ifndef SV_H
#define SV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SV_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SV_DEFAULT_RUNDIR	"/run/splitvisor"

enum sv_log_level { SV_LOG_ERR = 0, SV_LOG_WARN, SV_LOG_INFO, SV_LOG_DEBUG };

/* Logging goes to stderr, prefixed with the program name and a timestamp. */
void sv_log_init(const char *prog, enum sv_log_level max_level);
void sv_log(enum sv_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define sv_err(...)	sv_log(SV_LOG_ERR, __VA_ARGS__)
#define sv_warn(...)	sv_log(SV_LOG_WARN, __VA_ARGS__)
#define sv_info(...)	sv_log(SV_LOG_INFO, __VA_ARGS__)
#define sv_debug(...)	sv_log(SV_LOG_DEBUG, __VA_ARGS__)

/*
 * A token bucket for messages a guest or client can trigger: at most
 * `burst` messages, refilled at `per_sec` a second. sv_ratelimit_ok()
 * says whether to print; suppressed messages are counted and reported
 * with the next one that passes.
 */
struct sv_ratelimit {
	unsigned int burst;
	unsigned int per_sec;
	double tokens;
	uint64_t last_ns;
	unsigned long suppressed;
};
#define SV_RATELIMIT_INIT(burst_, per_sec_) \
	{ .burst = (burst_), .per_sec = (per_sec_), .tokens = (burst_) }
bool sv_ratelimit_ok(struct sv_ratelimit *rl, unsigned long *suppressed_out);
/*
 * The same bucket for a quantity other than messages (bytes, say): takes
 * n tokens and returns true, or takes none, counts n as suppressed and
 * returns false.
 */
bool sv_ratelimit_take(struct sv_ratelimit *rl, unsigned long n, unsigned long *suppressed_out);

/* Clocks, in nanoseconds. */
uint64_t sv_now_ns(void);		/* CLOCK_MONOTONIC */
uint64_t sv_realtime_ns(void);		/* CLOCK_REALTIME */

/*
 * The run directory: `--rundir DIR` if given, else $SPLITVISOR_RUNDIR,
 * else /run/splitvisor. Returns a pointer to static or argument storage.
 */
const char *sv_rundir(const char *cli_value);

/* Parses "512", "512K", "64MiB", "2G" (binary units; bare = bytes). */
int sv_parse_size(const char *s, uint64_t *bytes_out);
/* Parses a decimal uint32 with no sign, spaces or trailing junk. */
int sv_parse_u32(const char *s, uint32_t *out);

/* Copies with truncation; always terminates. Returns strlen(src). */
size_t sv_strlcpy(char *dst, const char *src, size_t size);
/* True if s has a NUL within size bytes. */
bool sv_str_bounded(const char *s, size_t size);

/* Creates a directory and its parents with mode; an existing one is fine. */
int sv_mkdir_p(const char *path, mode_t mode);

/* Writes all of buf, retrying on EINTR and short writes. */
int sv_write_all(int fd, const void *buf, size_t len);

/*
 * Sends one message with up to one descriptor attached (fd < 0: none).
 * sv_recv_msg receives one message and at most one descriptor into
 * *fd_out (-1 if none; extra descriptors are closed). Both return the
 * number of bytes or -errno.
 */
ssize_t sv_send_msg(int sock, const void *buf, size_t len, int fd);
/*
 * The same, but never waits: a peer that does not drain its socket makes
 * it fail with -EAGAIN instead of blocking us. Whoever faces a guest or a
 * peer it does not trust sends with this one.
 */
ssize_t sv_send_msg_nowait(int sock, const void *buf, size_t len, int fd);
ssize_t sv_recv_msg(int sock, void *buf, size_t len, int *fd_out);

/*
 * Listens on a Unix socket at PATH (a stale one is replaced), mode 0600
 * from the start (no window in which others could connect), non-blocking
 * and close-on-exec. Returns the descriptor or -errno.
 */
int sv_listen_unix(const char *path, int type);

/* Pidfiles: write ours; read one and say whether that process lives. */
int sv_pidfile_write(const char *path);
pid_t sv_pidfile_alive(const char *path);

/* Formats 1536 KiB as "1.5 MiB" into buf. */
const char *sv_fmt_kib(uint64_t kib, char *buf, size_t size);

/*
 * A disk image for a backend or device model: a regular file or a block
 * device, opened read-only or read-write, with O_DIRECT where the file
 * system allows it (*direct_out says which). Its size in bytes and
 * whether it is a regular file (hole punching works) come back too.
 * Returns the descriptor or -errno (-ENOTBLK for anything else).
 */
struct sv_image {
	bool direct;
	bool regular;
	uint64_t bytes;
};

int sv_open_image(const char *path, bool readonly, struct sv_image *out);

#endif /* SV_H */
