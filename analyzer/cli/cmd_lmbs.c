/*
 * `vmtriage lmbs`: the per-LMB cross-check of pseries dynamic memory (bug
 * class C): live device tree and its deadprops history, boot FDT,
 * drmem_info, sections present/online, memblock.memory, crash kernel.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "models/lmbcheck.h"
#include "models/memdev.h"

/* A flags column: A assigned, R reserved, D drc-invalid, I ai-invalid, H hotremovable,
 * F in flight (DRMEM_LMB_RESERVED); "-" none; "?" not listed or unknown. */
static const char *letters(int64_t f, char *buf)
{
	int n = 0;

	if (f < 0)
		return "?";
	if (f & VT_DRCONF_MEM_ASSIGNED)
		buf[n++] = 'A';
	if (f & VT_DRCONF_MEM_RESERVED)
		buf[n++] = 'R';
	if (f & VT_DRCONF_MEM_DRC_INVALID)
		buf[n++] = 'D';
	if (f & VT_DRCONF_MEM_AI_INVALID)
		buf[n++] = 'I';
	if (f & VT_DRCONF_MEM_HOTREMOVABLE)
		buf[n++] = 'H';
	if (f & VT_DRMEM_LMB_RESERVED)
		buf[n++] = 'F';
	if (!n)
		buf[n++] = '-';
	buf[n] = '\0';
	return buf;
}

static void source_line(const char *name, bool have, const char *why)
{
	printf("  %-14s %s%s\n", name, have ? "yes" : "no: ", have ? "" : why);
}

static struct vt_error *print_text(void *data)
{
	const struct vt_lmb_check *c = data;
	char a[8], b[8], d[8], f[8];

	printf("%s: %s, %zu LMBs of %" PRIu64 " MiB; deadprops: %zu earlier "
	       "generation(s)\n", VT_DRCONF_PATH, c->prop_name, c->n, c->lmb_size >> 20,
	       c->ngen);
	printf("sources:\n");
	source_line("live DT", true, "");
	source_line("boot FDT", c->have_boot, c->boot_err);
	source_line("drmem_info", c->have_drmem, c->drmem_err);
	source_line("sections", c->have_sections, c->sections_err);
	source_line("memblock", c->have_memblock, c->memblock_err);
	source_line("memory blocks", c->have_blocks, c->blocks_err);
	if (!c->have_crash)
		source_line("crash kernel", false, c->crash_err);
	else if (!c->crash.loaded)
		printf("  %-14s no crash kernel loaded\n", "crash kernel");
	else
		printf("  %-14s loaded, %zu segment(s); elfcorehdr: %s; FDT: %s\n",
		       "crash kernel", c->crash.nseg,
		       c->crash.have_hdr ? "decoded" : c->crash.hdr_err,
		       c->crash.fdt ? "decoded" : c->crash.fdt_err);
	printf("flags: A assigned, R reserved, D drc-invalid, I ai-invalid, H hotremovable, "
	       "F in flight; ? not listed\n\n");
	printf("%-10s %-18s %-5s %-5s %-5s %-5s %-16s %-12s %-8s %-8s %s\n", "DRC", "BASE",
	       "DT", "BOOT", "DRMEM", "CRASH", "HISTORY", "SECT P/O", "MEMBLOCK", "DEVICE",
	       "STATE");
	for (size_t i = 0; i < c->n; i++) {
		const struct vt_lmb_row *r = &c->rows[i];
		char hist[64] = "", sect[16];
		size_t hl = 0;

		for (unsigned g = 0; g < r->nhist && hl < sizeof(hist) - 8; g++)
			hl += snprintf(hist + hl, sizeof(hist) - hl, "%s%s", g ? "," : "",
				       letters(r->hist[g], f));
		if (!r->nhist)
			snprintf(hist, sizeof(hist), "none");
		if (c->have_sections)
			snprintf(sect, sizeof(sect), "%u/%u of %u", r->present, r->online,
				 r->nsections);
		else
			snprintf(sect, sizeof(sect), "?");
		printf("0x%08x 0x%016" PRIx64 " %-5s %-5s %-5s %-5s %-16s %-12s %-8s %-8s %s\n",
		       r->drc_index, r->base, letters(r->dt, a), letters(r->boot, b),
		       letters(r->drmem, d), letters(r->crash_fdt, f), hist, sect,
		       c->have_memblock ? (r->memblock == r->size ? "all" :
					   r->memblock ? "part" : "none") : "?",
		       !c->have_blocks ? "?" : r->block_state < 0 ? "-" :
		       vt_memory_block_state_name((enum vt_mb_state)r->block_state),
		       vt_lmb_state_name(r->state));
	}
	printf("\n%zu stale, %zu in flight, %zu other mismatch(es)\n", c->stale, c->in_flight,
	       c->mismatch);
	for (size_t i = 0; i < c->nbad_loads; i++)
		printf("crash elfcorehdr PT_LOAD over absent memory: 0x%" PRIx64 "-0x%" PRIx64 "\n",
		       c->bad_loads[i].start, c->bad_loads[i].end);
	return NULL;
}

