/*
 * `vmtriage serve`: a triage service for a support queue (issue 18 item 4).
 * Dumps come in over HTTP (uploaded, or registered by path), wait in a
 * queue kept in SQLite, and workers run each through `vmtriage batch` (one
 * limited child per dump); the results are stored with the job and served
 * as JSON and HTML.
 *
 *   store.c   the SQLite database: jobs, their verdicts, the queue
 *   worker.c  worker threads: claim a job, run batch on it, store the result
 *   http.c    the HTTP API and pages (GNU libmicrohttpd)
 *   cmd_serve.c  the command and its options
 */
#ifndef VT_SERVE_H
#define VT_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

#define VT_SERVE_SCHEMA 1	/* PRAGMA user_version of the database */

struct vt_store;

enum vt_job_state { VT_JOB_QUEUED, VT_JOB_RUNNING, VT_JOB_DONE, VT_JOB_FAILED };
const char *vt_job_state_name(enum vt_job_state s);

/* A report's verdicts, one per plugin: vmtriage has five plugins. */
#define VT_JOB_MAX_VERDICTS 32

struct vt_job {
	int64_t id;
	char name[256];			/* the upload's file name, or the path's base name */
	char path[4096];		/* the dump file */
	bool uploaded;			/* the service owns the file */
	int64_t size;
	enum vt_job_state state;
	char worker[128];		/* host:pid of the worker running it */
	int attempts;			/* claims: more than one after a worker died */
	double created, started, finished;	/* Unix time; 0: not yet */
	char status[32];		/* batch's: ok, findings, error, timeout, oom, crash */
	char message[512];		/* why it failed */
	char release[128], arch[32], signature[256];
	char vmlinux[1024];
	struct vt_job_verdict {
		char bug_class[8], plugin[64], verdict[32];
	} verdicts[VT_JOB_MAX_VERDICTS];
	size_t n_verdicts;
};

/* Open (creating) DATA/vmtriage.sqlite: schema checked, WAL mode. */
struct vt_error *vt_store_open(const char *data_dir, struct vt_store **ret);
void vt_store_close(struct vt_store *st);

/* A new queued job; its id. */
struct vt_error *vt_store_add(struct vt_store *st, const char *name, const char *path,
			      bool uploaded, int64_t size, int64_t *id_ret);
/*
 * Take the oldest queued job for worker (atomically: no two workers get
 * the same job); false when the queue is empty.
 */
struct vt_error *vt_store_claim(struct vt_store *st, const char *worker, struct vt_job *ret,
				bool *got);
/* The job's end: its fields and verdicts (from batch's summary line) and
 * the report JSON. */
struct vt_error *vt_store_finish(struct vt_store *st, const struct vt_job *job,
				 const char *report_json);
/* Jobs left running by workers of this host that are gone: queued again. */
struct vt_error *vt_store_requeue_dead(struct vt_store *st, const char *host, size_t *n_ret);

struct vt_error *vt_store_get(struct vt_store *st, int64_t id, struct vt_job *ret, bool *found);
/* The stored report JSON (malloc'd; NULL when there is none yet). */
struct vt_error *vt_store_report(struct vt_store *st, int64_t id, char **json_ret);

/* Jobs, newest first; filtered by a class letter and/or a verdict (NULL: any). */
typedef void vt_store_job_fn(void *arg, const struct vt_job *job);
struct vt_error *vt_store_list(struct vt_store *st, const char *bug_class, const char *verdict,
			       size_t limit, vt_store_job_fn *fn, void *arg);
/* Per class and verdict, how many dumps. */
typedef void vt_store_count_fn(void *arg, const char *bug_class, const char *plugin,
			       const char *verdict, int64_t n);
struct vt_error *vt_store_summary(struct vt_store *st, vt_store_count_fn *fn, void *arg);

/* The service: its settings and state, shared by the HTTP side and workers. */
struct vt_serve {
	const char *data;		/* DATA directory: database, uploads, jobs */
	const char *exe;		/* the vmtriage binary the workers run */
	char token[256];		/* required for POST (Bearer); "" refuses every POST */
	uint64_t max_upload;		/* bytes */
	const char *allow[16];		/* directories a registered path may be under */
	size_t nallow;
	double timeout;			/* per dump (batch --timeout) */
	uint64_t memory_mb;		/* per dump (batch --memory-limit) */
	const char *debuginfod;		/* batch --debuginfod, or NULL */
	char host[64];
	volatile int stop;
};

/* Worker threads (worker.c): n of them, until serve->stop. */
struct vt_error *vt_serve_workers_start(struct vt_serve *sv, unsigned n);
void vt_serve_workers_join(void);
/* Run one claimed job to its end (also the --worker loop's step). */
void vt_serve_run_job(struct vt_serve *sv, struct vt_store *st, struct vt_job *job);

/* The HTTP side (http.c). */
struct vt_serve_http;
struct vt_error *vt_serve_http_start(struct vt_serve *sv, const char *addr, unsigned port,
				     struct vt_serve_http **ret);
void vt_serve_http_stop(struct vt_serve_http *h);

#endif
