/*
 * log.c: the daemon log and the access log.
 *
 * Messages go to stderr or a log file.  Anything a client can trigger goes
 * through xs_log_client(), which lets a burst through and then drops lines
 * (counting them) until the window passes, so a hostile guest cannot fill
 * the disk.  The access log writes one line per request when switched on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "xs-priv.h"

#define RATE_WINDOW_S 10
#define RATE_BURST 20

static FILE *log_file;
static time_t window_start;
static unsigned int window_count, suppressed;

void xs_log_set_file(FILE *f)
{
	log_file = f;
}

static void vlog(const char *fmt, va_list ap)
{
	FILE *f = log_file ? log_file : stderr;

	fputs("pvxenstored: ", f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

void xs_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void xs_log_client(const char *fmt, ...)
{
	time_t now = time(NULL);
	va_list ap;

	if (now - window_start >= RATE_WINDOW_S) {
		if (suppressed)
			xs_log("%u client-triggered messages suppressed",
			       suppressed);
		window_start = now;
		window_count = 0;
		suppressed = 0;
	}
	if (window_count >= RATE_BURST) {
		suppressed++;
		return;
	}
	window_count++;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

/* Client strings go into the log only as printable characters. */
static void sanitize(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < size; i++)
		out[i] = in[i] > ' ' && in[i] < 127 ? in[i] : '?';
	out[i] = '\0';
}

void xs_access_log(struct xs_store *st, const struct xs_conn *c,
		   const struct xs_req *req, int rc)
{
	char path[257];

	if (!st->access_log_on || !st->access_log)
		return;
	sanitize(req->nargs ? req->arg[0] : "", path, sizeof(path));
	fprintf(st->access_log, "conn=%u dom=%u type=%s tx=%u path=%s "
		"result=%s\n", c->id, c->domid, xs_type_name(req->hdr.type),
		req->hdr.tx_id, path, rc ? xs_errno_name(rc) : "OK");
	fflush(st->access_log);
}
