/*
 * `vmtriage dt`: a device-tree node and its subtree from the dump, printed
 * like `dtc -I fs -O dts` (strings, <cells> or [bytes], as dtc guesses),
 * with each node's deadprops (values replaced by of_update_property, newest
 * first). The live tree by default; --boot shows the boot FDT.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"
#include "cli/cli.h"
#include "devtree/devtree.h"

#define JSON_MAX_LEVELS 12	/* node nesting in JSON (the writer's depth is bounded) */

/* dtc's rule: NUL-terminated printable strings, none empty. */
static bool is_string_list(const unsigned char *v, size_t len)
{
	if (!len || v[len - 1] != '\0' || v[0] == '\0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\0') {
			if (i + 1 < len && v[i + 1] == '\0')
				return false;
		} else if (!isprint(v[i])) {
			return false;
		}
	}
	return true;
}

static void print_escaped(FILE *fp, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(fp, "\\%c", ch);
		else if (isprint(ch))
			fputc(ch, fp);
		else
			fprintf(fp, "\\x%02x", ch);
	}
}

/* The value part of "name = value;" (nothing for an empty property). */
static void format_value(FILE *fp, const struct vt_dt_prop *p, bool raw)
{
	const unsigned char *v = p->value;
	size_t len = p->have;

	if (!len && p->length <= 0)
		return;
	fputs(" = ", fp);
	if (!raw && vt_dt_prop_complete(p) && is_string_list(v, len)) {
		for (size_t i = 0; i < len; ) {
			size_t sl = strlen((const char *)v + i);

			fprintf(fp, "%s\"", i ? ", " : "");
			print_escaped(fp, (const char *)v + i, sl);
			fputc('"', fp);
			i += sl + 1;
		}
	} else if (!raw && len && len % 4 == 0) {
		fputc('<', fp);
		for (size_t i = 0; i < len; i += 4)
			fprintf(fp, "%s0x%x", i ? " " : "", vt_be32(v + i));
		fputc('>', fp);
	} else {
		fputc('[', fp);
		for (size_t i = 0; i < len; i++)
			fprintf(fp, "%s%02x", i ? " " : "", v[i]);
		fputc(']', fp);
	}
	if (!vt_dt_prop_complete(p))
		fprintf(fp, " /* %u of %" PRId64 " bytes */", p->have, p->length);
}

static void print_name(const char *name)
{
	print_escaped(stdout, name, strlen(name));
}

static void indent(unsigned depth)
{
	for (unsigned i = 0; i < depth; i++)
		putchar('\t');
}

static void print_prop(const struct vt_dt_prop *p, bool raw, unsigned depth,
		       const char *prefix)
{
	indent(depth);
	printf("%s", prefix);
	print_name(p->name);
	format_value(stdout, p, raw);
	printf(";\n");
}

/* base: the depth of the node asked for, printed unindented. */
static void print_node(const struct vt_dt_node *n, bool raw, bool live, unsigned base)
{
	unsigned d = n->depth - base;
	unsigned gen = 0;

	indent(d);
	print_name(n->depth ? n->name : "/");
	printf(" {");
	if (live)
		printf("\t/* device_node 0x%" PRIx64 " */", n->addr);
	printf("\n");
	for (const struct vt_dt_prop *p = n->props; p; p = p->next)
		print_prop(p, raw, d + 1, "");
	if (n->deadprops) {
		indent(d + 1);
		printf("/* deadprops: %zu replaced or removed value(s), newest first */\n",
		       n->ndeadprops);
	}
	for (const struct vt_dt_prop *p = n->deadprops; p; p = p->next) {
		char prefix[32];

		snprintf(prefix, sizeof(prefix), "// [%u] ", ++gen);
		print_prop(p, raw, d + 1, prefix);
	}
	for (const struct vt_dt_node *c = n->child; c; c = c->sibling) {
		printf("\n");
		print_node(c, raw, live, base);
	}
	indent(d);
	printf("};\n");
}

/* Text rendering of a value for JSON ("text"), as the dts line shows it. */
static char *value_text(const struct vt_dt_prop *p, bool raw)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (!fp)
		return NULL;
	format_value(fp, p, raw);
	fclose(fp);
	if (buf && len >= 3)
		memmove(buf, buf + 3, len - 2);	/* drop " = " */
	return buf;
}

