/* `vmtriage vtop`: translate one address, showing every level, like crash's vtop. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "models/mm.h"

struct vtop_opts {
	const char *pid;
};

struct vtop {
	const struct vtop_opts *o;
	uint64_t addr, pa;
	struct vt_xlat_path path;
	struct vt_mm mm;
	struct vt_error *err;	/* the walk's: it still shows how far it got */
};

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	struct vtop *v = data;

	vt_json_object_begin(j, NULL);
	vt_json_hex(j, "virtual", v->addr);
	if (v->o->pid)
		vt_json_i64(j, "pid", v->mm.pid);
	else
		vt_json_null(j, "pid");
	if (v->err)
		vt_json_null(j, "physical");
	else
		vt_json_hex(j, "physical", v->pa);
	vt_json_u64(j, "page_size", v->err ? 0 : v->path.page_size);
	vt_cli_json_xlat_steps(j, "levels", &v->path);
	if (v->err)
		vt_json_string(j, "error", v->err->message);
	vt_json_object_end(j);
	return v->err;
}

static struct vt_error *print_text(void *data)
{
	struct vtop *v = data;
	const struct vt_xlat_path *path = &v->path;

	printf("%-18s %s\n", "VIRTUAL", "PHYSICAL");
	if (v->err)
		printf("%-18" PRIx64 " (not mapped)\n\n", v->addr);
	else
		printf("%-18" PRIx64 " %" PRIx64 "\n\n", v->addr, v->pa);
	if (v->o->pid)
		printf("PID %d mm 0x%" PRIx64 " pgd 0x%" PRIx64 " (physical 0x%" PRIx64 ")\n",
		       v->mm.pid, v->mm.addr, v->mm.pgd, v->mm.pgd_paddr);
	if (!path->nsteps && !v->err)
		printf("  linear map: physical = virtual - PAGE_OFFSET\n");
	for (unsigned i = 0; i < path->nsteps; i++)
		printf("  %-4s table %12" PRIx64 " [%3u] => %016" PRIx64 "\n",
		       path->steps[i].level, path->steps[i].table_paddr,
		       path->steps[i].index, path->steps[i].entry);
	if (!v->err && path->nsteps)
		printf("  PAGE %" PRIx64 " (%" PRIu64 " KiB)\n", v->pa & ~(path->page_size - 1),
		       path->page_size >> 10);
	return v->err;
}

static int run_vtop(struct vt_cli *c)
{
	struct vtop v = { .o = c->opts };
	struct vt_error *err = vt_cli_parse_addr(c->s, c->args[0], &v.addr);

	if (!err && v.o->pid)
		err = vt_mm_of_pid_text(c->t, c->s, v.o->pid, &v.mm);
	if (err)		/* a bad address, pid or symbol: nothing to show */
		return vt_cli_fail(c, err);
	if (v.o->pid)
		v.err = vt_target_vtop_pgd(c->t, v.mm.pgd_paddr, v.addr, &v.pa, &v.path);
	else
		v.err = vt_target_vtop(c->t, v.addr, &v.pa, &v.path);
	return vt_cli_emit(c, print_json, print_text, &v);
}

static const struct vt_cli_option vtop_options[] = {
	{ .name = "pid", .arg = "PID", .help = "translate in the address space of this process",
	  VT_CLI_TEXT(struct vtop_opts, pid) },
	{ 0 },
};

const struct vt_command vt_cmd_vtop = {
	.name = "vtop",
	.args = "ADDR",
	.min_args = 1,
	.max_args = 1,
	.summary = "Translate a virtual address, showing each page-table level",
	.help = "ADDR is a number or symbol[+offset]. Without --pid the kernel's tables\n"
		"(init_top_pgt / swapper_pg_dir) are used; with --pid that process's.\n",
	.options = vtop_options,
	.opts_size = sizeof(struct vtop_opts),
	.main = run_vtop,
};
