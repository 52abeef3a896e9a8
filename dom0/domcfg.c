/*
 * domcfg.c: load a domain's configuration from libvirt-style domain XML.
 *
 * The flow of domcfg_load(), in order:
 *   1. Read the file ourselves (bounded, so a 2 GB file or a FIFO cannot
 *      stall us) and parse the bytes with libxml2. The parser never touches
 *      the network (XML_PARSE_NONET), never substitutes entities (no
 *      XML_PARSE_NOENT) and never loads a DTD; a DOCTYPE is refused
 *      outright, so an external entity can never read a file.
 *   2. Validate against the RelaxNG schema (dom0/domain.rng). libxml2's
 *      schema messages ("Extra element devices in interleave") are jargon,
 *      so they are captured with a structured handler and never printed.
 *      When validation fails we explain the failure ourselves: we walk the
 *      document next to the schema file, which tells us which names are
 *      valid under each element, and report the first problem in plain
 *      words with a "did you mean" hint (edit distance). Only if that walk
 *      finds nothing do we fall back to rewriting libxml2's error.
 *   3. Check what a schema cannot (name syntax, uuid, memory limits, disk
 *      targets, MACs) while filling a private struct domcfg. The caller's
 *      struct is written only on success.
 *
 * Every message is "FILE:LINE: /path/to/element: what is wrong; what was
 * expected". One load records one message: the first problem found.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <uuid/uuid.h>

#include "domcfg.h"

#define MAX_FILE_BYTES	(1024 * 1024)	/* a domain file is a few KiB */
#define MAX_NAME_LEN	63
#define MIN_MEM_KIB	(4ULL * 1024)			/* 4 MiB */
#define MAX_MEM_KIB	(64ULL * 1024 * 1024)		/* 64 GiB */
#define MAX_VCPUS	64
#define MAX_DISKS	64
#define MAX_NICS	32
#define MAX_SCHEMA_NAMES 24
#define RNG_NS		"http://relaxng.org/ns/structure/1.0"

/* The state of one load; everything here dies with it. */
struct loader {
	const char *file;		/* as given, for messages */
	char *dir;			/* absolute directory of file */
	xmlDocPtr doc;
	xmlDocPtr rng_doc;
	struct domcfg cfg;		/* filled privately, moved out on success */
	char *err;			/* the first message, malloc'd */
	/* The first error libxml2 reported while parsing or validating. */
	int lib_code;
	int lib_line;
	char *lib_msg;
	xmlNodePtr lib_node;
	char *lib_str1;
	char *lib_str2;
};

/* ---- Messages ---------------------------------------------------------- */

/*
 * Copies a value for a message: one line (control characters become
 * spaces) and shortened, so a 1 MB name stays readable.
 */
static const char *clip(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i < len - 1; i++)
		buf[i] = iscntrl((unsigned char)s[i]) ? ' ' : s[i];
	buf[i] = '\0';
	if (s[i])
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

static void node_path(xmlNodePtr node, char *buf, size_t len)
{
	xmlNodePtr s;
	int idx = 0, count = 0;
	size_t used;

	if (!node || node->type == XML_DOCUMENT_NODE) {
		buf[0] = '\0';
		return;
	}
	if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
		node_path(node->parent, buf, len);
		return;
	}
	if (node->type == XML_ATTRIBUTE_NODE) {
		node_path(node->parent, buf, len);
		used = strlen(buf);
		snprintf(buf + used, len - used, "/@%s", (const char *)node->name);
		return;
	}
	node_path(node->parent, buf, len);
	for (s = node->parent ? node->parent->children : node; s; s = s->next) {
		if (s->type != XML_ELEMENT_NODE || !xmlStrEqual(s->name, node->name))
			continue;
		count++;
		if (s == node)
			idx = count;
	}
	used = strlen(buf);
	snprintf(buf + used, len - used, "/%s%s%s", node->ns && node->ns->prefix ?
		 (const char *)node->ns->prefix : "", node->ns && node->ns->prefix ? ":" : "",
		 (const char *)node->name);
	used = strlen(buf);
	if (count > 1)
		snprintf(buf + used, len - used, "[%d]", idx);
}

/*
 * libxml2 gives a text node the line where the text ends; a person wants
 * the line of its first visible character.
 */
static long text_line(xmlNodePtr node)
{
	const char *p = (const char *)node->content;
	long line = xmlGetLineNo(node);

	while (p && isspace((unsigned char)*p))
		p++;
	for (; p && *p; p++)
		line -= *p == '\n';
	return line;
}

static long node_line(xmlNodePtr node)
{
	if (node && node->type == XML_ATTRIBUTE_NODE)
		node = node->parent;
	if (node && node->type == XML_TEXT_NODE)
		return text_line(node);
	return node ? xmlGetLineNo(node) : 0;
}

/*
 * Records "FILE:LINE: PATH: message" unless a message is already recorded,
 * and returns -EINVAL so callers can write "return fail(...)".
 */
__attribute__((format(printf, 3, 4)))
static int fail(struct loader *ld, xmlNodePtr node, const char *fmt, ...)
{
	char path[512], text[1024];
	va_list ap;
	int r;

	if (ld->err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	node_path(node, path, sizeof(path));
	if (node)
		r = asprintf(&ld->err, "%s:%ld: %s: %s", ld->file, node_line(node), path, text);
	else
		r = asprintf(&ld->err, "%s: %s", ld->file, text);
	if (r < 0)
		ld->err = NULL;
	return -EINVAL;
}

__attribute__((format(printf, 3, 4)))
static int fail_line(struct loader *ld, long line, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	if (ld->err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (asprintf(&ld->err, "%s:%ld: %s", ld->file, line, text) < 0)
		ld->err = NULL;
	return -EINVAL;
}

static int fail_nomem(struct loader *ld)
{
	fail(ld, NULL, "out of memory");
	return -ENOMEM;
}

/* ---- Reading and parsing ----------------------------------------------- */

static int read_all(struct loader *ld, const char *file, char **buf_out, size_t *len_out)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		fail(ld, NULL, "cannot open: %s; check the path", strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = fail(ld, NULL, "not a regular file; expected a domain XML file");
		goto out;
	}
	buf = malloc(MAX_FILE_BYTES + 1);
	if (!buf) {
		rc = fail_nomem(ld);
		goto out;
	}
	while ((n = read(fd, buf + len, MAX_FILE_BYTES + 1 - len)) > 0 &&
	       len < MAX_FILE_BYTES + 1)
		len += (size_t)n;
	if (n < 0) {
		rc = -errno;
		fail(ld, NULL, "cannot read: %s", strerror(-rc));
	} else if (len > MAX_FILE_BYTES) {
		rc = -EFBIG;
		fail(ld, NULL, "the file is larger than %d bytes; a domain XML file is a few KiB",
		     MAX_FILE_BYTES);
	} else if (len == 0) {
		rc = fail(ld, NULL, "the file is empty; expected a <domain type='xen'> document");
	}
out:
	close(fd);
	if (rc < 0)
		free(buf);
	else
		*buf_out = buf, *len_out = len;
	return rc;
}

/* Keeps the first error libxml2 reports; warnings are ignored. */
static void on_lib_error(void *data, xmlErrorPtr e)
{
	struct loader *ld = data;

	if (e->level < XML_ERR_ERROR || ld->lib_msg)
		return;
	ld->lib_code = e->code;
	ld->lib_line = e->line;
	ld->lib_node = e->node;
	ld->lib_msg = strdup(e->message ? e->message : "unknown error");
	ld->lib_str1 = e->str1 ? strdup(e->str1) : NULL;
	ld->lib_str2 = e->str2 ? strdup(e->str2) : NULL;
}

static void forget_lib_error(struct loader *ld)
{
	free(ld->lib_msg);
	free(ld->lib_str1);
	free(ld->lib_str2);
	ld->lib_msg = ld->lib_str1 = ld->lib_str2 = NULL;
	ld->lib_node = NULL;
	ld->lib_code = ld->lib_line = 0;
}

static void on_parse_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = ctx;

	on_lib_error(ctxt->_private, e);
}

