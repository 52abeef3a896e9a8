/*
 * log.c: one logging path for every host program. Messages go to stderr
 * (daemons point stderr at their log file) as
 * "2026-11-22T17:30:01.123 pvhv: message". Messages that a guest or a
 * client can trigger go through a struct sv_ratelimit so nobody can fill a
 * disk with our logs.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sv.h"

static const char *log_prog = "splitvisor";
static enum sv_log_level log_max = SV_LOG_INFO;

void sv_log_init(const char *prog, enum sv_log_level max_level)
{
	log_prog = prog;
	log_max = max_level;
}

void sv_log(enum sv_log_level level, const char *fmt, ...)
{
	static const char *const tags[] = { "error: ", "warning: ", "", "debug: " };
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > log_max)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	flockfile(stderr);
	fprintf(stderr, "%s.%03ld %s: %s", stamp, ts.tv_nsec / 1000000, log_prog,
		tags[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	fflush(stderr);
}

bool sv_ratelimit_take(struct sv_ratelimit *rl, unsigned long n, unsigned long *suppressed_out)
{
	uint64_t now = sv_now_ns();

	if (rl->last_ns)
		rl->tokens += (double)(now - rl->last_ns) * rl->per_sec / 1e9;
	rl->last_ns = now;
	if (rl->tokens > rl->burst)
		rl->tokens = rl->burst;
	if (rl->tokens < (double)n) {
		rl->suppressed += n;
		return false;
	}
	rl->tokens -= (double)n;
	if (suppressed_out)
		*suppressed_out = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

bool sv_ratelimit_ok(struct sv_ratelimit *rl, unsigned long *suppressed_out)
{
	return sv_ratelimit_take(rl, 1, suppressed_out);
}

uint64_t sv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t sv_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
