/* vmtriage: post-mortem triage of Linux crash dumps. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* The subcommands, in --help order. */
static const struct vt_command *const commands[] = {
	&vt_cmd_report,
	&vt_cmd_preflight,
	&vt_cmd_batch,
	&vt_cmd_serve,
	&vt_cmd_plugins,
	&vt_cmd_info,
	&vt_cmd_type,
	&vt_cmd_sym,
	&vt_cmd_rd,
	&vt_cmd_vtop,
	&vt_cmd_pgtables,
	&vt_cmd_ps,
	&vt_cmd_bt,
	&vt_cmd_memmap,
	&vt_cmd_log,
	&vt_cmd_dt,
	&vt_cmd_lmbs,
	&vt_cmd_crashimage,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* --help's text around the command list (and vmtriage(1)'s). */
static const char about[] =
	"Post-mortem triage of Linux crash dumps (ELF vmcores, kdump-compressed\n"
	"and flattened makedumpfile files, QEMU dumps) for x86_64, ppc64 and arm64.\n"
	"Types and symbols come from the vmlinux when given (BTF, DWARF, symtab),\n"
	"else from the dump itself (BTF, kallsyms, VMCOREINFO). The pieces of a\n"
	"split dump (makedumpfile --split) are read together: VMCORE PIECE2 ...\n";
static const char after[] =
	"Common options: --json (machine-readable output), --force (use a\n"
	"vmlinux that does not match the dump), -h/--help.\n"
	"`vmtriage COMMAND --help` describes a command.\n"
	"\nWithout VMCORE, report, preflight, info, memmap, pgtables, ps, bt, log\n"
	"and lmbs read the running kernel through /proc/kcore (as root).\n"
	"\nExit status: 0 success; 1 findings (report, preflight); 2 error (bad\n"
	"usage, unreadable, truncated or invalid dump or vmlinux); 3 preflight\n"
	"could not tell a class.\n"
	"\n`vmtriage --man` and `vmtriage --bash-completion` print the manual page\n"
	"and the bash completion script, made from the same tables as this help.\n";
static const struct vt_cli_manual manual = {
	.commands = commands, .ncommands = NCOMMANDS, .about = about, .after = after,
};

static void usage(FILE *fp)
{
	fprintf(fp, "Usage: vmtriage COMMAND VMCORE [VMLINUX] [ARGS] [OPTIONS]\n\n%s"
		"\nCommands:\n", about);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(fp, "\n%s", after);
}

int main(int argc, char **argv)
{
	const char *name;

	if (argc < 2) {
		usage(stderr);
		return VT_EXIT_ERROR;
	}
	name = argv[1];
	if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 ||
	    strcmp(name, "help") == 0) {
		usage(stdout);
		return VT_EXIT_OK;
	}
	if (strcmp(name, "--man") == 0) {
		vt_cli_manpage(&manual, stdout);
		return VT_EXIT_OK;
	}
	if (strcmp(name, "--bash-completion") == 0) {
		vt_cli_bash_completion(&manual, stdout);
		return VT_EXIT_OK;
	}
	if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0) {
		printf("vmtriage %s\n", PACKAGE_VERSION);
		return VT_EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return vt_command_run(commands[i], argc - 1, argv + 1);
	fprintf(stderr, "vmtriage: unknown command '%s' (see vmtriage --help)\n", name);
	return VT_EXIT_ERROR;
}
