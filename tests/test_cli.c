/*
 * The command skeleton's argument parsing (cli/cli.h): vt_command_run() on
 * test commands whose check() records what was parsed and returns an exit
 * status, so no dump is opened. Covered: the common options and what a
 * command's flags refuse, a command's own options from its table (flag,
 * text, a parse function, --opt=val, -x clusters, --), refused and unknown
 * options named as given, missing VMCORE and option arguments, the
 * positional count, the VMLINUX-or-argument rule (an ELF executable or
 * ET_DYN, either byte order, is a vmlinux; an ELF core, text, a missing or
 * truncated file an argument), repeated parses in one process (the crash
 * extension runs many commands), --help made from the table, the JSON error
 * object under --json (with a fake opener: the dump's errors and a run to
 * the end), and vt_cli_parse_addr's number and symbol+offset forms.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fake_target.h"
#include "unit.h"

/* ------------------------------------------------------------ test commands */

struct topts {
	bool summary, kernel, hidden, verbose;
	const char *pid;
	uint64_t pfn;
};

static const char *parse_pfn(const char *text, void *field)
{
	char *end;

	errno = 0;
	*(uint64_t *)field = strtoull(text, &end, 0);
	return errno || !*text || *end ? "not a number" : NULL;
}

/* What the last run's check() saw; check_rc is what it returns. */
static struct {
	bool checked, ran;
	struct vt_cli c;
	struct topts o;
	char *args[8];
} got;
static int check_rc = 42;	/* not an exit status vt_command_run makes itself */

static int record(struct vt_cli *c)
{
	got.checked = true;
	got.c = *c;
	got.c.opts = NULL;	/* freed after the run: copied into got.o */
	if (c->cmd->opts_size)
		memcpy(&got.o, c->opts, sizeof(got.o));
	for (int i = 0; i < c->nargs && i < 8; i++)
		got.args[i] = c->args[i];
	return check_rc;
}

static const char *main_fails;	/* the error main's document ends with, or NULL */

static struct vt_error *doc_json(struct vt_json *j, void *data)
{
	struct vt_cli *c = data;

	vt_json_object_begin(j, NULL);
	vt_json_string(j, "release", vt_target_info(c->t)->release);
	vt_json_object_end(j);
	return main_fails ? vt_error_create(VT_ERR_FORMAT, "%s", main_fails) : NULL;
}

static struct vt_error *doc_text(void *data)
{
	struct vt_cli *c = data;

	printf("release %s\n", vt_target_info(c->t)->release);
	return main_fails ? vt_error_create(VT_ERR_FORMAT, "%s", main_fails) : NULL;
}

static int run_main(struct vt_cli *c)
{
	got.ran = true;
	CHECK(c->t != NULL && c->s != NULL);
	return vt_cli_emit(c, doc_json, doc_text, c);
}

static const struct vt_cli_option test_options[] = {
	{ .name = "summary", .short_name = 's', .help = "one line",
	  VT_CLI_BOOL(struct topts, summary) },
	{ .name = "pid", .short_name = 'p', .arg = "PID", .help = "a task\nby its pid",
	  VT_CLI_TEXT(struct topts, pid), .group = 1 },
	{ .name = "kernel", .help = "the kernel's", VT_CLI_BOOL(struct topts, kernel), .group = 1 },
	{ .name = "pfn", .arg = "N", .help = "a pfn", VT_CLI_FIELD(struct topts, pfn),
	  .parse = parse_pfn },
	{ .name = "hidden", VT_CLI_BOOL(struct topts, hidden) },	/* no help: not listed */
	{ 0 },
};

static const struct vt_command cmd_test = {
	.name = "test", .args = "[ARGS]", .min_args = 0, .max_args = 2,
	.summary = "A test command.", .help = "What it does.\n",
	.options = test_options, .opts_size = sizeof(struct topts),
	.check = record, .main = run_main,
};

