/*
 * xs-bench.c: pvxenstored throughput and transaction conflict rates.
 *
 *   xs-bench --daemon PATH/pvxenstored [--ops N]
 *   xs-bench --socket PATH [--ops N]
 *
 * Starts the daemon in a private run directory (or uses a running one) and
 * measures, over the Unix socket with the raw xs_wire protocol, requests
 * per second for READ, WRITE, DIRECTORY and short transactions (start,
 * read, write, commit) with 1 and 8 concurrent clients (processes, one
 * connection each).  Then 8 clients run read-modify-write transactions in
 * disjoint subtrees and on one shared node and the EAGAIN rate of each is
 * reported.  Results are ratios from one run; nothing is asserted.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

#define MAX_CLIENTS 8

enum workload { W_READ, W_WRITE, W_DIRECTORY, W_TX, W_COUNT };

static const char *const workload_names[W_COUNT] = {
	"read", "write", "directory", "transaction",
};

struct result {
	unsigned long ops;
	unsigned long eagain;
};

static const char *sock_path;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int xs_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("xs-bench: connect");
		exit(1);
	}
	return fd;
}

static void full_io(int fd, void *buf, size_t len, bool wr)
{
	size_t off = 0;

	while (off < len) {
		ssize_t r = wr ? write(fd, (char *)buf + off, len - off)
			       : read(fd, (char *)buf + off, len - off);

		if (r <= 0) {
			fprintf(stderr, "xs-bench: connection lost\n");
			exit(1);
		}
		off += (size_t)r;
	}
}

/* One request, one reply; returns the reply type, body in @out. */
static uint32_t xs_call(int fd, uint32_t type, uint32_t tx, const char *a,
			size_t alen, const char *b, size_t blen, char *out)
{
	struct xsd_sockmsg h = { type, 1, tx, (uint32_t)(alen + blen) };
	char buf[XENSTORE_PAYLOAD_MAX + sizeof(h)];

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), a, alen);
	if (blen)
		memcpy(buf + sizeof(h) + alen, b, blen);
	full_io(fd, buf, sizeof(h) + alen + blen, true);
	do {
		full_io(fd, &h, sizeof(h), false);
		if (h.len > XENSTORE_PAYLOAD_MAX)
			exit(1);
		full_io(fd, out, h.len, false);
		out[h.len] = '\0';
	} while (h.type == XS_WATCH_EVENT);
	return h.type;
}

static void path_of(char *buf, size_t size, unsigned int client, bool shared)
{
	if (shared)
		snprintf(buf, size, "/bench/shared/node");
	else
		snprintf(buf, size, "/bench/c%u/node", client);
}

static void one_tx(int fd, const char *path, struct result *res, char *out)
{
	uint32_t tx;

	for (;;) {
		xs_call(fd, XS_TRANSACTION_START, 0, "", 1, NULL, 0, out);
		tx = (uint32_t)strtoul(out, NULL, 10);
		xs_call(fd, XS_READ, tx, path, strlen(path) + 1, NULL, 0, out);
		xs_call(fd, XS_WRITE, tx, path, strlen(path) + 1, "v", 1, out);
		if (xs_call(fd, XS_TRANSACTION_END, tx, "T", 2, NULL, 0, out) !=
		    XS_ERROR || strcmp(out, "EAGAIN") != 0)
			break;
		res->eagain++;
	}
	res->ops++;
}

static struct result client(enum workload w, unsigned int id,
			    unsigned long ops, bool shared)
{
	char path[64], out[XENSTORE_PAYLOAD_MAX + 1];
	struct result res = { 0, 0 };
	int fd = xs_connect();
	unsigned long i;

	path_of(path, sizeof(path), id, shared);
	xs_call(fd, XS_WRITE, 0, path, strlen(path) + 1, "v", 1, out);
	for (i = 0; i < ops; i++) {
		switch (w) {
		case W_READ:
			xs_call(fd, XS_READ, 0, path, strlen(path) + 1, NULL, 0,
				out);
			break;
		case W_WRITE:
			xs_call(fd, XS_WRITE, 0, path, strlen(path) + 1, "w", 1,
				out);
			break;
		case W_DIRECTORY:
			xs_call(fd, XS_DIRECTORY, 0, "/bench", 7, NULL, 0, out);
			break;
		default:
			one_tx(fd, path, &res, out);
			continue;
		}
		res.ops++;
	}
	close(fd);
	return res;
}

