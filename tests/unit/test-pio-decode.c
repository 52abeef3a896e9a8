/*
 * test-pio-decode.c: the port I/O decoder the runner's trap handler uses.
 * Every opcode form, every prefix it honours or refuses, truncation at
 * every byte, the 15-byte limit, and instructions that are not port I/O.
 */
#include <stdint.h>
#include <string.h>

#include "cunit-main.h"
#include "pio-decode.h"

static int dec(const uint8_t *code, size_t n, struct pio_insn *in)
{
	memset(in, 0xa5, sizeof(*in));
	return pio_decode(code, n, in);
}

/* One row per form: bytes, length, and what it must decode to. */
struct form {
	uint8_t code[4];
	uint8_t len;
	uint8_t size;
	bool in, string, port_imm;
	uint8_t imm;
};

static const struct form forms[] = {
	{ { 0xe4, 0x60 }, 2, 1, true, false, true, 0x60 },	/* in $0x60,%al */
	{ { 0xe5, 0x71 }, 2, 4, true, false, true, 0x71 },	/* in $0x71,%eax */
	{ { 0x66, 0xe5, 0x71 }, 3, 2, true, false, true, 0x71 },	/* in $0x71,%ax */
	{ { 0xe6, 0x80 }, 2, 1, false, false, true, 0x80 },	/* out %al,$0x80 */
	{ { 0xe7, 0x80 }, 2, 4, false, false, true, 0x80 },
	{ { 0x66, 0xe7, 0x80 }, 3, 2, false, false, true, 0x80 },
	{ { 0xec }, 1, 1, true, false, false, 0 },		/* in (%dx),%al */
	{ { 0xed }, 1, 4, true, false, false, 0 },
	{ { 0x66, 0xed }, 2, 2, true, false, false, 0 },
	{ { 0xee }, 1, 1, false, false, false, 0 },		/* out %al,(%dx) */
	{ { 0xef }, 1, 4, false, false, false, 0 },
	{ { 0x66, 0xef }, 2, 2, false, false, false, 0 },
	{ { 0x6c }, 1, 1, true, true, false, 0 },		/* insb */
	{ { 0x6d }, 1, 4, true, true, false, 0 },		/* insl */
	{ { 0x66, 0x6d }, 2, 2, true, true, false, 0 },	/* insw */
	{ { 0x6e }, 1, 1, false, true, false, 0 },		/* outsb */
	{ { 0x6f }, 1, 4, false, true, false, 0 },		/* outsl */
	{ { 0x66, 0x6f }, 2, 2, false, true, false, 0 },	/* outsw */
};

static void test_every_form(void)
{
	struct pio_insn in;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const struct form *f = &forms[i];

		CU_ASSERT_EQUAL_FATAL(dec(f->code, f->len, &in), PIO_OK);
		CU_ASSERT_EQUAL(in.len, f->len);
		CU_ASSERT_EQUAL(in.size, f->size);
		CU_ASSERT_EQUAL(in.in, f->in);
		CU_ASSERT_EQUAL(in.string, f->string);
		CU_ASSERT_EQUAL(in.port_imm, f->port_imm);
		if (f->port_imm)
			CU_ASSERT_EQUAL(in.imm, f->imm);
		CU_ASSERT_FALSE(in.rep);
		CU_ASSERT_EQUAL(in.addr_size, 8);
	}
}

static void test_rep_and_address_size(void)
{
	static const uint8_t rep_insw[] = { 0x66, 0xf3, 0x6d };
	static const uint8_t rep_insw2[] = { 0xf3, 0x66, 0x6d };
	static const uint8_t repne_outsb[] = { 0xf2, 0x6e };
	static const uint8_t a32_rep_outsl[] = { 0x67, 0xf3, 0x6f };
	static const uint8_t rep_in[] = { 0xf3, 0xec };	/* rep on in: ignored */
	struct pio_insn in;

	CU_ASSERT_EQUAL(dec(rep_insw, sizeof(rep_insw), &in), PIO_OK);
	CU_ASSERT(in.rep && in.string && in.in && in.size == 2 && in.len == 3);
	CU_ASSERT_EQUAL(dec(rep_insw2, sizeof(rep_insw2), &in), PIO_OK);
	CU_ASSERT(in.rep && in.size == 2 && in.len == 3);
	CU_ASSERT_EQUAL(dec(repne_outsb, sizeof(repne_outsb), &in), PIO_OK);
	CU_ASSERT(in.rep && !in.in && in.size == 1);
	CU_ASSERT_EQUAL(dec(a32_rep_outsl, sizeof(a32_rep_outsl), &in), PIO_OK);
	CU_ASSERT(in.rep && in.addr_size == 4 && in.size == 4 && in.len == 3);
	CU_ASSERT_EQUAL(dec(rep_in, sizeof(rep_in), &in), PIO_OK);
	CU_ASSERT(!in.rep && !in.string && in.len == 2);
}

