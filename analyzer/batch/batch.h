/*
 * `vmtriage batch`: many dumps in, one report JSON per dump, summary.jsonl
 * and summary.txt out. Split in three: finding dumps and their vmlinux
 * (batch_find.c), running children and writing the summaries
 * (cmd_batch.c, batch_summary.c).
 */
#ifndef VT_BATCH_H
#define VT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/jsonread.h"

enum vt_batch_status {
	VT_BATCH_PENDING,
	VT_BATCH_OK,		/* report exit 0: nothing fired or latent */
	VT_BATCH_FINDINGS,	/* report exit 1 */
	VT_BATCH_ERROR,		/* report exit 2: unreadable dump, bad vmlinux... */
	VT_BATCH_NOT_DUMP,	/* named like a dump, no dump magic */
	VT_BATCH_TIMEOUT,
	VT_BATCH_OOM,
	VT_BATCH_CRASH,		/* killed by a signal, or no valid JSON */
};
const char *vt_batch_status_name(enum vt_batch_status s);
bool vt_batch_failed(enum vt_batch_status s);

struct vt_batch_verdict {
	char plugin[32], cls[4], verdict[20];
};

struct vt_batch_dump {
	char *path;			/* as found (argument, or joined under a dir) */
	char **pieces;			/* a split set's other pieces (makedumpfile --split),
					 * given to report after path; npieces of them */
	size_t npieces;
	char *name;			/* result file name in --out, unique */
	uint64_t size;
	uint64_t mtime_ns;
	enum vt_batch_status status;
	bool skipped;			/* done by an earlier run */
	int exit_code;			/* -1: none */
	int signal;			/* 0: none */
	char message[512];		/* the child's error line */
	char release[72], arch[16], format[24];
	char vmlinux[1024];		/* given to report; "" none */
	char vmlinux_note[256];		/* why none, when one was needed */
	double duration;		/* seconds */
	char signature[200];		/* the crash's title; "" none known */
	char sig_source[8];		/* "log", "stack" */
	char incomplete[96];		/* "" whole; else why not ("cut short: ...") */
	size_t nverdicts;
	struct vt_batch_verdict *verdicts;
};

struct vt_batch_dumps {
	size_t n, cap;
	struct vt_batch_dump *d;
};

/*
 * Add the dumps under each path (files: checked by magic; directories:
 * recursed, symlinked directories not followed below the top). Files named
 * like dumps but without a dump's magic are added as VT_BATCH_NOT_DUMP.
 * Sorted by path, with unique result names. Returns false on a path that
 * does not exist (message printed).
 */
bool vt_batch_find(char **paths, int npaths, struct vt_batch_dumps *ret);
void vt_batch_dumps_deinit(struct vt_batch_dumps *ds);

/* "ELF core", "kdump", "flattened", or NULL: not a dump. */
const char *vt_batch_dump_magic(const char *path);

/*
 * In the child, before exec: open the dump, and when its types need a
 * vmlinux (no BTF in the dump) look for one matching its release or
 * VMCOREINFO BUILD-ID: `vmlinux` beside the dump, then each debuginfo
 * directory and /usr/lib/debug/boot (vmlinux-RELEASE, RELEASE/vmlinux,
 * then any file with the build-id), then debuginfod_urls' servers by the
 * build-id (NULL: none; the file is libdebuginfod's cached copy). Writes
 * one line to fd:
 * "release\tarch\tformat\tvmlinux\tnote\n". Returns false (message on
 * stderr) when the dump cannot be opened.
 */
bool vt_batch_identify(const char *dump, char **debuginfo, int ndebuginfo,
		       const char *debuginfod_urls, char *vmlinux_ret, size_t len, int fd);

/* Option values (struct vt_cli_option.parse): a child count 1..1024 (int),
 * seconds > 0 (double), megabytes (uint64_t, 0 allowed). */
const char *vt_batch_parse_jobs(const char *text, void *field);
const char *vt_batch_parse_timeout(const char *text, void *field);
const char *vt_batch_parse_memory(const char *text, void *field);

/* A whole file, NUL-terminated, for free(); NULL if unreadable or over max bytes. */
char *vt_batch_slurp(const char *path, size_t max, size_t *len_ret);
#define VT_BATCH_MAX_REPORT (256u << 20)	/* a report JSON larger is refused */

/* Summaries (batch_summary.c). */
void vt_batch_jsonl_line(FILE *fp, const struct vt_batch_dump *d);
/* Fill d's results from a previous summary line; false if it does not match. */
bool vt_batch_from_jsonl(const struct vt_jv *line, struct vt_batch_dump *d);
/* Fill d's results (status, strings, verdicts) from a summary line, whoever
 * wrote it; false if it has no known status or memory ran out. */
bool vt_batch_read_jsonl(const struct vt_jv *line, struct vt_batch_dump *d);
/* Read verdicts, release and arch from a report JSON document. */
bool vt_batch_read_report(const char *path, struct vt_batch_dump *d);
void vt_batch_summary_txt(FILE *fp, const struct vt_batch_dumps *ds, double wall);

#endif
