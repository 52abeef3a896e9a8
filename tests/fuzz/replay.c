/*
 * replay.c: main() for a fuzz harness built without libFuzzer, so that
 * `make check` runs it over its corpus (fuzz.h).
 *
 *   replay-TARGET [FILE|DIR]...
 *
 * With no arguments it replays the source tree's tests/fuzz/corpus/TARGET
 * (fuzz_srcdir()). Every file is one input, in name order. A crash or a
 * failed FUZZ_CHECK ends the program with the input's name already
 * printed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "fuzz.h"

#define INPUT_MAX	(4u << 20)	/* seeds are far smaller */

/* One input, in a buffer of exactly its size, so ASan sees a read past it. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat st;
	size_t n = 0;
	int rc = -1;

	if (!f || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (st.st_size > INPUT_MAX) {
		fprintf(stderr, "replay: %s: larger than %u bytes\n", path, INPUT_MAX);
		goto out;
	}
	n = (size_t)st.st_size;
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != n) {
		fprintf(stderr, "replay: %s: cannot read it\n", path);
		goto out;
	}
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
	LLVMFuzzerTestOneInput(buf, n);
	rc = 0;
out:
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Replays every regular file of dir; returns how many, or -1. */
static int replay_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, by_name), done = 0;

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		if (names[i]->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				done = -1;
			else if (done >= 0)
				done++;
		}
		free(names[i]);
	}
	free(names);
	return done;
}

static int replay_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return S_ISDIR(st.st_mode) ? replay_dir(path) : replay_file(path) < 0 ? -1 : 1;
}

/* replay-TARGET names its corpus. */
static const char *target_name(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	return strncmp(base, "replay-", 7) == 0 ? base + 7 : base;
}

int main(int argc, char **argv)
{
	const char *target = target_name(argv[0]);
	char dir[4096];
	int total = 0, n;

	if (argc < 2) {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", fuzz_srcdir(), target);
		n = replay_path(dir);
		if (n <= 0) {
			fprintf(stderr, "replay: no input in %s\n", dir);
			return 1;
		}
		total = n;
	}
	for (int i = 1; i < argc; i++) {
		n = replay_path(argv[i]);
		if (n < 0)
			return 1;
		total += n;
	}
	printf("%s: %d inputs replayed, no crash\n", target, total);
	return 0;
}
