/*
 * fuzz.h: what every harness in tests/fuzz/ shares.
 *
 * A harness is one LLVMFuzzerTestOneInput() over one parser of untrusted
 * input. It is built twice: by `make fuzz` with clang's libFuzzer (which
 * supplies main() and mutates inputs), and by `make check` with replay.c
 * as main(), which feeds it every file of its corpus under whatever
 * compiler and sanitizers the build uses. So a crash, once its input is
 * in tests/fuzz/corpus/<target>/, stays a regression test.
 *
 * Oracles: the sanitizers, and FUZZ_CHECK() on what the parser promises
 * (an accepted request stays inside its disk, a decoded instruction is at
 * most 15 bytes, ...). A failed check prints where and aborts, which both
 * libFuzzer and the replay report as a crash.
 */
#ifndef SV_FUZZ_H
#define SV_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: fuzz check failed: %s\n",	\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

/*
 * The source tree: $SV_SRCDIR when automake's test harness or fuzz.sh set
 * it, else the one this was configured from.
 */
static inline const char *fuzz_srcdir(void)
{
	const char *s = getenv("SV_SRCDIR");

	return s && *s ? s : FUZZ_SRCDIR;
}

/* The input, taken from the front; past its end every read gives zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline void fuzz_take(struct fuzz_in *in, void *dst, size_t n)
{
	size_t k = n < in->left ? n : in->left;

	memcpy(dst, in->p, k);
	memset((uint8_t *)dst + k, 0, n - k);
	in->p += k;
	in->left -= k;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

#endif /* SV_FUZZ_H */
