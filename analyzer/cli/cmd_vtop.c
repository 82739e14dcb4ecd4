/* `vmtriage vtop`: translate one address, showing every level, like crash's vtop. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "models/mm.h"

static int run_vtop(int argc, char **argv)
{
	struct vt_cli_common c;
	struct vt_target *t;
	struct vt_symbols *s;
	struct vt_xlat_path path = { 0 };
	struct vt_mm mm = { 0 };
	uint64_t addr, pa;
	bool walked = false;
	struct vt_error *err;
	int rc = vt_cli_parse(&vt_cmd_vtop, argc, argv, VT_OPT_PID, &c);

	if (rc >= 0)
		return rc;
	if (c.nargs != 1) {
		fprintf(stderr, "vmtriage vtop: need one ADDR\n");
		return VT_EXIT_ERROR;
	}
	if ((rc = vt_cli_open(&c, true, &t, &s)) >= 0)
		return rc;
	err = vt_cli_parse_addr(s, c.args[0], &addr);
	if (!err && c.pid) {
		err = vt_mm_of_pid_text(t, s, c.pid, &mm);
		if (!err) {
			walked = true;
			err = vt_target_vtop_pgd(t, mm.pgd_paddr, addr, &pa, &path);
		}
	} else if (!err) {
		walked = true;
		err = vt_target_vtop(t, addr, &pa, &path);
	}
	if (!walked) {		/* a bad address, pid or symbol: nothing to show */
		vt_cli_error(err);
		vt_symbols_destroy(s);
		vt_target_destroy(t);
		return VT_EXIT_ERROR;
	}
	/* A failed walk still shows how far it got. */
	if (c.json) {
		struct vt_json j;

		vt_json_init(&j, stdout, true);
		vt_json_object_begin(&j, NULL);
		vt_json_hex(&j, "virtual", addr);
		if (c.pid)
			vt_json_i64(&j, "pid", mm.pid);
		else
			vt_json_null(&j, "pid");
		if (err)
			vt_json_null(&j, "physical");
		else
			vt_json_hex(&j, "physical", pa);
		vt_json_u64(&j, "page_size", err ? 0 : path.page_size);
		vt_cli_json_xlat_steps(&j, "levels", &path);
		if (err)
			vt_json_string(&j, "error", err->message);
		vt_json_object_end(&j);
		vt_json_finish(&j);
	} else {
		printf("%-18s %s\n", "VIRTUAL", "PHYSICAL");
		if (err)
			printf("%-18" PRIx64 " (not mapped)\n\n", addr);
		else
			printf("%-18" PRIx64 " %" PRIx64 "\n\n", addr, pa);
		if (c.pid)
			printf("PID %d mm 0x%" PRIx64 " pgd 0x%" PRIx64 " (physical 0x%" PRIx64 ")\n",
			       mm.pid, mm.addr, mm.pgd, mm.pgd_paddr);
		if (!path.nsteps && !err)
			printf("  linear map: physical = virtual - PAGE_OFFSET\n");
		for (unsigned i = 0; i < path.nsteps; i++)
			printf("  %-4s table %12" PRIx64 " [%3u] => %016" PRIx64 "\n",
			       path.steps[i].level, path.steps[i].table_paddr,
			       path.steps[i].index, path.steps[i].entry);
		if (!err && path.nsteps)
			printf("  PAGE %" PRIx64 " (%" PRIu64 " KiB)\n", pa & ~(path.page_size - 1),
			       path.page_size >> 10);
	}
	rc = err ? VT_EXIT_ERROR : VT_EXIT_OK;
	if (err)
		vt_cli_error(err);
	vt_symbols_destroy(s);
	vt_target_destroy(t);
	return rc;
}

const struct vt_command vt_cmd_vtop = {
	.name = "vtop",
	.args = "VMCORE [VMLINUX] ADDR [--pid PID] [--json]",
	.summary = "Translate a virtual address, showing each page-table level",
	.help = "ADDR is a number or symbol[+offset]. Without --pid the kernel's tables\n"
		"(init_top_pgt / swapper_pg_dir) are used; with --pid that process's.\n"
		"  --pid PID    translate in the address space of this process\n",
	.run = run_vtop,
};
