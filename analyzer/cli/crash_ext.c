/*
 * The crash extension: `extend vmtriage.so` in a running crash session adds
 * commands that run vmtriage on whatever crash opened, reading physical
 * memory through crash's readmem() and the VMCOREINFO note from the
 * kernel's own vmcoreinfo_data. Types and symbols come from the vmlinux
 * crash loaded (its namelist), as with the CLI.
 *
 * Commands (named to stay clear of crash's own): triage (vmtriage report),
 * vmemmap (memmap), vpgtables (pgtables), vps (ps), vbt (bt), vlog (log),
 * vinfo (info).
 * crash requires registration from a constructor (DESIGN.md's exception).
 */
#include <crash/defs.h>

#include <elf.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "target/target.h"

static struct vt_error *crash_read_phys(void *arg, uint64_t paddr, void *buf, size_t len)
{
	if (!readmem((ulonglong)paddr, PHYSADDR, buf, (long)len, "vmtriage",
		     RETURN_ON_ERROR | QUIET))
		return vt_error_create(VT_ERR_NODATA,
				       "crash cannot read physical 0x%llx (%zu bytes)",
				       (unsigned long long)paddr, len);
	return NULL;
}

/* The kernel's VMCOREINFO text: vmcoreinfo_data (a pointer) and its size. */
static char *read_vmcoreinfo(size_t *len)
{
	ulong data = 0;
	unsigned int size = 0;
	char *text;

	if (!symbol_exists("vmcoreinfo_data") || !symbol_exists("vmcoreinfo_size") ||
	    !readmem(symbol_value("vmcoreinfo_data"), KVADDR, &data, sizeof(data),
		     "vmcoreinfo_data", RETURN_ON_ERROR | QUIET) ||
	    !readmem(symbol_value("vmcoreinfo_size"), KVADDR, &size, sizeof(size),
		     "vmcoreinfo_size", RETURN_ON_ERROR | QUIET) ||
	    !data || !size || size > (1u << 20))
		return NULL;
	text = calloc(1, size + 1);
	if (text && !readmem(data, KVADDR, text, size, "vmcoreinfo text",
			     RETURN_ON_ERROR | QUIET)) {
		free(text);
		return NULL;
	}
	*len = size;
	return text;
}

/*
 * CPU cpu's NT_PRSTATUS desc from the notes crash read from the dump (ELF
 * and kdump-compressed): crash keeps a pointer to each CPU's note header.
 */
static struct vt_error *crash_prstatus(void *arg, unsigned cpu, void *buf, size_t cap,
				       size_t *len_ret)
{
	const Elf64_Nhdr *note = NULL;
	size_t off, len;

	(void)arg;
	if (NETDUMP_DUMPFILE() || KDUMP_DUMPFILE())
		note = netdump_get_prstatus_percpu((int)cpu);
	else if (DISKDUMP_DUMPFILE())
		note = diskdump_get_prstatus_percpu((int)cpu);
	if (!note)
		return vt_error_create(VT_ERR_NOT_FOUND, "crash has no NT_PRSTATUS note for "
				       "CPU %u", cpu);
	off = sizeof(*note) + ((note->n_namesz + 3) & ~3u);
	len = note->n_descsz < cap ? note->n_descsz : cap;
	memcpy(buf, (const char *)note + off, len);
	*len_ret = len;
	return NULL;
}

static struct vt_error *open_session(const char *vmcore, struct vt_target **ret)
{
	struct vt_target_backend b = {
		.read_phys = crash_read_phys,
		.prstatus = crash_prstatus,
		.name = pc->dumpfile ? pc->dumpfile : "crash session",
		.page_size = (uint32_t)PAGESIZE(),
		.ncpus = (unsigned)kt->cpus,
		/* crash reads dumps of the arch it was built for. */
		.big_endian = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__,
	};
	const struct vt_arch_ops *arch = vt_arch_by_name(MACHINE_TYPE);
	char *vmcoreinfo;
	struct vt_error *err;

	if (!arch)
		return vt_error_create(VT_ERR_UNSUPPORTED, "crash's machine type %s is not "
				       "supported (%s)", MACHINE_TYPE, vt_arch_supported());
	b.arch = arch->arch;

	vmcoreinfo = read_vmcoreinfo(&b.vmcoreinfo_len);
	b.vmcoreinfo = vmcoreinfo;
	err = vt_target_open_backend(&b, ret);
	free(vmcoreinfo);
	return err;
}

