/*
 * test-domcfg.c: golden-file tests for the domain XML loader.
 *
 * tests/domcfg/pass-CASE.xml must load; when pass-CASE.expect exists, each
 * of its "key=value" lines must match the loaded field (@DIR@ stands for
 * the absolute directory of the golden files). tests/domcfg/fail-CASE.xml
 * must fail with exactly the message in fail-CASE.expect, after the
 * directory part of the file name is removed so that the message does not
 * depend on where the tree lives. A mismatch prints both messages.
 *
 * Cases that cannot live in the tree (a missing file, a file over the size
 * limit) are generated in a private temporary directory.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <uuid/uuid.h>

#include "domcfg.h"

static char golden_dir[PATH_MAX];	/* $SV_SRCDIR/tests/domcfg, resolved */
static char schema[PATH_MAX + 32];
static char srcdir[PATH_MAX];

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;

	if (!f)
		return NULL;
	buf = calloc(1, 65536);
	if (buf) {
		n = fread(buf, 1, 65535, f);
		len = n;
		while (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
	}
	fclose(f);
	return buf;
}

/* Replaces every "DIR/" in msg with "" in place. */
static void strip_dir(char *msg, const char *dir)
{
	size_t n = strlen(dir);
	char *p;

	while ((p = strstr(msg, dir)) && p[n] == '/')
		memmove(p, p + n + 1, strlen(p + n + 1) + 1);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static const char *bool_str(bool b)
{
	return b ? "1" : "0";
}

static const char *null_str(const char *s)
{
	return s ? s : "(null)";
}

static int disk_field(const struct domcfg_disk *d, const char *key, char *buf, size_t len)
{
	if (strcmp(key, "type") == 0)
		snprintf(buf, len, "%s", d->type == DOMCFG_DISK_FILE ? "file" : "block");
	else if (strcmp(key, "is_cdrom") == 0)
		snprintf(buf, len, "%s", bool_str(d->is_cdrom));
	else if (strcmp(key, "driver_name") == 0)
		snprintf(buf, len, "%s", null_str(d->driver_name));
	else if (strcmp(key, "driver_type") == 0)
		snprintf(buf, len, "%s", null_str(d->driver_type));
	else if (strcmp(key, "source") == 0)
		snprintf(buf, len, "%s", null_str(d->source));
	else if (strcmp(key, "target") == 0)
		snprintf(buf, len, "%s", d->target);
	else if (strcmp(key, "bus") == 0)
		snprintf(buf, len, "%s", d->bus == DOMCFG_BUS_XEN ? "xen" : "ide");
	else if (strcmp(key, "vdev") == 0)
		snprintf(buf, len, "%u", d->vdev);
	else if (strcmp(key, "readonly") == 0)
		snprintf(buf, len, "%s", bool_str(d->readonly));
	else if (strcmp(key, "shareable") == 0)
		snprintf(buf, len, "%s", bool_str(d->shareable));
	else
		return -1;
	return 0;
}

static int nic_field(const struct domcfg_nic *n, const char *key, char *buf, size_t len)
{
	if (strcmp(key, "type") == 0)
		snprintf(buf, len, "%s", n->type == DOMCFG_NIC_BRIDGE ? "bridge" : "ethernet");
	else if (strcmp(key, "mac") == 0)
		snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
			 n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
	else if (strcmp(key, "mac_generated") == 0)
		snprintf(buf, len, "%s", bool_str(n->mac_generated));
	else if (strcmp(key, "bridge") == 0)
		snprintf(buf, len, "%s", null_str(n->bridge));
	else if (strcmp(key, "model") == 0)
		snprintf(buf, len, "%s", null_str(n->model));
	else if (strcmp(key, "script") == 0)
		snprintf(buf, len, "%s", null_str(n->script));
	else
		return -1;
	return 0;
}

static int dom_field(const struct domcfg *c, const char *key, char *buf, size_t len)
{
	char uuid[37];
	unsigned int i;

	uuid_unparse_lower(c->uuid, uuid);
	if (sscanf(key, "disk%u.", &i) == 1)
		return i < c->ndisks ? disk_field(&c->disks[i], strchr(key, '.') + 1, buf, len) : -1;
	if (sscanf(key, "nic%u.", &i) == 1)
		return i < c->nnics ? nic_field(&c->nics[i], strchr(key, '.') + 1, buf, len) : -1;
	if (strcmp(key, "name") == 0)
		snprintf(buf, len, "%s", c->name);
	else if (strcmp(key, "uuid") == 0)
		snprintf(buf, len, "%s", uuid);
	else if (strcmp(key, "uuid_generated") == 0)
		snprintf(buf, len, "%s", bool_str(c->uuid_generated));
	else if (strcmp(key, "title") == 0)
		snprintf(buf, len, "%s", null_str(c->title));
	else if (strcmp(key, "description") == 0)
		snprintf(buf, len, "%s", null_str(c->description));
	else if (strcmp(key, "mem_kib") == 0)
		snprintf(buf, len, "%llu", (unsigned long long)c->mem_kib);
	else if (strcmp(key, "cur_mem_kib") == 0)
		snprintf(buf, len, "%llu", (unsigned long long)c->cur_mem_kib);
	else if (strcmp(key, "vcpus") == 0)
		snprintf(buf, len, "%u", c->vcpus);
	else if (strcmp(key, "os_type") == 0)
		snprintf(buf, len, "%s", c->os_type);
	else if (strcmp(key, "kernel") == 0)
		snprintf(buf, len, "%s", c->kernel);
	else if (strcmp(key, "kernel_arg") == 0)
		snprintf(buf, len, "%s", c->kernel_arg);
	else if (strcmp(key, "cmdline") == 0)
		snprintf(buf, len, "%s", c->cmdline);
	else if (strcmp(key, "on_poweroff") == 0)
		snprintf(buf, len, "%s", domcfg_action_name(c->on_poweroff));
	else if (strcmp(key, "on_reboot") == 0)
		snprintf(buf, len, "%s", domcfg_action_name(c->on_reboot));
	else if (strcmp(key, "on_crash") == 0)
		snprintf(buf, len, "%s", domcfg_action_name(c->on_crash));
	else if (strcmp(key, "has_console") == 0)
		snprintf(buf, len, "%s", bool_str(c->has_console));
	else if (strcmp(key, "ndisks") == 0)
		snprintf(buf, len, "%zu", c->ndisks);
	else if (strcmp(key, "nnics") == 0)
		snprintf(buf, len, "%zu", c->nnics);
	else
		return -1;
	return 0;
}

/* Expands @DIR@ in an expected value. */
static void expand(const char *in, char *out, size_t len)
{
	const char *p;

	if (strlen(in) + strlen(golden_dir) >= len) {
		snprintf(out, len, "(too long)");
		return;
	}
	if ((p = strstr(in, "@DIR@")))
		snprintf(out, len, "%.*s%s%s", (int)(p - in), in, golden_dir, p + 5);
	else
		snprintf(out, len, "%s", in);
}

static int check_fields(const char *name, const struct domcfg *cfg, char *expect)
{
	char *line, *save = NULL, *eq, got[8192], want[8192];
	int bad = 0;

	for (line = strtok_r(expect, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		eq = strchr(line, '=');
		if (line[0] == '#' || !eq)
			continue;
		*eq = '\0';
		expand(eq + 1, want, sizeof(want));
		if (dom_field(cfg, line, got, sizeof(got)) < 0) {
			fprintf(stderr, "\n%s: unknown field '%s'\n", name, line);
			bad++;
		} else if (strcmp(got, want) != 0) {
			fprintf(stderr, "\n%s: %s\n  expected: %s\n  got:      %s\n", name, line,
				want, got);
			bad++;
		}
	}
	return bad;
}

static int run_pass(const char *name)
{
	char path[PATH_MAX * 2], *err = NULL, *expect;
	struct domcfg cfg;
	int rc, bad = 0;

	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	rc = domcfg_load(path, schema, &cfg, &err);
	if (rc < 0) {
		fprintf(stderr, "\n%s: expected to load, got: %s\n", name, err);
		free(err);
		return 1;
	}
	strcpy(path + strlen(path) - 4, ".expect");
	expect = read_text(path);
	if (expect)
		bad = check_fields(name, &cfg, expect);
	free(expect);
	domcfg_free(&cfg);
	return bad;
}

/* Loads PATH expecting failure; returns 0 if the message equals WANT. */
static int expect_failure(const char *path, const char *dir, const char *want)
{
	struct domcfg cfg;
	char *err = NULL;
	int rc, bad = 0;

	rc = domcfg_load(path, schema, &cfg, &err);
	if (rc == 0) {
		fprintf(stderr, "\n%s: expected to fail, but it loaded\n", path);
		domcfg_free(&cfg);
		return 1;
	}
	if (!err) {
		fprintf(stderr, "\n%s: failed (%d) without a message\n", path, rc);
		return 1;
	}
	strip_dir(err, dir);
	if (!want || strcmp(err, want) != 0) {
		fprintf(stderr, "\n%s:\n  expected: %s\n  got:      %s\n", path,
			want ? want : "(no .expect file)", err);
		bad = 1;
	}
	free(err);
	return bad;
}

static int run_fail(const char *name)
{
	char path[PATH_MAX * 2], *want;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	strcpy(path + strlen(path) - 4, ".expect");
	want = read_text(path);
	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	bad = expect_failure(path, golden_dir, want);
	free(want);
	return bad;
}

static void test_golden(void)
{
	struct dirent **ents = NULL;
	int i, n, npass = 0, nfail = 0, bad = 0;

	n = scandir(golden_dir, &ents, NULL, alphasort);
	CU_ASSERT_FATAL(n > 0);
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (ends_with(name, ".xml") && strncmp(name, "pass-", 5) == 0)
			bad += run_pass(name), npass++;
		else if (ends_with(name, ".xml") && strncmp(name, "fail-", 5) == 0)
			bad += run_fail(name), nfail++;
		free(ents[i]);
	}
	free(ents);
	CU_ASSERT(npass >= 10);
	CU_ASSERT(nfail >= 30);
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_examples(void)
{
	static const char *const names[] = { "hello.xml", "pvdisk.xml", "full.xml", "idedisk.xml" };
	char path[PATH_MAX * 2], *err = NULL;
	struct domcfg cfg;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/examples/%s", srcdir, names[i]);
		CU_ASSERT_EQUAL(domcfg_load(path, schema, &cfg, &err), 0);
		if (err)
			fprintf(stderr, "\n%s\n", err);
		free(err);
		err = NULL;
		domcfg_free(&cfg);
	}
}

/* A valid file but for a 512 KiB text node, under the size limit. */
static int write_long_name(const char *dir, char *path, size_t len)
{
	FILE *f;
	long i;

	snprintf(path, len, "%s/long.xml", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("<domain type='xen'><name>", f);
	for (i = 0; i < 512L * 1024; i++)
		fputc('a', f);
	fputs("</name><memory unit='MiB'>64</memory>"
	      "<os><type>linux</type><kernel>pvos</kernel></os></domain>\n", f);
	return fclose(f);
}

/* A missing file, a huge one and a huge text node, made in a private directory. */
static void test_generated(void)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char tmpl[PATH_MAX], path[PATH_MAX];
	char *dir;
	FILE *f;
	long i;

	snprintf(tmpl, sizeof(tmpl), "%s/test-domcfg.XXXXXX", tmp);
	dir = mkdtemp(tmpl);
	CU_ASSERT_FATAL(dir != NULL);
	snprintf(path, sizeof(path), "%s/missing.xml", dir);
	CU_ASSERT_EQUAL(expect_failure(path, dir,
		"missing.xml: cannot open: No such file or directory; check the path"), 0);
	snprintf(path, sizeof(path), "%s/huge.xml", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("<domain type='xen'><name>", f);
	for (i = 0; i < 2L * 1024 * 1024; i++)
		fputc('a', f);
	fputs("</name></domain>\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(expect_failure(path, dir, "huge.xml: the file is larger than 1048576 "
				       "bytes; a domain XML file is a few KiB"), 0);
	unlink(path);
	CU_ASSERT_EQUAL(write_long_name(dir, path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(expect_failure(path, dir, "long.xml:1: /domain/name: 'aaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is 524288 characters long; "
		"expected at most 63"), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s: not a regular file; expected a domain XML file",
		 strrchr(dir, '/') + 1);
	CU_ASSERT_EQUAL(expect_failure(dir, tmp, path), 0);
	rmdir(dir);
}

static void test_schema_missing(void)
{
	char path[PATH_MAX * 2], *err = NULL;
	struct domcfg cfg;

	snprintf(path, sizeof(path), "%s/examples/hello.xml", srcdir);
	CU_ASSERT(domcfg_load(path, "/nonexistent/domain.rng", &cfg, &err) < 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/domain.rng: cannot use the domain schema: "
			       "No such file or directory; reinstall splitvisor");
	free(err);
}

static void test_vdev(void)
{
	static const struct {
		const char *name;
		uint32_t vdev;
	} good[] = {
		{ "xvda", 51712 }, { "xvdb", 51728 }, { "xvdp", 202 << 8 | 15 << 4 },
		{ "xvdq", 1u << 28 | 16 << 8 }, { "xvdz", 1u << 28 | 25 << 8 },
		{ "xvdaa", 1u << 28 | 26 << 8 }, { "xvdtq", 1u << 28 | 536 << 8 },
		{ "hda", 3 << 8 }, { "hdb", 3 << 8 | 1 << 6 },
		{ "hdc", 22 << 8 }, { "hdd", 22 << 8 | 1 << 6 },
	};
	static const char *const bad[] = {
		"", "xvd", "xvda1", "xvdA", "sda", "hde", "hda1", "xvdaaaaa", "vda", "xvd-",
	};
	uint32_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 0;
		CU_ASSERT_EQUAL(domcfg_vdev_encode(good[i].name, &v), 0);
		CU_ASSERT_EQUAL(v, good[i].vdev);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(domcfg_vdev_encode(bad[i], &v), -EINVAL);
	CU_ASSERT_EQUAL(domcfg_vdev_encode(NULL, &v), -EINVAL);
}

/* The same uuid gives the same MACs; each is unicast and locally administered. */
static void test_mac_stable(void)
{
	char path[PATH_MAX * 2], *err = NULL;
	struct domcfg a, b;
	size_t i;

	snprintf(path, sizeof(path), "%s/pass-nic-generated.xml", golden_dir);
	CU_ASSERT_EQUAL_FATAL(domcfg_load(path, schema, &a, &err), 0);
	CU_ASSERT_EQUAL_FATAL(domcfg_load(path, schema, &b, &err), 0);
	CU_ASSERT_FATAL(a.nnics == 3 && b.nnics == 3);
	for (i = 0; i < a.nnics; i++) {
		CU_ASSERT(a.nics[i].mac_generated);
		CU_ASSERT_EQUAL(memcmp(a.nics[i].mac, b.nics[i].mac, 6), 0);
		CU_ASSERT_EQUAL(a.nics[i].mac[0] & 0x03, 0x02);
	}
	CU_ASSERT(memcmp(a.nics[0].mac, a.nics[1].mac, 6) != 0);
	CU_ASSERT(memcmp(a.nics[1].mac, a.nics[2].mac, 6) != 0);
	domcfg_free(&a);
	domcfg_free(&a);	/* idempotent */
	domcfg_free(&b);
}

static void test_action_names(void)
{
	CU_ASSERT_STRING_EQUAL(domcfg_action_name(PVH_ACTION_DESTROY), "destroy");
	CU_ASSERT_STRING_EQUAL(domcfg_action_name(PVH_ACTION_RESTART), "restart");
	CU_ASSERT_STRING_EQUAL(domcfg_action_name(PVH_ACTION_PRESERVE), "preserve");
	CU_ASSERT_STRING_EQUAL(domcfg_action_name(PVH_ACTION_COUNT), "unknown");
}

static int find_dirs(void)
{
	const char *env = getenv("SV_SRCDIR");
	char buf[PATH_MAX * 2];

	if (!realpath(env ? env : ".", srcdir))
		return -1;
	snprintf(buf, sizeof(buf), "%s/tests/domcfg", srcdir);
	if (!realpath(buf, golden_dir))
		return -1;
	snprintf(schema, sizeof(schema), "%s/dom0/domain.rng", srcdir);
	return 0;
}

int main(void)
{
	CU_pSuite suite;
	unsigned int failed;

	if (find_dirs() < 0) {
		fprintf(stderr, "test-domcfg: cannot find tests/domcfg; set SV_SRCDIR\n");
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("domcfg", NULL, NULL);
	CU_add_test(suite, "golden files", test_golden);
	CU_add_test(suite, "examples load", test_examples);
	CU_add_test(suite, "missing and huge files", test_generated);
	CU_add_test(suite, "missing schema", test_schema_missing);
	CU_add_test(suite, "virtual-device numbers", test_vdev);
	CU_add_test(suite, "generated MACs are stable", test_mac_stable);
	CU_add_test(suite, "action names", test_action_names);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
