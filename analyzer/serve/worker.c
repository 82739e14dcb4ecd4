/*
 * The service's workers (serve.h): each claims the oldest queued job, runs
 * `vmtriage batch` on its dump (the batch machinery: one child, its time
 * and memory limits, the vmlinux found or fetched), stores what batch's
 * summary line and report say, then makes the HTML page with the memory
 * map (`vmtriage report --html`).
 */
#include "serve/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch/batch.h"
#include "core/jsonread.h"

#define MAX_THREADS 64

static pthread_t threads[MAX_THREADS];
static unsigned nthreads;

/* Run argv with stdout and stderr to log; its wait status (-1: no run). */
static int run(char *const argv[], const char *log)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		/* the service gone, its job is queued again: no orphan runs on */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int nul = open("/dev/null", O_RDONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (nul >= 0)
			dup2(nul, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* batch's summary line and report of the job: into job, stored. */
static void store_result(struct vt_serve *sv, struct vt_store *st, struct vt_job *job,
			 const char *out)
{
	char path[4200];
	char *line = NULL, *report = NULL;
	size_t len = 0;
	struct vt_jv *summary = NULL;
	struct vt_batch_dump d = { 0 };
	const char *s;
	struct vt_error *err;

	snprintf(path, sizeof(path), "%s/summary.jsonl", out);
	line = vt_batch_slurp(path, VT_BATCH_MAX_REPORT, &len);
	summary = line ? vt_jv_parse(line, len) : NULL;
	if (!summary || !vt_batch_read_jsonl(summary, &d)) {
		job->state = VT_JOB_FAILED;
		snprintf(job->status, sizeof(job->status), "error");
		snprintf(job->message, sizeof(job->message), "batch left no summary (see "
			 "jobs/%lld/batch.log)", (long long)job->id);
	} else {
		snprintf(job->status, sizeof(job->status), "%s", vt_batch_status_name(d.status));
		snprintf(job->message, sizeof(job->message), "%s", d.message);
		snprintf(job->release, sizeof(job->release), "%s", d.release);
		snprintf(job->arch, sizeof(job->arch), "%s", d.arch);
		snprintf(job->signature, sizeof(job->signature), "%s", d.signature);
		snprintf(job->vmlinux, sizeof(job->vmlinux), "%s", d.vmlinux);
		job->state = d.status == VT_BATCH_OK || d.status == VT_BATCH_FINDINGS ?
			     VT_JOB_DONE : VT_JOB_FAILED;
		if ((s = vt_jv_str(summary, "result")) && job->state == VT_JOB_DONE) {
			snprintf(path, sizeof(path), "%s/%s", out, s);
			report = vt_batch_slurp(path, VT_BATCH_MAX_REPORT, &len);
		}
		for (size_t i = 0; i < d.nverdicts && job->n_verdicts < VT_JOB_MAX_VERDICTS; i++) {
			struct vt_job_verdict *v = &job->verdicts[job->n_verdicts++];

			snprintf(v->plugin, sizeof(v->plugin), "%s", d.verdicts[i].plugin);
			snprintf(v->bug_class, sizeof(v->bug_class), "%s", d.verdicts[i].cls);
			snprintf(v->verdict, sizeof(v->verdict), "%s", d.verdicts[i].verdict);
		}
	}
	err = vt_store_finish(st, job, report);
	if (err) {
		fprintf(stderr, "vmtriage serve: job %lld: %s\n", (long long)job->id, err->message);
		vt_error_destroy(err);
	}
	free(d.verdicts);
	vt_jv_free(summary);
	free(line);
	free(report);
	(void)sv;
}

void vt_serve_run_job(struct vt_serve *sv, struct vt_store *st, struct vt_job *job)
{
	char out[4096], log[4200], timeout[32], memory[32], html[4200];
	char *argv[16];
	int argc = 0;

	snprintf(out, sizeof(out), "%s/jobs/%lld", sv->data, (long long)job->id);
	/* a job run again (its worker died) starts from nothing */
	nftw(out, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	mkdir(out, 0755);
	snprintf(log, sizeof(log), "%s/batch.log", out);
	snprintf(timeout, sizeof(timeout), "%.0f", sv->timeout);
	snprintf(memory, sizeof(memory), "%llu", (unsigned long long)sv->memory_mb);
	argv[argc++] = (char *)sv->exe;
	argv[argc++] = (char *)"batch";
	argv[argc++] = (char *)"--out";
	argv[argc++] = out;
	argv[argc++] = (char *)"--jobs";
	argv[argc++] = (char *)"1";
	argv[argc++] = (char *)"--timeout";
	argv[argc++] = timeout;
	argv[argc++] = (char *)"--memory-limit";
	argv[argc++] = memory;
	if (sv->debuginfod) {
		argv[argc++] = (char *)"--debuginfod";
		argv[argc++] = (char *)sv->debuginfod;
	}
	argv[argc++] = (char *)"--";
	argv[argc++] = job->path;
	argv[argc] = NULL;
	run(argv, log);
	store_result(sv, st, job, out);
	if (job->state != VT_JOB_DONE)
		return;
	/* the page with the memory-map picture, from the same dump and vmlinux */
	argc = 0;
	snprintf(html, sizeof(html), "%s/report.html", out);
	snprintf(log, sizeof(log), "%s/html.log", out);
	argv[argc++] = (char *)sv->exe;
	argv[argc++] = (char *)"report";
	argv[argc++] = (char *)"--no-debuginfod";
	argv[argc++] = (char *)"--html";
	argv[argc++] = html;
	argv[argc++] = (char *)"--";
	argv[argc++] = job->path;
	if (*job->vmlinux)
		argv[argc++] = job->vmlinux;
	argv[argc] = NULL;
	run(argv, log);
}

static void *worker_main(void *arg)
{
	struct vt_serve *sv = arg;
	struct vt_store *st = NULL;
	struct vt_error *err = vt_store_open(sv->data, &st);
	char name[128];

	if (err) {
		fprintf(stderr, "vmtriage serve: worker: %s\n", err->message);
		vt_error_destroy(err);
		return NULL;
	}
	snprintf(name, sizeof(name), "%s:%ld", sv->host, (long)getpid());
	while (!sv->stop) {
		struct vt_job job;
		bool got;

		err = vt_store_claim(st, name, &job, &got);
		if (err) {
			fprintf(stderr, "vmtriage serve: worker: %s\n", err->message);
			vt_error_destroy(err);
			got = false;
		}
		if (!got) {
			usleep(250000);		/* the queue is polled: no state to lose */
			continue;
		}
		vt_serve_run_job(sv, st, &job);
	}
	vt_store_close(st);
	return NULL;
}

struct vt_error *vt_serve_workers_start(struct vt_serve *sv, unsigned n)
{
	for (nthreads = 0; nthreads < n && nthreads < MAX_THREADS; nthreads++)
		if (pthread_create(&threads[nthreads], NULL, worker_main, sv) != 0)
			return vt_error_create(VT_ERR_OTHER, "cannot start worker %u", nthreads);
	return NULL;
}

void vt_serve_workers_join(void)
{
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	nthreads = 0;
}