static void json_props(struct vt_json *j, const char *key, const struct vt_dt_prop *p,
		       bool raw, bool live)
{
	vt_json_array_begin(j, key);
	for (; p; p = p->next) {
		char *hex = malloc((size_t)p->have * 2 + 1), *text;

		vt_json_object_begin(j, NULL);
		vt_json_string(j, "name", p->name);
		vt_json_i64(j, "length", p->length);
		vt_json_bool(j, "complete", vt_dt_prop_complete(p));
		if (live) {
			vt_json_hex(j, "addr", p->addr);
			vt_json_hex(j, "value_addr", p->value_addr);
		}
		if (hex) {
			for (uint32_t i = 0; i < p->have; i++)
				sprintf(hex + 2 * i, "%02x", p->value[i]);
			hex[2 * p->have] = '\0';
			vt_json_string(j, "value", hex);
			free(hex);
		}
		text = value_text(p, raw);
		vt_json_string(j, "text", text ? text : "");
		free(text);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
}

static void json_node(struct vt_json *j, const char *key, const struct vt_dt_node *n,
		      bool raw, bool live, unsigned levels)
{
	size_t nchildren = 0;

	vt_json_object_begin(j, key);
	vt_json_string(j, "path", n->path);
	vt_json_string(j, "name", n->name);
	vt_json_hex(j, live ? "addr" : "offset", n->addr);
	vt_json_u64(j, "phandle", n->phandle);
	json_props(j, "properties", n->props, raw, live);
	json_props(j, "deadprops", n->deadprops, raw, live);
	for (const struct vt_dt_node *c = n->child; c; c = c->sibling)
		nchildren++;
	vt_json_array_begin(j, "children");
	if (levels < JSON_MAX_LEVELS)
		for (const struct vt_dt_node *c = n->child; c; c = c->sibling)
			json_node(j, NULL, c, raw, live, levels + 1);
	vt_json_array_end(j);
	vt_json_u64(j, "children_omitted", levels < JSON_MAX_LEVELS ? 0 : nchildren);
	vt_json_object_end(j);
}

struct dt_opts {
	bool boot, raw;
};

struct dt_out {
	const struct vt_dt *dt;
	const struct vt_dt_node *n;
	bool raw, live;
};

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	const struct dt_out *o = data;
	const struct vt_dt *dt = o->dt;

	vt_json_object_begin(j, NULL);
	vt_json_string(j, "source", dt->source);
	vt_json_hex(j, "addr", dt->addr);
	vt_json_u64(j, "nodes", dt->nnodes);
	vt_json_u64(j, "properties", dt->nprops);
	if (!o->live) {
		vt_json_object_begin(j, "fdt");
		vt_json_u64(j, "version", dt->fdt_version);
		vt_json_u64(j, "totalsize", dt->fdt_totalsize);
		vt_json_u64(j, "boot_cpuid_phys", dt->fdt_boot_cpuid);
		vt_json_array_begin(j, "reservations");
		for (size_t i = 0; i < dt->nrsv; i++) {
			vt_json_object_begin(j, NULL);
			vt_json_hex(j, "addr", dt->rsv[i].addr);
			vt_json_hex(j, "size", dt->rsv[i].size);
			vt_json_object_end(j);
		}
		vt_json_array_end(j);
		vt_json_object_end(j);
	}
	vt_json_array_begin(j, "problems");
	for (size_t i = 0; i < dt->nproblems; i++)
		vt_json_string(j, NULL, dt->problems[i]);
	vt_json_array_end(j);
	vt_json_u64(j, "problems_omitted", dt->problems_omitted);
	json_node(j, "node", o->n, o->raw, o->live, 0);
	vt_json_object_end(j);
	return NULL;
}

static struct vt_error *print_text(void *data)
{
	const struct dt_out *o = data;
	const struct vt_dt *dt = o->dt;

	printf("/* %s at 0x%" PRIx64 ": %zu nodes, %zu properties */\n", dt->source,
	       dt->addr, dt->nnodes, dt->nprops);
	for (size_t i = 0; i < dt->nproblems; i++)
		printf("/* problem: %s */\n", dt->problems[i]);
	if (dt->problems_omitted)
		printf("/* ... %" PRIu64 " more problems */\n", dt->problems_omitted);
	if (!o->live)
		for (size_t i = 0; i < dt->nrsv; i++)
			printf("/memreserve/ 0x%" PRIx64 " 0x%" PRIx64 ";\n",
			       dt->rsv[i].addr, dt->rsv[i].size);
	print_node(o->n, o->raw, o->live, o->n->depth);
	return NULL;
}

static int run_dt(struct vt_cli *c)
{
	const struct dt_opts *opt = c->opts;
	const char *path = c->nargs ? c->args[0] : "/";
	struct vt_dt *dt = NULL;
	struct dt_out o = { .raw = opt->raw, .live = !opt->boot };
	struct vt_error *err;
	int rc;

	err = opt->boot ? vt_dt_read_boot(c->t, c->s, &dt) : vt_dt_read_live(c->t, c->s, &dt);
	if (err) {
		vt_dt_destroy(dt);
		return vt_cli_fail(c, err);
	}
	o.dt = dt;
	o.n = vt_dt_find(dt, path);
	if (!o.n)
		rc = vt_cli_failf(c, VT_ERR_NOT_FOUND, "no node '%s' in the %s", path, dt->source);
	else
		rc = vt_cli_emit(c, print_json, print_text, &o);
	vt_dt_destroy(dt);
	return rc;
}

static const struct vt_cli_option dt_options[] = {
	{ .name = "boot", .help = "the boot FDT (initial_boot_params) instead of the live tree",
	  VT_CLI_BOOL(struct dt_opts, boot) },
	{ .name = "raw", .help = "every value as [bytes]", VT_CLI_BOOL(struct dt_opts, raw) },
	{ 0 },
};

const struct vt_command vt_cmd_dt = {
	.name = "dt",
	.args = "[PATH]",
	.max_args = 1,
	.summary = "Device tree node (default /) and its subtree, like dtc",
	.help = "Rebuilds the kernel's live device tree from of_root (struct device_node,\n"
		"struct property; types from the vmlinux on ppc64) and prints the node\n"
		"at PATH with its properties and children in dts syntax: \"strings\",\n"
		"<cells> or [bytes], as dtc guesses. Each node's deadprops (values that\n"
		"of_update_property() replaced, newest first) follow as // [N] lines.\n"
		"Cycles, overlong names and lengths are cut and listed as problems.\n",
	.options = dt_options,
	.opts_size = sizeof(struct dt_opts),
	.main = run_dt,
};
