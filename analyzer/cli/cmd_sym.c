/* `vmtriage sym`: symbol to address and back. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"

struct lookup {
	const char *query, *name;
	uint64_t addr, off;
	bool by_addr, found;
};

struct sym_run {
	struct vt_cli *c;
	int status;
};

/* One NAME or ADDR; a failed lookup is said on stderr and the others go on. */
static void lookup(struct sym_run *r, const char *arg, struct lookup *l)
{
	uint64_t addr;
	struct vt_error *err = vt_cli_parse_addr(NULL, arg, &addr);

	*l = (struct lookup){ .query = arg, .addr = addr, .by_addr = !err };
	vt_error_destroy(err);
	if (l->by_addr) {
		err = vt_symbols_addr(r->c->s, l->addr, &l->name, &l->off);
	} else {
		l->name = arg;
		err = vt_symbols_lookup(r->c->s, arg, &l->addr);
	}
	l->found = !err;
	if (err) {
		fprintf(stderr, "vmtriage: %s\n", err->message);
		vt_error_destroy(err);
		r->status = VT_EXIT_ERROR;
	}
}

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	struct sym_run *r = data;

	vt_json_array_begin(j, NULL);
	for (int i = 0; i < r->c->nargs; i++) {
		struct lookup l;

		lookup(r, r->c->args[i], &l);
		vt_json_object_begin(j, NULL);
		vt_json_string(j, "query", l.query);
		if (!l.found) {
			vt_json_null(j, "name");
			vt_json_null(j, "address");
		} else {
			vt_json_string(j, "name", l.name);
			vt_json_hex(j, "address", l.addr - l.off);
			vt_json_hex(j, "offset", l.off);
		}
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	return NULL;
}

static struct vt_error *print_text(void *data)
{
	struct sym_run *r = data;

	for (int i = 0; i < r->c->nargs; i++) {
		struct lookup l;

		lookup(r, r->c->args[i], &l);
		if (l.found && l.by_addr)
			printf("0x%016" PRIx64 " %s+0x%" PRIx64 "\n", l.addr, l.name, l.off);
		else if (l.found)
			printf("0x%016" PRIx64 " %s\n", l.addr, l.name);
	}
	return NULL;
}

static int run_sym(struct vt_cli *c)
{
	struct sym_run r = { c, VT_EXIT_OK };
	int rc = vt_cli_emit(c, print_json, print_text, &r);

	return rc == VT_EXIT_OK ? r.status : rc;
}

const struct vt_command vt_cmd_sym = {
	.name = "sym",
	.args = "NAME|ADDR...",
	.min_args = 1,
	.max_args = -1,
	.summary = "Look up symbols: name to runtime address, or address to name+offset",
	.help = "Addresses are runtime (KASLR applied). An argument that parses as a\n"
		"number (0x... or decimal) is looked up as an address.\n",
	.main = run_sym,
};
