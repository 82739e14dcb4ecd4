/*
 * The service's HTTP side (serve.h), on GNU libmicrohttpd:
 *
 *   POST /dumps                 upload a dump (the body; ?name=FILE), or
 *                               register one by path (JSON {"path": ...},
 *                               under an --allow-path directory); Bearer token
 *   GET  /dumps                 jobs, newest first (?class=B&verdict=latent)
 *   GET  /dumps/ID              one job (state, verdicts, timings)
 *   GET  /dumps/ID/report.json  its report (vmtriage-report/1)
 *   GET  /                      the queue (HTML)
 *   GET  /dumps/ID.html         one dump's report page with its memory map
 *   GET  /summary               per class and verdict, how many dumps (HTML)
 *
 * An upload is streamed to DATA/uploads/ID.part, cut off at --max-upload
 * (413), checked for a dump's magic when complete (else 400), and only then
 * queued: nothing is kept of a refused one.
 */
#include "serve/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch/batch.h"
#include "core/jsonread.h"
#include "core/output.h"
#include "target/dumpcheck.h"

#define MAX_REGISTER_BODY 65536

struct vt_serve_http {
	struct MHD_Daemon *d;
	struct vt_serve *sv;
};

/* One request's state across libmicrohttpd's calls. */
struct request {
	int fd;				/* upload: the .part file; -1 none */
	char part[4200];
	uint64_t got;
	bool too_big, io_error, json;
	char *body;			/* register: the JSON body */
	size_t body_len;
};

