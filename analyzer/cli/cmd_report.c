/*
 * `vmtriage report`: run every plugin that applies and say which known bug
 * class the dump shows. JSON schema: docs/report-schema.md (vmtriage-report/1).
 * `vmtriage plugins`: list the plugins.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "models/models.h"
#include "models/oops.h"
#include "report/picture.h"
#include "plugins/plugin.h"

#define TEXT_EVIDENCE 20	/* items printed per finding in text */

struct ran {
	const struct vt_plugin *p;
	struct vt_result *res;
};

static int by_severity(const void *a, const void *b)
{
	const struct ran *x = a, *y = b;

	if (x->res->verdict != y->res->verdict)
		return (int)y->res->verdict - (int)x->res->verdict;
	return x->p->bug_class - y->p->bug_class;
}

static void json_result(struct vt_json *j, const struct ran *r)
{
	vt_json_object_begin(j, NULL);
	vt_json_string(j, "plugin", r->p->name);
	vt_json_string(j, "class", (char[]){ r->p->bug_class, 0 });
	vt_json_string(j, "summary", r->p->summary);
	vt_json_string(j, "verdict", vt_verdict_name(r->res->verdict));
	vt_json_string(j, "reason", r->res->reason);
	vt_json_string(j, "rule", r->res->rule);
	vt_json_string(j, "fix", r->p->fix);
	vt_json_string(j, "affected_versions", r->p->versions);
	vt_json_string(j, "next_step", r->p->next_step);
	vt_json_array_begin(j, "evidence");
	for (size_t i = 0; i < r->res->nevidence; i++) {
		const struct vt_evidence *e = &r->res->evidence[i];

		vt_json_object_begin(j, NULL);
		vt_json_string(j, "kind", e->kind);
		for (size_t f = 0; f < e->nfields; f++)
			vt_json_string(j, e->fields[f].key, e->fields[f].value);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_u64(j, "evidence_omitted", r->res->evidence_omitted);
	vt_json_object_end(j);
}

/* What the report prints: the dump, its crash and the results, most severe first. */
struct report {
	struct vt_target *t;
	struct vt_models *m;
	const struct vt_oops *o;		/* the log's crash, else the stack's */
	const struct vt_crash_sig *sig;
	const struct vt_crash_trace *ct;	/* NULL: ct_error says why */
	char ct_error[200];
	struct ran *ran;
	size_t n;
};

/* The crashed task's unwound trace, or why there is none. */
static void json_unwound(struct vt_json *j, const struct report *rep)
{
	const struct vt_crash_trace *ct = rep->ct;
	struct vt_crash_sig sig;

	if (!ct || *ct->error) {
		vt_json_null(j, "unwound");
		vt_json_string(j, "unwound_error", ct ? ct->error : rep->ct_error);
		return;
	}
	vt_json_object_begin(j, "unwound");
	vt_json_i64(j, "cpu", ct->cpu);
	vt_json_i64(j, "pid", ct->task->pid);
	vt_json_string(j, "comm", ct->task->comm);
	vt_json_hex(j, "task", ct->task->addr);
	vt_json_string(j, "regs_from", ct->stack.regs_from);
	vt_json_array_begin(j, "frames");
	for (size_t i = 0; i < ct->stack.n; i++) {
		const struct vt_frame *f = &ct->stack.frames[i];

		vt_json_object_begin(j, NULL);
		vt_json_hex(j, "pc", f->pc);
		vt_json_hex(j, "sp", f->sp);
		vt_json_string_or_null(j, "symbol", f->symbol);
		vt_json_hex(j, "offset", f->symbol ? f->offset : 0);
		vt_json_string_or_null(j, "module", f->module);
		vt_json_bool(j, "exception", f->exception);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_string_or_null(j, "stopped", ct->stack.stopped);
	/* The trace's own title, whatever the log says: the two agree when
	 * both tell the crash (a check of each against the other). */
	if (vt_crash_sig_from_stack(&ct->stack, &sig))
		vt_json_string(j, "signature", sig.title);
	else
		vt_json_null(j, "signature");
	vt_json_object_end(j);
	vt_json_null(j, "unwound_error");
}

static void json_signature(struct vt_json *j, const struct vt_crash_sig *sig)
{
	if (!sig->source) {
		vt_json_null(j, "signature");
		return;
	}
	vt_json_object_begin(j, "signature");
	vt_json_string(j, "title", sig->title);
	vt_json_string(j, "kind", sig->kind);
	vt_json_string(j, "function", sig->function);
	vt_json_string(j, "source", sig->source);
	vt_json_array_begin(j, "frames");
	for (int i = 0; i < sig->nframes; i++)
		vt_json_string(j, NULL, sig->frames[i]);
	vt_json_array_end(j);
	vt_json_object_end(j);
}

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	const struct report *rep = data;
	const struct vt_oops *o = rep->o;
	const struct vt_target_info *ti = vt_target_info(rep->t);
	uint64_t counts[5] = { 0 };

	vt_json_object_begin(j, NULL);
	vt_json_string(j, "schema", "vmtriage-report/1");
	vt_json_string(j, "vmtriage_version", PACKAGE_VERSION);
	vt_json_object_begin(j, "dump");
	vt_json_string(j, "file", ti->path);
	vt_json_string(j, "format", ti->format);
	vt_json_string(j, "arch", vt_arch_name(ti->arch));
	vt_json_string(j, "release", ti->release);
	vt_json_hex(j, "kaslr_offset", ti->kaslr_offset);
	vt_cli_json_cut(j, rep->t);
	vt_cli_json_split(j, rep->t);
	vt_cli_json_ram_coverage(j, rep->m);
	vt_json_object_end(j);
	if (o->present) {
		vt_json_object_begin(j, "crash");
		vt_json_string(j, "panic", o->panic);
		vt_json_string(j, "headline", o->headline);
		vt_json_string(j, "bug_site", o->bug_site);
		vt_json_string(j, "fault_address", o->fault_address);
		vt_json_string(j, "ip", o->ip);
		vt_json_i64(j, "cpu", o->cpu);
		vt_json_i64(j, "pid", o->pid);
		vt_json_string(j, "comm", o->comm);
		vt_json_string(j, "source", o->from_stack ? "stack" : "log");
		vt_json_array_begin(j, "call_trace");
		for (int i = 0; o->from_stack == false && i < o->ntrace; i++)
			vt_json_string(j, NULL, o->trace[i]);
		vt_json_array_end(j);
		json_unwound(j, rep);
		vt_json_object_end(j);
	} else {
		vt_json_null(j, "crash");
	}
	json_signature(j, rep->sig);
	vt_json_array_begin(j, "results");
	for (size_t i = 0; i < rep->n; i++) {
		json_result(j, &rep->ran[i]);
		counts[rep->ran[i].res->verdict]++;
	}
	vt_json_array_end(j);
	vt_json_object_begin(j, "summary");
	for (int v = VT_FIRED; v >= VT_NOT_APPLICABLE; v--)
		vt_json_u64(j, vt_verdict_name(v), counts[v]);
	vt_json_object_end(j);
	vt_json_object_end(j);
	return NULL;
}

#define TEXT_FRAMES 16	/* unwound frames printed in text */

static void print_unwound(const struct report *rep)
{
	const struct vt_crash_trace *ct = rep->ct;

	if (!ct || *ct->error) {
		printf("unwound: none (%s)\n", ct ? ct->error : rep->ct_error);
		return;
	}
	printf("unwound: CPU %d, PID %d %s, from the %s\n", ct->cpu, ct->task->pid,
	       ct->task->comm, ct->stack.regs_from);
	for (size_t i = 0; i < ct->stack.n && i < TEXT_FRAMES; i++) {
		const struct vt_frame *f = &ct->stack.frames[i];

		printf("  #%-2zu %s+0x%" PRIx64 "%s%s%s%s\n", i, f->symbol ? f->symbol : "?",
		       f->symbol ? f->offset : f->pc, f->module ? " [" : "",
		       f->module ? f->module : "", f->module ? "]" : "",
		       f->exception ? "  (exception)" : "");
	}
	if (ct->stack.n > TEXT_FRAMES)
		printf("  ... %zu more frame(s) (see vmtriage bt)\n", ct->stack.n - TEXT_FRAMES);
	if (*ct->stack.stopped)
		printf("  (unwind stopped: %s)\n", ct->stack.stopped);
}

static struct vt_error *print_text(void *data)
{
	const struct report *rep = data;
	const struct vt_oops *o = rep->o;
	const struct ran *ran = rep->ran;
	size_t n = rep->n;
	const struct vt_target_info *ti = vt_target_info(rep->t);

	printf("dump:    %s (%s, %s, %s)\n", ti->path, ti->format, vt_arch_name(ti->arch),
	       *ti->release ? ti->release : "release unknown");
	vt_cli_print_cut(rep->t);
	vt_cli_print_split(rep->t);
	vt_cli_print_ram_coverage(rep->m);
	if (o->present) {
		if (*o->headline)
			printf("crash:   %s\n", o->headline);
		if (*o->ip)
			printf("         IP %s%s%s\n", o->ip, *o->lr ? ", LR " : "", o->lr);
		if (*o->panic)
			printf("panic:   %s (CPU %d, PID %d %s)\n", o->panic, o->cpu, o->pid, o->comm);
	} else {
		printf("crash:   %s\n", o->have_log ? "no oops or panic in the log" : "no kernel log");
	}
	if (rep->sig->source)
		printf("signature: %s (from the %s)\n", rep->sig->title, rep->sig->source);
	print_unwound(rep);
	for (size_t i = 0; i < n; i++) {
		const struct ran *r = &ran[i];

		if (r->res->verdict < VT_LATENT)
			continue;
		printf("\n%s  class %c  %s: %s\n", r->res->verdict == VT_FIRED ? "FIRED " : "LATENT",
		       r->p->bug_class, r->p->name, r->p->summary);
		printf("  why:       %s\n", r->res->reason);
		printf("  rule:      %s\n", r->res->rule);
		for (size_t k = 0; k < r->res->nevidence && k < TEXT_EVIDENCE; k++) {
			const struct vt_evidence *e = &r->res->evidence[k];

			printf("  evidence:  %s", e->kind);
			for (size_t f = 0; f < e->nfields; f++)
				printf(" %s=%s", e->fields[f].key, e->fields[f].value);
			printf("\n");
		}
		if (r->res->nevidence > TEXT_EVIDENCE || r->res->evidence_omitted)
			printf("  ... %" PRIu64 " more evidence item(s) (see --json)\n",
			       r->res->nevidence - (r->res->nevidence > TEXT_EVIDENCE ?
						    TEXT_EVIDENCE : r->res->nevidence) +
			       r->res->evidence_omitted);
		printf("  fix:       %s\n", r->p->fix);
		printf("  affected:  %s\n", r->p->versions);
		printf("  next step: %s\n", r->p->next_step);
	}
	printf("\n%-15s %-5s %-16s %s\n", "PLUGIN", "CLASS", "VERDICT", "REASON");
	for (size_t i = 0; i < n; i++)
		printf("%-15s %-5c %-16s %s\n", ran[i].p->name, ran[i].p->bug_class,
		       vt_verdict_name(ran[i].res->verdict), ran[i].res->reason);
	return NULL;
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct report_opts {
	const char *plugin, *svg, *html;
};

/* --svg/--html: the memory map with the findings; an exit status. */
static int write_pictures(struct vt_cli *c, struct vt_models *models,
			  const struct ran *ran, size_t n)
{
	const struct report_opts *opt = c->opts;
	struct vt_picture_result *pr = calloc(n ? n : 1, sizeof(*pr));
	struct vt_picture pic;
	struct vt_error *err;

	if (!pr)
		return vt_cli_fail(c, &vt_enomem);
	for (size_t i = 0; i < n; i++) {
		pr[i].p = ran[i].p;
		pr[i].res = ran[i].res;
	}
	err = vt_picture_build(c->t, c->s, models, pr, n, &pic);
	free(pr);
	if (err)
		return vt_cli_fail(c, err);
	for (int k = 0; k < 2 && !err; k++) {
		const char *path = k ? opt->html : opt->svg;
		FILE *fp;

		if (!path)
			continue;
		fp = fopen(path, "we");
		if (!fp) {
			err = vt_error_create(VT_ERR_IO, "%s: %s", path, strerror(errno));
			break;
		}
		if (k)
			vt_picture_html(&pic, fp);
		else
			vt_picture_svg(&pic, fp, true);
		if (fclose(fp))
			err = vt_error_create(VT_ERR_IO, "writing %s: %s", path, strerror(errno));
	}
	vt_picture_deinit(&pic);
	return err ? vt_cli_fail(c, err) : VT_EXIT_OK;
}

/* Progress on a terminal only, once the report has taken a second. */
struct progress {
	bool on, shown;
	double t0;
};

static void show_progress(void *arg, size_t i, size_t n, const char *name)
{
	struct progress *pr = arg;

	if (pr->on && seconds() - pr->t0 >= 1.0) {
		fprintf(stderr, "\rvmtriage report: plugin %zu/%zu %s...\033[K", i + 1, n, name);
		pr->shown = true;
	}
}

static int check_report(struct vt_cli *c)
{
	const struct report_opts *opt = c->opts;

	if (opt->plugin && !vt_plugin_find(opt->plugin))
		return vt_cli_failf(c, VT_ERR_USAGE, "no plugin '%s' (see vmtriage plugins)",
				    opt->plugin);
	return VT_CLI_GO_ON;
}

static int run_report(struct vt_cli *c)
{
	const struct report_opts *opt = c->opts;
	struct progress prog = { .on = isatty(2), .t0 = seconds() };
	struct report rep = { .t = c->t };
	struct vt_plugin_ran *results = calloc(vt_nplugins, sizeof(*results));
	struct vt_models *models = NULL;
	bool findings = false;
	struct vt_error *err;
	int rc;

	rep.ran = calloc(vt_nplugins, sizeof(*rep.ran));
	err = results && rep.ran ? vt_models_create(c->t, c->s, &models) : &vt_enomem;
	if (err) {
		rc = vt_cli_fail(c, err);
		goto out;
	}
	rep.m = models;
	rep.o = vt_models_crash(models);
	rep.sig = vt_models_crash_sig(models);
	{
		const struct vt_error *cterr;

		rep.ct = vt_models_crash_trace(models, &cterr);
		if (!rep.ct)
			snprintf(rep.ct_error, sizeof(rep.ct_error), "%s", cterr->message);
	}
	rep.n = vt_plugins_run(models, opt->plugin, results, show_progress, &prog);
	if (prog.shown)
		fprintf(stderr, "\r\033[K");
	for (size_t i = 0; i < rep.n; i++) {
		rep.ran[i].p = results[i].p;
		rep.ran[i].res = &results[i].res;
		findings |= results[i].res.verdict >= VT_LATENT;
	}
	qsort(rep.ran, rep.n, sizeof(*rep.ran), by_severity);
	rc = opt->svg || opt->html ? write_pictures(c, models, rep.ran, rep.n) : VT_EXIT_OK;
	if (rc == VT_EXIT_OK)
		rc = vt_cli_emit(c, print_json, print_text, &rep);
	if (rc == VT_EXIT_OK && findings)
		rc = VT_EXIT_FINDINGS;
out:
	free(rep.ran);
	free(results);
	vt_models_destroy(models);
	return rc;
}

static const struct vt_cli_option report_options[] = {
	{ .name = "plugin", .arg = "NAME", .help = "run one plugin (see vmtriage plugins)",
	  VT_CLI_TEXT(struct report_opts, plugin) },
	{ .name = "svg", .arg = "FILE",
	  .help = "also draw the physical memory map (sections, zones,\n"
		  "holes, hot-removed ranges, e820/memblock, LMBs) with the\n"
		  "findings at their addresses, as a self-contained SVG",
	  VT_CLI_TEXT(struct report_opts, svg) },
	{ .name = "html", .arg = "FILE",
	  .help = "the same picture in an HTML page with a legend and the\n"
		  "findings and ranges tables (no network loads)",
	  VT_CLI_TEXT(struct report_opts, html) },
	{ 0 },
};

const struct vt_command vt_cmd_report = {
	.flags = VT_CMD_LIVE,
	.name = "report",
	.summary = "Triage: run the bug-class plugins, lead with fired and latent findings",
	.help = "Each plugin says fired (the dump is the crash its class causes), latent\n"
		"(the state that causes it is present), clean, unknown (data missing,\n"
		"e.g. filtered pages) or not-applicable, with evidence, the fix commit\n"
		"and the next step. JSON: schema vmtriage-report/1 (docs/report-schema.md).\n",
	.notes = "Progress on stderr when it is a terminal and the report takes over a second.\n",
	.exit_status = "0 nothing fired or latent, 1 findings, 2 error.",
	.options = report_options,
	.opts_size = sizeof(struct report_opts),
	.check = check_report,
	.main = run_report,
};

/* `vmtriage plugins`: the table, no dump. */
static struct vt_error *plugins_json(struct vt_json *j, void *data)
{
	vt_json_array_begin(j, NULL);
	for (size_t i = 0; i < vt_nplugins; i++) {
		const struct vt_plugin *p = vt_plugins[i];

		vt_json_object_begin(j, NULL);
		vt_json_string(j, "name", p->name);
		vt_json_string(j, "class", (char[]){ p->bug_class, 0 });
		vt_json_string(j, "summary", p->summary);
		vt_json_string(j, "arches", p->arches);
		vt_json_string(j, "affected_versions", p->versions);
		vt_json_string(j, "fix", p->fix);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	return NULL;
}

static struct vt_error *plugins_text(void *data)
{
	for (size_t i = 0; i < vt_nplugins; i++) {
		const struct vt_plugin *p = vt_plugins[i];

		printf("%-14s %c  %-7s %s\n", p->name, p->bug_class, p->arches, p->summary);
	}
	return NULL;
}

static int run_plugins(struct vt_cli *c)
{
	return vt_cli_emit(c, plugins_json, plugins_text, NULL);
}

const struct vt_command vt_cmd_plugins = {
	.name = "plugins",
	.summary = "List the bug-class plugins",
	.flags = VT_CMD_NO_DUMP,
	.main = run_plugins,
};
