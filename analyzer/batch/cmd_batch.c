/*
 * `vmtriage batch DIR|FILE...`: triage many dumps unattended. Each dump is
 * triaged by a child process (this binary, `report --json`) under a
 * wall-time and an address-space limit, so a dump that hangs the analyzer,
 * eats the machine's memory or crashes it costs that dump only. Results:
 * one report per dump, summary.jsonl, summary.txt (batch.h).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch/batch.h"
#include "cli/cli.h"
#include "symbols/debuginfod.h"

#define MAX_DEBUGINFO 16

struct batch_opts {
	int jobs;			/* 0: the number of CPUs */
	const char *out;
	struct debuginfo {
		char *dirs[MAX_DEBUGINFO];
		int n;
	} debuginfo;
	double timeout;
	uint64_t memory_mb;
	bool retry_failed;
	const char *debuginfod;		/* servers; NULL: $DEBUGINFOD_URLS */
	bool no_debuginfod;
};

struct slot {
	pid_t pid;			/* 0: free */
	size_t idx;
	double start;
	int info_fd;			/* read end: the child's identify line */
	bool killed;			/* by us, on timeout */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * ASan reserves terabytes of address space for its shadow at start-up, so
 * any useful RLIMIT_AS kills an ASan child before main(). Compile-time
 * when this file is instrumented; otherwise the runtime's entry point is
 * visible to dlsym when libasan is loaded (a library-only ASan build).
 */
static bool asan_runtime(void)
{
#ifdef __SANITIZE_ADDRESS__
	return true;
#else
	return dlsym(RTLD_DEFAULT, "__asan_init") != NULL;
#endif
}

static void out_path(char *buf, size_t len, const struct batch_opts *o, const char *name,
		     const char *suffix, bool hidden)
{
	snprintf(buf, len, "%s/%s%s%s", o->out, hidden ? "." : "", name, suffix);
}

/* In the child: limits, redirections, the vmlinux, then exec `report`. */
static void __attribute__((noreturn)) child(const struct batch_opts *o,
					    const struct vt_batch_dump *d, int info_fd)
{
	char path[4096], vmlinux[1024];
	char *argv[10 + VT_TARGET_MAX_PIECES];
	int argc = 0, fd;

	if (o->memory_mb && !asan_runtime()) {
		struct rlimit rl = { o->memory_mb << 20, o->memory_mb << 20 };

		setrlimit(RLIMIT_AS, &rl);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	out_path(path, sizeof(path), o, d->name, ".json.tmp", true);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		close(fd);
	}
	out_path(path, sizeof(path), o, d->name, ".stderr", true);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	if (!vt_batch_identify(d->path, (char **)o->debuginfo.dirs, o->debuginfo.n,
			       o->no_debuginfod ? NULL : vt_debuginfod_urls(o->debuginfod),
			       vmlinux, sizeof(vmlinux), info_fd))
		_exit(VT_EXIT_ERROR);
	argv[argc++] = (char *)"vmtriage";
	argv[argc++] = (char *)"report";
	argv[argc++] = (char *)"--json";
	/* the vmlinux was looked for above, debuginfod included */
	argv[argc++] = (char *)"--no-debuginfod";
	argv[argc++] = (char *)"--";	/* a dump named "-x" is still a dump */
	argv[argc++] = d->path;
	for (size_t k = 0; k < d->npieces; k++)
		argv[argc++] = d->pieces[k];
	if (*vmlinux)
		argv[argc++] = vmlinux;
	argv[argc] = NULL;
	execv("/proc/self/exe", argv);
	fprintf(stderr, "vmtriage batch: exec /proc/self/exe: %s\n", strerror(errno));
	_exit(127);
}

static bool start(const struct batch_opts *o, struct vt_batch_dump *d, size_t idx,
		  struct slot *s)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return false;
	fflush(NULL);	/* or the child's exit path could flush our buffers twice */
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return false;
	}
	if (pid == 0) {
		close(p[0]);
		child(o, d, p[1]);
	}
	close(p[1]);
	s->pid = pid;
	s->idx = idx;
	s->start = now();
	s->info_fd = p[0];
	s->killed = false;
	return true;
}