/* The extension's commands: vmtriage commands, their help made from their tables. */
static const struct ext_command {
	const char *name;
	const struct vt_command *cmd;
	const char *summary;
	const char *help;	/* lines, each ended by '\n'; the options follow */
} ext_commands[] = {
	{ "triage", &vt_cmd_report, "run vmtriage's bug-class plugins on this session",
	  "Runs every vmtriage plugin (see `vmtriage plugins`) on the memory crash\n"
	  "opened and prints verdicts (fired, latent, clean, unknown,\n"
	  "not-applicable) with evidence, fix commit and next step.\n" },
	{ "vmemmap", &vt_cmd_memmap, "vmtriage memmap: sections, zones, struct page counts",
	  "Like `vmtriage memmap` on a dump file.\n" },
	{ "vpgtables", &vt_cmd_pgtables, "vmtriage pgtables: page tables per process",
	  "Like `vmtriage pgtables` on a dump file.\n" },
	{ "vps", &vt_cmd_ps, "vmtriage ps: every task, by PID",
	  "Like `vmtriage ps` on a dump file.\n" },
	{ "vbt", &vt_cmd_bt, "vmtriage bt: stack traces unwound by vmtriage",
	  "Like `vmtriage bt` on a dump file: running tasks from the dump's\n"
	  "NT_PRSTATUS notes as crash read them, sleeping tasks from their\n"
	  "saved state.\n" },
	{ "vlog", &vt_cmd_log, "vmtriage log: the printk ring buffer",
	  "Like `vmtriage log` on a dump file.\n" },
	{ "vinfo", &vt_cmd_info, "vmtriage info on this session",
	  "Like `vmtriage info` on a dump file.\n" },
};
#define NEXT (sizeof(ext_commands) / sizeof(ext_commands[0]))

/* Run a vmtriage command on the session: argv = NAME <session> <vmlinux> args. */
static void run_cmd(const struct vt_command *cmd)
{
	char *argv[MAXARGS + 4];
	int n = 0, saved = -1;

	argv[n++] = (char *)cmd->name;
	argv[n++] = (char *)"(crash-session)";
	if (pc->namelist)
		argv[n++] = pc->namelist;
	for (int i = 1; i < argcnt && n < MAXARGS + 3; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	/* Our printers write to stdout; crash may have redirected fp (pipes). */
	fflush(stdout);
	if (fp && fp != stdout) {
		fflush(fp);
		saved = dup(STDOUT_FILENO);
		dup2(fileno(fp), STDOUT_FILENO);
	}
	vt_cli_set_opener(open_session);
	vt_command_run(cmd, n, argv);
	vt_cli_set_opener(NULL);
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
}

/* crash calls every command with no arguments; args[0] names it. */
static void cmd_ext(void)
{
	for (size_t i = 0; i < NEXT; i++)
		if (!strcmp(args[0], ext_commands[i].name))
			run_cmd(ext_commands[i].cmd);
}

/*
 * crash's help for one command: name, summary, syntax, then description
 * lines: ours, then the command's options and the common ones, as in
 * `vmtriage COMMAND --help`. Lives as long as the extension.
 */
static char **help_of(const struct ext_command *e)
{
	char *text = NULL, **lines;
	size_t len = 0, n = 0, k = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return NULL;
	fprintf(mem, "%s\n%s\n", e->name, e->summary);
	vt_cli_synopsis(e->cmd, mem);
	fputc('\n', mem);
	for (const char *p = e->help; *p; p = strchr(p, '\n') + 1)
		fprintf(mem, "  %.*s\n", (int)(strchr(p, '\n') - p), p);
	vt_cli_option_lines(e->cmd, false, mem);
	vt_cli_option_lines(e->cmd, true, mem);
	if (fclose(mem) || !text)
		return NULL;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	lines = calloc(n + 1, sizeof(*lines));
	if (!lines) {
		free(text);
		return NULL;
	}
	for (char *p = text, *nl; k < n; p = nl + 1) {
		nl = strchr(p, '\n');
		*nl = '\0';
		lines[k++] = p;
	}
	return lines;
}

static struct command_table_entry command_table[NEXT + 1];

void __attribute__((constructor)) vmtriage_crash_init(void);
void __attribute__((constructor)) vmtriage_crash_init(void)
{
	for (size_t i = 0; i < NEXT; i++)
		command_table[i] = (struct command_table_entry){
			(char *)ext_commands[i].name, cmd_ext, help_of(&ext_commands[i]), 0,
		};
	register_extension(command_table);
}
