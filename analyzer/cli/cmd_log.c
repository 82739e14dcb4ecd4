/* `vmtriage log`: the kernel log from the dump, like dmesg or crash's `log`. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "models/printk.h"

struct log_out {
	bool json;
	struct vt_json j;
};

static int print_record(void *arg, const struct vt_log_record *r)
{
	struct log_out *o = arg;

	if (o->json) {
		vt_json_object_begin(&o->j, NULL);
		vt_json_u64(&o->j, "seq", r->seq);
		vt_json_u64(&o->j, "ts_nsec", r->ts_nsec);
		vt_json_u64(&o->j, "level", r->level);
		vt_json_u64(&o->j, "caller_id", r->caller_id);
		vt_json_string(&o->j, "text", r->text);
		vt_json_object_end(&o->j);
		return 0;
	}
	/* Continuation lines of one record get the same prefix, like dmesg. */
	printf("[%5" PRIu64 ".%06" PRIu64 "] ", r->ts_nsec / 1000000000,
	       (r->ts_nsec % 1000000000) / 1000);
	for (const char *p = r->text; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '\n')
			printf("\n[%5" PRIu64 ".%06" PRIu64 "] ", r->ts_nsec / 1000000000,
			       (r->ts_nsec % 1000000000) / 1000);
		else if (ch < 0x20 && ch != '\t')
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	putchar('\n');
	return 0;
}

static int run_log(int argc, char **argv)
{
	struct vt_cli_common c;
	struct vt_target *t;
	struct vt_symbols *s;
	struct log_out o = { 0 };
	uint64_t skipped = 0;
	struct vt_error *err;
	int rc = vt_cli_parse(&vt_cmd_log, argc, argv, 0, &c);

	if (rc >= 0)
		return rc;
	if (c.nargs) {
		fprintf(stderr, "vmtriage log: unexpected argument '%s'\n", c.args[0]);
		return VT_EXIT_ERROR;
	}
	if ((rc = vt_cli_open(&c, true, &t, &s)) >= 0)
		return rc;
	o.json = c.json;
	if (o.json) {
		vt_json_init(&o.j, stdout, true);
		vt_json_object_begin(&o.j, NULL);
		vt_json_array_begin(&o.j, "records");
	}
	err = vt_log_read(t, s, print_record, &o, &skipped);
	if (o.json) {
		vt_json_array_end(&o.j);
		vt_json_u64(&o.j, "skipped", skipped);
		vt_json_object_end(&o.j);
		vt_json_finish(&o.j);
	} else if (skipped) {
		fprintf(stderr, "vmtriage: %" PRIu64 " log records skipped (overwritten or missing)\n",
			skipped);
	}
	rc = VT_EXIT_OK;
	if (err) {
		vt_cli_error(err);
		rc = VT_EXIT_ERROR;
	}
	vt_symbols_destroy(s);
	vt_target_destroy(t);
	return rc;
}

const struct vt_command vt_cmd_log = {
	.name = "log",
	.args = "VMCORE [VMLINUX] [--json]",
	.summary = "Print the kernel log (printk ring buffer) from the dump",
	.help = "Reads the lockless printk_ringbuffer of kernels >= 5.10, oldest record\n"
		"first, with [seconds.micros] timestamps. Works without a vmlinux: the\n"
		"layout is in VMCOREINFO.\n",
	.run = run_log,
};