/* The identify line: release, arch, format, vmlinux, note. */
static void read_info(int fd, struct vt_batch_dump *d)
{
	char buf[2048], *field[5] = { 0 }, *p = buf;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (int i = 0; i < 5 && p; i++) {
		field[i] = p;
		p = strpbrk(p, "\t\n");
		if (p)
			*p++ = '\0';
	}
	if (!field[4])
		return;
	snprintf(d->release, sizeof(d->release), "%s", field[0]);
	snprintf(d->arch, sizeof(d->arch), "%s", field[1]);
	snprintf(d->format, sizeof(d->format), "%s", field[2]);
	snprintf(d->vmlinux, sizeof(d->vmlinux), "%s", field[3]);
	snprintf(d->vmlinux_note, sizeof(d->vmlinux_note), "%s", field[4]);
}

/*
 * The line of the child's stderr that says what went wrong: a sanitizer's
 * report line when there is one (the last line is then a stack frame),
 * else the last non-empty line (vmtriage's own errors are one line).
 */
static void stderr_line(const char *path, char *out, size_t len, bool *oom)
{
	FILE *fp = fopen(path, "re");
	char line[1024];
	bool sanitizer = false;
	size_t n;

	*out = '\0';
	*oom = false;
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (strstr(line, "out of memory") || strstr(line, "Cannot allocate memory") ||
		    strstr(line, "allocator is out of memory"))
			*oom = true;
		if (sanitizer || !*line)
			continue;
		if (strstr(line, "ERROR: AddressSanitizer") || strstr(line, "runtime error:") ||
		    strstr(line, "ERROR: LeakSanitizer"))
			sanitizer = true;
		n = strlen(line) < len ? strlen(line) : len - 1;
		memcpy(out, line, n);
		out[n] = '\0';
	}
	fclose(fp);
}

static void finish(const struct batch_opts *o, struct vt_batch_dump *d, const struct slot *s,
		   int wstatus)
{
	char tmp[4096], final[4096], errpath[4096];
	bool oom;

	read_info(s->info_fd, d);
	d->duration = now() - s->start;
	out_path(tmp, sizeof(tmp), o, d->name, ".json.tmp", true);
	out_path(final, sizeof(final), o, d->name, ".json", false);
	out_path(errpath, sizeof(errpath), o, d->name, ".stderr", true);
	stderr_line(errpath, d->message, sizeof(d->message), &oom);
	if (s->killed) {
		d->status = VT_BATCH_TIMEOUT;
		d->signal = SIGKILL;
		snprintf(d->message, sizeof(d->message), "killed after %.0f s (--timeout)", o->timeout);
	} else if (WIFSIGNALED(wstatus)) {
		d->signal = WTERMSIG(wstatus);
		/* Not our kill: the kernel's OOM killer is the usual sender of SIGKILL. */
		d->status = oom || d->signal == SIGKILL ? VT_BATCH_OOM : VT_BATCH_CRASH;
		if (!*d->message || d->signal == SIGKILL)
			snprintf(d->message, sizeof(d->message), "killed by signal %d (%s)",
				 d->signal, strsignal(d->signal));
	} else {
		d->exit_code = WEXITSTATUS(wstatus);
		if ((d->exit_code == VT_EXIT_OK || d->exit_code == VT_EXIT_FINDINGS) &&
		    vt_batch_read_report(tmp, d) && !rename(tmp, final)) {
			d->status = d->exit_code == VT_EXIT_OK ? VT_BATCH_OK : VT_BATCH_FINDINGS;
			*d->message = '\0';
		} else if (d->exit_code == VT_EXIT_ERROR) {
			d->status = oom ? VT_BATCH_OOM : VT_BATCH_ERROR;
		} else {
			/* e.g. a sanitizer's exit 1 with the JSON cut short */
			d->status = VT_BATCH_CRASH;
			if (!*d->message)
				snprintf(d->message, sizeof(d->message),
					 "exit %d without a complete report", d->exit_code);
		}
	}
	unlink(tmp);
	if (vt_batch_failed(d->status)) {
		/* Kept for the support engineer: the whole stderr of the failure. */
		out_path(final, sizeof(final), o, d->name, ".stderr", false);
		rename(errpath, final);
	} else {
		unlink(errpath);
	}
}