static enum MHD_Result respond(struct MHD_Connection *c, unsigned code, const char *type,
			       char *text, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	if (code == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* {"error": message} */
static enum MHD_Result fail(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum MHD_Result fail(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
{
	char msg[1024], *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	struct vt_json j;
	va_list ap;

	if (!fp)
		return MHD_NO;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vt_json_init(&j, fp, false);
	vt_json_object_begin(&j, NULL);
	vt_json_string(&j, "error", msg);
	vt_json_object_end(&j);
	vt_json_finish(&j);
	fclose(fp);
	return respond(c, code, "application/json", text, len);
}

static bool authorized(struct vt_serve *sv, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	size_t n = strlen(sv->token), diff = 0;

	if (!*sv->token || !h || strncmp(h, "Bearer ", 7) || strlen(h + 7) != n)
		return false;
	for (size_t i = 0; i < n; i++)		/* no early exit: no timing hint */
		diff |= (unsigned char)(h[7 + i] ^ sv->token[i]);
	return diff == 0;
}

static void job_json(struct vt_json *j, const char *key, const struct vt_job *job)
{
	char url[64];

	vt_json_object_begin(j, key);
	vt_json_i64(j, "id", job->id);
	snprintf(url, sizeof(url), "/dumps/%lld", (long long)job->id);
	vt_json_string(j, "url", url);
	vt_json_string(j, "name", job->name);
	vt_json_string(j, "path", job->path);
	vt_json_bool(j, "uploaded", job->uploaded);
	vt_json_i64(j, "size", job->size);
	vt_json_string(j, "state", vt_job_state_name(job->state));
	vt_json_i64(j, "attempts", job->attempts);
	vt_json_string_or_null(j, "worker", job->worker);
	vt_json_i64(j, "created", (int64_t)job->created);
	vt_json_i64(j, "started", (int64_t)job->started);
	vt_json_i64(j, "finished", (int64_t)job->finished);
	vt_json_string_or_null(j, "status", job->status);
	vt_json_string_or_null(j, "message", job->message);
	vt_json_string_or_null(j, "release", job->release);
	vt_json_string_or_null(j, "arch", job->arch);
	vt_json_string_or_null(j, "signature", job->signature);
	vt_json_string_or_null(j, "vmlinux", job->vmlinux);
	vt_json_object_begin(j, "verdicts");
	for (size_t i = 0; i < job->n_verdicts; i++)
		vt_json_string(j, job->verdicts[i].plugin, job->verdicts[i].verdict);
	vt_json_object_end(j);
	vt_json_object_end(j);
}

/* A document built in memory: JSON or HTML. */
struct doc {
	char *text;
	size_t len;
	FILE *fp;
	struct vt_json j;
};

static bool doc_open(struct doc *d)
{
	memset(d, 0, sizeof(*d));
	d->fp = open_memstream(&d->text, &d->len);
	if (d->fp)
		vt_json_init(&d->j, d->fp, false);
	return d->fp != NULL;
}

static enum MHD_Result doc_send(struct doc *d, struct MHD_Connection *c, unsigned code,
				const char *type)
{
	fclose(d->fp);
	return respond(c, code, type, d->text, d->len);
}

static enum MHD_Result db_failed(struct MHD_Connection *c, struct vt_error *err)
{
	enum MHD_Result r = fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err->message);

	vt_error_destroy(err);
	return r;
}

/* The document, or the error that stopped it. */
static enum MHD_Result doc_end(struct doc *d, struct MHD_Connection *c, struct vt_error *err,
			       const char *type)
{
	if (err) {
		fclose(d->fp);
		free(d->text);
		return db_failed(c, err);
	}
	return doc_send(d, c, MHD_HTTP_OK, type);
}

/* ---------------------------------------------------------------- JSON */

static void list_one(void *arg, const struct vt_job *job)
{
	job_json(arg, NULL, job);
}

static const char *arg_of(struct MHD_Connection *c, const char *key)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);

	return v && *v ? v : NULL;
}

static enum MHD_Result get_list(struct vt_store *st, struct MHD_Connection *c)
{
	struct doc d;
	struct vt_error *err;

	if (!doc_open(&d))
		return MHD_NO;
	vt_json_object_begin(&d.j, NULL);
	vt_json_array_begin(&d.j, "dumps");
	err = vt_store_list(st, arg_of(c, "class"), arg_of(c, "verdict"), 1000, list_one, &d.j);
	vt_json_array_end(&d.j);
	vt_json_object_end(&d.j);
	vt_json_finish(&d.j);
	return doc_end(&d, c, err, "application/json");
}

static enum MHD_Result get_job(struct vt_store *st, struct MHD_Connection *c, int64_t id,
			       bool report)
{
	struct vt_job job;
	bool found = false;
	struct vt_error *err = vt_store_get(st, id, &job, &found);
	char *text = NULL;
	struct doc d;

	if (err)
		return db_failed(c, err);
	if (!found)
		return fail(c, MHD_HTTP_NOT_FOUND, "no dump %lld", (long long)id);
	if (report) {
		if ((err = vt_store_report(st, id, &text)))
			return db_failed(c, err);
		if (!text)
			return fail(c, MHD_HTTP_NOT_FOUND, "dump %lld has no report (%s)",
				    (long long)id, vt_job_state_name(job.state));
		return respond(c, MHD_HTTP_OK, "application/json", text, strlen(text));
	}
	if (!doc_open(&d))
		return MHD_NO;
	job_json(&d.j, NULL, &job);
	vt_json_finish(&d.j);
	return doc_send(&d, c, MHD_HTTP_OK, "application/json");
}

/* ---------------------------------------------------------------- HTML */

static void html(FILE *fp, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		default: fputc(*s, fp);
		}
}

static void page_head(FILE *fp, const char *title, bool refresh)
{
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">", fp);
	if (refresh)	/* the queue moves: its page follows */
		fputs("<meta http-equiv=\"refresh\" content=\"5\">", fp);
	fputs("<title>", fp);
	html(fp, title);
	fputs("</title><style>body{font-family:sans-serif;margin:1.5em}"
	      "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.25em .6em;"
	      "text-align:left}th{background:#eee}.fired{background:#f4a6a6}"
	      ".latent{background:#f8d98b}.clean{background:#c8e6c0}.unknown{background:#ddd}"
	      ".failed{color:#a00}nav a{margin-right:1em}</style></head><body>\n"
	      "<nav><a href=\"/\">queue</a><a href=\"/summary\">summary</a>"
	      "<a href=\"/dumps\">JSON</a></nav>\n<h1>", fp);
	html(fp, title);
	fputs("</h1>\n", fp);
}

