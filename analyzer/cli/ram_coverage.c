/*
 * The report's word on RAM the dump does not hold (models/coverage.h): a
 * "warning:" line naming the ranges and why they matter, and the JSON
 * "ram_coverage" member of "dump".
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "models/models.h"

void vt_cli_print_ram_coverage(struct vt_models *m)
{
	const struct vt_error *err;
	const struct vt_ram_coverage *c = vt_models_ram_coverage(m, &err);
	bool hot = false;

	if (!c || !c->missing_bytes)
		return;
	printf("warning: the dump holds no data for %" PRIu64 " KiB of the kernel's System RAM "
	       "(iomem_resource):", c->missing_bytes >> 10);
	for (size_t i = 0; i < c->nmissing; i++) {
		printf("%s 0x%" PRIx64 "-0x%" PRIx64 " (%s)", i ? "," : "", c->missing[i].start,
		       c->missing[i].end - 1, c->missing[i].what);
		hot |= c->missing[i].hot_added;
	}
	if (c->omitted)
		printf(" and %" PRIu64 " more range(s)", c->omitted);
	printf("; %s; what needs it is unknown\n", hot ?
	       "a capture kernel whose elfcorehdr was built before that memory was hot-added "
	       "leaves it out: the crash kernel was not reloaded after the hotplug (class C's "
	       "stale capture setup)" :
	       "the capture kernel's elfcorehdr did not list it");
}

void vt_cli_json_ram_coverage(struct vt_json *j, struct vt_models *m)
{
	const struct vt_error *err;
	const struct vt_ram_coverage *c = vt_models_ram_coverage(m, &err);

	vt_json_object_begin(j, "ram_coverage");
	vt_json_bool(j, "checked", c != NULL);
	if (!c) {
		vt_json_string(j, "why", err->message);
		vt_json_object_end(j);
		return;
	}
	vt_json_u64(j, "system_ram_resources", c->nram);
	vt_json_u64(j, "system_ram_bytes", c->ram_bytes);
	vt_json_u64(j, "missing_bytes", c->missing_bytes);
	vt_json_array_begin(j, "missing");
	for (size_t i = 0; i < c->nmissing; i++) {
		vt_json_object_begin(j, NULL);
		vt_json_hex(j, "start", c->missing[i].start);
		vt_json_hex(j, "end", c->missing[i].end);
		vt_json_bool(j, "hot_added", c->missing[i].hot_added);
		vt_json_string(j, "what", c->missing[i].what);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_u64(j, "missing_omitted", c->omitted);
	vt_json_object_end(j);
}
