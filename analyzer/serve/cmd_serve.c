/* `vmtriage serve`: the command (serve.h). */
#include "serve/serve.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/batch.h"
#include "cli/cli.h"

struct allow {
	const char *dirs[16];
	size_t n;
};

struct serve_opts {
	const char *data, *listen, *token_file, *debuginfod;
	double max_upload_mb;
	struct allow allow;
	int workers;
	bool worker_only;
	double timeout;
	uint64_t memory_mb;
};

static const char *add_allow(const char *text, void *field)
{
	struct allow *a = field;

	if (a->n == 16)
		return "at most 16 of them";
	a->dirs[a->n++] = text;
	return NULL;
}

static const char *parse_workers(const char *text, void *field)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || !*text || *end || v < 0 || v > 64)
		return "0 to 64";
	*(int *)field = (int)v;
	return NULL;
}

static const char *parse_mb(const char *text, void *field)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || !*text || *end || v <= 0 || v > (1 << 30))
		return "";
	*(double *)field = v;
	return NULL;
}

/* The token: the file's first line (a secret is not given on the command line). */
static bool read_token(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "re");
	bool ok;

	if (!fp)
		return false;
	ok = fgets(buf, (int)len, fp) != NULL;
	fclose(fp);
	buf[strcspn(buf, "\r\n")] = '\0';
	return ok && *buf;
}

static bool split_listen(const char *text, char *addr, size_t len, unsigned *port)
{
	const char *colon = strrchr(text, ':');
	char *end;
	unsigned long p;

	if (!colon || (size_t)(colon - text) >= len)
		return false;
	p = strtoul(colon + 1, &end, 10);
	if (*end || !colon[1] || p > 65535)
		return false;
	snprintf(addr, len, "%.*s", (int)(colon - text), text);
	*port = (unsigned)p;
	return true;
}

