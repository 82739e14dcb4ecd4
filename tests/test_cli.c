/*
 * The CLI's argument parsing (cli/cli.h): vt_cli_parse's common and
 * per-command options, what a command does not allow, missing VMCORE and
 * option arguments, -h, the VMLINUX-or-argument rule (an ELF executable is
 * a vmlinux, an ELF core or anything else an argument), repeated parses in
 * one process (the crash extension runs many commands), and
 * vt_cli_parse_addr's numbers and symbol+offset forms.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fake_target.h"
#include "unit.h"

static int dummy_run(int argc, char **argv) { (void)argc; (void)argv; return 0; }

static const struct vt_command cmd = {
	.name = "test", .args = "VMCORE [VMLINUX] [ARGS]", .summary = "A test command.",
	.help = "  --pfn N      a pfn\n", .run = dummy_run,
};

/* stdout and stderr of one parse, captured in files. */
static char out_text[8192], err_text[8192];

static int parse(unsigned allow, struct vt_cli_common *c, ...)
{
	char *argv[32];
	int argc = 0, saved[2], rc;
	FILE *cap[2];
	va_list ap;

	va_start(ap, c);
	argv[argc++] = (char *)"test";
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 2; i++) {
		cap[i] = tmpfile();
		saved[i] = dup(i + 1);
		dup2(fileno(cap[i]), i + 1);
	}
	rc = vt_cli_parse(&cmd, argc, argv, allow, c);
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

static char vmlinux_path[64], core_path[64], text_path[64];

/* An ELF header of type type (big-endian when be) in a temporary file. */
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

static void test_common(void)
{
	struct vt_cli_common c;

	CHECK(parse(0, &c, "dump", NULL) == -1);
	CHECK(!strcmp(c.vmcore, "dump") && !c.vmlinux && c.nargs == 0);
	CHECK(!c.json && !c.force && !c.verbose && !c.no_btf);

	CHECK(parse(0, &c, "--json", "--force", "dump", "--no-btf", "-v", "x", "y", NULL) == -1);
	CHECK(c.json && c.force && c.no_btf && c.verbose);
	CHECK(!strcmp(c.vmcore, "dump") && !c.vmlinux);
	CHECK(c.nargs == 2 && !strcmp(c.args[0], "x") && !strcmp(c.args[1], "y"));
	CHECK(!*err_text && !*out_text);
	CHECK(parse(0, &c, "--verbose", "dump", NULL) == -1 && c.verbose);

	/* "--" ends the options: what follows is positional. */
	CHECK(parse(0, &c, "dump", "--", "--json", NULL) == -1);
	CHECK(!c.json && c.nargs == 1 && !strcmp(c.args[0], "--json"));
}

static void test_allowed(void)
{
	static const struct {
		const char *opt, *arg;
		unsigned bit;
	} opts[] = {
		{ "--phys", NULL, VT_OPT_PHYS },	{ "--sections", NULL, VT_OPT_SECTIONS },
		{ "--pfn", "0x10", VT_OPT_PFN },	{ "--ranges", NULL, VT_OPT_RANGES },
		{ "--plugin", "pgd", VT_OPT_PLUGIN },	{ "--pid", "42", VT_OPT_PID },
		{ "--kernel", NULL, VT_OPT_KERNEL },	{ "--summary", NULL, VT_OPT_SUMMARY },
		{ "--raw", NULL, VT_OPT_RAW },		{ "--boot", NULL, VT_OPT_BOOT },
		{ "--html", "o.html", VT_OPT_PICTURE },	{ "--svg", "o.svg", VT_OPT_PICTURE },
	};
	struct vt_cli_common c;
	char quoted[64];

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const char *o = opts[i].opt, *a = opts[i].arg;
		int rc = a ? parse(opts[i].bit, &c, o, a, "dump", NULL) :
			     parse(opts[i].bit, &c, o, "dump", NULL);
		bool set = c.phys + c.sections + c.ranges + c.kernel + c.summary + c.raw +
			   c.boot + !!c.pfn + !!c.plugin + !!c.pid + !!c.html + !!c.svg == 1;

		CHECK(rc == -1 && set && !strcmp(c.vmcore, "dump"));
		/* Every other command-specific bit: refused, naming the option. */
		rc = a ? parse(~opts[i].bit & 0x7ff, &c, o, a, "dump", NULL) :
			 parse(~opts[i].bit & 0x7ff, &c, o, "dump", NULL);
		CHECK(rc == VT_EXIT_ERROR);
		snprintf(quoted, sizeof(quoted), "unknown option '%s'", o);
		/* "--pfn 0x10" refused is reported as "unknown option '0x10'":
		 * the message names argv[optind - 1], the option's argument. */
		if (a)
			CHECK_KNOWN(strstr(err_text, quoted) != NULL,
				    "refused option named by its argument");
		else
			CHECK(strstr(err_text, quoted) != NULL);
		CHECK(strstr(err_text, "Usage: vmtriage test VMCORE"));
	}
	CHECK(parse(VT_OPT_PFN | VT_OPT_PLUGIN | VT_OPT_PID | VT_OPT_PICTURE, &c, "--pfn=0x1f",
		    "--plugin", "ptfrag", "--pid=7", "--svg", "a.svg", "--html=b.html", "dump",
		    NULL) == -1);
	CHECK(c.pfn && !strcmp(c.pfn, "0x1f") && !strcmp(c.plugin, "ptfrag"));
	CHECK(!strcmp(c.pid, "7") && !strcmp(c.svg, "a.svg") && !strcmp(c.html, "b.html"));
}