/* libxml2's parser messages end in newlines and sometimes carry a second line. */
static void tidy(char *msg)
{
	char *p;

	for (p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	while (p > msg && p[-1] == ' ')
		*--p = '\0';
}

static int parse_failed(struct loader *ld)
{
	char *msg = ld->lib_msg, *byte;

	if (!msg)
		return fail(ld, NULL, "not well-formed XML");
	tidy(msg);
	if (strstr(msg, "UTF-8") && (byte = strstr(msg, "Bytes: 0x")))
		return fail_line(ld, ld->lib_line, "the file is not valid UTF-8 (byte %.4s); "
				 "save it as UTF-8", byte + 7);
	if (strstr(msg, "depth"))
		return fail_line(ld, ld->lib_line, "elements are nested too deeply; a domain "
				 "file needs five levels");
	return fail_line(ld, ld->lib_line, "not well-formed XML: %s", msg);
}

/* A DOCTYPE can declare entities that read files; domain XML never needs one. */
static int reject_doctype(struct loader *ld, const char *buf, size_t len)
{
	const char *p = memmem(buf, len, "<!DOCTYPE", 9);
	long line = 1;

	if (!p && !ld->doc->intSubset && !ld->doc->extSubset)
		return 0;
	for (; p && buf < p; buf++)
		line += *buf == '\n';
	return fail_line(ld, line, "<!DOCTYPE>: a DOCTYPE is not allowed in domain XML (its "
			 "entities could read other files); remove it");
}

static int parse_buffer(struct loader *ld, const char *buf, size_t len, xmlDocPtr *doc_out)
{
	xmlParserCtxtPtr ctxt;
	int rc = 0;

	if (len > INT_MAX)
		return -EFBIG;
	ctxt = xmlCreateMemoryParserCtxt(buf, (int)len);
	if (!ctxt)
		return fail_nomem(ld);
	ctxt->_private = ld;
	ctxt->sax->serror = on_parse_error;
	/* NONET, and deliberately no NOENT, DTDLOAD, DTDATTR, XINCLUDE or HUGE. */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOWARNING);
	xmlParseDocument(ctxt);
	/* An undeclared prefix (<qemu:x> without xmlns:qemu) is a namespace error. */
	if (!ctxt->wellFormed || !ctxt->nsWellFormed || !ctxt->myDoc)
		rc = parse_failed(ld);
	else
		forget_lib_error(ld);
	if (rc == 0)
		*doc_out = ctxt->myDoc;
	else if (ctxt->myDoc)
		xmlFreeDoc(ctxt->myDoc);
	ctxt->myDoc = NULL;
	xmlFreeParserCtxt(ctxt);
	return rc;
}

static int parse_file(struct loader *ld)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	rc = read_all(ld, ld->file, &buf, &len);
	if (rc < 0)
		return rc;
	rc = parse_buffer(ld, buf, len, &ld->doc);
	if (rc == 0)
		rc = reject_doctype(ld, buf, len);
	free(buf);
	return rc;
}

/* ---- The schema as a table of names ------------------------------------ */

static bool is_rng(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns &&
	       xmlStrEqual(n->ns->href, (const xmlChar *)RNG_NS) &&
	       (!name || strcmp((const char *)n->name, name) == 0);
}

static const char *rng_name(xmlNodePtr n)
{
	xmlAttrPtr a = xmlHasProp(n, (const xmlChar *)"name");

	if (!a || !a->children || !a->children->content)
		return "";
	return (const char *)a->children->content;
}

struct sch_item {
	const char *name;
	xmlNodePtr def;		/* the <element> or <attribute> */
	bool required;
	bool multiple;
};

/* What one schema <element> allows: its attributes, children and text. */
struct sch_info {
	struct sch_item attrs[MAX_SCHEMA_NAMES];
	size_t nattrs;
	struct sch_item elems[MAX_SCHEMA_NAMES];
	size_t nelems;
	xmlNodePtr text;	/* <value>, <choice> of values, <data>, <text> */
};

static xmlNodePtr rng_define(struct loader *ld, const char *name)
{
	xmlNodePtr root = xmlDocGetRootElement(ld->rng_doc), n;

	for (n = root ? root->children : NULL; n; n = n->next)
		if (is_rng(n, "define") && strcmp(rng_name(n), name) == 0)
			return n;
	return NULL;
}

static bool only_values(xmlNodePtr choice)
{
	xmlNodePtr n;

	for (n = choice->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !is_rng(n, "value"))
			return false;
	return true;
}

static void add_item(struct sch_item *items, size_t *n, xmlNodePtr def, bool req, bool multi)
{
	if (*n >= MAX_SCHEMA_NAMES)
		return;
	items[*n] = (struct sch_item){ rng_name(def), def, req, multi };
	(*n)++;
}

static void collect(struct loader *ld, xmlNodePtr pat, bool req, bool multi,
		    struct sch_info *info, int depth)
{
	xmlNodePtr c, d;

	for (c = pat->children; c && depth < 16; c = c->next) {
		if (!is_rng(c, NULL))
			continue;
		if (is_rng(c, "element"))
			add_item(info->elems, &info->nelems, c, req, multi);
		else if (is_rng(c, "attribute"))
			add_item(info->attrs, &info->nattrs, c, req, multi);
		else if (is_rng(c, "optional"))
			collect(ld, c, false, multi, info, depth + 1);
		else if (is_rng(c, "zeroOrMore"))
			collect(ld, c, false, true, info, depth + 1);
		else if (is_rng(c, "oneOrMore"))
			collect(ld, c, req, true, info, depth + 1);
		else if (is_rng(c, "choice") && only_values(c))
			info->text = c;
		else if (is_rng(c, "choice"))
			collect(ld, c, false, multi, info, depth + 1);
		else if (is_rng(c, "interleave") || is_rng(c, "group"))
			collect(ld, c, req, multi, info, depth + 1);
		else if (is_rng(c, "ref") && (d = rng_define(ld, rng_name(c))))
			collect(ld, d, req, multi, info, depth + 1);
		else if (is_rng(c, "value") || is_rng(c, "data") || is_rng(c, "text"))
			info->text = c;
	}
}

static const struct sch_item *find_item(const struct sch_item *items, size_t n,
					const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(items[i].name, name) == 0)
			return &items[i];
	return NULL;
}

/* Optimal string alignment distance, case-insensitive: "memroy" is 1 from "memory". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[33][33];

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) !=
				      tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* The closest of names[] to name, if it is close enough to be a typo. */
static const char *suggest(const char *name, const char *const *names, size_t n)
{
	size_t i, dist, best_dist = SIZE_MAX, limit = strlen(name) <= 4 ? 1 : 2;
	const char *best = NULL;

	for (i = 0; i < n; i++) {
		dist = edit_distance(name, names[i]);
		if (dist < best_dist)
			best = names[i], best_dist = dist;
	}
	return best_dist <= limit ? best : NULL;
}

static size_t item_names(const struct sch_item *items, size_t n, const char **names)
{
	size_t i;

	for (i = 0; i < n; i++)
		names[i] = items[i].name;
	return n;
}

