/* Shared pieces of the command-line front end. */
#ifndef VT_CLI_H
#define VT_CLI_H

#include <stdbool.h>
#include <stdint.h>

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

struct vt_command {
	const char *name;
	const char *args;	/* usage after the command name */
	const char *summary;
	const char *help;	/* option lines, after the usage */
	int (*run)(int argc, char **argv);
};

/* Options every dump command takes; parsed by vt_cli_parse(). */
struct vt_cli_common {
	bool json;
	bool force;
	bool verbose;
	bool phys;
	bool no_btf;
	bool sections;
	bool ranges;
	const char *pfn;		/* --pfn N */
	const char *plugin;		/* --plugin NAME */
	const char *pid;		/* --pid PID */
	bool kernel;			/* --kernel */
	bool summary;			/* --summary */
	bool raw;			/* --raw */
	bool boot;			/* --boot */
	const char *html;		/* --html FILE */
	const char *svg;		/* --svg FILE */
	const char *vmcore;
	const char *vmlinux;
	/* positionals after VMCORE (and VMLINUX when it looks like an ELF) */
	int nargs;
	char **args;
};

/*
 * Parse argv of a dump command: --json, --force, --verbose, --no-btf,
 * -h/--help, and the options in allow (VT_OPT_*). The first positional is VMCORE; the second is taken
 * as VMLINUX when it is an ELF file that is not a dump. Returns -1 to go on,
 * else an exit status.
 */
/* Command-specific options a command accepts (vt_cli_parse's allow). */
enum {
	VT_OPT_PHYS = 1 << 0,
	VT_OPT_SECTIONS = 1 << 1,
	VT_OPT_PFN = 1 << 2,
	VT_OPT_RANGES = 1 << 3,
	VT_OPT_PLUGIN = 1 << 4,
	VT_OPT_PID = 1 << 5,
	VT_OPT_KERNEL = 1 << 6,
	VT_OPT_SUMMARY = 1 << 7,
	VT_OPT_RAW = 1 << 8,
	VT_OPT_BOOT = 1 << 9,
	VT_OPT_PICTURE = 1 << 10,	/* --html FILE, --svg FILE */
};
int vt_cli_parse(const struct vt_command *cmd, int argc, char **argv,
		 unsigned allow, struct vt_cli_common *ret);
/* Open the dump and (optionally) the symbols; prints errors. */
int vt_cli_open(const struct vt_cli_common *c, bool want_symbols,
		struct vt_target **t_ret, struct vt_symbols **s_ret);
void vt_cli_error(struct vt_error *err);
/*
 * Replace how VMCORE is opened (the crash extension opens its session, not
 * a file). NULL restores vt_target_open.
 */
void vt_cli_set_opener(struct vt_error *(*open)(const char *vmcore, struct vt_target **ret));
void vt_cli_usage(const struct vt_command *cmd, FILE *fp);
/* A page-table walk's levels as a JSON array under key (rd, vtop). */
void vt_cli_json_xlat_steps(struct vt_json *j, const char *key,
			    const struct vt_xlat_path *path);
/* Parse a number (0x hex, or decimal) or, with syms, a symbol[+off]. */
struct vt_error *vt_cli_parse_addr(struct vt_symbols *s, const char *text,
				   uint64_t *ret);

extern const struct vt_command vt_cmd_info, vt_cmd_type, vt_cmd_sym,
	vt_cmd_rd, vt_cmd_memmap, vt_cmd_log, vt_cmd_report, vt_cmd_plugins,
	vt_cmd_vtop, vt_cmd_pgtables, vt_cmd_dt, vt_cmd_lmbs, vt_cmd_crashimage,
	vt_cmd_batch;

#endif
