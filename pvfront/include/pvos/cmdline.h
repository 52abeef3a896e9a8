/*
 * pvos/cmdline.h: the kernel command line, as key=value words.
 *
 * "init=hello escape=open seed=3": words are separated by spaces; a word
 * without '=' has the empty value. A later word overrides an earlier one
 * with the same key.
 */
#ifndef PVOS_CMDLINE_H
#define PVOS_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

/* Parse a copy of line (at most max bytes; need not be terminated). */
void cmdline_init(const char *line, unsigned long max);

/* The value of key, or def if the key is absent. Valid until reboot. */
const char *cmdline_get(const char *key, const char *def);

/*
 * The decimal value of key in [min, max] through val_out; def if absent.
 * Returns 0, or -EINVAL if the value is not a number in range.
 */
int cmdline_get_u64(const char *key, uint64_t def, uint64_t min, uint64_t max,
		    uint64_t *val_out);

#endif /* PVOS_CMDLINE_H */