static void json_flags(struct vt_json *j, const char *key, int64_t f)
{
	if (f < 0)
		vt_json_null(j, key);
	else
		vt_json_hex(j, key, (uint64_t)f);
}

static void source_json(struct vt_json *j, const char *key, bool have, const char *why)
{
	if (have)
		vt_json_null(j, key);
	else
		vt_json_string(j, key, why);
}

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	const struct vt_lmb_check *c = data;

	vt_json_object_begin(j, NULL);
	vt_json_string(j, "node", VT_DRCONF_PATH);
	vt_json_string(j, "property", c->prop_name);
	vt_json_hex(j, "lmb_size", c->lmb_size);
	vt_json_u64(j, "generations", c->ngen);
	vt_json_object_begin(j, "unavailable");	/* null: the source was read */
	source_json(j, "boot_fdt", c->have_boot, c->boot_err);
	source_json(j, "drmem_info", c->have_drmem, c->drmem_err);
	source_json(j, "sections", c->have_sections, c->sections_err);
	source_json(j, "memblock", c->have_memblock, c->memblock_err);
	source_json(j, "memory_blocks", c->have_blocks, c->blocks_err);
	source_json(j, "crash_image", c->have_crash, c->crash_err);
	vt_json_object_end(j);
	vt_json_bool(j, "crash_kernel_loaded", c->have_crash && c->crash.loaded);
	vt_json_array_begin(j, "lmbs");
	for (size_t i = 0; i < c->n; i++) {
		const struct vt_lmb_row *r = &c->rows[i];

		vt_json_object_begin(j, NULL);
		vt_json_hex(j, "drc_index", r->drc_index);
		vt_json_hex(j, "base", r->base);
		vt_json_hex(j, "size", r->size);
		json_flags(j, "dt_flags", r->dt);
		json_flags(j, "boot_flags", r->boot);
		json_flags(j, "drmem_flags", r->drmem);
		json_flags(j, "crash_fdt_flags", r->crash_fdt);
		vt_json_array_begin(j, "history");
		for (unsigned g = 0; g < r->nhist; g++)
			json_flags(j, NULL, r->hist[g]);
		vt_json_array_end(j);
		vt_json_u64(j, "sections", r->nsections);
		vt_json_u64(j, "sections_present", r->present);
		vt_json_u64(j, "sections_online", r->online);
		vt_json_hex(j, "memblock_bytes", r->memblock);
		if (r->block_state < 0)
			vt_json_null(j, "memory_block");
		else
			vt_json_string(j, "memory_block",
				       vt_memory_block_state_name((enum vt_mb_state)r->block_state));
		vt_json_hex(j, "crash_load_bytes", r->crash_load);
		vt_json_string(j, "state", vt_lmb_state_name(r->state));
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_u64(j, "stale", c->stale);
	vt_json_u64(j, "in_flight", c->in_flight);
	vt_json_u64(j, "mismatch", c->mismatch);
	vt_json_array_begin(j, "crash_loads_over_absent_memory");
	for (size_t i = 0; i < c->nbad_loads; i++) {
		vt_json_object_begin(j, NULL);
		vt_json_hex(j, "start", c->bad_loads[i].start);
		vt_json_hex(j, "end", c->bad_loads[i].end);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_object_end(j);
	return NULL;
}

static int run_lmbs(struct vt_cli *c)
{
	struct vt_memmap *m = NULL;
	struct vt_lmb_check chk;
	struct vt_error *err;
	int rc;

	/* Without a memmap the table still shows every other source. */
	err = vt_memmap_create(c->t, c->s, &m);
	if (err) {
		fprintf(stderr, "vmtriage: memmap unavailable (%s): sections unknown\n",
			err->message);
		vt_error_destroy(err);
		m = NULL;
	}
	err = vt_lmb_check_build(c->t, c->s, m, &chk);
	if (err) {
		vt_memmap_destroy(m);
		return vt_cli_fail(c, err);
	}
	if (!chk.have_node)
		rc = vt_cli_failf(c, VT_ERR_UNSUPPORTED, "no %s node in the device tree (not a "
				  "pseries guest with dynamic memory)", VT_DRCONF_PATH);
	else
		rc = vt_cli_emit(c, print_json, print_text, &chk);
	vt_lmb_check_deinit(&chk);
	vt_memmap_destroy(m);
	return rc;
}

const struct vt_command vt_cmd_lmbs = {
	.flags = VT_CMD_LIVE,
	.name = "lmbs",
	.summary = "pseries LMBs: device tree vs drmem_info vs memory present",
	.help = "For each LMB of /ibm,dynamic-reconfiguration-memory: its flags in the\n"
		"live device tree, in each earlier generation of the property (deadprops,\n"
		"newest first), in the boot FDT, in drmem_info and in a loaded crash\n"
		"kernel's FDT; how many of its sections are present and online; how much\n"
		"memblock.memory covers; and the verdict: ok, firmware (reserved, not\n"
		"DLPAR), STALE-DT (the tree says assigned, the memory is gone, or the\n"
		"mirror), in-flight (DRMEM_LMB_RESERVED), mismatch. ppc64 needs the vmlinux.\n",
	.main = run_lmbs,
};