static void test_segments_and_rex(void)
{
	static const uint8_t ds_outsb[] = { 0x3e, 0x6e };
	static const uint8_t es_insb[] = { 0x26, 0x6c };
	static const uint8_t fs_outsb[] = { 0x64, 0x6e };
	static const uint8_t gs_outsw[] = { 0x66, 0x65, 0xf3, 0x6f };
	static const uint8_t fs_insb[] = { 0x64, 0x6c };	/* ins ignores it */
	static const uint8_t rex_in[] = { 0x48, 0xed };	/* REX.W in: still 32-bit */
	static const uint8_t rex_then_prefix[] = { 0x48, 0x66, 0xed };
	struct pio_insn in;

	CU_ASSERT_EQUAL(dec(ds_outsb, sizeof(ds_outsb), &in), PIO_OK);
	CU_ASSERT_EQUAL(in.len, 2);
	CU_ASSERT_EQUAL(dec(es_insb, sizeof(es_insb), &in), PIO_OK);
	CU_ASSERT_EQUAL(dec(fs_outsb, sizeof(fs_outsb), &in), PIO_BAD_FORM);
	CU_ASSERT_EQUAL(dec(gs_outsw, sizeof(gs_outsw), &in), PIO_BAD_FORM);
	CU_ASSERT_EQUAL(dec(fs_insb, sizeof(fs_insb), &in), PIO_OK);
	CU_ASSERT_EQUAL(dec(rex_in, sizeof(rex_in), &in), PIO_OK);
	CU_ASSERT(in.size == 4 && in.len == 2);
	/* A CPU ignores a REX that a legacy prefix follows: in (%dx),%ax. */
	CU_ASSERT_EQUAL(dec(rex_then_prefix, sizeof(rex_then_prefix), &in), PIO_OK);
	CU_ASSERT(in.size == 2 && in.len == 3);
}

/*
 * REX.W against 0x66 (SDM vol. 1 3.6.1: REX.W takes precedence). These
 * opcodes have no 64-bit form, so REX.W leaves the default 32 bits; a REX
 * counts only right before the opcode, so of several the last one decides.
 */
static void test_rex_w_over_opsize(void)
{
	static const struct { uint8_t code[5]; uint8_t len, size; } cases[] = {
		{ { 0x66, 0x48, 0xed }, 3, 4 },		/* in (%dx),%eax */
		{ { 0x66, 0x48, 0xef }, 3, 4 },		/* out %eax,(%dx) */
		{ { 0x66, 0x4f, 0xe5, 0x71 }, 4, 4 },	/* REX.WRXB: in $0x71,%eax */
		{ { 0x66, 0x48, 0xe7, 0x80 }, 4, 4 },	/* out %eax,$0x80 */
		{ { 0x66, 0x48, 0x6d }, 3, 4 },		/* insl */
		{ { 0xf3, 0x66, 0x48, 0x6f }, 4, 4 },	/* rep outsl */
		{ { 0x66, 0x48, 0xec }, 3, 1 },		/* byte forms stay bytes */
		{ { 0x66, 0x40, 0xed }, 3, 2 },		/* REX without W: in %ax */
		{ { 0x66, 0x47, 0xed }, 3, 2 },
		{ { 0x48, 0x66, 0xed }, 3, 2 },		/* REX before 0x66: ignored */
		{ { 0x66, 0x48, 0x40, 0xed }, 4, 2 },	/* the last REX has no W */
		{ { 0x66, 0x40, 0x48, 0xed }, 4, 4 },	/* the last REX has W */
		{ { 0x48, 0x66, 0x48, 0x6d }, 4, 4 },
	};
	struct pio_insn in;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(dec(cases[i].code, cases[i].len, &in), PIO_OK);
		CU_ASSERT_EQUAL(in.len, cases[i].len);
		CU_ASSERT_EQUAL(in.size, cases[i].size);
	}
}

