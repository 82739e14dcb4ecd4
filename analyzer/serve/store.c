/*
 * The service's database (serve.h): one SQLite file, DATA/vmtriage.sqlite,
 * in WAL mode so that the HTTP side reads while workers write. Each thread
 * opens its own connection. Schema version in PRAGMA user_version.
 */
#include "serve/serve.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

struct vt_store {
	sqlite3 *db;
};

static const char schema[] =
	"CREATE TABLE jobs("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL, path TEXT NOT NULL, uploaded INTEGER NOT NULL,"
	" size INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'queued',"
	" worker TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,"
	" created REAL NOT NULL, started REAL NOT NULL DEFAULT 0,"
	" finished REAL NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT '',"
	" message TEXT NOT NULL DEFAULT '', release TEXT NOT NULL DEFAULT '',"
	" arch TEXT NOT NULL DEFAULT '', signature TEXT NOT NULL DEFAULT '',"
	" vmlinux TEXT NOT NULL DEFAULT '', report TEXT);"
	"CREATE TABLE verdicts("
	" job INTEGER NOT NULL REFERENCES jobs(id), plugin TEXT NOT NULL,"
	" class TEXT NOT NULL, verdict TEXT NOT NULL, PRIMARY KEY(job, plugin));"
	"CREATE INDEX jobs_state ON jobs(state, id);"
	"CREATE INDEX verdicts_cv ON verdicts(class, verdict);"
	"PRAGMA user_version = 1;";

static const char job_columns[] =
	"id, name, path, uploaded, size, state, worker, attempts, created, started, "
	"finished, status, message, release, arch, signature, vmlinux, "
	"(SELECT group_concat(class || ' ' || plugin || ' ' || verdict, ',') FROM verdicts v "
	"WHERE v.job = jobs.id)";

const char *vt_job_state_name(enum vt_job_state s)
{
	static const char *const names[] = { "queued", "running", "done", "failed" };

	return s <= VT_JOB_FAILED ? names[s] : "?";
}

static enum vt_job_state state_of(const char *name)
{
	for (int s = VT_JOB_QUEUED; s <= VT_JOB_FAILED; s++)
		if (name && !strcmp(name, vt_job_state_name(s)))
			return s;
	return VT_JOB_FAILED;
}

static double unix_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static struct vt_error *db_error(struct vt_store *st, const char *what)
{
	return vt_error_create(VT_ERR_IO, "database: %s: %s", what, sqlite3_errmsg(st->db));
}

static struct vt_error *exec(struct vt_store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		struct vt_error *err = vt_error_create(VT_ERR_IO, "database: %s", msg ? msg : sql);

		sqlite3_free(msg);
		return err;
	}
	return NULL;
}

static struct vt_error *prepare(struct vt_store *st, const char *sql, sqlite3_stmt **ret)
{
	return sqlite3_prepare_v2(st->db, sql, -1, ret, NULL) == SQLITE_OK ? NULL :
	       db_error(st, sql);
}

