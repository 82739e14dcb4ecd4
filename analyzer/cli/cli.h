/*
 * The command-line front end's skeleton. A command is a struct vt_command:
 * its option table, its positionals and two callbacks. vt_command_run()
 * parses argv from the table, opens the dump (target and symbols), calls
 * the command, prints its errors and closes the dump; --help, the usage
 * line and the crash extension's help are all generated from the table.
 */
#ifndef VT_CLI_H
#define VT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "core/output.h"
#include "symbols/symbols.h"
#include "target/target.h"

/* Exit statuses (documented in --help and README). */
enum {
	VT_EXIT_OK = 0,
	VT_EXIT_FINDINGS = 1,	/* `report`: a fired or latent finding */
	VT_EXIT_ERROR = 2,	/* bad usage, unreadable or invalid input */
};
/* What a step returns to let the run go on (anything else: the exit status). */
#define VT_CLI_GO_ON (-1)

/*
 * One option of a command's table. A flag (arg NULL) sets a bool; an option
 * with a value stores the text (a const char *), or what parse makes of it.
 */
struct vt_cli_option {
	const char *name;	/* the long form, --name */
	char short_name;	/* -x, or 0 */
	const char *arg;	/* the value's name in help ("PID"); NULL: a flag */
	const char *help;	/* the option's help, lines split by '\n'; NULL: not listed */
	size_t offset;		/* where the value goes in the command's options struct */
	unsigned group;		/* usage: options of one nonzero group are alternatives */
	/* Store text in field; NULL on success, else why the value is bad. */
	const char *(*parse)(const char *text, void *field);
};

/* .offset of a bool or a const char * field, checked to be one at compile time. */
#define VT_CLI_TYPED(type, field, want) \
	(offsetof(type, field) + \
	 0 * sizeof(char[_Generic(((type *)0)->field, want: 1, default: -1)]))
#define VT_CLI_BOOL(type, field) .offset = VT_CLI_TYPED(type, field, bool)
#define VT_CLI_TEXT(type, field) .offset = VT_CLI_TYPED(type, field, const char *)
/* A field that a parse function fills. */
#define VT_CLI_FIELD(type, field) .offset = offsetof(type, field)

enum {
	VT_CMD_NO_DUMP = 1 << 0,	/* no VMCORE: --force, --no-btf, --verbose do not apply */
	VT_CMD_NO_JSON = 1 << 1,	/* no --json */
	VT_CMD_LIVE = 1 << 2,		/* VMCORE optional: the running kernel without it */
};

struct vt_cli;

struct vt_command {
	const char *name;
	const char *args;	/* positionals in usage, after VMCORE [VMLINUX] */
	int min_args, max_args;	/* how many positionals (max -1: any number) */
	const char *summary;	/* one line, in `vmtriage --help` */
	const char *help;	/* what the command does, before the option lines */
	const char *notes;	/* after the option lines, or NULL */
	const char *exit_status;	/* after "Exit status: "; NULL: 0 success, 2 error */
	const struct vt_cli_option *options;	/* ended by { 0 }; NULL: none */
	size_t opts_size;	/* the struct the options' offsets point into */
	const void *opts_default;	/* its value before parsing; NULL: zeroes */
	unsigned flags;		/* VT_CMD_* */
	/* Optional: positionals checked before the dump is opened; VT_CLI_GO_ON. */
	int (*check)(struct vt_cli *c);
	/* The command itself, the dump open: an exit status. */
	int (*main)(struct vt_cli *c);
};

/* One run of a command: the common options, the dump and the output state. */
struct vt_cli {
	const struct vt_command *cmd;
	void *opts;		/* the command's options struct (opts_size) */
	bool json, force, verbose, no_btf;	/* the common options */
	const char *debuginfod;	/* --debuginfod URLS: servers instead of $DEBUGINFOD_URLS */
	bool no_debuginfod;	/* --no-debuginfod */
	char *vmlinux_fetched;	/* the vmlinux debuginfod gave (its cached file) */
	const char *vmcore;	/* NULL for VT_CMD_NO_DUMP */
	/* VMCORE and the kdump-compressed files right after it: the pieces of
	 * a split dump (makedumpfile --split), read as one */
	const char *pieces[VT_TARGET_MAX_PIECES];
	size_t npieces;
	const char *vmlinux;	/* the positional after VMCORE when it is an ELF kernel */
	bool live;		/* no VMCORE given: the running kernel (vmcore: its kcore) */
	int nargs;		/* the other positionals */
	char **args;
	bool want_symbols;	/* true unless check() says the command can do without */
	struct vt_target *t;
	struct vt_symbols *s;	/* NULL when !want_symbols */
	bool emitted;		/* a JSON document is on stdout: errors go to stderr only */
};

/* Run cmd with argv (argv[0] is the command's name); the exit status. */
int vt_command_run(const struct vt_command *cmd, int argc, char **argv);