static void queue_row(void *arg, const struct vt_job *job)
{
	FILE *fp = arg;
	double now = (double)time(NULL);

	fprintf(fp, "<tr><td><a href=\"/dumps/%lld.html\">%lld</a></td><td>", (long long)job->id,
		(long long)job->id);
	html(fp, job->name);
	fprintf(fp, "</td><td class=\"%s\">%s", job->state == VT_JOB_FAILED ? "failed" : "",
		vt_job_state_name(job->state));
	/* progress: how long it has run, or took */
	if (job->state == VT_JOB_RUNNING)
		fprintf(fp, " (%.0f s)", now - job->started);
	else if (job->finished > 0)
		fprintf(fp, " (%.1f s)", job->finished - job->started);
	fputs("</td><td>", fp);
	html(fp, job->release);
	fputs("</td><td>", fp);
	for (size_t i = 0; i < job->n_verdicts; i++) {
		const struct vt_job_verdict *v = &job->verdicts[i];

		if (!strcmp(v->verdict, "fired") || !strcmp(v->verdict, "latent")) {
			fprintf(fp, "<span class=\"%s\">", v->verdict);
			html(fp, v->bug_class);
			fputs(" ", fp);
			html(fp, v->plugin);
			fprintf(fp, " %s</span> ", v->verdict);
		}
	}
	fputs("</td><td>", fp);
	html(fp, job->message);
	fputs("</td></tr>\n", fp);
}

static enum MHD_Result page_queue(struct vt_store *st, struct MHD_Connection *c)
{
	struct doc d;
	struct vt_error *err;

	if (!doc_open(&d))
		return MHD_NO;
	page_head(d.fp, "vmtriage: the queue", true);
	fputs("<table><tr><th>id</th><th>dump</th><th>state</th><th>kernel</th>"
	      "<th>findings</th><th>message</th></tr>\n", d.fp);
	err = vt_store_list(st, arg_of(c, "class"), arg_of(c, "verdict"), 500, queue_row, d.fp);
	fputs("</table></body></html>\n", d.fp);
	return doc_end(&d, c, err, "text/html; charset=utf-8");
}

static void summary_row(void *arg, const char *cls, const char *plugin, const char *verdict,
			int64_t n)
{
	FILE *fp = arg;

	fputs("<tr><td>", fp);
	html(fp, cls);
	fputs("</td><td>", fp);
	html(fp, plugin);
	fputs("</td><td class=\"", fp);
	html(fp, verdict);
	fputs("\">", fp);
	html(fp, verdict);
	fprintf(fp, "</td><td><a href=\"/?class=");
	html(fp, cls);
	fputs("&amp;verdict=", fp);
	html(fp, verdict);
	fprintf(fp, "\">%lld</a></td></tr>\n", (long long)n);
}

static enum MHD_Result page_summary(struct vt_store *st, struct MHD_Connection *c)
{
	struct doc d;
	struct vt_error *err;

	if (!doc_open(&d))
		return MHD_NO;
	page_head(d.fp, "vmtriage: dumps per bug class", false);
	fputs("<table><tr><th>class</th><th>plugin</th><th>verdict</th><th>dumps</th></tr>\n",
	      d.fp);
	err = vt_store_summary(st, summary_row, d.fp);
	fputs("</table></body></html>\n", d.fp);
	return doc_end(&d, c, err, "text/html; charset=utf-8");
}

/* One dump: report --html's page once made; its state until then. */
static enum MHD_Result page_dump(struct vt_serve *sv, struct vt_store *st,
				 struct MHD_Connection *c, int64_t id)
{
	char path[4200];
	struct vt_job job;
	bool found = false;
	struct vt_error *err = vt_store_get(st, id, &job, &found);
	struct MHD_Response *r;
	struct stat sb;
	struct doc d;
	int fd;