/* "a, b, c" from a list of names, each wrapped in pre and post. */
static void join(char *buf, size_t len, const char *const *names, size_t n,
		 const char *pre, const char *post)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		snprintf(buf + used, len - used, "%s%s%s%s", i ? ", " : "", pre, names[i], post);
		used = strlen(buf);
	}
}

/* "type='file' or type='block'" */
static void join_or(char *buf, size_t len, const char *attr, const char *const *vals, size_t n)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		snprintf(buf + used, len - used, "%s%s='%s'", i ? " or " : "", attr, vals[i]);
		used = strlen(buf);
	}
}

/* ---- Explaining a validation failure ----------------------------------- */

/* The text of a leaf element, copied into malloc'd memory. */
static int elem_text(struct loader *ld, xmlNodePtr node, char **out)
{
	xmlChar *t = xmlNodeGetContent(node);

	*out = t ? strdup((const char *)t) : NULL;
	xmlFree(t);
	return *out ? 0 : fail_nomem(ld);
}

/* libvirt elements we know and deliberately do not run, with the reason. */
static const struct {
	const char *parent, *name, *why;
} unsupported[] = {
	{ "os", "initrd", "an initrd is not supported; the guest kernel boots without "
	  "one, so remove <initrd>" },
	{ "os", "loader", "firmware loaders are not supported; PV guests boot <kernel> directly" },
	{ "domain", "bootloader", "a bootloader is not supported; put <kernel> inside <os>" },
	{ "devices", "graphics", "graphics are not supported; use <console type='pty'>" },
	{ "devices", "emulator", "a device-model emulator is not used for PV guests; remove it" },
};

static const struct {
	const char *name, *example;
} examples[] = {
	{ "name", "<name>myguest</name>" },
	{ "memory", "<memory unit='MiB'>64</memory>" },
	{ "os", "<os><type>linux</type><kernel>pvos</kernel></os>" },
	{ "type", "<type>linux</type>" },
	{ "kernel", "<kernel>pvos</kernel>" },
	{ "target", "<target dev='xvda' bus='xen'/>" },
};

static int unknown_element(struct loader *ld, xmlNodePtr node, const struct sch_info *info)
{
	const char *names[MAX_SCHEMA_NAMES], *parent = (const char *)node->parent->name;
	const char *name = (const char *)node->name, *hint;
	char list[512];
	size_t i, n;

	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (!node->ns && strcmp(unsupported[i].parent, parent) == 0 &&
		    strcmp(unsupported[i].name, name) == 0)
			return fail(ld, node, "%s", unsupported[i].why);
	if (node->ns)
		return fail(ld, node, "unknown element <%s%s%s>; extensions from other XML "
			    "namespaces are not supported", node->ns->prefix ?
			    (const char *)node->ns->prefix : "", node->ns->prefix ? ":" : "", name);
	n = item_names(info->elems, info->nelems, names);
	hint = suggest(name, names, n);
	if (hint)
		return fail(ld, node, "unknown element <%s>; did you mean <%s>?", name, hint);
	join(list, sizeof(list), names, n, "<", ">");
	if (n == 0)
		return fail(ld, node, "unknown element <%s>; <%s> must be empty", name, parent);
	return fail(ld, node, "unknown element <%s>; <%s> may contain %s", name, parent, list);
}

static int unknown_attribute(struct loader *ld, xmlAttrPtr attr, const struct sch_info *info)
{
	const char *names[MAX_SCHEMA_NAMES], *name = (const char *)attr->name, *hint;
	xmlNodePtr owner = attr->parent;
	char list[512];
	size_t n;

	if (attr->ns)
		return fail(ld, owner, "unknown attribute '%s:%s'; attributes from other XML "
			    "namespaces are not supported", attr->ns->prefix ?
			    (const char *)attr->ns->prefix : "", name);
	n = item_names(info->attrs, info->nattrs, names);
	hint = suggest(name, names, n);
	if (hint)
		return fail(ld, owner, "unknown attribute '%s'; did you mean '%s'?", name, hint);
	if (n == 0)
		return fail(ld, owner, "unknown attribute '%s'; <%s> takes no attributes", name,
			    (const char *)owner->name);
	join(list, sizeof(list), names, n, "", "");
	return fail(ld, owner, "unknown attribute '%s'; <%s> takes %s", name,
		    (const char *)owner->name, list);
}

/* The content pattern of an <attribute> or element text holder. */
static xmlNodePtr value_pattern(xmlNodePtr pat)
{
	xmlNodePtr c;

	if (!is_rng(pat, "attribute"))
		return pat;
	for (c = pat->children; c; c = c->next)
		if (is_rng(c, NULL))
			return c;
	return NULL;	/* <attribute name='x'/> is text */
}

static size_t pattern_values(xmlNodePtr pat, const char **vals, size_t max)
{
	xmlNodePtr c;
	size_t n = 0;

	if (is_rng(pat, "value")) {
		vals[0] = pat->children ? (const char *)pat->children->content : "";
		return 1;
	}
	for (c = pat->children; c && n < max; c = c->next)
		if (is_rng(c, "value"))
			vals[n++] = c->children ? (const char *)c->children->content : "";
	return n;
}

