/*
 * fuzz-pio-decode.c: the runner's port I/O instruction decoder
 * (hv/pio-decode.c) on any bytes a guest can place at its %rip.
 *
 * Oracles: an accepted instruction lies within the bytes given and
 * within 15; its size is 1, 2 or 4 and its address size 4 or 8; only the
 * string forms repeat; decoding a prefix of it says it is truncated, never
 * that it is something else; and the answer does not depend on bytes
 * after the instruction.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "pio-decode.h"

static void check_accepted(const uint8_t *code, size_t avail, const struct pio_insn *in)
{
	uint8_t more[PIO_INSN_MAX + 1];
	struct pio_insn again;

	FUZZ_CHECK(in->len >= 1 && in->len <= avail && in->len <= PIO_INSN_MAX);
	FUZZ_CHECK(in->size == 1 || in->size == 2 || in->size == 4);
	FUZZ_CHECK(in->addr_size == 4 || in->addr_size == 8);
	FUZZ_CHECK(!in->rep || in->string);
	FUZZ_CHECK(!(in->string && in->port_imm));
	/* The same instruction followed by other bytes decodes the same. */
	memcpy(more, code, in->len);
	memset(more + in->len, 0x90, sizeof(more) - in->len);
	FUZZ_CHECK(pio_decode(more, sizeof(more), &again) == PIO_OK);
	FUZZ_CHECK(memcmp(&again, in, sizeof(again)) == 0);
	for (size_t cut = 0; cut < in->len; cut++)
		FUZZ_CHECK(pio_decode(code, cut, &again) == PIO_TRUNCATED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pio_insn in;
	int rc;

	memset(&in, 0xa5, sizeof(in));
	rc = pio_decode(data, size, &in);
	FUZZ_CHECK(rc == PIO_OK || rc == PIO_NOT_IO || rc == PIO_TRUNCATED ||
		   rc == PIO_BAD_FORM);
	FUZZ_CHECK(pio_decode_strerror(rc) != NULL);
	if (rc == PIO_OK)
		check_accepted(data, size, &in);
	return 0;
}
