/*
 * pvos/sha256.h: SHA-256 (FIPS 180-4), streaming.
 */
#ifndef PVOS_SHA256_H
#define PVOS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE	32

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t block[64];
	size_t used;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest_out[SHA256_DIGEST_SIZE]);

#endif /* PVOS_SHA256_H */