static bool is_digits(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

static const char *format_hint(xmlNodePtr where, const char *value)
{
	if (where && xmlStrEqual(where->name, (const xmlChar *)"type") && where->parent &&
	    xmlStrEqual(where->parent->name, (const xmlChar *)"driver") && strcmp(value, "raw"))
		return " (convert the image with: qemu-img convert -O raw IN OUT)";
	return "";
}

/* Checks VALUE at WHERE (an element or attribute node) against pattern PAT. */
static int check_value(struct loader *ld, xmlNodePtr where, xmlNodePtr pat, const char *value)
{
	const char *vals[MAX_SCHEMA_NAMES], *hint;
	char list[512], c[64];
	size_t i, n;

	pat = value_pattern(pat);
	if (!pat || is_rng(pat, "text"))
		return 0;
	if (is_rng(pat, "data"))
		return is_digits(value) ? 0 :
		       fail(ld, where, "'%s' is not a whole number; expected digits, such as 64",
			    clip(value, c, sizeof(c)));
	n = pattern_values(pat, vals, MAX_SCHEMA_NAMES);
	for (i = 0; i < n; i++)
		if (strcmp(vals[i], value) == 0)
			return 0;
	join(list, sizeof(list), vals, n, "", "");
	hint = suggest(value, vals, n);
	if (hint)
		return fail(ld, where, "'%s' is not valid; did you mean '%s'? (expected %s%s)",
			    clip(value, c, sizeof(c)), hint, n > 1 ? "one of " : "", list);
	return fail(ld, where, "'%s' is not supported; expected %s%s%s",
		    clip(value, c, sizeof(c)), n > 1 ? "one of " : "", list,
		    format_hint(where, value));
}

static int check_attrs(struct loader *ld, xmlNodePtr node, const struct sch_info *info)
{
	const struct sch_item *it;
	const char *vals[MAX_SCHEMA_NAMES] = { NULL };
	char list[512];
	xmlAttrPtr a;
	size_t i, n;
	int rc;

	for (a = node->properties; a; a = a->next) {
		it = a->ns ? NULL : find_item(info->attrs, info->nattrs, (const char *)a->name);
		if (!it)
			return unknown_attribute(ld, a, info);
		rc = check_value(ld, (xmlNodePtr)a, it->def,
				 a->children ? (const char *)a->children->content : "");
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < info->nattrs; i++) {
		it = &info->attrs[i];
		if (!it->required || xmlHasProp(node, (const xmlChar *)it->name))
			continue;
		n = value_pattern(it->def) ? pattern_values(value_pattern(it->def), vals,
							     MAX_SCHEMA_NAMES) : 0;
		join_or(list, sizeof(list), it->name, vals, n);
		if (n)
			return fail(ld, node, "missing attribute '%s'; expected %s", it->name, list);
		return fail(ld, node, "missing attribute '%s'", it->name);
	}
	return 0;
}

static int explain_element(struct loader *ld, xmlNodePtr node, xmlNodePtr def, int depth);

static int check_text(struct loader *ld, xmlNodePtr node, xmlNodePtr text,
		      const struct sch_info *info)
{
	const char *s = (const char *)text->content;
	char c[64], *copy;
	int rc;

	if (info->text || !s)
		return 0;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return 0;
	copy = strdup(s);
	if (!copy)
		return fail_nomem(ld);
	trim(copy);
	if (info->nelems == 0)
		rc = fail(ld, text, "unexpected text '%s'; <%s/> must be empty",
			  clip(copy, c, sizeof(c)), (const char *)node->name);
	else
		rc = fail(ld, text, "unexpected text '%s'; <%s> contains only elements",
			  clip(copy, c, sizeof(c)), (const char *)node->name);
	free(copy);
	return rc;
}

static xmlNodePtr first_named(xmlNodePtr parent, const xmlChar *name, xmlNodePtr upto)
{
	xmlNodePtr c;

	for (c = parent->children; c && c != upto; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !c->ns && xmlStrEqual(c->name, name))
			return c;
	return NULL;
}

static int check_children(struct loader *ld, xmlNodePtr node, const struct sch_info *info,
			  int depth)
{
	const struct sch_item *it;
	xmlNodePtr c, first;
	int rc;

	for (c = node->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
			rc = check_text(ld, node, c, info);
		else if (c->type != XML_ELEMENT_NODE)
			continue;
		else if (!(it = c->ns ? NULL : find_item(info->elems, info->nelems,
							 (const char *)c->name)))
			rc = unknown_element(ld, c, info);
		else if (!it->multiple && (first = first_named(node, c->name, c)))
			rc = fail(ld, c, "<%s> appears more than once (first at line %ld); keep one",
				  (const char *)c->name, xmlGetLineNo(first));
		else
			rc = explain_element(ld, c, it->def, depth + 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_missing(struct loader *ld, xmlNodePtr node, const struct sch_info *info)
{
	const struct sch_item *it;
	size_t i, j;

	for (i = 0; i < info->nelems; i++) {
		it = &info->elems[i];
		if (!it->required || first_named(node, (const xmlChar *)it->name, NULL))
			continue;
		for (j = 0; j < sizeof(examples) / sizeof(examples[0]); j++)
			if (strcmp(examples[j].name, it->name) == 0)
				return fail(ld, node, "missing <%s>; add, for example, %s",
					    it->name, examples[j].example);
		return fail(ld, node, "missing <%s>; <%s> needs one", it->name,
			    (const char *)node->name);
	}
	return 0;
}

static int explain_element(struct loader *ld, xmlNodePtr node, xmlNodePtr def, int depth)
{
	struct sch_info info = { .nattrs = 0 };
	char *text = NULL;
	int rc;

	if (depth > 16)
		return 0;
	collect(ld, def, true, false, &info, 0);
	rc = check_attrs(ld, node, &info);
	if (rc == 0)
		rc = check_children(ld, node, &info, depth);
	if (rc == 0)
		rc = check_missing(ld, node, &info);
	if (rc == 0 && info.text) {
		rc = elem_text(ld, node, &text);	/* a token: compared trimmed */
		if (rc == 0)
			trim(text);
		if (rc == 0)
			rc = check_value(ld, node, info.text, text);
		free(text);
	}
	return rc;
}

/* Our own reading of the document against the schema; 0 if it finds nothing. */
static int explain(struct loader *ld)
{
	struct sch_info top = { .nattrs = 0 };
	xmlNodePtr root = xmlDocGetRootElement(ld->doc), start = NULL, n;
	xmlNodePtr rng_root = xmlDocGetRootElement(ld->rng_doc);

	for (n = rng_root ? rng_root->children : NULL; n; n = n->next)
		if (is_rng(n, "start"))
			start = n;
	if (start)
		collect(ld, start, true, false, &top, 0);
	if (!root)
		return fail(ld, NULL, "no root element; expected <domain type='xen'>");
	if (top.nelems != 1)
		return 0;
	if (root->ns && strcmp((const char *)root->name, top.elems[0].name) == 0)
		return fail(ld, root, "<domain> is in the XML namespace '%s'; expected no "
			    "namespace (remove xmlns)", (const char *)root->ns->href);
	if (root->ns || strcmp((const char *)root->name, top.elems[0].name) != 0)
		return fail(ld, root, "the root element is <%s>; expected <domain type='xen'>",
			    (const char *)root->name);
	return explain_element(ld, root, top.elems[0].def, 0);
}

/* ---- RelaxNG validation ------------------------------------------------ */

/* The rewrite of libxml2's message when our own reading found nothing. */
static int rewrite_rng_error(struct loader *ld)
{
	const char *s1 = ld->lib_str1 ? ld->lib_str1 : "?";
	const char *s2 = ld->lib_str2 ? ld->lib_str2 : "?";
	xmlNodePtr node = ld->lib_node;

	switch (ld->lib_code) {
	case XML_RELAXNG_ERR_NOELEM:
		return fail(ld, node, "missing <%s>", s1);
	case XML_RELAXNG_ERR_ELEMWRONG:
	case XML_RELAXNG_ERR_EXTRACONTENT:
	case XML_RELAXNG_ERR_INTEREXTRA:
		return fail(ld, node, "<%s> is not allowed here; compare with examples/full.xml", s1);
	case XML_RELAXNG_ERR_INVALIDATTR:
		return fail(ld, node, "attribute '%s' is not allowed here", s1);
	case XML_RELAXNG_ERR_DATATYPE:
		return fail(ld, node, "'%s' is not a valid %s", s2, s1);
	case XML_RELAXNG_ERR_TEXTWRONG:
		return fail(ld, node, "text is not allowed here");
	default:
		return fail(ld, node, "this does not match the domain schema; "
			    "compare with examples/full.xml");
	}
}

/* The schema is ours, not the user's: the message names it, not the domain file. */
static int schema_failed(struct loader *ld, const char *schema_path, const char *what)
{
	if (ld->lib_msg)
		tidy(ld->lib_msg);
	free(ld->err);
	if (asprintf(&ld->err, "%s: cannot use the domain schema: %s%s%s; reinstall splitvisor",
		     schema_path, what, ld->lib_msg ? ": " : "",
		     ld->lib_msg ? ld->lib_msg : "") < 0)
		ld->err = NULL;
	return -EINVAL;
}

static int validate(struct loader *ld, const char *schema_path)
{
	xmlRelaxNGParserCtxtPtr pctxt = NULL;
	xmlRelaxNGValidCtxtPtr vctxt = NULL;
	xmlRelaxNGPtr schema = NULL;
	char *buf = NULL;
	size_t len = 0;
	int rc, r;

	rc = read_all(ld, schema_path, &buf, &len);
	if (rc == 0)
		rc = parse_buffer(ld, buf, len, &ld->rng_doc);
	if (rc < 0) {
		schema_failed(ld, schema_path, rc == -EINVAL ? "not well-formed" : strerror(-rc));
		goto out;
	}
	pctxt = xmlRelaxNGNewDocParserCtxt(ld->rng_doc);
	if (!pctxt) {
		rc = fail_nomem(ld);
		goto out;
	}
	xmlRelaxNGSetParserStructuredErrors(pctxt, on_lib_error, ld);
	schema = xmlRelaxNGParse(pctxt);
	vctxt = schema ? xmlRelaxNGNewValidCtxt(schema) : NULL;
	if (!vctxt) {
		rc = schema_failed(ld, schema_path, "it does not compile");
		goto out;
	}
	xmlRelaxNGSetValidStructuredErrors(vctxt, on_lib_error, ld);
	r = xmlRelaxNGValidateDoc(vctxt, ld->doc);
	if (r != 0) {
		rc = explain(ld);
		if (rc == 0)
			rc = rewrite_rng_error(ld);
	}
out:
	xmlRelaxNGFreeValidCtxt(vctxt);
	xmlRelaxNGFree(schema);
	xmlRelaxNGFreeParserCtxt(pctxt);
	free(buf);
	return rc;
}

/* ---- Values ------------------------------------------------------------ */

/* An attribute's value, pointing into the document, or NULL when absent. */
static const char *prop(xmlNodePtr node, const char *name, xmlNodePtr *attr_out)
{
	xmlAttrPtr a = xmlHasProp(node, (const xmlChar *)name);

	if (attr_out)
		*attr_out = (xmlNodePtr)a;
	if (!a)
		return NULL;
	return a->children && a->children->content ? (const char *)a->children->content : "";
}

static xmlNodePtr child(xmlNodePtr node, const char *name)
{
	return first_named(node, (const xmlChar *)name, NULL);
}

static int dup_prop(struct loader *ld, xmlNodePtr node, const char *name, char **out)
{
	const char *v = prop(node, name, NULL);

	*out = NULL;
	if (!v)
		return 0;
	*out = strdup(v);
	return *out ? 0 : fail_nomem(ld);
}

/* Resolves a relative path against the directory of the domain file. */
static int resolve_path(struct loader *ld, const char *path, char **out)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (path[0] == '/')
		*out = strdup(path);
	else if (asprintf(out, "%s/%s", ld->dir, path) < 0)
		*out = NULL;
	return *out ? 0 : fail_nomem(ld);
}

static int find_dir(struct loader *ld)
{
	char *copy = strdup(ld->file), *slash;

	if (!copy)
		return fail_nomem(ld);
	slash = strrchr(copy, '/');
	if (slash == copy)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	ld->dir = realpath(slash ? copy : ".", NULL);
	free(copy);
	if (!ld->dir)
		return fail(ld, NULL, "cannot resolve the file's directory: %s", strerror(errno));
	return 0;
}

/* ---- Domain-level elements --------------------------------------------- */

static int bad_name_char(struct loader *ld, xmlNodePtr node, unsigned char ch)
{
	char c[64], what[32];

	if (ch >= 0x80)
		snprintf(what, sizeof(what), "a non-ASCII character");
	else if (iscntrl(ch))
		snprintf(what, sizeof(what), "a control character");
	else
		snprintf(what, sizeof(what), "'%c'", ch);
	return fail(ld, node, "'%s' contains %s; expected only letters, digits, '_', '.' "
		    "and '-'", clip(ld->cfg.name, c, sizeof(c)), what);
}

static int load_name(struct loader *ld, xmlNodePtr node)
{
	const char *s;
	bool digits = true;
	char c[64];
	int rc;

	rc = elem_text(ld, node, &ld->cfg.name);
	if (rc < 0)
		return rc;
	s = ld->cfg.name;
	if (!*s)
		return fail(ld, node, "the name is empty; expected letters, digits, '_', '.', '-'");
	if (strlen(s) > MAX_NAME_LEN)
		return fail(ld, node, "'%s' is %zu characters long; expected at most %d",
			    clip(s, c, sizeof(c)), strlen(s), MAX_NAME_LEN);
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return bad_name_char(ld, node, (unsigned char)*s);
		digits = digits && isdigit((unsigned char)*s);
	}
	if (digits)
		return fail(ld, node, "'%s' is all digits and would be mistaken for a domain "
			    "id; add a letter", ld->cfg.name);
	return 0;
}

static int load_uuid(struct loader *ld, xmlNodePtr node)
{
	char *text = NULL, c[64];
	int rc;

	rc = elem_text(ld, node, &text);
	if (rc < 0)
		return rc;
	trim(text);
	if (uuid_parse(text, ld->cfg.uuid) != 0)
		rc = fail(ld, node, "'%s' is not a valid UUID; expected 36 characters like "
			  "4dea22b3-1d52-d8f3-2516-782e98ab3fa0, or no <uuid> to get a new one",
			  clip(text, c, sizeof(c)));
	free(text);
	return rc;
}

static int load_title(struct loader *ld, xmlNodePtr node)
{
	int rc = elem_text(ld, node, &ld->cfg.title);

	if (rc == 0 && strchr(ld->cfg.title, '\n'))
		rc = fail(ld, node, "the title spans several lines; expected one line "
			  "(use <description> for longer text)");
	return rc;
}

static int load_description(struct loader *ld, xmlNodePtr node)
{
	return elem_text(ld, node, &ld->cfg.description);
}

/* libvirt's scaled integers: bytes per unit. */
static const struct {
	const char *unit;
	uint64_t bytes;
} units[] = {
	{ "b", 1 }, { "bytes", 1 },
	{ "KB", 1000ULL }, { "k", 1ULL << 10 }, { "KiB", 1ULL << 10 },
	{ "MB", 1000000ULL }, { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
	{ "GB", 1000000000ULL }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
	{ "TB", 1000000000000ULL }, { "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
};

/* Converts VALUE in UNIT to KiB, rounding up as libvirt does. */
static int scale_to_kib(const char *value, const char *unit, uint64_t *kib_out)
{
	uint64_t n, mult = 0, bytes;
	char *end;
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(units[i].unit, unit) == 0)
			mult = units[i].bytes;
	errno = 0;
	n = strtoull(value, &end, 10);
	if (!mult || end == value || *end || !isdigit((unsigned char)value[0]))
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	if (__builtin_mul_overflow(n, mult, &bytes))
		return -ERANGE;
	*kib_out = bytes / 1024 + (bytes % 1024 != 0);
	return 0;
}

static int load_mem(struct loader *ld, xmlNodePtr node, uint64_t *kib_out)
{
	const char *unit = prop(node, "unit", NULL);
	char *text = NULL, c[64];
	uint64_t kib = 0;
	int rc;

	rc = elem_text(ld, node, &text);
	if (rc < 0)
		return rc;
	trim(text);
	rc = scale_to_kib(text, unit ? unit : "KiB", &kib);
	if (rc == -EINVAL)
		rc = fail(ld, node, "'%s' is not a whole number; expected digits, such as 64",
			  clip(text, c, sizeof(c)));
	else if (rc < 0 || kib > MAX_MEM_KIB)
		rc = fail(ld, node, "%s %s is more than the maximum of %llu KiB (64 GiB)",
			  clip(text, c, sizeof(c)), unit ? unit : "KiB", MAX_MEM_KIB);
	else if (kib < MIN_MEM_KIB)
		rc = fail(ld, node, "%s %s is less than the minimum of %llu KiB (4 MiB)",
			  clip(text, c, sizeof(c)), unit ? unit : "KiB", MIN_MEM_KIB);
	*kib_out = kib;
	free(text);
	return rc;
}

static int load_memory(struct loader *ld, xmlNodePtr node)
{
	return load_mem(ld, node, &ld->cfg.mem_kib);
}

static int load_current_memory(struct loader *ld, xmlNodePtr node)
{
	return load_mem(ld, node, &ld->cfg.cur_mem_kib);
}

static int load_vcpu(struct loader *ld, xmlNodePtr node)
{
	char *text = NULL, *end, c[64];
	unsigned long long n;
	int rc;

	rc = elem_text(ld, node, &text);
	if (rc < 0)
		return rc;
	trim(text);
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || n < 1 || n > MAX_VCPUS)
		rc = fail(ld, node, "%s virtual CPUs; expected 1 to %d",
			  clip(text, c, sizeof(c)), MAX_VCPUS);
	else
		ld->cfg.vcpus = (uint32_t)n;
	free(text);
	return rc;
}

static const char *const action_names[PVH_ACTION_COUNT] = {
	[PVH_ACTION_DESTROY] = "destroy",
	[PVH_ACTION_RESTART] = "restart",
	[PVH_ACTION_PRESERVE] = "preserve",
};

static int load_action(struct loader *ld, xmlNodePtr node, enum pvh_action *out)
{
	char *text = NULL, c[64];
	int i, rc;

	rc = elem_text(ld, node, &text);
	if (rc < 0)
		return rc;
	trim(text);
	for (i = 0; i < PVH_ACTION_COUNT && strcmp(text, action_names[i]) != 0; i++)
		;
	if (i < PVH_ACTION_COUNT)
		*out = (enum pvh_action)i;
	else
		rc = fail(ld, node, "'%s' is not supported; expected one of destroy, restart, "
			  "preserve", clip(text, c, sizeof(c)));
	free(text);
	return rc;
}

static int load_on_poweroff(struct loader *ld, xmlNodePtr node)
{
	return load_action(ld, node, &ld->cfg.on_poweroff);
}

static int load_on_reboot(struct loader *ld, xmlNodePtr node)
{
	return load_action(ld, node, &ld->cfg.on_reboot);
}

static int load_on_crash(struct loader *ld, xmlNodePtr node)
{
	return load_action(ld, node, &ld->cfg.on_crash);
}

/*
 * kernel is the text resolved against the domain file's directory, as every
 * relative path is. A bare name such as "pvos" is also a name the toolstack
 * may look up in its kernel directory when no such file sits next to the
 * domain file; that is the caller's decision (it knows where kernels are
 * installed), so kernel_arg keeps the text for it.
 */
static int load_kernel(struct loader *ld, xmlNodePtr node)
{
	int rc = elem_text(ld, node, &ld->cfg.kernel_arg);

	if (rc < 0)
		return rc;
	trim(ld->cfg.kernel_arg);
	if (!ld->cfg.kernel_arg[0])
		return fail(ld, node, "the kernel is empty; expected a path, or a kernel name "
			    "such as pvos");
	return resolve_path(ld, ld->cfg.kernel_arg, &ld->cfg.kernel);
}

static int load_os(struct loader *ld, xmlNodePtr node)
{
	xmlNodePtr cmdline = child(node, "cmdline");
	int rc;

	rc = elem_text(ld, child(node, "type"), &ld->cfg.os_type);
	if (rc == 0)
		trim(ld->cfg.os_type);
	if (rc == 0)
		rc = load_kernel(ld, child(node, "kernel"));
	if (rc == 0 && cmdline)
		rc = elem_text(ld, cmdline, &ld->cfg.cmdline);
	if (rc == 0 && !cmdline && !(ld->cfg.cmdline = strdup("")))
		rc = fail_nomem(ld);
	if (rc == 0 && strlen(ld->cfg.cmdline) >= PVH_CMDLINE_MAX)
		rc = fail(ld, cmdline, "the command line is %zu bytes long; expected at most %d",
			  strlen(ld->cfg.cmdline), PVH_CMDLINE_MAX - 1);
	return rc;
}

/* ---- Disks ------------------------------------------------------------- */

/* xen-vbd-interface(7): "xvd" + letters, or "hd" + a..d, whole disks only. */
int domcfg_vdev_encode(const char *target, uint32_t *vdev_out)
{
	uint32_t disk = 0;
	size_t i, n;

	if (!target)
		return -EINVAL;
	if (strncmp(target, "hd", 2) == 0 && target[2] >= 'a' && target[2] <= 'd' &&
	    !target[3]) {
		disk = (uint32_t)(target[2] - 'a');
		*vdev_out = disk < 2 ? (3u << 8 | disk << 6) : (22u << 8 | (disk - 2) << 6);
		return 0;
	}
	if (strncmp(target, "xvd", 3) != 0)
		return -EINVAL;
	n = strlen(target + 3);
	if (n < 1 || n > 4)
		return -EINVAL;
	/* Bijective base 26: a = 0, z = 25, aa = 26, tq = 536. */
	for (i = 0; i < n; i++) {
		if (target[3 + i] < 'a' || target[3 + i] > 'z')
			return -EINVAL;
		disk = disk * 26 + (uint32_t)(target[3 + i] - 'a' + 1);
	}
	disk--;
	*vdev_out = disk < 16 ? (202u << 8 | disk << 4) : (1u << 28 | disk << 8);
	return 0;
}

/*
 * pvdm emulates one ATA disk: the master of the primary channel (hda),
 * not ATAPI. A second hda is caught by disk_unique().
 */
static int ide_target(struct loader *ld, xmlNodePtr dev_attr, const char *dev,
		      struct domcfg_disk *d)
{
	if (strcmp(dev, "hda") != 0)
		return fail(ld, dev_attr, "'%s': only hda (the primary master) is emulated; "
			    "use hda for the one IDE disk, or bus='xen' (xvda, xvdb, ...) for "
			    "more disks", dev);
	if (d->is_cdrom)
		return fail(ld, dev_attr, "an emulated IDE CD-ROM (ATAPI) is not supported; "
			    "use device='disk' with <readonly/>, or bus='xen'");
	d->target = strdup(dev);
	return d->target ? 0 : fail_nomem(ld);
}

static int disk_target(struct loader *ld, xmlNodePtr node, struct domcfg_disk *d)
{
	xmlNodePtr t = child(node, "target"), dev_attr;
	const char *dev = prop(t, "dev", &dev_attr), *bus = prop(t, "bus", NULL);
	bool is_hd = strncmp(dev, "hd", 2) == 0;
	char c[64];

	if (domcfg_vdev_encode(dev, &d->vdev) < 0) {
		if (isdigit((unsigned char)dev[strlen(dev) ? strlen(dev) - 1 : 0]) &&
		    (strncmp(dev, "xvd", 3) == 0 || is_hd))
			return fail(ld, dev_attr, "'%s' is a partition; expected a whole disk "
				    "such as xvda", clip(dev, c, sizeof(c)));
		return fail(ld, dev_attr, "'%s' is not a disk name Splitvisor knows; expected "
			    "xvda, xvdb, ... (bus 'xen') or hda to hdd (bus 'ide')",
			    clip(dev, c, sizeof(c)));
	}
	d->bus = is_hd ? DOMCFG_BUS_IDE : DOMCFG_BUS_XEN;
	if (bus && strcmp(bus, is_hd ? "ide" : "xen") != 0)
		return fail(ld, dev_attr, "'%s' is %s disk name but bus='%s'; use bus='%s', "
			    "or a name such as %s with bus='%s'", dev, is_hd ? "an IDE" : "a Xen",
			    bus, is_hd ? "ide" : "xen", is_hd ? "xvda" : "hda", bus);
	if (is_hd)
		return ide_target(ld, dev_attr, dev, d);
	d->target = strdup(dev);
	return d->target ? 0 : fail_nomem(ld);
}

static int disk_source(struct loader *ld, xmlNodePtr node, struct domcfg_disk *d)
{
	xmlNodePtr src = child(node, "source"), a;
	const char *want = d->type == DOMCFG_DISK_FILE ? "file" : "dev";
	const char *other = d->type == DOMCFG_DISK_FILE ? "dev" : "file";
	const char *path;

	if (src && prop(src, other, &a))
		return fail(ld, a, "%s= is for type='%s' disks; a type='%s' disk takes "
			    "<source %s='...'/>", other, d->type == DOMCFG_DISK_FILE ? "block" :
			    "file", prop(node, "type", NULL), want);
	path = src ? prop(src, want, &a) : NULL;
	if (!path && d->is_cdrom)
		return 0;
	if (!path)
		return fail(ld, src ? src : node, "missing <source %s='...'/>; a disk needs "
			    "a backing %s", want, d->type == DOMCFG_DISK_FILE ? "file" : "device");
	if (!path[0])
		return fail(ld, a, "the path is empty; expected a %s",
			    d->type == DOMCFG_DISK_FILE ? "file" : "device");
	return resolve_path(ld, path, &d->source);
}

static int disk_unique(struct loader *ld, xmlNodePtr node, const struct domcfg_disk *d)
{
	size_t i;
	xmlNodePtr a;

	for (i = 0; i < ld->cfg.ndisks; i++) {
		if (ld->cfg.disks[i].vdev != d->vdev)
			continue;
		prop(child(node, "target"), "dev", &a);
		return fail(ld, a, "'%s' is already used by the disk at line %d; each disk "
			    "needs its own target", d->target, ld->cfg.disks[i].line);
	}
	return 0;
}

static int load_disk(struct loader *ld, xmlNodePtr node)
{
	struct domcfg_disk *d, *grown;
	xmlNodePtr drv = child(node, "driver");
	const char *device = prop(node, "device", NULL);
	const char *dtype = drv ? prop(drv, "type", NULL) : NULL;
	int rc;

	if (ld->cfg.ndisks >= MAX_DISKS)
		return fail(ld, node, "more than %d disks; expected at most %d", MAX_DISKS,
			    MAX_DISKS);
	grown = realloc(ld->cfg.disks, (ld->cfg.ndisks + 1) * sizeof(*grown));
	if (!grown)
		return fail_nomem(ld);
	ld->cfg.disks = grown;
	d = &grown[ld->cfg.ndisks];
	*d = (struct domcfg_disk){ .line = (int)xmlGetLineNo(node) };
	d->type = strcmp(prop(node, "type", NULL), "block") == 0 ? DOMCFG_DISK_BLOCK :
								       DOMCFG_DISK_FILE;
	d->is_cdrom = device && strcmp(device, "cdrom") == 0;
	d->readonly = d->is_cdrom || child(node, "readonly");
	d->shareable = child(node, "shareable") != NULL;
	rc = drv ? dup_prop(ld, drv, "name", &d->driver_name) : 0;
	if (rc == 0 && !(d->driver_type = strdup(dtype ? dtype : "raw")))
		rc = fail_nomem(ld);
	if (rc == 0)
		rc = disk_target(ld, node, d);
	if (rc == 0)
		rc = disk_source(ld, node, d);
	if (rc == 0)
		rc = disk_unique(ld, node, d);
	ld->cfg.ndisks++;	/* even on error, so domcfg_free() sees it */
	return rc;
}

/* ---- Network interfaces ------------------------------------------------ */

int domcfg_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	int i, used = 0;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &used) != 6 || used != 17)
		return -EINVAL;
	for (i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int nic_mac(struct loader *ld, xmlNodePtr node, struct domcfg_nic *nic)
{
	xmlNodePtr m = child(node, "mac"), a;
	const char *addr = m ? prop(m, "address", &a) : NULL;
	static const uint8_t zero[6];
	char c[64];
	size_t i;

	if (!addr) {
		nic->mac_generated = true;
		return 0;
	}
	if (domcfg_mac_parse(addr, nic->mac) < 0)
		return fail(ld, a, "'%s' is not a MAC address; expected six hex pairs like "
			    "02:16:3e:5a:1c:07, or leave out <mac> to get a generated one", clip(addr, c, sizeof(c)));
	if (nic->mac[0] & 0x01)
		return fail(ld, a, "'%s' is a multicast address (the first byte is odd); "
			    "expected a unicast address like 02:16:3e:5a:1c:07", addr);
	if (memcmp(nic->mac, zero, 6) == 0)
		return fail(ld, a, "'%s' is all zeros; expected a real address", addr);
	for (i = 0; i < ld->cfg.nnics; i++)
		if (!ld->cfg.nics[i].mac_generated && memcmp(ld->cfg.nics[i].mac, nic->mac, 6) == 0)
			return fail(ld, a, "'%s' is already used by the interface at line %d; "
				    "each interface needs its own MAC", addr, ld->cfg.nics[i].line);
	return 0;
}

const char *domcfg_mac_unusable(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	if (mac[0] & 0x01)
		return "a multicast address (the first byte is odd)";
	if (memcmp(mac, zero, 6) == 0)
		return "all zeros";
	return NULL;
}

void domcfg_mac_format(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void domcfg_mac_random(uint8_t mac[6])
{
	uuid_t u;

	uuid_generate_random(u);
	domcfg_mac_parse(DOMCFG_MAC_PREFIX ":00:00:00", mac);
	memcpy(mac + 3, u, 3);
}

int domcfg_size_to_kib(const char *s, uint64_t *kib_out)
{
	char num[32];
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n >= sizeof(num))
		return n ? -ERANGE : -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	return scale_to_kib(num, s[n] ? s + n : "KiB", kib_out);
}

static int nic_source(struct loader *ld, xmlNodePtr node, struct domcfg_nic *nic)
{
	xmlNodePtr src = child(node, "source");

	if (nic->type == DOMCFG_NIC_ETHERNET && src)
		return fail(ld, src, "a type='ethernet' interface has no bridge; use "
			    "type='bridge' or remove <source>");
	if (nic->type == DOMCFG_NIC_BRIDGE && !src)
		return fail(ld, node, "missing <source bridge='...'/>; a type='bridge' "
			    "interface needs the host bridge to join, such as xenbr0");
	if (src && !prop(src, "bridge", NULL)[0])
		return fail(ld, src, "the bridge name is empty; expected a host bridge such as "
			    "xenbr0");
	return src ? dup_prop(ld, src, "bridge", &nic->bridge) : 0;
}

static int load_interface(struct loader *ld, xmlNodePtr node)
{
	struct domcfg_nic *nic, *grown;
	xmlNodePtr model = child(node, "model"), script = child(node, "script");
	int rc;

	if (ld->cfg.nnics >= MAX_NICS)
		return fail(ld, node, "more than %d interfaces; expected at most %d", MAX_NICS,
			    MAX_NICS);
	grown = realloc(ld->cfg.nics, (ld->cfg.nnics + 1) * sizeof(*grown));
	if (!grown)
		return fail_nomem(ld);
	ld->cfg.nics = grown;
	nic = &grown[ld->cfg.nnics];
	*nic = (struct domcfg_nic){ .line = (int)xmlGetLineNo(node) };
	nic->type = strcmp(prop(node, "type", NULL), "ethernet") == 0 ? DOMCFG_NIC_ETHERNET :
									  DOMCFG_NIC_BRIDGE;
	rc = nic_mac(ld, node, nic);
	if (rc == 0)
		rc = nic_source(ld, node, nic);
	if (rc == 0 && !(nic->model = strdup(model ? prop(model, "type", NULL) : "netfront")))
		rc = fail_nomem(ld);
	if (rc == 0 && script && !prop(script, "path", NULL)[0])
		rc = fail(ld, script, "the script path is empty; expected a script name such "
			  "as vif-bridge, or no <script>");
	if (rc == 0 && script)
		rc = dup_prop(ld, script, "path", &nic->script);
	ld->cfg.nnics++;
	return rc;
}

/*
 * A MAC that is the same every time this domain starts: DOMCFG_MAC_PREFIX
 * (locally administered, unicast: IEEE 802 bits 1 and 0 of the first
 * byte), then three bytes of a hash of the uuid and the NIC index. On the
 * rare clash with another NIC the hash is salted and tried again.
 */
static void make_mac(const uint8_t uuid[16], uint32_t index, uint32_t salt, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	uint8_t extra[8];
	int i;

	for (i = 0; i < 4; i++) {
		extra[i] = (uint8_t)(index >> (8 * i));
		extra[4 + i] = (uint8_t)(salt >> (8 * i));
	}
	for (i = 0; i < 24; i++) {
		h ^= i < 16 ? uuid[i] : extra[i - 16];
		h *= 0x100000001b3ULL;
	}
	domcfg_mac_parse(DOMCFG_MAC_PREFIX ":00:00:00", mac);
	for (i = 3; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
}

static bool mac_taken(const struct domcfg *cfg, size_t self)
{
	size_t i;

	for (i = 0; i < cfg->nnics; i++)
		if (i != self && memcmp(cfg->nics[i].mac, cfg->nics[self].mac, 6) == 0)
			return true;
	return false;
}

static void generate_macs(struct domcfg *cfg)
{
	uint32_t salt;
	size_t i;

	for (i = 0; i < cfg->nnics; i++) {
		if (!cfg->nics[i].mac_generated)
			continue;
		for (salt = 0; salt == 0 || (mac_taken(cfg, i) && salt < 64); salt++)
			make_mac(cfg->uuid, (uint32_t)i, salt, cfg->nics[i].mac);
	}
}

static int load_console(struct loader *ld, xmlNodePtr node)
{
	if (ld->cfg.has_console)
		return fail(ld, node, "a second <console>; Splitvisor gives a guest one console");
	ld->cfg.has_console = true;
	return 0;
}

/* ---- The domain -------------------------------------------------------- */

struct handler {
	const char *name;
	int (*load)(struct loader *ld, xmlNodePtr node);
};

static int run_handlers(struct loader *ld, xmlNodePtr node, const struct handler *h,
			size_t n)
{
	xmlNodePtr c;
	size_t i;
	int rc;

	for (c = node->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < n; i++) {
			if (strcmp((const char *)c->name, h[i].name) != 0)
				continue;
			rc = h[i].load(ld, c);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int load_devices(struct loader *ld, xmlNodePtr node)
{
	static const struct handler h[] = {
		{ "disk", load_disk },
		{ "interface", load_interface },
		{ "console", load_console },
	};

	return run_handlers(ld, node, h, sizeof(h) / sizeof(h[0]));
}

static int check_current_memory(struct loader *ld, xmlNodePtr root)
{
	xmlNodePtr cur = child(root, "currentMemory");

	if (!cur) {
		ld->cfg.cur_mem_kib = ld->cfg.mem_kib;
		return 0;
	}
	if (ld->cfg.cur_mem_kib > ld->cfg.mem_kib)
		return fail(ld, cur, "%llu KiB is more than <memory> (%llu KiB); expected "
			    "currentMemory <= memory",
			    (unsigned long long)ld->cfg.cur_mem_kib,
			    (unsigned long long)ld->cfg.mem_kib);
	return 0;
}

static int load_domain(struct loader *ld)
{
	static const struct handler h[] = {
		{ "name", load_name },
		{ "uuid", load_uuid },
		{ "title", load_title },
		{ "description", load_description },
		{ "memory", load_memory },
		{ "currentMemory", load_current_memory },
		{ "vcpu", load_vcpu },
		{ "os", load_os },
		{ "on_poweroff", load_on_poweroff },
		{ "on_reboot", load_on_reboot },
		{ "on_crash", load_on_crash },
		{ "devices", load_devices },
	};
	xmlNodePtr root = xmlDocGetRootElement(ld->doc);
	int rc;

	ld->cfg.vcpus = 1;
	ld->cfg.on_poweroff = PVH_ACTION_DESTROY;
	ld->cfg.on_reboot = PVH_ACTION_RESTART;
	ld->cfg.on_crash = PVH_ACTION_DESTROY;
	rc = run_handlers(ld, root, h, sizeof(h) / sizeof(h[0]));
	if (rc == 0)
		rc = check_current_memory(ld, root);
	if (rc < 0)
		return rc;
	if (!child(root, "uuid")) {
		uuid_generate(ld->cfg.uuid);
		ld->cfg.uuid_generated = true;
	}
	generate_macs(&ld->cfg);
	return 0;
}

/* ---- Entry points ------------------------------------------------------ */

static void loader_dispose(struct loader *ld)
{
	domcfg_free(&ld->cfg);
	xmlFreeDoc(ld->doc);
	xmlFreeDoc(ld->rng_doc);
	free(ld->dir);
	free(ld->err);
	free(ld->lib_msg);
	free(ld->lib_str1);
	free(ld->lib_str2);
}

int domcfg_load(const char *file, const char *schema_path,
		struct domcfg *cfg_out, char **err_out)
{
	struct loader ld = { .file = file };
	int rc;

	*err_out = NULL;
	memset(cfg_out, 0, sizeof(*cfg_out));
	xmlInitParser();
	rc = parse_file(&ld);
	if (rc == 0)
		rc = validate(&ld, schema_path);
	if (rc == 0)
		rc = find_dir(&ld);
	if (rc == 0)
		rc = load_domain(&ld);
	if (rc == 0 && !(ld.cfg.path = strdup(file)))
		rc = fail_nomem(&ld);
	if (rc == 0) {
		*cfg_out = ld.cfg;
		memset(&ld.cfg, 0, sizeof(ld.cfg));	/* moved out */
	} else {
		*err_out = ld.err;
		ld.err = NULL;
	}
	loader_dispose(&ld);
	return rc;
}

static void free_disk(struct domcfg_disk *d)
{
	free(d->driver_name);
	free(d->driver_type);
	free(d->source);
	free(d->target);
}

static void free_nic(struct domcfg_nic *n)
{
	free(n->bridge);
	free(n->model);
	free(n->script);
}

void domcfg_free(struct domcfg *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->ndisks; i++)
		free_disk(&cfg->disks[i]);
	for (i = 0; i < cfg->nnics; i++)
		free_nic(&cfg->nics[i]);
	free(cfg->disks);
	free(cfg->nics);
	free(cfg->path);
	free(cfg->name);
	free(cfg->title);
	free(cfg->description);
	free(cfg->os_type);
	free(cfg->kernel);
	free(cfg->kernel_arg);
	free(cfg->cmdline);
	memset(cfg, 0, sizeof(*cfg));
}

const char *domcfg_action_name(enum pvh_action action)
{
	if ((unsigned int)action >= PVH_ACTION_COUNT)
		return "unknown";
	return action_names[action];
}