/* Mark dumps an earlier run of this version already did (summary.jsonl). */
static void load_previous(const struct batch_opts *o, struct vt_batch_dumps *ds)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/summary.jsonl", o->out);
	if (!(fp = fopen(path, "re")))
		return;
	/* Later lines win: each run appends, the last one rewrites it whole. */
	while ((len = getline(&line, &cap, fp)) > 0) {
		struct vt_jv *v = vt_jv_parse(line, (size_t)len);
		const char *p = vt_jv_str(v, "path");

		for (size_t i = 0; p && i < ds->n; i++) {
			struct vt_batch_dump *d = &ds->d[i], save = *d;
			char result[4096];

			if (strcmp(d->path, p) || (d->status == VT_BATCH_NOT_DUMP && !d->skipped))
				continue;
			save.verdicts = NULL;
			if (!vt_batch_from_jsonl(v, d)) {
				free(d->verdicts);
				*d = save;
				continue;
			}
			out_path(result, sizeof(result), o, d->name, ".json", false);
			/*
			 * Timeouts and OOMs depend on the limits, which may have been
			 * raised since; the rest is what this version says again.
			 */
			if (d->status == VT_BATCH_TIMEOUT || d->status == VT_BATCH_OOM ||
			    (o->retry_failed && vt_batch_failed(d->status)) ||
			    (!vt_batch_failed(d->status) && access(result, R_OK))) {
				free(d->verdicts);
				*d = save;
				d->skipped = false;
				continue;
			}
			free(save.verdicts);
			d->skipped = true;
		}
		vt_jv_free(v);
	}
	free(line);
	fclose(fp);
}

static bool parse_number(const char *text, double min, double *ret)
{
	char *end;

	errno = 0;
	*ret = strtod(text, &end);
	return !errno && *text && !*end && *ret >= min;
}

const char *vt_batch_parse_jobs(const char *text, void *field)
{
	double v;

	if (!parse_number(text, 1, &v) || v > 1024 || v != (int)v)
		return "";
	*(int *)field = (int)v;
	return NULL;
}

const char *vt_batch_parse_timeout(const char *text, void *field)
{
	return parse_number(text, 0.001, field) ? NULL : "";
}

const char *vt_batch_parse_memory(const char *text, void *field)
{
	double v;

	if (!parse_number(text, 0, &v) || v != (uint64_t)v || v > (1u << 30))
		return "";
	*(uint64_t *)field = (uint64_t)v;
	return NULL;
}

static const char *add_debuginfo(const char *text, void *field)
{
	struct debuginfo *d = field;

	if (d->n == MAX_DEBUGINFO)
		return "at most 16 of them";
	d->dirs[d->n++] = (char *)text;
	return NULL;
}