	if (err)
		return db_failed(c, err);
	if (!found)
		return fail(c, MHD_HTTP_NOT_FOUND, "no dump %lld", (long long)id);
	snprintf(path, sizeof(path), "%s/jobs/%lld/report.html", sv->data, (long long)id);
	if (job.state == VT_JOB_DONE && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (fstat(fd, &sb) == 0 &&
		    (r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd))) {
			enum MHD_Result ret;

			MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
			ret = MHD_queue_response(c, MHD_HTTP_OK, r);
			MHD_destroy_response(r);
			return ret;
		}
		close(fd);
	}
	if (!doc_open(&d))
		return MHD_NO;
	page_head(d.fp, job.name, job.state == VT_JOB_QUEUED || job.state == VT_JOB_RUNNING);
	fputs("<table><tr><th>id</th><th>dump</th><th>state</th><th>kernel</th>"
	      "<th>findings</th><th>message</th></tr>\n", d.fp);
	queue_row(d.fp, &job);
	fprintf(d.fp, "</table><p><a href=\"/dumps/%lld/report.json\">report.json</a></p>"
		"</body></html>\n", (long long)id);
	return doc_send(&d, c, MHD_HTTP_OK, "text/html; charset=utf-8");
}

/* ---------------------------------------------------------------- POST */

static bool under_allowed(struct vt_serve *sv, const char *real)
{
	for (size_t i = 0; i < sv->nallow; i++) {
		char dir[4096];
		size_t n;

		if (!realpath(sv->allow[i], dir))
			continue;
		n = strlen(dir);
		if (!strncmp(real, dir, n) && (real[n] == '/' || (n == 1 && dir[0] == '/')))
			return true;
	}
	return false;
}

static enum MHD_Result created(struct MHD_Connection *c, int64_t id)
{
	struct doc d;

	if (!doc_open(&d))
		return MHD_NO;
	vt_json_object_begin(&d.j, NULL);
	vt_json_i64(&d.j, "id", id);
	{
		char url[64];

		snprintf(url, sizeof(url), "/dumps/%lld", (long long)id);
		vt_json_string(&d.j, "url", url);
	}
	vt_json_object_end(&d.j);
	vt_json_finish(&d.j);
	return doc_send(&d, c, MHD_HTTP_CREATED, "application/json");
}

static enum MHD_Result register_path(struct vt_serve *sv, struct vt_store *st,
				     struct MHD_Connection *c, const struct request *rq)
{
	struct vt_jv *v = vt_jv_parse(rq->body ? rq->body : "", rq->body_len);
	const char *path = vt_jv_str(v, "path");
	char real[4096];
	struct stat sb;
	int64_t id;
	struct vt_error *err;
	enum MHD_Result ret;

	if (!path)
		ret = fail(c, MHD_HTTP_BAD_REQUEST, "a JSON body {\"path\": \"/...\"} is expected");
	else if (!realpath(path, real) || stat(real, &sb) || !S_ISREG(sb.st_mode))
		ret = fail(c, MHD_HTTP_BAD_REQUEST, "%s: not a readable file", path);
	else if (!under_allowed(sv, real))
		ret = fail(c, MHD_HTTP_FORBIDDEN, "%s is under no --allow-path directory", path);
	else if (!vt_batch_dump_magic(real))
		ret = fail(c, MHD_HTTP_BAD_REQUEST, "%s is not a dump (no ELF core, kdump or "
			   "flattened magic)", path);
	else if ((err = vt_store_add(st, strrchr(real, '/') + 1, real, false, sb.st_size, &id)))
		ret = db_failed(c, err);
	else
		ret = created(c, id);
	vt_jv_free(v);
	return ret;
}

/*
 * An upload cut short in transit, or of a dump that was (a full disk on
 * the customer's side), is refused: its headers describe more than came.
 * A dump registered by path is taken as it is (report names what is
 * missing); flattened streams have no size to check before reassembly.
 */
