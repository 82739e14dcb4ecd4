/*
 * `vmtriage crashimage`: the loaded kdump crash kernel (kexec_crash_image):
 * segments, the elfcorehdr's PT_LOAD ranges checked against memory really
 * present, the FDT segment (ppc64); on x86_64 also the e820 tables the
 * kexec tools read (e820_table, e820_table_firmware, e820_table_kexec).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "models/crashimage.h"
#include "models/lmbcheck.h"
#include "models/physmap.h"

static const char *const e820_tables[] = {
	"e820_table", "e820_table_firmware", "e820_table_kexec",
};
#define NTABLES (sizeof(e820_tables) / sizeof(e820_tables[0]))

struct state {
	struct vt_crashimage ci;
	struct vt_memmap *m;
	struct vt_phys_span bad[256];
	size_t nbad;
	uint64_t bad_omitted;
	bool x86;
	struct vt_map e820[NTABLES];
	char e820_err[NTABLES][160];
};

static struct vt_error *print_text(void *data)
{
	const struct state *st = data;
	const struct vt_crashimage *c = &st->ci;

	if (!c->loaded) {
		printf("no crash kernel loaded (kexec_crash_image is NULL)\n");
	} else {
		printf("crash kernel: kimage 0x%" PRIx64 ", %" PRIu64 " segment(s)\n", c->kimage,
		       c->nr_segments);
		printf("  %-3s %-18s %-10s %-18s %-10s %s\n", "SEG", "BUF", "BUFSZ", "MEM",
		       "MEMSZ", "KIND");
		for (size_t i = 0; i < c->nseg; i++)
			printf("  %-3zu 0x%016" PRIx64 " 0x%-8" PRIx64 " 0x%016" PRIx64
			       " 0x%-8" PRIx64 " %s\n", i, c->seg[i].buf, c->seg[i].bufsz,
			       c->seg[i].mem, c->seg[i].memsz, vt_segment_kind_name(c->seg[i].kind));
		if (!c->have_hdr) {
			printf("elfcorehdr: %s\n", c->hdr_err);
		} else {
			printf("elfcorehdr (%s): %zu PT_LOAD, %zu PT_NOTE\n",
			       vt_crashimage_hdr_source(c),
			       c->hdr.nload, c->hdr.nnote);
			for (size_t i = 0; i < c->hdr.nload; i++)
				printf("  PT_LOAD paddr 0x%" PRIx64 "-0x%" PRIx64 " vaddr 0x%" PRIx64
				       "\n", c->hdr.loads[i].paddr,
				       c->hdr.loads[i].paddr + c->hdr.loads[i].memsz,
				       c->hdr.loads[i].vaddr);
			if (!st->m)
				printf("present memory unknown (no memmap): ranges not checked\n");
			else if (!st->nbad)
				printf("every PT_LOAD range is present memory\n");
			for (size_t i = 0; i < st->nbad; i++)
				printf("  ABSENT 0x%" PRIx64 "-0x%" PRIx64 ": the capture kernel "
				       "will fault reading it\n", st->bad[i].start, st->bad[i].end);
		}
		if (c->fdt)
			printf("FDT segment: %zu nodes, %zu properties (see `vmtriage lmbs`)\n",
			       c->fdt->nnodes, c->fdt->nprops);
		else if (!st->x86)
			printf("FDT: %s\n", c->fdt_err);
	}
	for (size_t t = 0; st->x86 && t < NTABLES; t++) {
		printf("\n%s:", e820_tables[t]);
		if (st->e820_err[t][0]) {
			printf(" %s\n", st->e820_err[t]);
			continue;
		}
		printf(" %zu entries\n", st->e820[t].n);
		for (size_t i = 0; i < st->e820[t].n; i++)
			printf("  0x%016" PRIx64 "-0x%016" PRIx64 " %s\n",
			       st->e820[t].entries[i].start, st->e820[t].entries[i].end,
			       vt_e820_type_name(st->e820[t].entries[i].type));
	}
	return NULL;
}

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	const struct state *st = data;
	const struct vt_crashimage *c = &st->ci;

	vt_json_object_begin(j, NULL);
	vt_json_bool(j, "loaded", c->loaded);
	vt_json_hex(j, "kimage", c->kimage);
	vt_json_u64(j, "nr_segments", c->nr_segments);
	vt_json_array_begin(j, "segments");
	for (size_t i = 0; i < c->nseg; i++) {
		vt_json_object_begin(j, NULL);
		vt_json_hex(j, "buf", c->seg[i].buf);
		vt_json_hex(j, "bufsz", c->seg[i].bufsz);
		vt_json_hex(j, "mem", c->seg[i].mem);
		vt_json_hex(j, "memsz", c->seg[i].memsz);
		vt_json_string(j, "kind", vt_segment_kind_name(c->seg[i].kind));
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	if (c->loaded && !c->have_hdr) {
		vt_json_string(j, "elfcorehdr_error", c->hdr_err);
	} else if (c->loaded) {
		vt_json_string(j, "elfcorehdr_source", c->hdr_seg == VT_HDR_FROM_DUMP ? "dump" :
			       c->hdr_seg == -2 ? "kimage->elf_headers" : "segment");
		vt_json_array_begin(j, "pt_load");
		for (size_t i = 0; i < c->hdr.nload; i++) {
			vt_json_object_begin(j, NULL);
			vt_json_hex(j, "paddr", c->hdr.loads[i].paddr);
			vt_json_hex(j, "memsz", c->hdr.loads[i].memsz);
			vt_json_hex(j, "vaddr", c->hdr.loads[i].vaddr);
			vt_json_object_end(j);
		}
		vt_json_array_end(j);
		vt_json_bool(j, "checked_against_memory", st->m != NULL);
		vt_json_array_begin(j, "absent");
		for (size_t i = 0; i < st->nbad; i++) {
			vt_json_object_begin(j, NULL);
			vt_json_hex(j, "start", st->bad[i].start);
			vt_json_hex(j, "end", st->bad[i].end);
			vt_json_object_end(j);
		}
		vt_json_array_end(j);
	}
	for (size_t t = 0; st->x86 && t < NTABLES; t++) {
		if (st->e820_err[t][0]) {
			vt_json_string(j, e820_tables[t], st->e820_err[t]);
			continue;
		}
		vt_json_array_begin(j, e820_tables[t]);
		for (size_t i = 0; i < st->e820[t].n; i++) {
			vt_json_object_begin(j, NULL);
			vt_json_hex(j, "start", st->e820[t].entries[i].start);
			vt_json_hex(j, "end", st->e820[t].entries[i].end);
			vt_json_string(j, "type", vt_e820_type_name(st->e820[t].entries[i].type));
			vt_json_object_end(j);
		}
		vt_json_array_end(j);
	}
	vt_json_object_end(j);
	return NULL;
}

static int run_crashimage(struct vt_cli *c)
{
	struct vt_target *t = c->t;
	struct vt_symbols *s = c->s;
	struct state *st = calloc(1, sizeof(*st));
	struct vt_error *err;
	int rc;

	if (!st)
		return vt_cli_fail(c, &vt_enomem);
	err = vt_crashimage_read(t, s, &st->ci);
	if (err) {
		vt_crashimage_deinit(&st->ci);
		free(st);
		return vt_cli_fail(c, err);
	}
	if (st->ci.have_hdr) {
		err = vt_memmap_create(t, s, &st->m);
		if (err) {
			vt_error_destroy(err);
			st->m = NULL;
		} else {
			vt_crash_bad_loads(&st->ci, st->m, st->bad, 256, &st->nbad,
					   &st->bad_omitted);
		}
	}
	st->x86 = vt_target_info(t)->arch_ops->firmware_e820;
	for (size_t i = 0; st->x86 && i < NTABLES; i++) {
		err = vt_e820_read(t, s, e820_tables[i], &st->e820[i]);
		if (err) {
			snprintf(st->e820_err[i], sizeof(st->e820_err[i]), "%s", err->message);
			vt_error_destroy(err);
		}
	}
	rc = vt_cli_emit(c, print_json, print_text, st);
	for (size_t i = 0; i < NTABLES; i++)
		vt_map_deinit(&st->e820[i]);
	vt_memmap_destroy(st->m);
	vt_crashimage_deinit(&st->ci);
	free(st);
	return rc;
}

const struct vt_command vt_cmd_crashimage = {
	.name = "crashimage",
	.summary = "Loaded kdump kernel: elfcorehdr ranges vs present memory",
	.help = "Reads kexec_crash_image (struct kimage): its segments, the elfcorehdr\n"
		"among them (or kimage->elf_headers for kexec_file_load) and each\n"
		"PT_LOAD range the capture kernel will read, checked against memory\n"
		"really present (sections, by subsection); on ppc64 the FDT segment.\n"
		"On x86_64 also the e820 tables (firmware, kernel, kexec).\n",
	.main = run_crashimage,
};