static bool write_summaries(const struct batch_opts *o, const struct vt_batch_dumps *ds,
			    double wall)
{
	char path[4096], tmp[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/summary.jsonl", o->out);
	snprintf(tmp, sizeof(tmp), "%s/.summary.jsonl.tmp", o->out);
	if (!(fp = fopen(tmp, "we")))
		return false;
	for (size_t i = 0; i < ds->n; i++)
		vt_batch_jsonl_line(fp, &ds->d[i]);
	if (fclose(fp) || rename(tmp, path))
		return false;
	snprintf(path, sizeof(path), "%s/summary.txt", o->out);
	if (!(fp = fopen(path, "we")))
		return false;
	vt_batch_summary_txt(fp, ds, wall);
	return !fclose(fp);
}

static int run_batch(struct vt_cli *c)
{
	struct batch_opts o = *(const struct batch_opts *)c->opts;
	struct vt_batch_dumps ds;
	struct slot *slots;
	FILE *jsonl;
	char path[4096];
	size_t next = 0, running = 0, done = 0, todo = 0;
	bool tty = isatty(2), failed = false, findings = false;
	double t0 = now();
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	if (!o.jobs)
		o.jobs = ncpu > 0 ? (int)ncpu : 1;
	if (mkdir(o.out, 0755) && errno != EEXIST) {
		fprintf(stderr, "vmtriage batch: %s: %s\n", o.out, strerror(errno));
		return VT_EXIT_ERROR;
	}
	if (!vt_batch_find(c->args, c->nargs, &ds)) {
		vt_batch_dumps_deinit(&ds);
		return VT_EXIT_ERROR;
	}
	load_previous(&o, &ds);
	for (size_t i = 0; i < ds.n; i++)
		todo += ds.d[i].status == VT_BATCH_PENDING;
	if (tty && o.memory_mb && asan_runtime())
		fprintf(stderr, "vmtriage batch: ASan build: no --memory-limit (ASan's shadow "
			"needs terabytes of address space)\n");
	snprintf(path, sizeof(path), "%s/summary.jsonl", o.out);
	jsonl = fopen(path, "ae");
	slots = calloc((size_t)o.jobs, sizeof(*slots));
	if (!jsonl || !slots) {
		fprintf(stderr, "vmtriage batch: %s: %s\n", path, strerror(errno));
		rc = VT_EXIT_ERROR;
		goto out;
	}
	while (next < ds.n || running) {
		int wstatus;
		pid_t pid;

		for (int k = 0; k < o.jobs && next < ds.n; k++) {
			if (slots[k].pid)
				continue;
			while (next < ds.n && ds.d[next].status != VT_BATCH_PENDING)
				next++;
			if (next == ds.n)
				break;
			if (!start(&o, &ds.d[next], next, &slots[k])) {
				ds.d[next].status = VT_BATCH_ERROR;
				snprintf(ds.d[next].message, sizeof(ds.d[next].message),
					 "cannot start a child: %s", strerror(errno));
			} else {
				running++;
			}
			next++;
		}
		if (!running)
			continue;
		pid = waitpid(-1, &wstatus, WNOHANG);
		if (pid <= 0) {
			double t = now();

			for (int k = 0; k < o.jobs; k++)
				if (slots[k].pid && !slots[k].killed && t - slots[k].start > o.timeout) {
					kill(slots[k].pid, SIGKILL);
					slots[k].killed = true;
				}
			nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
			continue;
		}
		for (int k = 0; k < o.jobs; k++) {
			struct vt_batch_dump *d;

			if (slots[k].pid != pid)
				continue;
			d = &ds.d[slots[k].idx];
			finish(&o, d, &slots[k], wstatus);
			vt_batch_jsonl_line(jsonl, d);
			fflush(jsonl);
			slots[k].pid = 0;
			running--;
			done++;
			if (tty)
				fprintf(stderr, "[%zu/%zu] %-9s %5.1f s  %s\n", done, todo,
					vt_batch_status_name(d->status), d->duration, d->path);
		}
	}
	for (size_t i = 0; i < ds.n; i++) {
		failed |= vt_batch_failed(ds.d[i].status);
		findings |= ds.d[i].status == VT_BATCH_FINDINGS;
	}
	if (!write_summaries(&o, &ds, now() - t0)) {
		fprintf(stderr, "vmtriage batch: writing the summaries in %s: %s\n", o.out,
			strerror(errno));
		rc = VT_EXIT_ERROR;
		goto out;
	}
	vt_batch_summary_txt(stdout, &ds, now() - t0);
	rc = failed ? VT_EXIT_ERROR : findings ? VT_EXIT_FINDINGS : VT_EXIT_OK;
out:
	if (jsonl)
		fclose(jsonl);
	free(slots);
	vt_batch_dumps_deinit(&ds);
	return rc;
}

static const struct vt_cli_option batch_options[] = {
	{ .name = "jobs", .short_name = 'j', .arg = "N", .parse = vt_batch_parse_jobs,
	  .help = "children at a time (default: the number of CPUs)",
	  VT_CLI_FIELD(struct batch_opts, jobs) },
	{ .name = "out", .short_name = 'o', .arg = "DIR",
	  .help = "results (default ./vmtriage-batch): NAME.json per dump\n"
		  "(NAME: the dump's path, sanitized), NAME.stderr per\n"
		  "failure, summary.jsonl, summary.txt (also on stdout)",
	  VT_CLI_TEXT(struct batch_opts, out) },
	{ .name = "debuginfo", .arg = "DIR", .parse = add_debuginfo,
	  .help = "where to look for vmlinux files (repeatable)",
	  VT_CLI_FIELD(struct batch_opts, debuginfo) },
	{ .name = "timeout", .arg = "SECONDS", .parse = vt_batch_parse_timeout,
	  .help = "wall time per dump, then SIGKILL (default 600)",
	  VT_CLI_FIELD(struct batch_opts, timeout) },
	{ .name = "memory-limit", .arg = "MB", .parse = vt_batch_parse_memory,
	  .help = "address-space limit per child, RLIMIT_AS (default\n"
		  "4096; 0: none; not applied in ASan builds, whose\n"
		  "shadow memory needs terabytes of address space)",
	  VT_CLI_FIELD(struct batch_opts, memory_mb) },
	{ .name = "retry-failed", .help = "rerun failed dumps too",
	  VT_CLI_BOOL(struct batch_opts, retry_failed) },
	{ .name = "debuginfod", .arg = "URLS",
	  .help = "a dump without BTF whose vmlinux is in no DIR: fetch it\n"
		  "by build-id from these debuginfod servers (default:\n"
		  "$DEBUGINFOD_URLS, when set)",
	  VT_CLI_TEXT(struct batch_opts, debuginfod) },
	{ .name = "no-debuginfod", .help = "do not ask debuginfod servers",
	  VT_CLI_BOOL(struct batch_opts, no_debuginfod) },
	{ 0 },
};

static const struct batch_opts batch_defaults = {
	.out = "vmtriage-batch", .timeout = 600, .memory_mb = 4096,
};

const struct vt_command vt_cmd_batch = {
	.name = "batch",
	.args = "DIR|FILE...",
	.min_args = 1,
	.max_args = -1,
	.summary = "Triage many dumps, each in its own limited process; JSON per dump, summaries",
	.help = "Finds dumps by their magic (ELF core, KDUMP/DISKDUMP, makedumpfile\n"
		"flattened) in the FILEs and, recursively, the DIRs; vmlinux* files and\n"
		"other files are skipped (files named like a dump, e.g. vmcore*, are\n"
		"reported as not-a-dump). A dump without BTF gets the vmlinux matching its\n"
		"VMCOREINFO build-id or release: `vmlinux` beside it, then vmlinux-RELEASE,\n"
		"RELEASE/vmlinux or any file with the build-id in each --debuginfo DIR and\n"
		"/usr/lib/debug/boot. Each dump runs `vmtriage report --json` in a child\n"
		"process; a failure (error, timeout, oom, crash) costs that dump only.\n",
	.notes = "A rerun with the same --out skips dumps that this vmtriage version already\n"
		 "did (same path, size and mtime), except timeouts and oom, which are retried.\n"
		 "Progress on stderr when it is a terminal. docs/batch.md: many machines.\n",
	.exit_status = "0 every dump triaged, no findings; 1 findings; 2 a dump\n"
		       "failed (or bad usage).",
	.options = batch_options,
	.opts_size = sizeof(struct batch_opts),
	.opts_default = &batch_defaults,
	.flags = VT_CMD_NO_DUMP | VT_CMD_NO_JSON,
	.main = run_batch,
};