/* Its own --verbose (replacing the common one), one or more positionals. */
static const struct vt_cli_option own_options[] = {
	{ .name = "verbose", .short_name = 'v', .help = "more",
	  VT_CLI_BOOL(struct topts, verbose) },
	{ 0 },
};

static const struct topts own_default = { .pfn = 7 };

static const struct vt_command cmd_own = {
	.name = "own", .args = "ADDR...", .min_args = 1, .max_args = -1,
	.summary = "Own options.", .options = own_options, .opts_size = sizeof(struct topts),
	.opts_default = &own_default, .check = record, .main = run_main,
};

/* No dump, no --json: the common options but --help are refused. */
static const struct vt_command cmd_bare = {
	.name = "bare", .args = "NAME", .min_args = 1, .max_args = 1,
	.summary = "No dump.", .flags = VT_CMD_NO_DUMP | VT_CMD_NO_JSON,
	.check = record, .main = run_main,
};

/* ------------------------------------------------------------ running one */

static char out_text[8192], err_text[8192];
static char *argv_store[32];

/* Run cmd with the NULL-ended arguments; stdout and stderr captured. */
static int run(const struct vt_command *cmd, ...)
{
	int argc = 0, saved[2], rc;
	FILE *cap[2];
	va_list ap;

	memset(&got, 0, sizeof(got));
	va_start(ap, cmd);
	argv_store[argc++] = (char *)cmd->name;
	while ((argv_store[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 2; i++) {
		cap[i] = tmpfile();
		saved[i] = dup(i + 1);
		if (!cap[i] || saved[i] < 0 || dup2(fileno(cap[i]), i + 1) < 0)
			abort();
	}
	rc = vt_command_run(cmd, argc, argv_store);
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 2; i++) {
		char *dst = i ? err_text : out_text;
		size_t n;

		dup2(saved[i], i + 1);
		close(saved[i]);
		rewind(cap[i]);
		n = fread(dst, 1, sizeof(out_text) - 1, cap[i]);
		dst[n] = '\0';
		fclose(cap[i]);
	}
	return rc;
}

/* ------------------------------------------------------------ the tests */

static void test_common(void)
{
	CHECK(run(&cmd_test, "dump", NULL) == 42 && got.checked && !got.ran);
	CHECK(!strcmp(got.c.vmcore, "dump") && !got.c.vmlinux && got.c.nargs == 0);
	CHECK(!got.c.json && !got.c.force && !got.c.verbose && !got.c.no_btf);
	CHECK(got.c.want_symbols && !got.c.t && !got.c.s && got.c.cmd == &cmd_test);
	CHECK(!*out_text && !*err_text);

	CHECK(run(&cmd_test, "--json", "--force", "dump", "--no-btf", "-v", "x", "y", NULL) == 42);
	CHECK(got.c.json && got.c.force && got.c.no_btf && got.c.verbose);
	CHECK(!strcmp(got.c.vmcore, "dump") && !got.c.vmlinux);
	CHECK(got.c.nargs == 2 && !strcmp(got.args[0], "x") && !strcmp(got.args[1], "y"));
	CHECK(!*err_text && !*out_text);
	CHECK(run(&cmd_test, "--verbose", "dump", NULL) == 42 && got.c.verbose);

	/* "--" ends the options: what follows is positional. */
	CHECK(run(&cmd_test, "dump", "--", "--json", "-v", NULL) == 42);
	CHECK(!got.c.json && !got.c.verbose && got.c.nargs == 2);
	CHECK(got.c.nargs == 2 && !strcmp(got.args[0], "--json") && !strcmp(got.args[1], "-v"));
}

static void test_own_options(void)
{
	CHECK(run(&cmd_test, "dump", NULL) == 42);
	CHECK(!got.o.summary && !got.o.kernel && !got.o.pid && !got.o.pfn && !got.o.hidden);

	CHECK(run(&cmd_test, "--summary", "--pid", "42", "dump", "--pfn", "0x10", "--hidden",
		  NULL) == 42);
	CHECK(got.o.summary && got.o.pid && !strcmp(got.o.pid, "42") && got.o.pfn == 16);
	CHECK(got.o.hidden && !got.o.kernel && !strcmp(got.c.vmcore, "dump"));
	CHECK(run(&cmd_test, "--pid=7", "--pfn=0x1f", "--kernel", "dump", NULL) == 42);
	CHECK(got.o.pid && !strcmp(got.o.pid, "7") && got.o.pfn == 0x1f && got.o.kernel);
	/* Short forms: a cluster, an attached value, a separate one. */
	CHECK(run(&cmd_test, "-sv", "-p9", "dump", NULL) == 42);
	CHECK(got.o.summary && got.c.verbose && got.o.pid && !strcmp(got.o.pid, "9"));
	CHECK(run(&cmd_test, "-p", "10", "dump", NULL) == 42);
	CHECK(got.o.pid && !strcmp(got.o.pid, "10") && !got.o.summary);
	/* A value that looks like an option is still the value. */
	CHECK(run(&cmd_test, "--pid", "-s", "dump", NULL) == 42);
	CHECK(got.o.pid && !strcmp(got.o.pid, "-s") && !got.o.summary);

	/* A value its parse function refuses: exit 2, option and value named. */
	CHECK(run(&cmd_test, "--pfn", "zz", "dump", NULL) == VT_EXIT_ERROR && !got.checked);
	CHECK(strstr(err_text, "vmtriage test: bad --pfn 'zz': not a number"));
	CHECK(strstr(err_text, "Usage: vmtriage test VMCORE [VMLINUX] [ARGS]") && !*out_text);

	/* An option of the command's own replaces the common one: its field. */
	CHECK(run(&cmd_own, "-v", "dump", "a", NULL) == 42);
	CHECK(got.o.verbose && !got.c.verbose);
	CHECK(got.o.pfn == 7);	/* opts_default */
	CHECK(run(&cmd_own, "dump", "a", NULL) == 42 && !got.o.verbose && got.o.pfn == 7);
}

/* Refused: exit 2 and the message names the option, not its value. */
static void expect_unknown(const char *what, const char *name)
{
	char want[64];

	snprintf(want, sizeof(want), "vmtriage own: unknown option '%s'\n", name);
	if (!strstr(err_text, want))
		fprintf(stderr, "%s: want \"%s\", got: %.200s\n", what, name, err_text);
	CHECK(strstr(err_text, want) != NULL);
	CHECK(strstr(err_text, "Usage: vmtriage own VMCORE") != NULL);
	CHECK(!got.checked && !*out_text);
}

static void test_refused(void)
{
	/* Every option of test's table, as own (which has none of them) sees it. */
	for (const struct vt_cli_option *o = test_options; o->name; o++) {
		char opt[32], eq[40], sh[4] = { '-', o->short_name, 0 }, shv[8];

		snprintf(opt, sizeof(opt), "--%s", o->name);
		snprintf(eq, sizeof(eq), "--%s=5", o->name);
		snprintf(shv, sizeof(shv), "-%c5", o->short_name);
		if (o->arg) {
			CHECK(run(&cmd_own, opt, "5", "dump", "a", NULL) == VT_EXIT_ERROR);
			expect_unknown(opt, opt);
		} else {
			CHECK(run(&cmd_own, opt, "dump", "a", NULL) == VT_EXIT_ERROR);
			expect_unknown(opt, opt);
		}
		CHECK(run(&cmd_own, eq, "dump", "a", NULL) == VT_EXIT_ERROR);
		expect_unknown(eq, opt);
		if (!o->short_name)
			continue;
		CHECK(run(&cmd_own, "dump", sh, "5", "a", NULL) == VT_EXIT_ERROR);
		expect_unknown(sh, sh);
		/* In a cluster, not last: "-s5", "-vs" and "-sv" all name -s. */
		CHECK(run(&cmd_own, "dump", shv, "a", NULL) == VT_EXIT_ERROR);
		expect_unknown(shv, sh);
	}
	CHECK(run(&cmd_own, "dump", "-vs", "a", NULL) == VT_EXIT_ERROR);
	expect_unknown("-vs", "-s");
	CHECK(run(&cmd_own, "dump", "-sv", "a", NULL) == VT_EXIT_ERROR);
	expect_unknown("-sv", "-s");
	CHECK(run(&cmd_own, "--bogus", "dump", "a", NULL) == VT_EXIT_ERROR);
	expect_unknown("--bogus", "--bogus");
	CHECK(run(&cmd_own, "dump", "a", "--bogus=1", NULL) == VT_EXIT_ERROR);
	expect_unknown("--bogus=1 after positionals", "--bogus");
	CHECK(run(&cmd_own, "dump", "-x", NULL) == VT_EXIT_ERROR);
	expect_unknown("-x", "-x");
	/* A known flag given a value: named, and said so. */
	CHECK(run(&cmd_test, "--summary=5", "dump", NULL) == VT_EXIT_ERROR && !got.checked);
	CHECK(strstr(err_text, "vmtriage test: option '--summary' takes no argument\n") == err_text);

	/* A command without a dump refuses the dump's options; without JSON --json. */
	static const char *const not_bare[] = { "--force", "--verbose", "-v", "--no-btf", "--json" };

	for (size_t i = 0; i < sizeof(not_bare) / sizeof(not_bare[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "unknown option '%s'", not_bare[i]);
		CHECK(run(&cmd_bare, not_bare[i], "name", NULL) == VT_EXIT_ERROR);
		CHECK(strstr(err_text, want) && !got.checked && !*out_text);
	}
	CHECK(run(&cmd_bare, "name", NULL) == 42 && got.checked);
	CHECK(!got.c.vmcore && got.c.nargs == 1 && !strcmp(got.args[0], "name"));
	/* --json refused: its error is text, stdout stays empty. */
	CHECK(run(&cmd_bare, "--json", NULL) == VT_EXIT_ERROR && !*out_text);
}

static void test_missing(void)
{
	CHECK(run(&cmd_test, NULL) == VT_EXIT_ERROR && !got.checked);
	CHECK(strstr(err_text, "vmtriage test: missing VMCORE\n") == err_text);
	CHECK(strstr(err_text, "Usage: vmtriage test VMCORE"));
	CHECK(run(&cmd_test, "--json", NULL) == VT_EXIT_ERROR);
	CHECK(strstr(err_text, "missing VMCORE") && !*out_text);	/* no file: text only */

	/* An option that takes a value, given none: an error, not VMCORE. */
	CHECK(run(&cmd_test, "dump", "--pid", NULL) == VT_EXIT_ERROR && !got.checked);
	CHECK(strstr(err_text, "vmtriage test: option '--pid' needs an argument\n") == err_text);
	CHECK(run(&cmd_test, "--pid", NULL) == VT_EXIT_ERROR && !got.checked);
	CHECK(strstr(err_text, "option '--pid' needs an argument") != NULL);
	CHECK(run(&cmd_test, "dump", "-sp", NULL) == VT_EXIT_ERROR && !got.checked);
	CHECK(strstr(err_text, "vmtriage test: option '-p' needs an argument\n") == err_text);
	/* "--pid dump": dump is the pid, VMCORE is missing. */
	CHECK(run(&cmd_test, "--pid", "dump", NULL) == VT_EXIT_ERROR);
	CHECK(strstr(err_text, "missing VMCORE") != NULL);

	/* Positionals: max_args, min_args; after VMCORE the errors are the dump's. */
	CHECK(run(&cmd_test, "dump", "a", "b", NULL) == 42 && got.c.nargs == 2);
	CHECK(run(&cmd_test, "dump", "a", "b", "c", NULL) == VT_EXIT_ERROR && !got.checked);
	CHECK(!strcmp(err_text, "vmtriage test: unexpected argument 'c'\n") && !*out_text);
	CHECK(run(&cmd_own, "dump", NULL) == VT_EXIT_ERROR && !got.checked);
	CHECK(!strcmp(err_text, "vmtriage own: missing ADDR...\n"));
	CHECK(run(&cmd_own, "dump", "1", "2", "3", "4", "5", "6", NULL) == 42);
	CHECK(got.c.nargs == 6 && !strcmp(got.args[5], "6"));
	/* Without a dump: the usage too. */
	CHECK(run(&cmd_bare, NULL) == VT_EXIT_ERROR && strstr(err_text, "missing NAME"));
	CHECK(strstr(err_text, "Usage: vmtriage bare NAME"));
	CHECK(run(&cmd_bare, "a", "b", NULL) == VT_EXIT_ERROR);
	CHECK(strstr(err_text, "unexpected argument 'b'") && strstr(err_text, "Usage:"));
}

static void test_help(void)
{
	const char *own_part, *common_part;

	CHECK(run(&cmd_test, "-h", NULL) == VT_EXIT_OK && !got.checked && !*err_text);
	CHECK(strstr(out_text, "Usage: vmtriage test VMCORE [VMLINUX] [ARGS] [--summary] "
			       "[--pid PID | --kernel] [--pfn N] [--json]\n\nA test command.\n")
	      == out_text);
	own_part = strstr(out_text, "What it does.\n");
	common_part = strstr(out_text, "\nCommon options:\n");
	CHECK(own_part && common_part && own_part < common_part);
	if (own_part && common_part) {
		/* Every option of the table with a help, under the command's help. */
		CHECK(strstr(own_part, "  -s, --summary  ") && strstr(own_part, "  -p, --pid PID  "));
		CHECK(strstr(own_part, "  --kernel  ") && strstr(own_part, "  --pfn N  "));
		CHECK(strstr(own_part, "a task\n") && strstr(own_part, "by its pid\n"));
		CHECK(strstr(own_part, "--summary") < common_part);
		CHECK(strstr(own_part, "--pfn") < common_part);
		CHECK(!strstr(out_text, "--hidden"));	/* no help: not listed */
		/* The common ones after "Common options:" (--verbose has no help). */
		CHECK(strstr(common_part, "  --json  ") && strstr(common_part, "  --force  "));
		CHECK(strstr(common_part, "  --no-btf  ") && strstr(common_part, "  -h, --help  "));
		CHECK(!strstr(out_text, "--verbose"));
	}
	CHECK(strstr(out_text, "\nExit status: 0 success, 2 error.\n"));
	/* Anywhere, with other options; a later bad option is not reached. */
	CHECK(run(&cmd_test, "dump", "--help", NULL) == VT_EXIT_OK && !got.checked);
	CHECK(strstr(out_text, "Usage: vmtriage test ") == out_text);
	CHECK(run(&cmd_test, "--json", "-h", "--bogus", NULL) == VT_EXIT_OK && !*err_text);

	/* A command's own --verbose is listed with its options. */
	CHECK(run(&cmd_own, "--help", NULL) == VT_EXIT_OK);
	CHECK(strstr(out_text, "Usage: vmtriage own VMCORE [VMLINUX] ADDR... [--verbose] [--json]\n"));
	{
		/* its help in the options' column, however wide the labels make it */
		const char *v = strstr(out_text, "  -v, --verbose ");

		CHECK(v && !strncmp(v + strlen("  -v, --verbose") + strspn(v + strlen("  -v, --verbose"), " "),
				    "more\n", 5));
	}
	/* Without a dump or JSON: none of their options. */
	CHECK(run(&cmd_bare, "-h", NULL) == VT_EXIT_OK);
	CHECK(strstr(out_text, "Usage: vmtriage bare NAME\n") == out_text);
	CHECK(!strstr(out_text, "--json") && !strstr(out_text, "--force"));
	CHECK(!strstr(out_text, "--no-btf") && strstr(out_text, "--help"));
}

static void write_elf(char *path, uint16_t type, bool be)
{
	unsigned char h[64] = { 0x7f, 'E', 'L', 'F', ELFCLASS64 };
	int fd;

	h[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
	h[EI_VERSION] = EV_CURRENT;
	h[16 + !be] = (unsigned char)(type >> 8);
	h[16 + be] = (unsigned char)type;
	strcpy(path, "/tmp/vt_test_cli_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, h, sizeof(h)) != (ssize_t)sizeof(h))
		abort();
	close(fd);
}

static void test_vmlinux(void)
{
	char vmlinux_path[64], core_path[64], be_path[64], text_path[64];
	FILE *f;
	int fd;

	write_elf(vmlinux_path, ET_EXEC, false);
	write_elf(core_path, ET_CORE, false);
	write_elf(be_path, ET_DYN, true);
	strcpy(text_path, "/tmp/vt_test_cli_XXXXXX");
	fd = mkstemp(text_path);
	if (fd < 0)
		abort();
	close(fd);
	f = fopen(text_path, "w");
	fputs("not an ELF file at all, but long enough\n", f);
	fclose(f);

	CHECK(run(&cmd_test, "dump", vmlinux_path, "arg", NULL) == 42);
	CHECK(got.c.vmlinux && !strcmp(got.c.vmlinux, vmlinux_path));
	CHECK(got.c.nargs == 1 && !strcmp(got.args[0], "arg"));
	CHECK(run(&cmd_test, "dump", be_path, NULL) == 42);	/* big-endian ET_DYN */
	CHECK(got.c.vmlinux && !strcmp(got.c.vmlinux, be_path) && got.c.nargs == 0);
	/* A second dump (ET_CORE), a text file, a missing file: arguments. */
	CHECK(run(&cmd_test, "dump", core_path, NULL) == 42);
	CHECK(!got.c.vmlinux && got.c.nargs == 1);
	CHECK(run(&cmd_test, "dump", text_path, NULL) == 42);
	CHECK(!got.c.vmlinux && got.c.nargs == 1);
	CHECK(run(&cmd_test, "dump", "/nonexistent/vmlinux", NULL) == 42);
	CHECK(!got.c.vmlinux && got.c.nargs == 1);
	/* Only the positional after VMCORE can be the vmlinux. */
	CHECK(run(&cmd_test, "dump", "arg", vmlinux_path, NULL) == 42);
	CHECK(!got.c.vmlinux && got.c.nargs == 2);
	/* With the vmlinux the count is of the others: 2 allowed, then 3 too many. */
	CHECK(run(&cmd_test, "dump", vmlinux_path, "a", "b", NULL) == 42 && got.c.nargs == 2);
	CHECK(run(&cmd_test, "dump", core_path, "a", "b", NULL) == VT_EXIT_ERROR);
	/* The vmlinux check reads the file: options between are still options. */
	CHECK(run(&cmd_test, "dump", "--summary", vmlinux_path, NULL) == 42);
	CHECK(got.c.vmlinux && got.o.summary && got.c.nargs == 0);
	/* An ELF truncated inside e_type: not a vmlinux. */
	if (truncate(vmlinux_path, EI_NIDENT + 1) == 0) {
		CHECK(run(&cmd_test, "dump", vmlinux_path, NULL) == 42);
		CHECK(!got.c.vmlinux && got.c.nargs == 1);
	}
	unlink(vmlinux_path);
	unlink(core_path);
	unlink(be_path);
	unlink(text_path);
}

/* ------------------------------------------- the dump open: a fake opener */

static struct fake fake;

/* "bad" is not a dump; anything else opens the fake dump. */
static struct vt_error *fake_opener(const char *vmcore, struct vt_target **ret)
{
	struct vt_error *err;

	if (!strcmp(vmcore, "bad"))
		return vt_error_create(VT_ERR_FORMAT, "%s: not a dump", vmcore);
	err = fake_open(&fake);
	if (err)
		return err;
	/* The session makes its own symbols; the target is the session's. */
	vt_symbols_destroy(fake.s);
	fake.s = NULL;
	*ret = fake.t;
	fake.t = NULL;
	return NULL;
}

static void test_json_errors(void)
{
	/* A positional count error under --json: the error object on stdout. */
	CHECK(run(&cmd_test, "--json", "dump", "a", "b", "c", NULL) == VT_EXIT_ERROR);
	CHECK(!strcmp(out_text, "{\n  \"error\": {\n    \"file\": \"dump\",\n"
				"    \"message\": \"unexpected argument 'c'\",\n"
				"    \"code\": \"usage\"\n  }\n}\n"));
	CHECK(!strcmp(err_text, "vmtriage test: unexpected argument 'c'\n"));
	CHECK(run(&cmd_own, "dump", "--json", NULL) == VT_EXIT_ERROR);
	CHECK(strstr(out_text, "\"message\": \"missing ADDR...\"") &&
	      strstr(out_text, "\"file\": \"dump\""));
	/* Before the dump is known (a bad option, no VMCORE): text only. */
	CHECK(run(&cmd_test, "--json", "--bogus", "dump", NULL) == VT_EXIT_ERROR && !*out_text);
	CHECK(run(&cmd_test, "--json", "--pfn", "x", "dump", NULL) == VT_EXIT_ERROR && !*out_text);

	fake_init(&fake, "5.4.0-test", 65536);
	vt_cli_set_opener(fake_opener);
	check_rc = VT_CLI_GO_ON;
	/* The dump fails to open: the error names it, on both. */
	CHECK(run(&cmd_test, "--json", "bad", NULL) == VT_EXIT_ERROR && got.checked && !got.ran);
	CHECK(!strcmp(err_text, "vmtriage: bad: not a dump\n"));
	CHECK(strstr(out_text, "\"file\": \"bad\"") && strstr(out_text, "\"code\": \"format\"") &&
	      strstr(out_text, "\"message\": \"bad: not a dump\""));
	CHECK(run(&cmd_test, "bad", NULL) == VT_EXIT_ERROR && !*out_text);
	/* It opens: main runs, its document on stdout. */
	CHECK(run(&cmd_test, "--json", "dump", NULL) == VT_EXIT_OK && got.ran && !*err_text);
	CHECK(!strcmp(out_text, "{\n  \"release\": \"5.4.0-test\"\n}\n"));
	CHECK(run(&cmd_test, "dump", NULL) == VT_EXIT_OK && got.ran);
	CHECK(!strcmp(out_text, "release 5.4.0-test\n") && !*err_text);
	/* An error after the document: stderr only, stdout stays one document. */
	main_fails = "late";
	CHECK(run(&cmd_test, "--json", "dump", NULL) == VT_EXIT_ERROR && got.ran);
	CHECK(!strcmp(out_text, "{\n  \"release\": \"5.4.0-test\"\n}\n"));
	CHECK(!strcmp(err_text, "vmtriage: dump: late\n"));
	main_fails = NULL;
	check_rc = 42;
	vt_cli_set_opener(NULL);
	fake_free(&fake);
}

/*
 * The crash extension parses one command after another in one process. A
 * parse that returned in the middle of a cluster ("-hv": help; "-xv": an
 * unknown option) must not leave getopt pointing into the old argv: the
 * next command would see a -v it was not given (and, in crash, read argv
 * strings that were freed). Nor may getopt's permutation of one argv leak
 * into the next.
 */
static void test_reparse(void)
{
	CHECK(run(&cmd_test, "-vh", "--json", "dump1", NULL) == VT_EXIT_OK);	/* h ends it */
	CHECK(run(&cmd_test, "-v", "--json", "dump1", NULL) == 42);
	CHECK(got.c.verbose && got.c.json && !strcmp(got.c.vmcore, "dump1"));
	CHECK(run(&cmd_test, "dump2", NULL) == 42);
	CHECK(!got.c.verbose && !got.c.json && !strcmp(got.c.vmcore, "dump2"));

	CHECK(run(&cmd_test, "-hv", "dump3", NULL) == VT_EXIT_OK);
	CHECK(run(&cmd_test, "dump4", NULL) == 42);
	CHECK(!got.c.verbose && got.c.vmcore && !strcmp(got.c.vmcore, "dump4"));
	CHECK(!*err_text);

	CHECK(run(&cmd_test, "dump5", "-xv", NULL) == VT_EXIT_ERROR);
	CHECK(run(&cmd_test, "dump6", NULL) == 42);
	CHECK(!got.c.verbose && got.c.vmcore && !strcmp(got.c.vmcore, "dump6"));

	/* Positionals before options, then a command with none. */
	CHECK(run(&cmd_test, "dump7", "a", "-s", "b", NULL) == 42);
	CHECK(got.o.summary && got.c.nargs == 2 && !strcmp(got.args[1], "b"));
	CHECK(run(&cmd_test, "dump8", NULL) == 42 && !got.o.summary && got.c.nargs == 0);
	CHECK(!strcmp(got.c.vmcore, "dump8"));
}

static void test_parse_addr(void)
{
	struct fake f;
	uint64_t v;

	CHECK_OK(vt_cli_parse_addr(NULL, "0x10", &v));
	CHECK(v == 16);
	CHECK_OK(vt_cli_parse_addr(NULL, "4096", &v));
	CHECK(v == 4096);
	CHECK_OK(vt_cli_parse_addr(NULL, "0xffffffffffffffff", &v));
	CHECK(v == UINT64_MAX);
	CHECK_ERR(vt_cli_parse_addr(NULL, "0x1ffffffffffffffff", &v), VT_ERR_USAGE);
	CHECK_ERR(vt_cli_parse_addr(NULL, "-1", &v), VT_ERR_USAGE);
	CHECK_ERR(vt_cli_parse_addr(NULL, "", &v), VT_ERR_USAGE);
	CHECK_ERR(vt_cli_parse_addr(NULL, "12ab", &v), VT_ERR_USAGE);
	CHECK_ERR(vt_cli_parse_addr(NULL, "init_mm", &v), VT_ERR_USAGE);

	/* With symbols: name and name+offset. */
	fake_init(&f, "5.4.0-test", 65536);
	fake_vi(&f, "SYMBOL(init_mm)=c000000000123000");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_cli_parse_addr(f.s, "init_mm", &v));
	CHECK(v == 0xc000000000123000ull);
	CHECK_OK(vt_cli_parse_addr(f.s, "init_mm+0x40", &v));
	CHECK(v == 0xc000000000123040ull);
	CHECK_OK(vt_cli_parse_addr(f.s, "init_mm+16", &v));
	CHECK(v == 0xc000000000123010ull);
	CHECK_OK(vt_cli_parse_addr(f.s, "0x20", &v));		/* a number stays one */
	CHECK(v == 0x20);
	CHECK_ERR(vt_cli_parse_addr(f.s, "init_mm+", &v), VT_ERR_USAGE);
	CHECK_ERR(vt_cli_parse_addr(f.s, "init_mm+zz", &v), VT_ERR_USAGE);
	CHECK_ERR(vt_cli_parse_addr(f.s, "+", &v), VT_ERR_USAGE);
	CHECK_ERR(vt_cli_parse_addr(f.s, "no_such_symbol", &v), VT_ERR_NOT_FOUND);
	{
		char longname[300];

		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		CHECK_ERR(vt_cli_parse_addr(f.s, longname, &v), VT_ERR_USAGE);
	}
	fake_free(&f);
}

int main(void)
{
	test_common();
	test_own_options();
	test_refused();
	test_missing();
	test_help();
	test_vmlinux();
	test_json_errors();
	test_parse_addr();
	test_reparse();
	return unit_done("test_cli");
}
