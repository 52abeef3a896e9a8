/*
 * cmdline.c: the kernel command line as key=value words.
 *
 * start_info.cmd_line is written by the builder and need not be
 * terminated, so it is copied with a bound first, then split in place into
 * a small table. Words past CMDLINE_MAX_WORDS are ignored (and said so).
 */
#include <stdbool.h>
#include <stdint.h>

#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/errno.h>
#include <pvos/string.h>
#include <pvos/xen.h>

#define CMDLINE_MAX_WORDS	32

struct word {
	const char *key;
	const char *value;
};

static char copy[MAX_GUEST_CMDLINE];
static struct word words[CMDLINE_MAX_WORDS];
static unsigned int nr_words;

static char *skip_spaces(char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return p;
}

static char *word_end(char *p)
{
	while (*p && *p != ' ' && *p != '\t' && *p != '\n')
		p++;
	return p;
}

static void add_word(char *w)
{
	char *eq = w;

	if (nr_words == CMDLINE_MAX_WORDS) {
		printk("pvos: command line word \"%s\" ignored (more than %d)\n",
		       w, CMDLINE_MAX_WORDS);
		return;
	}
	while (*eq && *eq != '=')
		eq++;
	words[nr_words].key = w;
	words[nr_words].value = *eq ? eq + 1 : eq;
	*eq = '\0';
	nr_words++;
}

void cmdline_init(const char *line, unsigned long max)
{
	unsigned long n = max < sizeof(copy) - 1 ? max : sizeof(copy) - 1;
	char *p;

	memcpy(copy, line, n);
	copy[strnlen(copy, n)] = '\0';
	nr_words = 0;
	for (p = skip_spaces(copy); *p; p = skip_spaces(p)) {
		char *end = word_end(p);
		bool last = *end == '\0';

		*end = '\0';
		add_word(p);
		p = last ? end : end + 1;
	}
}

const char *cmdline_get(const char *key, const char *def)
{
	/* Search backwards so the last occurrence wins. */
	for (unsigned int i = nr_words; i-- > 0;) {
		if (strcmp(words[i].key, key) == 0)
			return words[i].value;
	}
	return def;
}

static int parse_u64(const char *s, uint64_t *val_out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return -EINVAL;
	}
	*val_out = v;
	return 0;
}

int cmdline_get_u64(const char *key, uint64_t def, uint64_t min, uint64_t max,
		    uint64_t *val_out)
{
	const char *s = cmdline_get(key, NULL);
	uint64_t v = 0;

	if (!s) {
		*val_out = def;
		return 0;
	}
	if (parse_u64(s, &v) < 0 || v < min || v > max)
		return -EINVAL;
	*val_out = v;
	return 0;
}
