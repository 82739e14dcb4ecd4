/* `vmtriage type`: a type's layout with offsets and sizes, like pahole. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define MAX_NEST 16

/* C-ish spelling of a type for display; pointees are resolved lazily. */
static void type_str(struct vt_type *t, char *buf, size_t len, int depth)
{
	struct vt_type *p;
	struct vt_error *err;
	char inner[256];

	if (!t || depth > 8) {
		snprintf(buf, len, "?");
		return;
	}
	switch (t->kind) {
	case VT_TYPE_STRUCT:
	case VT_TYPE_UNION:
	case VT_TYPE_ENUM:
		snprintf(buf, len, "%s %s", vt_type_kind_name(t->kind),
			 *t->name ? t->name : "{...}");
		break;
	case VT_TYPE_POINTER:
		err = vt_type_pointee_name(t, &p);
		if (err) {
			vt_error_destroy(err);
			snprintf(buf, len, "void *");
			break;
		}
		if (p->kind == VT_TYPE_FUNCTION) {
			snprintf(buf, len, "fn *");
			break;
		}
		type_str(p, inner, sizeof(inner), depth + 1);
		snprintf(buf, len, "%s *", inner);
		break;
	case VT_TYPE_ARRAY:
		type_str(t->target, inner, sizeof(inner), depth + 1);
		snprintf(buf, len, "%s[%" PRIu64 "]", inner, t->length);
		break;
	case VT_TYPE_FUNCTION:
		snprintf(buf, len, "fn");
		break;
	default:
		snprintf(buf, len, "%s", *t->name ? t->name : "void");
	}
}

static uint64_t type_size(struct vt_type *t)
{
	t = vt_type_unqualified(t);
	return t ? t->size : 0;
}

static void print_members(struct vt_type *t, uint64_t base_bits, int nest)
{
	for (size_t i = 0; i < t->nmembers; i++) {
		struct vt_member *m = &t->members[i];
		struct vt_type *mt = vt_type_unqualified(m->type);
		uint64_t bits = base_bits + m->bit_offset;
		char ts[320];

		if (!*m->name && mt && (mt->kind == VT_TYPE_STRUCT ||
					mt->kind == VT_TYPE_UNION) && nest < MAX_NEST) {
			printf("%*s%s {\n", 8 * nest, "", vt_type_kind_name(mt->kind));
			print_members(mt, bits, nest + 1);
			printf("%*s};%*s/* %5" PRIu64 " %5" PRIu64 " */\n", 8 * nest, "",
			       40 - 8 * nest, "", bits / 8, type_size(mt));
			continue;
		}
		type_str(m->type, ts, sizeof(ts), 0);
		if (m->bit_size)
			printf("%*s%-28s %s:%u;%*s/* %5" PRIu64 ":%2" PRIu64 " %3" PRIu64 " */\n",
			       8 * nest, "", ts, m->name, m->bit_size, 4, "",
			       bits / 8, bits % 8, type_size(m->type));
		else
			printf("%*s%-28s %s;%*s/* %5" PRIu64 " %5" PRIu64 " */\n",
			       8 * nest, "", ts, m->name,
			       (int)(strlen(m->name) < 20 ? 20 - strlen(m->name) : 1), "",
			       bits / 8, type_size(m->type));
	}
}