static void test_refused(void)
{
	static const uint8_t lock_out[] = { 0xf0, 0xee };
	static const uint8_t lock_insb[] = { 0xf0, 0xf3, 0x6c };
	struct pio_insn in;

	CU_ASSERT_EQUAL(dec(lock_out, sizeof(lock_out), &in), PIO_BAD_FORM);
	CU_ASSERT_EQUAL(dec(lock_insb, sizeof(lock_insb), &in), PIO_BAD_FORM);
}

static void test_not_io(void)
{
	static const uint8_t hlt[] = { 0xf4 };
	static const uint8_t cli[] = { 0xfa };
	static const uint8_t wrmsr[] = { 0x0f, 0x30 };
	static const uint8_t mov[] = { 0x48, 0x89, 0xc0 };
	static const uint8_t rep_movsb[] = { 0xf3, 0xa4 };
	struct pio_insn in;

	CU_ASSERT_EQUAL(dec(hlt, 1, &in), PIO_NOT_IO);
	CU_ASSERT_EQUAL(dec(cli, 1, &in), PIO_NOT_IO);
	CU_ASSERT_EQUAL(dec(wrmsr, 2, &in), PIO_NOT_IO);
	CU_ASSERT_EQUAL(dec(mov, 3, &in), PIO_NOT_IO);
	CU_ASSERT_EQUAL(dec(rep_movsb, 2, &in), PIO_NOT_IO);
}

static void test_truncated(void)
{
	static const uint8_t full[] = { 0x66, 0x67, 0xf3, 0x48, 0x6d };
	static const uint8_t imm[] = { 0x66, 0xe5, 0x71 };
	struct pio_insn in;

	CU_ASSERT_EQUAL(dec(full, 0, &in), PIO_TRUNCATED);
	for (size_t n = 1; n < sizeof(full); n++)
		CU_ASSERT_EQUAL(dec(full, n, &in), PIO_TRUNCATED);
	CU_ASSERT_EQUAL(dec(full, sizeof(full), &in), PIO_OK);
	CU_ASSERT_EQUAL(in.len, 5);
	/* The immediate port byte is part of the instruction. */
	CU_ASSERT_EQUAL(dec(imm, 2, &in), PIO_TRUNCATED);
	CU_ASSERT_EQUAL(dec(imm, 3, &in), PIO_OK);
}

static void test_length_limit(void)
{
	uint8_t code[32];
	struct pio_insn in;

	/* 14 prefixes and the opcode: 15 bytes, the most a CPU accepts. */
	memset(code, 0x66, sizeof(code));
	code[14] = 0xed;
	CU_ASSERT_EQUAL(dec(code, sizeof(code), &in), PIO_OK);
	CU_ASSERT_EQUAL(in.len, 15);
	/* 15 prefixes: the opcode would be byte 16. */
	memset(code, 0x66, sizeof(code));
	code[15] = 0xed;
	CU_ASSERT_EQUAL(dec(code, sizeof(code), &in), PIO_TRUNCATED);
	/* Endless prefixes never read past what it was given. */
	memset(code, 0xf3, sizeof(code));
	CU_ASSERT_EQUAL(dec(code, 3, &in), PIO_TRUNCATED);
}

static void test_no_output_on_error(void)
{
	static const uint8_t hlt[] = { 0xf4 };
	struct pio_insn in;

	memset(&in, 0x5a, sizeof(in));
	CU_ASSERT_EQUAL(pio_decode(hlt, 1, &in), PIO_NOT_IO);
	CU_ASSERT_EQUAL(in.len, 0x5a);
	CU_ASSERT_STRING_EQUAL(pio_decode_strerror(PIO_TRUNCATED), "instruction truncated");
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "every in/out/ins/outs form", test_every_form },
		{ "rep and address-size prefixes", test_rep_and_address_size },
		{ "segment overrides and REX", test_segments_and_rex },
		{ "REX.W over 0x66", test_rex_w_over_opsize },
		{ "lock and fs/gs forms refused", test_refused },
		{ "other instructions", test_not_io },
		{ "truncated at every byte", test_truncated },
		{ "the 15-byte limit", test_length_limit },
		{ "no output on error", test_no_output_on_error },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = { { "pio-decode", NULL, NULL, NULL, NULL, tests }, CU_SUITE_INFO_NULL };

	return sv_cunit_run(suites);
}