static bool whole_dump(const char *path, const char *magic, char *why, size_t len)
{
	struct vt_dump_cut cut = { 0 };
	struct vt_error *err = NULL;
	int fd;

	if (!strcmp(magic, "flattened"))
		return true;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, len, "cannot read the upload back: %s", strerror(errno));
		return false;
	}
	err = !strcmp(magic, "ELF core") ? vt_dumpcheck_elf(fd, &cut) :
	      vt_dumpcheck_diskdump(fd, NULL, &cut, NULL);
	close(fd);
	if (err) {
		snprintf(why, len, "not a valid dump: %s", err->message);
		vt_error_destroy(err);
		return false;
	}
	if (cut.cut) {
		snprintf(why, len, "a truncated dump: its headers describe %llu bytes, %llu came",
			 (unsigned long long)cut.need, (unsigned long long)cut.file_size);
		return false;
	}
	return true;
}

/* The upload is whole: a dump (by its magic) becomes a job, else nothing stays. */
static enum MHD_Result finish_upload(struct vt_serve *sv, struct vt_store *st,
				     struct MHD_Connection *c, struct request *rq)
{
	const char *name = arg_of(c, "name"), *magic;
	char final[4200], clean[256], why[512];
	int64_t id;
	struct vt_error *err;
	size_t k = 0;

	close(rq->fd);
	rq->fd = -1;
	if (rq->too_big) {
		unlink(rq->part);
		return fail(c, MHD_HTTP_CONTENT_TOO_LARGE, "the upload is over the limit of %llu "
			    "bytes (--max-upload)", (unsigned long long)sv->max_upload);
	}
	if (rq->io_error || !rq->got) {
		unlink(rq->part);
		return fail(c, rq->got ? MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_BAD_REQUEST,
			    rq->got ? "could not store the upload" : "an empty upload");
	}
	if (!(magic = vt_batch_dump_magic(rq->part))) {
		unlink(rq->part);
		return fail(c, MHD_HTTP_BAD_REQUEST, "not a dump: no ELF core, kdump or flattened "
			    "makedumpfile magic");
	}
	if (!whole_dump(rq->part, magic, why, sizeof(why))) {
		unlink(rq->part);
		return fail(c, MHD_HTTP_BAD_REQUEST, "%s", why);
	}
	/* a name for people: the client's, without directories or odd bytes */
	for (const char *p = name ? name : "upload"; *p && k + 1 < sizeof(clean); p++)
		clean[k++] = (*p == '/' || *p < 0x20 || *p == 0x7f) ? '_' : *p;
	clean[k] = '\0';
	/* complete: its final name (the .part one without the dot and suffix),
	 * then the job, so that no worker sees a file still coming in */
	snprintf(final, sizeof(final), "%s/uploads/%s", sv->data, strrchr(rq->part, '/') + 2);
	final[strlen(final) - strlen(".part")] = '\0';
	if (rename(rq->part, final)) {
		unlink(rq->part);
		return fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "could not store the upload");
	}
	if ((err = vt_store_add(st, clean, final, true, (int64_t)rq->got, &id))) {
		unlink(final);
		return db_failed(c, err);
	}
	return created(c, id);
}

/* ---------------------------------------------------------------- dispatch */

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	if (!rq)
		return;
	if (rq->fd >= 0) {		/* cut short: nothing is kept */
		close(rq->fd);
		unlink(rq->part);
	}
	free(rq->body);
	free(rq);
	*con_cls = NULL;
}