static void copy_text(char *dst, size_t len, sqlite3_stmt *q, int col)
{
	const unsigned char *t = sqlite3_column_text(q, col);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

/* job_columns' last column, "C plugin verdict,C plugin verdict", as rows
 * (plugin names and verdicts hold neither a space nor a comma). */
static void read_verdicts(struct vt_job *job, const char *p)
{
	while (p && *p && job->n_verdicts < VT_JOB_MAX_VERDICTS) {
		struct vt_job_verdict *v = &job->verdicts[job->n_verdicts];

		if (sscanf(p, "%7s %63s %31[^,]", v->bug_class, v->plugin, v->verdict) == 3)
			job->n_verdicts++;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
}

/* A row of job_columns into job. */
static void read_job(sqlite3_stmt *q, struct vt_job *job)
{
	char state[16];

	memset(job, 0, sizeof(*job));
	job->id = sqlite3_column_int64(q, 0);
	copy_text(job->name, sizeof(job->name), q, 1);
	copy_text(job->path, sizeof(job->path), q, 2);
	job->uploaded = sqlite3_column_int(q, 3);
	job->size = sqlite3_column_int64(q, 4);
	copy_text(state, sizeof(state), q, 5);
	job->state = state_of(state);
	copy_text(job->worker, sizeof(job->worker), q, 6);
	job->attempts = sqlite3_column_int(q, 7);
	job->created = sqlite3_column_double(q, 8);
	job->started = sqlite3_column_double(q, 9);
	job->finished = sqlite3_column_double(q, 10);
	copy_text(job->status, sizeof(job->status), q, 11);
	copy_text(job->message, sizeof(job->message), q, 12);
	copy_text(job->release, sizeof(job->release), q, 13);
	copy_text(job->arch, sizeof(job->arch), q, 14);
	copy_text(job->signature, sizeof(job->signature), q, 15);
	copy_text(job->vmlinux, sizeof(job->vmlinux), q, 16);
	read_verdicts(job, (const char *)sqlite3_column_text(q, 17));
}

struct vt_error *vt_store_open(const char *data_dir, struct vt_store **ret)
{
	struct vt_store *st = calloc(1, sizeof(*st));
	char path[4096];
	sqlite3_stmt *q;
	struct vt_error *err;
	int version;

	*ret = NULL;
	if (!st)
		return &vt_enomem;
	snprintf(path, sizeof(path), "%s/vmtriage.sqlite", data_dir);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		err = vt_error_create(VT_ERR_IO, "%s: %s", path, sqlite3_errmsg(st->db));
		vt_store_close(st);
		return err;
	}
	/* writers wait for each other rather than fail */
	sqlite3_busy_timeout(st->db, 30000);
	if ((err = exec(st, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;")) ||
	    (err = prepare(st, "PRAGMA user_version", &q))) {
		vt_store_close(st);
		return vt_error_prefix(err, "%s", path);
	}
	version = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : -1;
	sqlite3_finalize(q);
	if (version == 0) {
		err = exec(st, "BEGIN IMMEDIATE");
		if (!err) {
			/* another process may have made it meanwhile */
			if (!prepare(st, "PRAGMA user_version", &q)) {
				version = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : -1;
				sqlite3_finalize(q);
			}
			err = version == 0 ? exec(st, schema) : NULL;
			if (!err)
				err = exec(st, "COMMIT");
			else
				vt_error_destroy(exec(st, "ROLLBACK"));
			version = err ? version : VT_SERVE_SCHEMA;
		}
	}
	if (!err && version != VT_SERVE_SCHEMA)
		err = vt_error_create(VT_ERR_UNSUPPORTED, "schema version %d; this vmtriage "
				      "knows version %d", version, VT_SERVE_SCHEMA);
	if (err) {
		vt_store_close(st);
		return vt_error_prefix(err, "%s", path);
	}
	*ret = st;
	return NULL;
}

void vt_store_close(struct vt_store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st);
}

struct vt_error *vt_store_add(struct vt_store *st, const char *name, const char *path,
			      bool uploaded, int64_t size, int64_t *id_ret)
{
	sqlite3_stmt *q;
	struct vt_error *err = prepare(st, "INSERT INTO jobs(name, path, uploaded, size, created)"
				       " VALUES(?, ?, ?, ?, ?)", &q);

	if (err)
		return err;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 3, uploaded);
	sqlite3_bind_int64(q, 4, size);
	sqlite3_bind_double(q, 5, unix_now());
	if (sqlite3_step(q) != SQLITE_DONE)
		err = db_error(st, "add a job");
	else
		*id_ret = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(q);
	return err;
}

struct vt_error *vt_store_claim(struct vt_store *st, const char *worker, struct vt_job *ret,
				bool *got)
{
	static const char pick[] = "SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1";
	sqlite3_stmt *q;
	struct vt_error *err;
	int64_t id = 0;

	*got = false;
	/* IMMEDIATE: the write lock first, so two workers cannot pick one job */
	if ((err = exec(st, "BEGIN IMMEDIATE")))
		return err;
	if (!(err = prepare(st, pick, &q))) {
		if (sqlite3_step(q) == SQLITE_ROW)
			id = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	if (!err && id && !(err = prepare(st, "UPDATE jobs SET state = 'running', worker = ?, "
					   "attempts = attempts + 1, started = ? WHERE id = ?", &q))) {
		sqlite3_bind_text(q, 1, worker, -1, SQLITE_TRANSIENT);
		sqlite3_bind_double(q, 2, unix_now());
		sqlite3_bind_int64(q, 3, id);
		if (sqlite3_step(q) != SQLITE_DONE)
			err = db_error(st, "claim a job");
		sqlite3_finalize(q);
	}
	if (err) {
		vt_error_destroy(exec(st, "ROLLBACK"));
		return err;
	}
	if ((err = exec(st, "COMMIT")))
		return err;
	if (!id)
		return NULL;
	return vt_store_get(st, id, ret, got);
}

struct vt_error *vt_store_finish(struct vt_store *st, const struct vt_job *job,
				 const char *report_json)
{
	size_t n = job->n_verdicts;
	sqlite3_stmt *q;
	struct vt_error *err;

	if ((err = exec(st, "BEGIN IMMEDIATE")))
		return err;
	/* Only the worker that holds the job ends it: a job queued again after
	 * its worker was taken for dead is not stored twice. */
	err = prepare(st, "UPDATE jobs SET state = ?, finished = ?, status = ?, message = ?, "
		      "release = ?, arch = ?, signature = ?, vmlinux = ?, report = ? "
		      "WHERE id = ? AND state = 'running' AND worker = ?", &q);
	if (!err) {
		sqlite3_bind_text(q, 1, vt_job_state_name(job->state), -1, SQLITE_STATIC);
		sqlite3_bind_double(q, 2, unix_now());
		sqlite3_bind_text(q, 3, job->status, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 4, job->message, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 5, job->release, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 6, job->arch, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 7, job->signature, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 8, job->vmlinux, -1, SQLITE_TRANSIENT);
		if (report_json)
			sqlite3_bind_text(q, 9, report_json, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(q, 9);
		sqlite3_bind_int64(q, 10, job->id);
		sqlite3_bind_text(q, 11, job->worker, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(q) != SQLITE_DONE)
			err = db_error(st, "store a result");
		else if (sqlite3_changes(st->db) != 1)
			n = 0;		/* not ours any more: nothing else to write */
		sqlite3_finalize(q);
	}
	for (size_t i = 0; !err && i < n; i++) {
		err = prepare(st, "INSERT OR REPLACE INTO verdicts(job, plugin, class, verdict) "
			      "VALUES(?, ?, ?, ?)", &q);
		if (err)
			break;
		sqlite3_bind_int64(q, 1, job->id);
		sqlite3_bind_text(q, 2, job->verdicts[i].plugin, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 3, job->verdicts[i].bug_class, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 4, job->verdicts[i].verdict, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(q) != SQLITE_DONE)
			err = db_error(st, "store a verdict");
		sqlite3_finalize(q);
	}
	if (err) {
		vt_error_destroy(exec(st, "ROLLBACK"));
		return err;
	}
	return exec(st, "COMMIT");
}

struct vt_error *vt_store_requeue_dead(struct vt_store *st, const char *host, size_t *n_ret)
{
	sqlite3_stmt *q, *u;
	struct vt_error *err;
	size_t hl = strlen(host);

	*n_ret = 0;
	if ((err = exec(st, "BEGIN IMMEDIATE")))
		return err;
	if ((err = prepare(st, "SELECT id, worker FROM jobs WHERE state = 'running'", &q))) {
		vt_error_destroy(exec(st, "ROLLBACK"));
		return err;
	}
	while (!err && sqlite3_step(q) == SQLITE_ROW) {
		const char *w = (const char *)sqlite3_column_text(q, 1);
		long pid;

		/* host:pid of this machine whose process is gone */
		if (!w || strncmp(w, host, hl) || w[hl] != ':')
			continue;
		pid = strtol(w + hl + 1, NULL, 10);
		if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if ((err = prepare(st, "UPDATE jobs SET state = 'queued', worker = '' "
				   "WHERE id = ? AND worker = ?", &u)))
			break;
		sqlite3_bind_int64(u, 1, sqlite3_column_int64(q, 0));
		sqlite3_bind_text(u, 2, w, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(u) != SQLITE_DONE)
			err = db_error(st, "requeue a job");
		else
			(*n_ret)++;
		sqlite3_finalize(u);
	}
	sqlite3_finalize(q);
	if (err) {
		vt_error_destroy(exec(st, "ROLLBACK"));
		return err;
	}
	return exec(st, "COMMIT");
}

struct vt_error *vt_store_get(struct vt_store *st, int64_t id, struct vt_job *ret, bool *found)
{
	char sql[1024];
	sqlite3_stmt *q;
	struct vt_error *err;

	snprintf(sql, sizeof(sql), "SELECT %s FROM jobs WHERE id = ?", job_columns);
	*found = false;
	if ((err = prepare(st, sql, &q)))
		return err;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		read_job(q, ret);
		*found = true;
	}
	sqlite3_finalize(q);
	return NULL;
}

struct vt_error *vt_store_report(struct vt_store *st, int64_t id, char **json_ret)
{
	sqlite3_stmt *q;
	struct vt_error *err = prepare(st, "SELECT report FROM jobs WHERE id = ?", &q);
	const unsigned char *t;

	*json_ret = NULL;
	if (err)
		return err;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW && (t = sqlite3_column_text(q, 0)) &&
	    !(*json_ret = strdup((const char *)t)))
		err = &vt_enomem;
	sqlite3_finalize(q);
	return err;
}

struct vt_error *vt_store_list(struct vt_store *st, const char *bug_class, const char *verdict,
			       size_t limit, vt_store_job_fn *fn, void *arg)
{
	char sql[1024];
	sqlite3_stmt *q;
	struct vt_error *err;
	int k = 1;

	snprintf(sql, sizeof(sql), "SELECT %s FROM jobs%s ORDER BY id DESC LIMIT ?", job_columns,
		 bug_class || verdict ? " WHERE id IN (SELECT job FROM verdicts WHERE "
		 "(?1 IS NULL OR class = ?1) AND (?2 IS NULL OR verdict = ?2))" : "");
	if ((err = prepare(st, sql, &q)))
		return err;
	if (bug_class || verdict) {
		if (bug_class)
			sqlite3_bind_text(q, 1, bug_class, -1, SQLITE_TRANSIENT);
		if (verdict)
			sqlite3_bind_text(q, 2, verdict, -1, SQLITE_TRANSIENT);
		k = 3;
	}
	sqlite3_bind_int64(q, k, (sqlite3_int64)limit);
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct vt_job job;

		read_job(q, &job);
		fn(arg, &job);
	}
	sqlite3_finalize(q);
	return NULL;
}

struct vt_error *vt_store_summary(struct vt_store *st, vt_store_count_fn *fn, void *arg)
{
	sqlite3_stmt *q;
	struct vt_error *err = prepare(st, "SELECT class, plugin, verdict, count(*) FROM verdicts "
				       "GROUP BY class, plugin, verdict ORDER BY class, verdict", &q);

	if (err)
		return err;
	while (sqlite3_step(q) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(q, 0),
		   (const char *)sqlite3_column_text(q, 1),
		   (const char *)sqlite3_column_text(q, 2), sqlite3_column_int64(q, 3));
	sqlite3_finalize(q);
	return NULL;
}
