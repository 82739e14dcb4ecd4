/*
 * `vmtriage batch` summaries: summary.jsonl (one line per dump, also what
 * a rerun reads to skip dumps already done) and summary.txt (the table a
 * support engineer reads first: per bug class, which dumps fired, are
 * latent or unknown; then the failures).
 */
#include "config.h"

#include "batch/batch.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/output.h"
#include "plugins/plugin.h"

static const char *const status_names[] = {
	[VT_BATCH_PENDING] = "pending",
	[VT_BATCH_OK] = "ok",
	[VT_BATCH_FINDINGS] = "findings",
	[VT_BATCH_ERROR] = "error",
	[VT_BATCH_NOT_DUMP] = "not-a-dump",
	[VT_BATCH_TIMEOUT] = "timeout",
	[VT_BATCH_OOM] = "oom",
	[VT_BATCH_CRASH] = "crash",
};

const char *vt_batch_status_name(enum vt_batch_status s)
{
	return s < sizeof(status_names) / sizeof(*status_names) ? status_names[s] : "?";
}

bool vt_batch_failed(enum vt_batch_status s)
{
	return s != VT_BATCH_OK && s != VT_BATCH_FINDINGS && s != VT_BATCH_PENDING;
}

void vt_batch_jsonl_line(FILE *fp, const struct vt_batch_dump *d)
{
	struct vt_json j;
	char name[256];

	vt_json_init(&j, fp, false);
	vt_json_object_begin(&j, NULL);
	vt_json_string(&j, "path", d->path);
	if (d->status == VT_BATCH_OK || d->status == VT_BATCH_FINDINGS) {
		snprintf(name, sizeof(name), "%s.json", d->name);
		vt_json_string(&j, "result", name);
	} else {
		vt_json_null(&j, "result");
	}
	vt_json_u64(&j, "size", d->size);
	vt_json_u64(&j, "mtime_ns", d->mtime_ns);
	vt_json_string(&j, "vmtriage_version", PACKAGE_VERSION);
	vt_json_string(&j, "release", d->release);
	vt_json_string(&j, "arch", d->arch);
	vt_json_string(&j, "format", d->format);
	vt_json_string(&j, "vmlinux", d->vmlinux);
	vt_json_string(&j, "vmlinux_note", d->vmlinux_note);
	vt_json_string(&j, "status", vt_batch_status_name(d->status));
	if (d->exit_code >= 0)
		vt_json_i64(&j, "exit", d->exit_code);
	else
		vt_json_null(&j, "exit");
	if (d->signal)
		vt_json_i64(&j, "signal", d->signal);
	else
		vt_json_null(&j, "signal");
	vt_json_string(&j, "message", d->message);
	if (*d->signature) {
		vt_json_string(&j, "signature", d->signature);
		vt_json_string(&j, "signature_source", d->sig_source);
	} else {
		vt_json_null(&j, "signature");
		vt_json_null(&j, "signature_source");
	}
	vt_json_string_or_null(&j, "incomplete", d->incomplete);
	vt_json_array_begin(&j, "pieces");	/* a split set's other pieces */
	for (size_t i = 0; i < d->npieces; i++)
		vt_json_string(&j, NULL, d->pieces[i]);
	vt_json_array_end(&j);
	vt_json_object_begin(&j, "verdicts");
	for (size_t i = 0; i < d->nverdicts; i++)
		vt_json_string(&j, d->verdicts[i].plugin, d->verdicts[i].verdict);
	vt_json_object_end(&j);
	vt_json_object_begin(&j, "classes");
	for (size_t i = 0; i < d->nverdicts; i++)
		vt_json_string(&j, d->verdicts[i].plugin, d->verdicts[i].cls);
	vt_json_object_end(&j);
	vt_json_u64(&j, "duration_ms", (uint64_t)(d->duration * 1000 + 0.5));
	vt_json_bool(&j, "skipped", d->skipped);
	vt_json_object_end(&j);
	vt_json_finish(&j);
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* verdicts {plugin: verdict} and classes {plugin: class}, in order. */
static bool set_verdicts(struct vt_batch_dump *d, const struct vt_jv *verdicts,
			 const struct vt_jv *classes)
{
	free(d->verdicts);
	d->verdicts = NULL;
	d->nverdicts = 0;
	if (!verdicts || verdicts->type != VT_JV_OBJECT)
		return true;
	d->verdicts = calloc(verdicts->n ? verdicts->n : 1, sizeof(*d->verdicts));
	if (!d->verdicts)
		return false;
	for (size_t i = 0; i < verdicts->n; i++) {
		struct vt_batch_verdict *v = &d->verdicts[d->nverdicts++];

		copy(v->plugin, sizeof(v->plugin), verdicts->keys[i]);
		copy(v->verdict, sizeof(v->verdict), verdicts->items[i].text);
		copy(v->cls, sizeof(v->cls), vt_jv_str(classes, verdicts->keys[i]));
	}
	return true;
}

bool vt_batch_from_jsonl(const struct vt_jv *line, struct vt_batch_dump *d)
{
	const char *s;
	char want[32];

	if (!(s = vt_jv_str(line, "vmtriage_version")) || strcmp(s, PACKAGE_VERSION))
		return false;
	snprintf(want, sizeof(want), "%" PRIu64, d->size);
	if (!(s = vt_jv_str(line, "size")) || strcmp(s, want))
		return false;
	snprintf(want, sizeof(want), "%" PRIu64, d->mtime_ns);
	if (!(s = vt_jv_str(line, "mtime_ns")) || strcmp(s, want))
		return false;
	return vt_batch_read_jsonl(line, d);
}

bool vt_batch_read_jsonl(const struct vt_jv *line, struct vt_batch_dump *d)
{
	const char *s;

	if (!(s = vt_jv_str(line, "status")))
		return false;
	d->status = VT_BATCH_PENDING;
	for (size_t i = 1; i < sizeof(status_names) / sizeof(*status_names); i++)
		if (!strcmp(s, status_names[i]))
			d->status = (enum vt_batch_status)i;
	if (d->status == VT_BATCH_PENDING)
		return false;
	copy(d->release, sizeof(d->release), vt_jv_str(line, "release"));
	copy(d->arch, sizeof(d->arch), vt_jv_str(line, "arch"));
	copy(d->format, sizeof(d->format), vt_jv_str(line, "format"));
	copy(d->vmlinux, sizeof(d->vmlinux), vt_jv_str(line, "vmlinux"));
	copy(d->vmlinux_note, sizeof(d->vmlinux_note), vt_jv_str(line, "vmlinux_note"));
	copy(d->message, sizeof(d->message), vt_jv_str(line, "message"));
	copy(d->signature, sizeof(d->signature), vt_jv_str(line, "signature"));
	copy(d->sig_source, sizeof(d->sig_source), vt_jv_str(line, "signature_source"));
	copy(d->incomplete, sizeof(d->incomplete), vt_jv_str(line, "incomplete"));
	d->exit_code = vt_jv_str(line, "exit") ? atoi(vt_jv_str(line, "exit")) : -1;
	d->signal = vt_jv_str(line, "signal") ? atoi(vt_jv_str(line, "signal")) : 0;
	d->duration = vt_jv_str(line, "duration_ms") ?
		      atof(vt_jv_str(line, "duration_ms")) / 1000 : 0;
	return set_verdicts(d, vt_jv_get(line, "verdicts"), vt_jv_get(line, "classes"));
}

char *vt_batch_slurp(const char *path, size_t max, size_t *len_ret)
{
	FILE *fp = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!fp)
		return NULL;
	do {
		if (len + 65536 + 1 > cap) {
			char *nb = cap > max ? NULL : realloc(buf, cap = cap * 2 + 65536 + 1);

			if (!nb) {	/* out of memory, or over max */
				free(buf);
				fclose(fp);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
	} while (n > 0);
	fclose(fp);
	if (len > max) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*len_ret = len;
	return buf;
}

bool vt_batch_read_report(const char *path, struct vt_batch_dump *d)
{
	size_t len;
	char *text = vt_batch_slurp(path, VT_BATCH_MAX_REPORT, &len);
	struct vt_jv *doc = text ? vt_jv_parse(text, len) : NULL;
	const struct vt_jv *results = vt_jv_get(doc, "results"), *dump = vt_jv_get(doc, "dump");
	const char *schema = vt_jv_str(doc, "schema");
	bool ok = false;

	free(text);
	if (!schema || strcmp(schema, "vmtriage-report/1") || !results ||
	    results->type != VT_JV_ARRAY)
		goto out;
	copy(d->release, sizeof(d->release), vt_jv_str(dump, "release"));
	copy(d->arch, sizeof(d->arch), vt_jv_str(dump, "arch"));
	copy(d->format, sizeof(d->format), vt_jv_str(dump, "format"));
	copy(d->signature, sizeof(d->signature),
	     vt_jv_str(vt_jv_get(doc, "signature"), "title"));
	copy(d->sig_source, sizeof(d->sig_source),
	     vt_jv_str(vt_jv_get(doc, "signature"), "source"));
	d->incomplete[0] = '\0';
	if (vt_jv_get(dump, "incomplete") && vt_jv_get(dump, "incomplete")->type == VT_JV_OBJECT) {
		const struct vt_jv *inc = vt_jv_get(dump, "incomplete");

		snprintf(d->incomplete, sizeof(d->incomplete), "%s: %s of %s bytes",
			 vt_jv_str(inc, "reason") ? vt_jv_str(inc, "reason") : "incomplete",
			 vt_jv_str(inc, "file_size") ? vt_jv_str(inc, "file_size") : "?",
			 vt_jv_str(inc, "expected_size") ? vt_jv_str(inc, "expected_size") : "?");
	}
	free(d->verdicts);
	d->nverdicts = 0;
	d->verdicts = calloc(results->n ? results->n : 1, sizeof(*d->verdicts));
	if (!d->verdicts)
		goto out;
	for (size_t i = 0; i < results->n; i++) {
		struct vt_batch_verdict *v = &d->verdicts[d->nverdicts++];

		copy(v->plugin, sizeof(v->plugin), vt_jv_str(&results->items[i], "plugin"));
		copy(v->cls, sizeof(v->cls), vt_jv_str(&results->items[i], "class"));
		copy(v->verdict, sizeof(v->verdict), vt_jv_str(&results->items[i], "verdict"));
	}
	ok = true;
out:
	vt_jv_free(doc);
	return ok;
}

static const char *verdict_of(const struct vt_batch_dump *d, const char *plugin)
{
	for (size_t i = 0; i < d->nverdicts; i++)
		if (!strcmp(d->verdicts[i].plugin, plugin))
			return d->verdicts[i].verdict;
	return NULL;
}

/*
 * The dumps grouped by where the kernel died (the signature's title), the
 * largest group first: tickets of one bug land together.
 */
static void summary_signatures(FILE *fp, const struct vt_batch_dumps *ds)
{
	bool *done = calloc(ds->n ? ds->n : 1, sizeof(*done));
	size_t left = 0;

	if (!done)
		return;
	for (size_t i = 0; i < ds->n; i++)
		left += !(done[i] = !*ds->d[i].signature);
	if (left)
		fprintf(fp, "\nBy crash signature (where the kernel died; from the log, or "
			"the unwound stack when marked)\n%-6s %-60s %s\n", "DUMPS", "SIGNATURE",
			"DUMP");
	while (left) {
		size_t best = 0, best_n = 0;

		/* The largest group not yet printed (quadratic: a summary of
		 * thousands of dumps is still instant). */
		for (size_t i = 0; i < ds->n; i++) {
			size_t n = 0;

			if (done[i])
				continue;
			for (size_t k = i; k < ds->n; k++)
				n += !done[k] && !strcmp(ds->d[k].signature, ds->d[i].signature);
			if (n > best_n) {
				best_n = n;
				best = i;
			}
		}
		for (size_t k = best, first = 1; k < ds->n; k++) {
			const struct vt_batch_dump *d = &ds->d[k];
			char title[220], count[24];

			if (done[k] || strcmp(d->signature, ds->d[best].signature))
				continue;
			snprintf(title, sizeof(title), "%s%s", d->signature,
				 strcmp(d->sig_source, "stack") ? "" : " (stack)");
			snprintf(count, sizeof(count), "%zu", best_n);
			fprintf(fp, "%-6s %-60s %s\n", first ? count : "", first ? title : "",
				d->path);
			done[k] = true;
			left--;
			first = 0;
		}
	}
	free(done);
}

/* Dumps read but not whole (cut short): their unknowns may be the file's fault. */
static void summary_incomplete(FILE *fp, const struct vt_batch_dumps *ds)
{
	bool first = true;

	for (size_t i = 0; i < ds->n; i++) {
		if (!*ds->d[i].incomplete)
			continue;
		if (first)
			fprintf(fp, "\nIncomplete dumps (triaged; what needs the missing data is "
				"unknown)\n%-40s %s\n", "DUMP", "WHY");
		first = false;
		fprintf(fp, "%-40s %s\n", ds->d[i].path, ds->d[i].incomplete);
	}
}

void vt_batch_summary_txt(FILE *fp, const struct vt_batch_dumps *ds, double wall)
{
	/* Dumps are listed for these verdicts; the others are only counted. */
	static const char *const listed[] = { "fired", "latent", "unknown" };
	static const char *const counted[] = { "clean", "not-applicable" };
	size_t nstatus[VT_BATCH_CRASH + 1] = { 0 }, skipped = 0, failed = 0;

	for (size_t i = 0; i < ds->n; i++) {
		nstatus[ds->d[i].status]++;
		/* not-a-dump is decided by the magic every run: never "triaged" */
		skipped += ds->d[i].skipped || ds->d[i].status == VT_BATCH_NOT_DUMP;
		failed += vt_batch_failed(ds->d[i].status);
	}
	fprintf(fp, "vmtriage batch %s: %zu dump(s): %zu with findings, %zu clean, %zu failed; "
		"%zu triaged in this run (%.1f s), %zu done by an earlier run\n",
		PACKAGE_VERSION, ds->n, nstatus[VT_BATCH_FINDINGS], nstatus[VT_BATCH_OK], failed,
		ds->n - skipped, wall, skipped);
	fprintf(fp, "\nBy bug class and verdict\n%-5s %-14s %-22s %s\n", "CLASS", "PLUGIN",
		"VERDICT", "DUMPS");
	for (char cls = 'A'; cls <= 'Z'; cls++) {
		for (size_t p = 0; p < vt_nplugins; p++) {
			const struct vt_plugin *pl = vt_plugins[p];
			bool first = true;
			char head[40];

			if (pl->bug_class != cls)
				continue;
			for (size_t v = 0; v < 3; v++) {
				size_t n = 0;

				for (size_t i = 0; i < ds->n; i++)
					n += verdict_of(&ds->d[i], pl->name) &&
					     !strcmp(verdict_of(&ds->d[i], pl->name), listed[v]);
				if (!n)
					continue;
				snprintf(head, sizeof(head), "%s (%zu)", listed[v], n);
				for (size_t i = 0, k = 0; i < ds->n; i++) {
					const char *vd = verdict_of(&ds->d[i], pl->name);

					if (!vd || strcmp(vd, listed[v]))
						continue;
					fprintf(fp, "%-5s %-14s %-22s %s\n", first ? (char[]){ cls, 0 } : "",
						first ? pl->name : "", k++ ? "" : head, ds->d[i].path);
					first = false;
				}
			}
			for (size_t v = 0; v < 2; v++) {
				size_t n = 0;

				for (size_t i = 0; i < ds->n; i++)
					n += verdict_of(&ds->d[i], pl->name) &&
					     !strcmp(verdict_of(&ds->d[i], pl->name), counted[v]);
				snprintf(head, sizeof(head), "%s (%zu)", counted[v], n);
				fprintf(fp, "%-5s %-14s %-22s\n", first ? (char[]){ cls, 0 } : "",
					first ? pl->name : "", head);
				first = false;
			}
		}
	}
	summary_signatures(fp, ds);
	summary_incomplete(fp, ds);
	if (failed) {
		fprintf(fp, "\nFailed (the batch went on)\n%-11s %-40s %s\n", "STATUS", "DUMP",
			"MESSAGE");
		for (size_t i = 0; i < ds->n; i++)
			if (vt_batch_failed(ds->d[i].status))
				fprintf(fp, "%-11s %-40s %s\n", vt_batch_status_name(ds->d[i].status),
					ds->d[i].path, ds->d[i].message);
	}
	fprintf(fp, "\nAll dumps\n%-10s %-8s %-7s %-24s %8s  %s\n", "STATUS", "FINDINGS", "ARCH",
		"RELEASE", "SECONDS", "DUMP");
	for (size_t i = 0; i < ds->n; i++) {
		const struct vt_batch_dump *d = &ds->d[i];
		char findings[64] = "";
		size_t o = 0;

		for (size_t v = 0; v < d->nverdicts; v++)
			if ((!strcmp(d->verdicts[v].verdict, "fired") ||
			     !strcmp(d->verdicts[v].verdict, "latent")) && o + 1 < sizeof(findings))
				o += (size_t)snprintf(findings + o, sizeof(findings) - o, "%s%s%s",
						      o ? "," : "", d->verdicts[v].cls,
						      !strcmp(d->verdicts[v].verdict, "fired") ? "!" : "?");
		fprintf(fp, "%-10s %-8s %-7s %-24s %8.1f  %s%s%s\n", vt_batch_status_name(d->status),
			*findings ? findings : "-", *d->arch ? d->arch : "-",
			*d->release ? d->release : "-", d->duration, d->path,
			d->skipped ? "  (earlier run)" : "",
			!*d->vmlinux_note ? "" : *d->vmlinux ? "  (vmlinux from debuginfod)" :
			"  (no vmlinux found)");
	}
	fprintf(fp, "FINDINGS: bug classes, ! fired, ? latent. Per-dump reports: <name>.json; "
		"machine-readable: summary.jsonl.\n");
}