static bool parse_id(const char *s, int64_t *id, const char **rest)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (end == s || v <= 0)
		return false;
	*id = v;
	*rest = end;
	return true;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_size, void **con_cls)
{
	struct vt_serve_http *h = cls;
	struct vt_serve *sv = h->sv;
	struct request *rq = *con_cls;
	struct vt_store *st = NULL;
	struct vt_error *err;
	enum MHD_Result ret;
	const char *rest;
	int64_t id;

	if (!strcmp(method, "POST")) {
		if (strcmp(url, "/dumps"))
			return fail(c, MHD_HTTP_NOT_FOUND, "POST /dumps only");
		if (!rq) {
			const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								       "Content-Type");
			const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								      "Content-Length");

			if (!authorized(sv, c))
				return fail(c, MHD_HTTP_UNAUTHORIZED, "a valid token is required "
					    "(Authorization: Bearer TOKEN)");
			if (len && strtoull(len, NULL, 10) > sv->max_upload)
				return fail(c, MHD_HTTP_CONTENT_TOO_LARGE, "the upload is over the "
					    "limit of %llu bytes (--max-upload)",
					    (unsigned long long)sv->max_upload);
			if (!(rq = calloc(1, sizeof(*rq))))
				return MHD_NO;
			rq->fd = -1;
			rq->json = type && !strncmp(type, "application/json", 16);
			if (!rq->json) {
				static unsigned long seq;

				snprintf(rq->part, sizeof(rq->part), "%s/uploads/.%ld-%ld-%lu.part",
					 sv->data, (long)time(NULL), (long)getpid(),
					 __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
				rq->fd = open(rq->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
				if (rq->fd < 0) {
					int e = errno;

					free(rq);
					return fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot store "
						    "an upload in %s/uploads: %s", sv->data, strerror(e));
				}
			}
			*con_cls = rq;
			return MHD_YES;
		}
		if (*data_size) {
			size_t n = *data_size;

			*data_size = 0;		/* consumed, kept or not */
			if (rq->got + n > (rq->json ? MAX_REGISTER_BODY : sv->max_upload)) {
				rq->too_big = true;
				return MHD_YES;
			}
			if (rq->json) {
				char *b = realloc(rq->body, rq->body_len + n + 1);

				if (!b)
					return MHD_NO;
				memcpy(b + rq->body_len, data, n);
				rq->body = b;
				rq->body_len += n;
				b[rq->body_len] = '\0';
			} else {
				for (size_t done = 0; done < n && !rq->io_error;) {
					ssize_t w = write(rq->fd, data + done, n - done);

					if (w < 0 && errno == EINTR)
						continue;
					if (w <= 0)
						rq->io_error = true;
					else
						done += (size_t)w;
				}
			}
			rq->got += n;
			return MHD_YES;
		}
		if ((err = vt_store_open(sv->data, &st)))
			return db_failed(c, err);
		if (rq->json)
			ret = rq->too_big ? fail(c, MHD_HTTP_CONTENT_TOO_LARGE, "body too large") :
			      register_path(sv, st, c, rq);
		else
			ret = finish_upload(sv, st, c, rq);
		vt_store_close(st);
		return ret;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return fail(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET, HEAD or POST");
	if ((err = vt_store_open(sv->data, &st)))
		return db_failed(c, err);
	if (!strcmp(url, "/"))
		ret = page_queue(st, c);
	else if (!strcmp(url, "/summary"))
		ret = page_summary(st, c);
	else if (!strcmp(url, "/dumps") || !strcmp(url, "/dumps/"))
		ret = get_list(st, c);
	else if (!strncmp(url, "/dumps/", 7) && parse_id(url + 7, &id, &rest) && !*rest)
		ret = get_job(st, c, id, false);
	else if (!strncmp(url, "/dumps/", 7) && parse_id(url + 7, &id, &rest) &&
		 !strcmp(rest, "/report.json"))
		ret = get_job(st, c, id, true);
	else if (!strncmp(url, "/dumps/", 7) && parse_id(url + 7, &id, &rest) &&
		 !strcmp(rest, ".html"))
		ret = page_dump(sv, st, c, id);
	else
		ret = fail(c, MHD_HTTP_NOT_FOUND, "no such page: %s", url);
	vt_store_close(st);
	return ret;
}

struct vt_error *vt_serve_http_start(struct vt_serve *sv, const char *addr, unsigned port,
				     struct vt_serve_http **ret)
{
	struct vt_serve_http *h = calloc(1, sizeof(*h));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	*ret = NULL;
	if (!h)
		return &vt_enomem;
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		free(h);
		return vt_error_create(VT_ERR_USAGE, "%s: not an IPv4 address", addr);
	}
	h->sv = sv;
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL, handle, h,
				MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
	if (!h->d) {
		free(h);
		return vt_error_create(VT_ERR_IO, "cannot listen on %s:%u", addr, port);
	}
	*ret = h;
	return NULL;
}

void vt_serve_http_stop(struct vt_serve_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