static void json_members(struct vt_json *j, struct vt_type *t, uint64_t base_bits,
			 int nest)
{
	for (size_t i = 0; i < t->nmembers; i++) {
		struct vt_member *m = &t->members[i];
		struct vt_type *mt = vt_type_unqualified(m->type);
		uint64_t bits = base_bits + m->bit_offset;
		char ts[320];

		type_str(m->type, ts, sizeof(ts), 0);
		vt_json_object_begin(j, NULL);
		vt_json_string(j, "name", m->name);
		vt_json_string(j, "type", ts);
		vt_json_u64(j, "offset", bits / 8);
		vt_json_u64(j, "bit_offset", bits);
		vt_json_u64(j, "bit_size", m->bit_size);
		vt_json_u64(j, "size", type_size(m->type));
		if (!*m->name && mt && (mt->kind == VT_TYPE_STRUCT ||
					mt->kind == VT_TYPE_UNION) && nest < MAX_NEST) {
			vt_json_array_begin(j, "members");
			json_members(j, mt, bits, nest + 1);
			vt_json_array_end(j);
		}
		vt_json_object_end(j);
	}
}

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	struct vt_type *t = data;
	struct vt_type *u = vt_type_unqualified(t);
	char ts[320];

	type_str(t, ts, sizeof(ts), 0);
	vt_json_object_begin(j, NULL);
	vt_json_string(j, "name", t->kind == VT_TYPE_TYPEDEF ? t->name : ts);
	vt_json_string(j, "kind", vt_type_kind_name(t->kind));
	if (t->kind == VT_TYPE_TYPEDEF) {
		type_str(t->target, ts, sizeof(ts), 0);
		vt_json_string(j, "target", ts);
	}
	vt_json_u64(j, "size", u ? u->size : 0);
	vt_json_bool(j, "partial", u && u->partial);
	if (u && (u->kind == VT_TYPE_STRUCT || u->kind == VT_TYPE_UNION)) {
		vt_json_array_begin(j, "members");
		json_members(j, u, 0, 0);
		vt_json_array_end(j);
	}
	if (u && u->kind == VT_TYPE_ENUM) {
		vt_json_array_begin(j, "enumerators");
		for (size_t i = 0; i < u->nenumerators; i++) {
			vt_json_object_begin(j, NULL);
			vt_json_string(j, "name", u->enumerators[i].name);
			vt_json_i64(j, "value", u->enumerators[i].value);
			vt_json_object_end(j);
		}
		vt_json_array_end(j);
	}
	vt_json_object_end(j);
	return NULL;
}

static struct vt_error *print_text(void *data)
{
	struct vt_type *t = data;
	struct vt_type *u = vt_type_unqualified(t);
	char ts[320];

	type_str(t, ts, sizeof(ts), 0);
	if (t->kind == VT_TYPE_TYPEDEF) {
		char target[320];

		type_str(t->target, target, sizeof(target), 0);
		printf("typedef %s %s; /* size %" PRIu64 " */\n", target, t->name,
		       u ? u->size : 0);
	}
	if (!u)
		return NULL;
	if (u->kind == VT_TYPE_STRUCT || u->kind == VT_TYPE_UNION) {
		type_str(u, ts, sizeof(ts), 0);
		printf("%s {%s\n", ts, u->incomplete ? " /* declaration only */" :
		       u->partial ? " /* from VMCOREINFO: only the members it lists, types unknown */" : "");
		print_members(u, 0, 1);
		printf("}; /* size %" PRIu64 " */\n", u->size);
	} else if (u->kind == VT_TYPE_ENUM) {
		type_str(u, ts, sizeof(ts), 0);
		printf("%s {\n", ts);
		for (size_t i = 0; i < u->nenumerators; i++)
			printf("\t%s = %" PRId64 ",\n", u->enumerators[i].name,
			       u->enumerators[i].value);
		printf("}; /* size %" PRIu64 " */\n", u->size);
	} else if (t->kind != VT_TYPE_TYPEDEF) {
		printf("%s /* %s, size %" PRIu64 " */\n", ts, vt_type_kind_name(u->kind),
		       u->size);
	}
	return NULL;
}

static int run_type(struct vt_cli *c)
{
	char spec[256] = "";
	struct vt_type *ty;
	struct vt_error *err;

	/* Accept "struct page" as one or two arguments. */
	for (int i = 0; i < c->nargs; i++) {
		if (i)
			strncat(spec, " ", sizeof(spec) - strlen(spec) - 1);
		strncat(spec, c->args[i], sizeof(spec) - strlen(spec) - 1);
	}
	err = vt_symbols_type(c->s, spec, &ty);
	if (err)
		return vt_cli_fail(c, err);
	return vt_cli_emit(c, print_json, print_text, ty);
}

const struct vt_command vt_cmd_type = {
	.name = "type",
	.args = "NAME",
	.min_args = 1,
	.max_args = -1,
	.summary = "Show a struct/union/enum/typedef layout with offsets and sizes",
	.help = "NAME is \"struct page\", \"union x\", \"enum pageflags\", a typedef, or a\n"
		"bare name (tried as struct, union, typedef, enum, then base type).\n"
		"Each member line ends with /* offset size */ in bytes; bit fields show\n"
		"offset:bit. Types come from BTF (vmlinux or dump) or DWARF (vmlinux).\n",
	.main = run_type,
};
