/* `vmtriage log`: the kernel log from the dump, like dmesg or crash's `log`. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "models/printk.h"

struct log_out {
	struct vt_cli *c;
	struct vt_json *j;	/* NULL: text */
	uint64_t skipped;
};

static int print_record(void *arg, const struct vt_log_record *r)
{
	struct log_out *o = arg;

	if (o->j) {
		vt_json_object_begin(o->j, NULL);
		vt_json_u64(o->j, "seq", r->seq);
		vt_json_u64(o->j, "ts_nsec", r->ts_nsec);
		vt_json_u64(o->j, "level", r->level);
		vt_json_u64(o->j, "caller_id", r->caller_id);
		vt_json_string(o->j, "text", r->text);
		vt_json_object_end(o->j);
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

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	struct log_out *o = data;
	struct vt_error *err;

	o->j = j;
	vt_json_object_begin(j, NULL);
	vt_json_array_begin(j, "records");
	err = vt_log_read(o->c->t, o->c->s, print_record, o, &o->skipped);
	vt_json_array_end(j);
	vt_json_u64(j, "skipped", o->skipped);
	vt_json_object_end(j);
	return err;
}

static struct vt_error *print_text(void *data)
{
	struct log_out *o = data;
	struct vt_error *err = vt_log_read(o->c->t, o->c->s, print_record, o, &o->skipped);

	if (o->skipped)
		fprintf(stderr, "vmtriage: %" PRIu64 " log records skipped (overwritten or missing)\n",
			o->skipped);
	return err;
}

static int run_log(struct vt_cli *c)
{
	struct log_out o = { .c = c };

	return vt_cli_emit(c, print_json, print_text, &o);
}

const struct vt_command vt_cmd_log = {
	.flags = VT_CMD_LIVE,
	.name = "log",
	.summary = "Print the kernel log (printk ring buffer) from the dump",
	.help = "Reads the lockless printk_ringbuffer of kernels >= 5.10, oldest record\n"
		"first, with [seconds.micros] timestamps. Works without a vmlinux: the\n"
		"layout is in VMCOREINFO.\n",
	.main = run_log,
};