/*
 * Open c->vmcore (and the symbols when c->want_symbols), warning once on
 * stderr when its kernel is newer than any tested; VT_CLI_GO_ON or, after
 * the error tail, VT_EXIT_ERROR. Close undoes it (also after a failure).
 */
int vt_cli_session_open(struct vt_cli *c);
void vt_cli_session_close(struct vt_cli *c);

/*
 * The result: json (a document through the writer, under --json) or text,
 * then the error tail of what they return. VT_EXIT_OK or VT_EXIT_ERROR.
 */
typedef struct vt_error *vt_cli_json_fn(struct vt_json *j, void *data);
typedef struct vt_error *vt_cli_text_fn(void *data);
int vt_cli_emit(struct vt_cli *c, vt_cli_json_fn *json, vt_cli_text_fn *text, void *data);

/*
 * The error tail: "vmtriage: VMCORE: message" on stderr and, under --json
 * while nothing is on stdout yet, {"error": {"file", "message", "code"}}
 * there. Frees err; returns VT_EXIT_ERROR.
 */
int vt_cli_fail(struct vt_cli *c, struct vt_error *err);
/* The same for the command's own refusals: "vmtriage CMD: message". */
int vt_cli_failf(struct vt_cli *c, enum vt_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Help, generated from the tables: all of --help, and its parts. */
void vt_cli_usage(const struct vt_command *cmd, FILE *fp);
/* The options part of the usage line: "[--pid PID | --kernel] [--summary] [--json]". */
void vt_cli_synopsis(const struct vt_command *cmd, FILE *fp);
/* "  --pid PID    help" lines: the command's options, or the common ones. */
void vt_cli_option_lines(const struct vt_command *cmd, bool common, FILE *fp);
/* "vmtriage report [VMCORE] [VMLINUX] [--plugin NAME] ...": the usage line. */
void vt_cli_command_line(const struct vt_command *cmd, FILE *fp);
/* The options cmd takes, its own then the common ones (is_common), at most
 * max; an option whose help is NULL is accepted but not listed. */
size_t vt_cli_options(const struct vt_command *cmd, const struct vt_cli_option **opts,
		      bool *is_common, size_t max);
/* What a VT_CMD_LIVE command does without VMCORE (its help says it). */
#define VT_CLI_LIVE_NOTE \
	"Without VMCORE (or with /proc/kcore): the running kernel, read through " \
	"/proc/kcore (as root)."

/*
 * The manual page (roff, man(7)) and the bash completion script of the
 * whole tool, from the same tables as --help (manpage.c): about is the
 * description --help gives before the command list, after the text after it.
 */
struct vt_cli_manual {
	const struct vt_command *const *commands;
	size_t ncommands;
	const char *about, *after;
};
void vt_cli_manpage(const struct vt_cli_manual *m, FILE *fp);
void vt_cli_bash_completion(const struct vt_cli_manual *m, FILE *fp);

/*
 * Replace how VMCORE is opened (the crash extension opens its session, not
 * a file). NULL restores vt_target_open.
 */
void vt_cli_set_opener(struct vt_error *(*open)(const char *vmcore, struct vt_target **ret));

/* A page-table walk's levels as a JSON array under key (rd, vtop). */
void vt_cli_json_xlat_steps(struct vt_json *j, const char *key,
			    const struct vt_xlat_path *path);
/*
 * A dump cut short (vt_target_cut): a "warning:" line on stdout naming what
 * is missing, and the JSON "incomplete" member (null for a whole file), so
 * that report and info never present a partial result as complete.
 */
void vt_cli_print_cut(struct vt_target *t);
void vt_cli_json_cut(struct vt_json *j, struct vt_target *t);
/*
 * System RAM the dump holds no data for (an ELF from a capture kernel whose
 * elfcorehdr predates a hot-add): a "warning:" line naming the ranges, and
 * the JSON "ram_coverage" member (checked false, with why, where it
 * cannot be told: not ELF, no iomem_resource).
 */
struct vt_models;
void vt_cli_print_ram_coverage(struct vt_models *m);
void vt_cli_json_ram_coverage(struct vt_json *j, struct vt_models *m);
/* A split dump: which pieces' ranges are held and which are not (the JSON
 * "split" member, null when not split; the warning only when some are not). */
void vt_cli_print_split(struct vt_target *t);
void vt_cli_json_split(struct vt_json *j, struct vt_target *t);
/* Parse a number (0x hex, or decimal) or, with syms, a symbol[+off]. */
struct vt_error *vt_cli_parse_addr(struct vt_symbols *s, const char *text,
				   uint64_t *ret);

extern const struct vt_command vt_cmd_info, vt_cmd_type, vt_cmd_sym,
	vt_cmd_rd, vt_cmd_memmap, vt_cmd_log, vt_cmd_report, vt_cmd_plugins,
	vt_cmd_vtop, vt_cmd_pgtables, vt_cmd_dt, vt_cmd_lmbs, vt_cmd_crashimage,
	vt_cmd_batch, vt_cmd_ps, vt_cmd_bt, vt_cmd_preflight, vt_cmd_serve;

#endif