static void test_errors(void)
{
	struct vt_cli_common c;

	CHECK(parse(0, &c, NULL) == VT_EXIT_ERROR);
	CHECK(strstr(err_text, "vmtriage test: missing VMCORE") != NULL);
	CHECK(parse(0, &c, "--json", NULL) == VT_EXIT_ERROR);
	CHECK(strstr(err_text, "missing VMCORE") != NULL);
	CHECK(parse(0, &c, "--bogus", "dump", NULL) == VT_EXIT_ERROR);
	CHECK(strstr(err_text, "'--bogus'") != NULL);
	CHECK(parse(0, &c, "-x", "dump", NULL) == VT_EXIT_ERROR);
	/* An option that takes an argument, given none: an error, not VMCORE. */
	CHECK(parse(VT_OPT_PFN, &c, "dump", "--pfn", NULL) == VT_EXIT_ERROR);
	CHECK(parse(VT_OPT_PFN, &c, "--pfn", NULL) == VT_EXIT_ERROR);
	/* -h/--help: usage on stdout, the common options and exit status listed. */
	CHECK(parse(0, &c, "-h", NULL) == VT_EXIT_OK);
	CHECK(strstr(out_text, "Usage: vmtriage test VMCORE [VMLINUX] [ARGS]") == out_text);
	CHECK(strstr(out_text, "--pfn N") && strstr(out_text, "--no-btf"));
	CHECK(strstr(out_text, "Exit status: 0 success, 2 error.") && !*err_text);
	CHECK(parse(0, &c, "dump", "--help", NULL) == VT_EXIT_OK);
}

static void test_vmlinux(void)
{
	struct vt_cli_common c;
	char be_path[64];
	FILE *f;

	write_elf(vmlinux_path, ET_EXEC, false);
	write_elf(core_path, ET_CORE, false);
	write_elf(be_path, ET_DYN, true);
	strcpy(text_path, "/tmp/vt_test_cli_XXXXXX");
	close(mkstemp(text_path));
	f = fopen(text_path, "w");
	fputs("not an ELF file at all, but long enough\n", f);
	fclose(f);

	CHECK(parse(0, &c, "dump", vmlinux_path, "arg", NULL) == -1);
	CHECK(c.vmlinux && !strcmp(c.vmlinux, vmlinux_path));
	CHECK(c.nargs == 1 && !strcmp(c.args[0], "arg"));
	CHECK(parse(0, &c, "dump", be_path, NULL) == -1);
	CHECK(c.vmlinux && !strcmp(c.vmlinux, be_path) && c.nargs == 0);
	/* A second dump (ET_CORE), a text file, a missing file: arguments. */
	CHECK(parse(0, &c, "dump", core_path, NULL) == -1);
	CHECK(!c.vmlinux && c.nargs == 1);
	CHECK(parse(0, &c, "dump", text_path, NULL) == -1);
	CHECK(!c.vmlinux && c.nargs == 1);
	CHECK(parse(0, &c, "dump", "/nonexistent/vmlinux", NULL) == -1);
	CHECK(!c.vmlinux && c.nargs == 1);
	/* Only the second positional can be the vmlinux. */
	CHECK(parse(0, &c, "dump", "arg", vmlinux_path, NULL) == -1);
	CHECK(!c.vmlinux && c.nargs == 2);
	/* An ELF truncated inside e_type: not a vmlinux. */
	if (truncate(core_path, EI_NIDENT + 1) == 0) {
		CHECK(parse(0, &c, "dump", core_path, NULL) == -1);
		CHECK(!c.vmlinux);
	}
	unlink(vmlinux_path);
	unlink(core_path);
	unlink(be_path);
	unlink(text_path);
}

/*
 * The crash extension parses one command after another in one process. A
 * parse that returned in the middle of "-hv" must not leave getopt pointing
 * into the old argv: the next command would see a "-v" it was not given
 * (and, in crash, read argv strings that were freed). Run last: the state
 * it leaves behind is the bug.
 */
static void test_reparse(void)
{
	struct vt_cli_common c;
	int rc;

	CHECK(parse(0, &c, "-vh", "--json", "dump1", NULL) == VT_EXIT_OK);	/* h ends it */
	CHECK(parse(0, &c, "-v", "--json", "dump1", NULL) == -1);
	CHECK(c.verbose && c.json && !strcmp(c.vmcore, "dump1"));
	CHECK(parse(0, &c, "dump2", NULL) == -1);
	CHECK(!c.verbose && !c.json && !strcmp(c.vmcore, "dump2"));

	CHECK(parse(0, &c, "-hv", "dump3", NULL) == VT_EXIT_OK);
	rc = parse(0, &c, "dump4", NULL);
	/* optind = 1 does not reset glibc's position inside "-hv"; optind = 0 would. */
	CHECK_KNOWN(rc == -1 && !c.verbose && c.vmcore && !strcmp(c.vmcore, "dump4"),
		    "getopt state leaks from one parse into the next");
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
	test_allowed();
	test_errors();
	test_vmlinux();
	test_parse_addr();
	test_reparse();
	return unit_done("test_cli");
}