/* Run @n clients as processes; returns ops/s, sums EAGAINs. */
static double run(enum workload w, unsigned int n, unsigned long ops,
		  bool shared, struct result *total)
{
	int pipes[MAX_CLIENTS][2];
	pid_t pids[MAX_CLIENTS];
	double t0 = now(), t;
	unsigned int i;

	memset(total, 0, sizeof(*total));
	for (i = 0; i < n; i++) {
		if (pipe(pipes[i]))
			exit(1);
		pids[i] = fork();
		if (pids[i] == 0) {
			struct result r = client(w, i, ops, shared);

			full_io(pipes[i][1], &r, sizeof(r), true);
			_exit(0);
		}
		close(pipes[i][1]);
	}
	for (i = 0; i < n; i++) {
		struct result r;

		full_io(pipes[i][0], &r, sizeof(r), false);
		close(pipes[i][0]);
		waitpid(pids[i], NULL, 0);
		total->ops += r.ops;
		total->eagain += r.eagain;
	}
	t = now() - t0;
	return (double)total->ops / t;
}

static pid_t start_daemon(const char *daemon, char *dir, size_t size)
{
	static char sock[512];
	struct stat sb;
	pid_t pid;
	int i;

	snprintf(dir, size, "/tmp/xs-bench.XXXXXX");
	if (!mkdtemp(dir))
		exit(1);
	snprintf(sock, sizeof(sock), "%s/xenstored/socket", dir);
	pid = fork();
	if (pid == 0) {
		execl(daemon, daemon, "--rundir", dir, "--foreground",
		      (char *)NULL);
		perror("xs-bench: exec");
		_exit(1);
	}
	for (i = 0; i < 200 && stat(sock, &sb); i++)
		usleep(20000);
	sock_path = sock;
	return pid;
}

int main(int argc, char **argv)
{
	const char *daemon = NULL;
	unsigned long ops = 20000;
	char dir[64] = "";
	struct result r1, r8, rd, rs;
	pid_t pid = 0;
	int i, w;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--daemon"))
			daemon = argv[i + 1];
		else if (!strcmp(argv[i], "--socket"))
			sock_path = argv[i + 1];
		else if (!strcmp(argv[i], "--ops"))
			ops = strtoul(argv[i + 1], NULL, 10);
	}
	if (!daemon && !sock_path) {
		fprintf(stderr, "usage: xs-bench --daemon PATH | --socket PATH "
			"[--ops N]\n");
		return 2;
	}
	if (daemon)
		pid = start_daemon(daemon, dir, sizeof(dir));
	printf("%-12s %14s %14s %8s\n", "workload", "1 client/s",
	       "8 clients/s", "ratio");
	for (w = 0; w < W_COUNT; w++) {
		double a = run((enum workload)w, 1, ops, false, &r1);
		double b = run((enum workload)w, 8, ops / 8, false, &r8);

		printf("%-12s %14.0f %14.0f %8.2f\n", workload_names[w], a, b,
		       b / a);
	}
	run(W_TX, 8, ops / 8, false, &rd);
	run(W_TX, 8, ops / 8, true, &rs);
	printf("\n8 clients, read-modify-write transactions:\n");
	printf("  disjoint subtrees: %lu commits, %lu EAGAIN (%.1f%%)\n",
	       rd.ops, rd.eagain, 100.0 * (double)rd.eagain /
	       (double)(rd.ops + rd.eagain));
	printf("  one shared node:   %lu commits, %lu EAGAIN (%.1f%%)\n",
	       rs.ops, rs.eagain, 100.0 * (double)rs.eagain /
	       (double)(rs.ops + rs.eagain));
	if (pid) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir),
			 "/xenstored");
		rmdir(dir);
		*strrchr(dir, '/') = '\0';
		rmdir(dir);
	}
	return 0;
}