static int run_serve(struct vt_cli *c)
{
	const struct serve_opts *o = c->opts;
	static struct vt_serve sv;
	struct vt_serve_http *http = NULL;
	struct vt_store *st = NULL;
	struct vt_error *err;
	char exe[PATH_MAX], dir[PATH_MAX + 16], addr[64] = "";
	unsigned port = 0;
	size_t requeued = 0;
	sigset_t sigs;
	ssize_t n;
	int sig;

	if (!o->data)
		return vt_cli_failf(c, VT_ERR_USAGE, "--data DIR is required (the database, "
				    "uploads and results)");
	if (o->worker_only && !o->workers)
		return vt_cli_failf(c, VT_ERR_USAGE, "--worker with --workers 0 would do nothing");
	if (!o->worker_only && !split_listen(o->listen, addr, sizeof(addr), &port))
		return vt_cli_failf(c, VT_ERR_USAGE, "--listen %s: ADDRESS:PORT expected", o->listen);
	memset(&sv, 0, sizeof(sv));
	if (o->token_file && !read_token(o->token_file, sv.token, sizeof(sv.token)))
		return vt_cli_failf(c, VT_ERR_USAGE, "--token-file %s: no token in it (%s)",
				    o->token_file, strerror(errno));
	if (!o->token_file && getenv("VMTRIAGE_SERVE_TOKEN"))
		snprintf(sv.token, sizeof(sv.token), "%s", getenv("VMTRIAGE_SERVE_TOKEN"));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return vt_cli_failf(c, VT_ERR_IO, "/proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	sv.data = o->data;
	sv.exe = exe;
	sv.max_upload = (uint64_t)(o->max_upload_mb * (1 << 20));
	for (size_t i = 0; i < o->allow.n; i++)
		sv.allow[sv.nallow++] = o->allow.dirs[i];
	sv.timeout = o->timeout;
	sv.memory_mb = o->memory_mb;
	sv.debuginfod = o->debuginfod;
	if (gethostname(sv.host, sizeof(sv.host) - 1))
		snprintf(sv.host, sizeof(sv.host), "localhost");
	for (const char *sub = ""; sub; sub = !*sub ? "/uploads" : !strcmp(sub, "/uploads") ?
	     "/jobs" : NULL) {
		snprintf(dir, sizeof(dir), "%s%s", o->data, sub);
		if (mkdir(dir, 0750) && errno != EEXIST)
			return vt_cli_failf(c, VT_ERR_IO, "%s: %s", dir, strerror(errno));
	}
	if ((err = vt_store_open(o->data, &st)))
		return vt_cli_fail(c, err);
	/* a restart: what this host's dead workers held goes back to the queue */
	err = vt_store_requeue_dead(st, sv.host, &requeued);
	vt_store_close(st);
	if (err)
		return vt_cli_fail(c, err);
	/* the signals to stop on, taken by sigwait below (threads inherit the mask) */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (!o->worker_only && (err = vt_serve_http_start(&sv, addr, port, &http)))
		return vt_cli_fail(c, err);
	if ((err = vt_serve_workers_start(&sv, (unsigned)o->workers))) {
		vt_serve_http_stop(http);
		return vt_cli_fail(c, err);
	}
	if (o->worker_only)
		fprintf(stderr, "vmtriage serve: working the queue of %s with %d worker(s)",
			o->data, o->workers);
	else
		fprintf(stderr, "vmtriage serve: http://%s:%u/, data %s, %d worker(s)%s", addr,
			port, o->data, o->workers, *sv.token ? "" : ", no token: uploads refused");
	fprintf(stderr, "; %zu job(s) queued again\n", requeued);
	sigwait(&sigs, &sig);
	fprintf(stderr, "vmtriage serve: %s: finishing the running jobs (again to stop now)\n",
		strsignal(sig));
	/* a second signal ends the process at once; its jobs are requeued at restart */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
	sv.stop = 1;
	vt_serve_http_stop(http);
	vt_serve_workers_join();
	return VT_EXIT_OK;
}

static const struct vt_cli_option serve_options[] = {
	{ .name = "data", .arg = "DIR", .help = "the service's directory: vmtriage.sqlite,\n"
	  "uploads/, jobs/ID/ (batch's output per dump)",
	  VT_CLI_TEXT(struct serve_opts, data) },
	{ .name = "listen", .arg = "ADDR:PORT", .help = "where to listen (default 127.0.0.1:8080)",
	  VT_CLI_TEXT(struct serve_opts, listen) },
	{ .name = "token-file", .arg = "FILE", .help = "uploads need \"Authorization: Bearer\n"
	  "TOKEN\", TOKEN the file's first line (or\n$VMTRIAGE_SERVE_TOKEN); none: POST refused",
	  VT_CLI_TEXT(struct serve_opts, token_file) },
	{ .name = "max-upload", .arg = "MB", .parse = parse_mb,
	  .help = "the largest upload (default 16384)",
	  VT_CLI_FIELD(struct serve_opts, max_upload_mb) },
	{ .name = "allow-path", .arg = "DIR", .parse = add_allow,
	  .help = "a dump registered by path must be under\none of these (repeatable)",
	  VT_CLI_FIELD(struct serve_opts, allow) },
	{ .name = "workers", .arg = "N", .parse = parse_workers,
	  .help = "dumps run at once (default 1; 0: HTTP only,\n--worker processes do the work)",
	  VT_CLI_FIELD(struct serve_opts, workers) },
	{ .name = "worker", .help = "no HTTP: only work the queue of --data\n"
	  "(more workers beside a running service)",
	  VT_CLI_BOOL(struct serve_opts, worker_only) },
	{ .name = "timeout", .arg = "SECONDS", .parse = vt_batch_parse_timeout,
	  .help = "per dump, as batch (default 600)", VT_CLI_FIELD(struct serve_opts, timeout) },
	{ .name = "memory-limit", .arg = "MB", .parse = vt_batch_parse_memory,
	  .help = "per dump, as batch (default 4096)",
	  VT_CLI_FIELD(struct serve_opts, memory_mb) },
	{ .name = "debuginfod", .arg = "URLS", .help = "vmlinux files by build-id, as batch",
	  VT_CLI_TEXT(struct serve_opts, debuginfod) },
	{ 0 },
};

static const struct serve_opts serve_defaults = {
	.listen = "127.0.0.1:8080", .max_upload_mb = 16384, .workers = 1, .timeout = 600,
	.memory_mb = 4096,
};

const struct vt_command vt_cmd_serve = {
	.name = "serve",
	.summary = "A triage service for a support queue: upload dumps over HTTP, results as JSON/HTML",
	.help = "Dumps are uploaded (POST /dumps, the body; ?name=FILE) or registered\n"
		"by path (POST /dumps, JSON {\"path\": ...}, under an --allow-path\n"
		"directory), both with the token; each waits in a queue kept in SQLite\n"
		"(DATA/vmtriage.sqlite) until a worker runs `vmtriage batch` on it.\n"
		"GET /dumps (?class=B&verdict=latent), /dumps/ID, /dumps/ID/report.json;\n"
		"pages: / (the queue), /dumps/ID.html (the report and its memory map),\n"
		"/summary (per class). A restart queues again what died with a worker.\n",
	.notes = "Runs until SIGINT or SIGTERM (a second one stops at once). See\n"
		 "docs/serve.md: systemd, a reverse proxy, several workers.\n",
	.exit_status = "0 stopped by a signal, 2 error.",
	.options = serve_options,
	.opts_size = sizeof(struct serve_opts),
	.opts_default = &serve_defaults,
	.flags = VT_CMD_NO_DUMP | VT_CMD_NO_JSON,
	.main = run_serve,
};
