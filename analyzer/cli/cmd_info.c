/* `vmtriage info`: what the dump is and what we can learn from it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "models/oops.h"

struct info {
	struct vt_target *t;
	struct vt_symbols *s;
	const struct vt_phys_range *r;
	size_t nr;
	uint64_t omitted;
	struct vt_oops cf;
};

static struct vt_error *print_text(void *data)
{
	const struct info *in = data;
	const struct vt_phys_range *r = in->r;
	const struct vt_oops *cf = &in->cf;
	struct vt_target *t = in->t;
	size_t nr = in->nr;
	const struct vt_target_info *ti = vt_target_info(t);
	const struct vt_vmcoreinfo *vi = vt_target_vmcoreinfo(t);
	const struct vt_symbols_finder_status *st;
	size_t nst = vt_symbols_finder_status(in->s, &st);
	uint64_t total = 0;
	const char *crashtime = vt_vmcoreinfo_get(vi, "CRASHTIME");

	for (size_t i = 0; i < nr; i++)
		total += r[i].end - r[i].start;
	printf("file:          %s\n", ti->path);
	printf("format:        %s%s\n", ti->format,
	       ti->flattened ? " (flattened stream, reassembled)" : "");
	printf("arch:          %s, %s-endian, page size %u\n",
	       vt_arch_name(ti->arch), ti->big_endian ? "big" : "little",
	       ti->page_size);
	printf("release:       %s\n", *ti->release ? ti->release : "(unknown)");
	printf("kaslr offset:  0x%" PRIx64 "\n", ti->kaslr_offset);
	printf("cpus:          %u\n", ti->ncpus);
	vt_cli_print_cut(in->t);
	vt_cli_print_split(in->t);
	if (crashtime)
		printf("crash time:    %s (epoch seconds)\n", crashtime);
	printf("vmcoreinfo:    %s\n", ti->has_vmcoreinfo ? "yes" : "no");
	if (!cf->have_log)
		printf("kernel log:    unreadable (%s)\n", cf->log_error);
	if (*cf->panic)
		printf("panic:         %s\n", cf->panic);
	if (*cf->headline)
		printf("oops:          %s\n", cf->headline);
	if (cf->cpu >= 0)
		printf("crashed on:    CPU %d, PID %d (%s)\n", cf->cpu, cf->pid, cf->comm);
	printf("translation:   %s\n", vt_target_xlat_method(t));
	printf("physical data: %zu range(s), %" PRIu64 " MiB%s\n", nr + (size_t)in->omitted,
	       total >> 20, in->omitted ? " (list truncated)" : "");
	for (size_t i = 0; i < nr && i < 32; i++)
		printf("  0x%012" PRIx64 "-0x%012" PRIx64 " (%" PRIu64 " KiB)\n",
		       r[i].start, r[i].end, (r[i].end - r[i].start) >> 10);
	if (nr > 32)
		printf("  ... %zu more (see --json)\n", nr - 32);
	printf("finders:\n");
	for (size_t i = 0; i < nst; i++)
		printf("  %-10s %-4s %s\n", st[i].name, st[i].loaded ? "yes" : "no",
		       st[i].detail);
	return NULL;
}

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	const struct info *in = data;
	const struct vt_phys_range *r = in->r;
	const struct vt_oops *cf = &in->cf;
	const struct vt_target_info *ti = vt_target_info(in->t);
	const struct vt_vmcoreinfo *vi = vt_target_vmcoreinfo(in->t);
	const struct vt_symbols_finder_status *st;
	size_t nst = vt_symbols_finder_status(in->s, &st);

	vt_json_object_begin(j, NULL);
	vt_json_string(j, "file", ti->path);
	vt_json_string(j, "format", ti->format);
	vt_json_bool(j, "flattened", ti->flattened);
	vt_json_string(j, "arch", vt_arch_name(ti->arch));
	vt_json_string(j, "endian", ti->big_endian ? "big" : "little");
	vt_json_u64(j, "page_size", ti->page_size);
	vt_json_string(j, "release", ti->release);
	vt_json_hex(j, "kaslr_offset", ti->kaslr_offset);
	vt_json_u64(j, "cpus", ti->ncpus);
	vt_cli_json_cut(j, in->t);
	vt_cli_json_split(j, in->t);
	if (vt_vmcoreinfo_get(vi, "CRASHTIME"))
		vt_json_string(j, "crash_time", vt_vmcoreinfo_get(vi, "CRASHTIME"));
	else
		vt_json_null(j, "crash_time");
	vt_json_bool(j, "vmcoreinfo", ti->has_vmcoreinfo);
	if (!cf->have_log)
		vt_json_string(j, "log_error", cf->log_error);
	if (*cf->panic)
		vt_json_string(j, "panic", cf->panic);
	else
		vt_json_null(j, "panic");
	if (*cf->headline)
		vt_json_string(j, "oops", cf->headline);
	else
		vt_json_null(j, "oops");
	if (cf->cpu >= 0) {
		vt_json_i64(j, "crashed_cpu", cf->cpu);
		vt_json_i64(j, "crashed_pid", cf->pid);
		vt_json_string(j, "crashed_comm", cf->comm);
	} else {
		vt_json_null(j, "crashed_cpu");
	}
	vt_json_string(j, "translation", vt_target_xlat_method(in->t));
	vt_json_array_begin(j, "phys_ranges");
	for (size_t i = 0; i < in->nr; i++) {
		vt_json_object_begin(j, NULL);
		vt_json_hex(j, "start", r[i].start);
		vt_json_hex(j, "end", r[i].end);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_u64(j, "phys_ranges_omitted", in->omitted);
	vt_json_array_begin(j, "finders");
	for (size_t i = 0; i < nst; i++) {
		vt_json_object_begin(j, NULL);
		vt_json_string(j, "name", st[i].name);
		vt_json_bool(j, "loaded", st[i].loaded);
		vt_json_string(j, "detail", st[i].detail);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_object_end(j);
	return NULL;
}

static int run_info(struct vt_cli *c)
{
	struct info in = { .t = c->t, .s = c->s };
	struct vt_error *err = vt_target_phys_ranges(c->t, &in.r, &in.nr, &in.omitted);

	if (err) {
		fprintf(stderr, "vmtriage: warning: %s\n", err->message);
		vt_error_destroy(err);
	}
	err = vt_oops_from_log(c->t, c->s, &in.cf);
	if (err)
		return vt_cli_fail(c, err);
	return vt_cli_emit(c, print_json, print_text, &in);
}

const struct vt_command vt_cmd_info = {
	.flags = VT_CMD_LIVE,
	.name = "info",
	.summary = "Describe a dump: format, arch, release, KASLR, memory, finders",
	.help = "Prints the dump's format, architecture and byte order, page size,\n"
		"kernel release, KASLR offset, CPUs, how kernel addresses are\n"
		"translated, the physical ranges the dump holds data for, and which\n"
		"type/symbol finders loaded (btf, dwarf, elf, kallsyms, vmcoreinfo).\n",
	.main = run_info,
};
