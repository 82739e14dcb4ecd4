/* `vmtriage sym`: symbol to address and back. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"

static int run_sym(int argc, char **argv)
{
	struct vt_cli_common c;
	struct vt_target *t;
	struct vt_symbols *s;
	int rc = vt_cli_parse(&vt_cmd_sym, argc, argv, 0, &c), status = VT_EXIT_OK;
	struct vt_json j;

	if (rc >= 0)
		return rc;
	if (c.nargs < 1) {
		fprintf(stderr, "vmtriage sym: missing NAME or ADDR\n");
		return VT_EXIT_ERROR;
	}
	if ((rc = vt_cli_open(&c, true, &t, &s)) >= 0)
		return rc;
	if (c.json) {
		vt_json_init(&j, stdout, true);
		vt_json_array_begin(&j, NULL);
	}
	for (int i = 0; i < c.nargs; i++) {
		const char *arg = c.args[i], *name = NULL;
		uint64_t addr, off = 0;
		struct vt_error *err = vt_cli_parse_addr(NULL, arg, &addr);
		bool by_addr = !err;

		vt_error_destroy(err);
		if (by_addr)
			err = vt_symbols_addr(s, addr, &name, &off);
		else {
			name = arg;
			err = vt_symbols_lookup(s, arg, &addr);
		}
		if (err) {
			fprintf(stderr, "vmtriage: %s\n", err->message);
			vt_error_destroy(err);
			status = VT_EXIT_ERROR;
			if (c.json) {
				vt_json_object_begin(&j, NULL);
				vt_json_string(&j, "query", arg);
				vt_json_null(&j, "name");
				vt_json_null(&j, "address");
				vt_json_object_end(&j);
			}
			continue;
		}
		if (c.json) {
			vt_json_object_begin(&j, NULL);
			vt_json_string(&j, "query", arg);
			vt_json_string(&j, "name", name);
			vt_json_hex(&j, "address", addr - off);
			vt_json_hex(&j, "offset", off);
			vt_json_object_end(&j);
		} else if (by_addr) {
			printf("0x%016" PRIx64 " %s+0x%" PRIx64 "\n", addr, name, off);
		} else {
			printf("0x%016" PRIx64 " %s\n", addr, name);
		}
	}
	if (c.json) {
		vt_json_array_end(&j);
		vt_json_finish(&j);
	}
	vt_symbols_destroy(s);
	vt_target_destroy(t);
	return status;
}

const struct vt_command vt_cmd_sym = {
	.name = "sym",
	.args = "VMCORE [VMLINUX] NAME|ADDR... [--json]",
	.summary = "Look up symbols: name to runtime address, or address to name+offset",
	.help = "Addresses are runtime (KASLR applied). An argument that parses as a\n"
		"number (0x... or decimal) is looked up as an address.\n",
	.run = run_sym,
};
