#include "cli/cli.h"
#include "cli/tested.h"
#include "core/vmcoreinfo.h"
#include "symbols/debuginfod.h"
#include "target/sniff.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct vt_error *(*opener)(const char *, struct vt_target **) = vt_target_open;

void vt_cli_set_opener(struct vt_error *(*open)(const char *vmcore, struct vt_target **ret))
{
	opener = open ? open : vt_target_open;
}

/* ------------------------------------------------------------------ options */

/* The options every command shares; unless: the commands they do not apply to. */
static const struct {
	struct vt_cli_option o;
	unsigned unless;
} common[] = {
	{ { .name = "json", .help = "machine-readable output",
	    VT_CLI_BOOL(struct vt_cli, json) }, VT_CMD_NO_JSON },
	{ { .name = "force", .help = "use a VMLINUX that does not match the dump",
	    VT_CLI_BOOL(struct vt_cli, force) }, VT_CMD_NO_DUMP },
	/* Accepted by every dump command; one that uses it lists its own. */
	{ { .name = "verbose", .short_name = 'v',
	    VT_CLI_BOOL(struct vt_cli, verbose) }, VT_CMD_NO_DUMP },
	{ { .name = "no-btf", .help = "ignore BTF (types from DWARF or VMCOREINFO only)",
	    VT_CLI_BOOL(struct vt_cli, no_btf) }, VT_CMD_NO_DUMP },
	{ { .name = "debuginfod", .arg = "URLS",
	    .help = "without VMLINUX, fetch it by the dump's build-id from these\n"
		    "debuginfod servers (default: $DEBUGINFOD_URLS, when set)",
	    VT_CLI_TEXT(struct vt_cli, debuginfod) }, VT_CMD_NO_DUMP },
	{ { .name = "no-debuginfod", .help = "do not ask debuginfod servers for the vmlinux",
	    VT_CLI_BOOL(struct vt_cli, no_debuginfod) }, VT_CMD_NO_DUMP },
	{ { .name = "help", .short_name = 'h', .help = "this help" }, 0 },
};
#define NCOMMON (sizeof(common) / sizeof(common[0]))
#define MAX_OPTIONS 32

struct opt_ref {
	const struct vt_cli_option *o;
	bool is_common;
};

static bool command_has(const struct vt_command *cmd, const char *name)
{
	for (const struct vt_cli_option *o = cmd->options; o && o->name; o++)
		if (!strcmp(o->name, name))
			return true;
	return false;
}

/* The options cmd takes: its own, then the common ones it does not replace. */
static size_t options_of(const struct vt_command *cmd, struct opt_ref *ret)
{
	size_t n = 0;

	for (const struct vt_cli_option *o = cmd->options; o && o->name && n < MAX_OPTIONS; o++)
		ret[n++] = (struct opt_ref){ o, false };
	for (size_t i = 0; i < NCOMMON && n < MAX_OPTIONS; i++)
		if (!(common[i].unless & cmd->flags) && !command_has(cmd, common[i].o.name))
			ret[n++] = (struct opt_ref){ &common[i].o, true };
	return n;
}

/* ------------------------------------------------------------------ help */

static int label(const struct vt_cli_option *o, char *buf, size_t len)
{
	char sh[8] = "";

	if (o->short_name)
		snprintf(sh, sizeof(sh), "-%c, ", o->short_name);
	return snprintf(buf, len, "%s--%s%s%s", sh, o->name, o->arg ? " " : "",
			o->arg ? o->arg : "");
}

static int label_width(const struct vt_command *cmd)
{
	struct opt_ref refs[MAX_OPTIONS];
	size_t n = options_of(cmd, refs);
	char buf[128];
	int w = 13;

	for (size_t i = 0; i < n; i++)
		if (refs[i].o->help && label(refs[i].o, buf, sizeof(buf)) + 2 > w)
			w = label(refs[i].o, buf, sizeof(buf)) + 2;
	return w;
}

void vt_cli_option_lines(const struct vt_command *cmd, bool want_common, FILE *fp)
{
	struct opt_ref refs[MAX_OPTIONS];
	size_t n = options_of(cmd, refs);
	int w = label_width(cmd);
	char buf[128];

	for (size_t i = 0; i < n; i++) {
		const char *h = refs[i].o->help;

		if (!h || refs[i].is_common != want_common)
			continue;
		label(refs[i].o, buf, sizeof(buf));
		fprintf(fp, "  %-*s", w, buf);
		for (; *h; h++) {
			fputc(*h, fp);
			if (*h == '\n')
				fprintf(fp, "  %*s", w, "");
		}
		fputc('\n', fp);
	}
}

/* Of the common options the usage line names --json only. */
static bool in_synopsis(const struct opt_ref *r)
{
	return r->o->help && (!r->is_common || !strcmp(r->o->name, "json"));
}

void vt_cli_synopsis(const struct vt_command *cmd, FILE *fp)
{
	struct opt_ref refs[MAX_OPTIONS];
	size_t n = options_of(cmd, refs);
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		const struct vt_cli_option *o = refs[i].o;
		bool in_group = i && o->group && refs[i - 1].o->group == o->group;
		bool ends = i + 1 == n || !o->group || refs[i + 1].o->group != o->group;

		if (!in_synopsis(&refs[i]))
			continue;
		fprintf(fp, "%s--%s%s%s%s", in_group ? " | " : first ? "[" : " [", o->name,
			o->arg ? " " : "", o->arg ? o->arg : "", ends ? "]" : "");
		first = false;
	}
}

size_t vt_cli_options(const struct vt_command *cmd, const struct vt_cli_option **opts,
		      bool *is_common, size_t max)
{
	struct opt_ref refs[MAX_OPTIONS];
	size_t n = options_of(cmd, refs);

	for (size_t i = 0; i < n && i < max; i++) {
		opts[i] = refs[i].o;
		is_common[i] = refs[i].is_common;
	}
	return n < max ? n : max;
}

void vt_cli_command_line(const struct vt_command *cmd, FILE *fp)
{
	struct opt_ref refs[MAX_OPTIONS];
	size_t n = options_of(cmd, refs);
	bool any = false;

	for (size_t i = 0; i < n; i++)
		any |= in_synopsis(&refs[i]);
	fprintf(fp, "vmtriage %s%s%s%s", cmd->name,
		cmd->flags & VT_CMD_NO_DUMP ? "" : cmd->flags & VT_CMD_LIVE ?
		" [VMCORE] [VMLINUX]" : " VMCORE [VMLINUX]",
		cmd->args && *cmd->args ? " " : "", cmd->args ? cmd->args : "");
	if (any)
		fputc(' ', fp);
	vt_cli_synopsis(cmd, fp);
}

void vt_cli_usage(const struct vt_command *cmd, FILE *fp)
{
	struct opt_ref refs[MAX_OPTIONS];
	size_t n = options_of(cmd, refs);
	bool own = false;

	for (size_t i = 0; i < n; i++)
		own |= !refs[i].is_common && refs[i].o->help;
	fprintf(fp, "Usage: ");
	vt_cli_command_line(cmd, fp);
	fprintf(fp, "\n\n%s\n", cmd->summary);
	if (cmd->flags & VT_CMD_LIVE)
		fprintf(fp, "%s\n", VT_CLI_LIVE_NOTE);
	if ((cmd->help && *cmd->help) || own || cmd->notes) {
		fprintf(fp, "\n%s", cmd->help ? cmd->help : "");
		vt_cli_option_lines(cmd, false, fp);
		fprintf(fp, "%s", cmd->notes ? cmd->notes : "");
	}
	fprintf(fp, "\nCommon options:\n");
	vt_cli_option_lines(cmd, true, fp);
	fprintf(fp, "\nExit status: %s\n", cmd->exit_status ? cmd->exit_status :
		"0 success, 2 error.");
}

/* ------------------------------------------------------------------ parsing */

static int usage_error(const struct vt_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const struct vt_command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vmtriage %s: ", cmd->name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	vt_cli_usage(cmd, stderr);
	return VT_EXIT_ERROR;
}

/* One option's value into its field (the command's opts or c). */
static int set_option(struct vt_cli *c, const struct opt_ref *r, const char *text)
{
	char *field = (char *)(r->is_common ? (void *)c : c->opts) + r->o->offset;
	const char *why;

	if (!r->o->arg) {
		*(bool *)field = true;
	} else if (!r->o->parse) {
		*(const char **)field = text;
	} else if ((why = r->o->parse(text, field))) {
		return usage_error(c->cmd, "bad --%s '%s'%s%s", r->o->name, text,
				   *why ? ": " : "", why);
	}
	return VT_CLI_GO_ON;
}

/*
 * An option getopt refused (ch '?'), or one whose value is missing (':'),
 * named as given: a short one by optopt, since argv[optind - 1] is the
 * element before when it is not last in its cluster ("-xv"); a long one
 * without its "=value". optopt is the option's val (256 + i) when the name
 * is known and only the value is wrong, 0 when the name is unknown.
 */
static int bad_option(const struct vt_command *cmd, int ch, char **argv)
{
	char sh[3] = { '-', (char)optopt, 0 };
	const char *given = optopt > 0 && optopt < 256 ? sh : argv[optind - 1];
	int len = given == sh ? 2 : (int)strcspn(given, "=");

	if (ch == ':')
		return usage_error(cmd, "option '%.*s' needs an argument", len, given);
	if (optopt >= 256)
		return usage_error(cmd, "option '%.*s' takes no argument", len, given);
	return usage_error(cmd, "unknown option '%.*s'", len, given);
}

/*
 * Options from the tables; then VMCORE, and VMLINUX when the next positional
 * is an ELF kernel. Errors here come before the dump is known: text only.
 */
static int parse(struct vt_cli *c, int argc, char **argv)
{
	const struct vt_command *cmd = c->cmd;
	struct opt_ref refs[MAX_OPTIONS];
	size_t n = options_of(cmd, refs);
	struct option lo[MAX_OPTIONS + 1];
	char shorts[2 * MAX_OPTIONS + 3] = ":";	/* ':' for a missing value */
	size_t ns = 1;
	int ch, rc;

	for (size_t i = 0; i < n; i++) {
		lo[i] = (struct option){ refs[i].o->name,
					 refs[i].o->arg ? required_argument : no_argument,
					 NULL, 256 + (int)i };
		if (refs[i].o->short_name) {
			shorts[ns++] = refs[i].o->short_name;
			if (refs[i].o->arg)
				shorts[ns++] = ':';
		}
	}
	lo[n] = (struct option){ 0 };
	shorts[ns] = '\0';
	/* 0, not 1: only then does glibc start afresh. A parse that returned
	 * inside a cluster ("-hv") left it there: with 1 the next parse (the
	 * crash extension runs many in one process) would get that -v, read
	 * from the old argv. */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		size_t i = (size_t)ch - 256;

		if (ch == '?' || ch == ':')
			return bad_option(cmd, ch, argv);
		if (ch < 256)
			for (i = 0; i < n && refs[i].o->short_name != ch; i++)
				;
		if (i >= n)
			return usage_error(cmd, "unknown option '-%c'", ch);
		if (refs[i].is_common && !strcmp(refs[i].o->name, "help")) {
			vt_cli_usage(cmd, stdout);
			return VT_EXIT_OK;
		}
		if ((rc = set_option(c, &refs[i], optarg)) != VT_CLI_GO_ON)
			return rc;
	}
	if (!(cmd->flags & VT_CMD_NO_DUMP)) {
		/* No VMCORE, or a vmlinux first: the running kernel (its kcore
		 * is $VMTRIAGE_KCORE for tests, else /proc/kcore). */
		if ((cmd->flags & VT_CMD_LIVE) && opener == vt_target_open &&
		    (optind >= argc || vt_target_sniff(argv[optind]) == VT_FILE_ELF_EXEC)) {
			const char *k = getenv("VMTRIAGE_KCORE");

			c->live = true;
			c->vmcore = k && *k ? k : "/proc/kcore";
			c->pieces[c->npieces++] = c->vmcore;
			if (optind < argc)
				c->vmlinux = argv[optind++];
			c->nargs = argc - optind;
			c->args = argv + optind;
			return VT_CLI_GO_ON;
		}
		if (optind >= argc)
			return usage_error(cmd, "missing VMCORE");
		c->vmcore = argv[optind++];
		c->pieces[c->npieces++] = c->vmcore;
		while (optind < argc && c->npieces < VT_TARGET_MAX_PIECES &&
		       vt_target_sniff(c->vmcore) == VT_FILE_KDUMP &&
		       vt_target_sniff(argv[optind]) == VT_FILE_KDUMP)
			c->pieces[c->npieces++] = argv[optind++];
		/* A vmlinux is an ELF executable; a vmcore an ELF core or not ELF. */
		if (optind < argc && vt_target_sniff(argv[optind]) == VT_FILE_ELF_EXEC)
			c->vmlinux = argv[optind++];
	}
	c->nargs = argc - optind;
	c->args = argv + optind;
	return VT_CLI_GO_ON;
}

/* The number of positionals; with the dump known, errors are the dump's. */
static int check_nargs(struct vt_cli *c)
{
	const struct vt_command *cmd = c->cmd;

	if (cmd->max_args >= 0 && c->nargs > cmd->max_args) {
		const char *hint = cmd->max_args ? "" : " (is the vmlinux an ELF executable?)";

		if (cmd->flags & VT_CMD_NO_DUMP)
			return usage_error(cmd, "unexpected argument '%s'",
					   c->args[cmd->max_args]);
		return vt_cli_failf(c, VT_ERR_USAGE, "unexpected argument '%s'%s",
				    c->args[cmd->max_args], hint);
	}
	if (c->nargs < cmd->min_args) {
		if (cmd->flags & VT_CMD_NO_DUMP)
			return usage_error(cmd, "missing %s", cmd->args);
		return vt_cli_failf(c, VT_ERR_USAGE, "missing %s", cmd->args);
	}
	return VT_CLI_GO_ON;
}

/* ------------------------------------------------------------------ errors */

static void json_error(struct vt_cli *c, const char *message, enum vt_error_code code)
{
	struct vt_json j;

	if (!c->json || c->emitted)
		return;
	vt_json_init(&j, stdout, true);
	vt_json_object_begin(&j, NULL);
	vt_json_object_begin(&j, "error");
	if (c->vmcore)
		vt_json_string(&j, "file", c->vmcore);
	else
		vt_json_null(&j, "file");
	vt_json_string(&j, "message", message);
	vt_json_string(&j, "code", vt_error_code_name(code));
	vt_json_object_end(&j);
	vt_json_object_end(&j);
	vt_json_finish(&j);
	c->emitted = true;
}

int vt_cli_fail(struct vt_cli *c, struct vt_error *err)
{
	/* Every message names the dump: scripts match on it. */
	if (c->vmcore && !strstr(err->message, c->vmcore))
		fprintf(stderr, "vmtriage: %s: %s\n", c->vmcore, err->message);
	else
		fprintf(stderr, "vmtriage: %s\n", err->message);
	json_error(c, err->message, err->code);
	vt_error_destroy(err);
	return VT_EXIT_ERROR;
}

int vt_cli_failf(struct vt_cli *c, enum vt_error_code code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmtriage %s: %s\n", c->cmd->name, msg);
	json_error(c, msg, code);
	return VT_EXIT_ERROR;
}

/* ------------------------------------------------------------------ running */

/*
 * Types from BTF or DWARF? A dump without them still gives what VMCOREINFO
 * allows (unknowns name the rest); the running kernel is only read for a
 * pre-flight verdict, which needs them.
 */
static bool have_types(struct vt_symbols *s)
{
	const struct vt_symbols_finder_status *st;
	size_t n = vt_symbols_finder_status(s, &st);

	for (size_t i = 0; i < n; i++)
		if (st[i].loaded && (!strcmp(st[i].name, "btf") || !strcmp(st[i].name, "dwarf")))
			return true;
	return false;
}

/*
 * No VMLINUX given: the dump's build-id asked of debuginfod servers
 * (--debuginfod URLS, else $DEBUGINFOD_URLS). What fails is said on stderr
 * and the run goes on with what the dump has.
 */
static void fetch_vmlinux(struct vt_cli *c)
{
	const struct vt_vmcoreinfo *vi = vt_target_vmcoreinfo(c->t);
	const char *bid = vi ? vt_vmcoreinfo_get(vi, "BUILD-ID") : NULL;
	struct vt_error *err;

	if (c->vmlinux || c->no_debuginfod || !vt_debuginfod_urls(c->debuginfod))
		return;
	err = vt_debuginfod_vmlinux(c->debuginfod, bid, isatty(STDERR_FILENO),
				    &c->vmlinux_fetched);
	if (err) {
		fprintf(stderr, "vmtriage: warning: %s; going on with what the dump has\n",
			err->message);
		vt_error_destroy(err);
		return;
	}
	fprintf(stderr, "vmtriage: vmlinux of build-id %s from debuginfod: %s\n", bid,
		c->vmlinux_fetched);
}

int vt_cli_session_open(struct vt_cli *c)
{
	struct vt_symbols_options opts = {
		.vmlinux = c->vmlinux, .force = c->force, .no_btf = c->no_btf,
	};
	const struct vt_target_info *ti;
	struct vt_error *err = c->live ? vt_target_open_kcore(c->vmcore, &c->t) :
			       c->npieces > 1 && opener == vt_target_open ?
			       vt_target_open_pieces(c->pieces, c->npieces, &c->t) :
			       opener(c->vmcore, &c->t);

	if (err) {
		c->t = NULL;
		return vt_cli_fail(c, err);
	}
	ti = vt_target_info(c->t);
	if (vt_tested_is_newer(ti->arch, ti->release))
		fprintf(stderr, "vmtriage: warning: %s: kernel %s is newer than any "
			"tested on %s (newest: %s); a layout that moved gives "
			"'unknown' naming what is missing\n", c->vmcore, ti->release,
			vt_arch_name(ti->arch), vt_tested_newest(ti->arch));
	if (!c->want_symbols)
		return VT_CLI_GO_ON;
	fetch_vmlinux(c);
	if (c->vmlinux_fetched)
		opts.vmlinux = c->vmlinux_fetched;
	err = vt_symbols_create(c->t, &opts, &c->s);
	if (err && c->vmlinux_fetched && err->code == VT_ERR_MISMATCH) {
		/* the server gave another kernel's file: not this dump's */
		fprintf(stderr, "vmtriage: warning: debuginfod's vmlinux is not this dump's: "
			"%s; going on with what the dump has\n", err->message);
		vt_error_destroy(err);
		opts.vmlinux = NULL;
		err = vt_symbols_create(c->t, &opts, &c->s);
	}
	if (err) {
		c->s = NULL;
		return vt_cli_fail(c, err);
	}
	if (ti->live && !have_types(c->s) && strcmp(c->cmd->name, "info") != 0)
		return vt_cli_fail(c, vt_error_create(VT_ERR_UNSUPPORTED, "no types for the running "
						      "kernel: no BTF (%s) and no vmlinux given; "
						      "give its vmlinux (the -dbg package)",
						      c->no_btf ? "--no-btf" :
						      "none in its memory"));
	return VT_CLI_GO_ON;
}

void vt_cli_session_close(struct vt_cli *c)
{
	vt_symbols_destroy(c->s);
	vt_target_destroy(c->t);
	free(c->vmlinux_fetched);
	c->s = NULL;
	c->t = NULL;
	c->vmlinux_fetched = NULL;
}

int vt_cli_emit(struct vt_cli *c, vt_cli_json_fn *json, vt_cli_text_fn *text, void *data)
{
	struct vt_error *err;

	if (c->json) {
		struct vt_json j;

		vt_json_init(&j, stdout, true);
		c->emitted = true;
		err = json(&j, data);
		vt_json_finish(&j);
	} else {
		err = text(data);
	}
	return err ? vt_cli_fail(c, err) : VT_EXIT_OK;
}

int vt_command_run(const struct vt_command *cmd, int argc, char **argv)
{
	struct vt_cli c = { .cmd = cmd, .want_symbols = true };
	int rc;

	c.opts = calloc(1, cmd->opts_size ? cmd->opts_size : 1);
	if (!c.opts) {
		fprintf(stderr, "vmtriage %s: out of memory\n", cmd->name);
		return VT_EXIT_ERROR;
	}
	if (cmd->opts_default)
		memcpy(c.opts, cmd->opts_default, cmd->opts_size);
	rc = parse(&c, argc, argv);
	if (rc == VT_CLI_GO_ON)
		rc = check_nargs(&c);
	if (rc == VT_CLI_GO_ON && cmd->check)
		rc = cmd->check(&c);
	if (rc == VT_CLI_GO_ON && !(cmd->flags & VT_CMD_NO_DUMP))
		rc = vt_cli_session_open(&c);
	if (rc == VT_CLI_GO_ON)
		rc = cmd->main(&c);
	vt_cli_session_close(&c);
	free(c.opts);
	return rc;
}

/* ------------------------------------------------------------------ helpers */

/* " 0x1000-0x1fff, 0x3000-0x3fff" (end inclusive, as people read ranges). */
static void print_ranges(const struct vt_dump_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s 0x%" PRIx64 "-0x%" PRIx64, i ? "," : "", r[i].start, r[i].end - 1);
}

void vt_cli_print_cut(struct vt_target *t)
{
	const struct vt_dump_cut *cut = vt_target_cut(t);

	if (!cut)
		return;
	printf("warning: the dump file is cut short (%" PRIu64 " of the %" PRIu64 " bytes its "
	       "headers describe: a full disk or an interrupted copy); no data for physical",
	       cut->file_size, cut->need);
	print_ranges(cut->missing, cut->nmissing);
	if (cut->missing_omitted)
		printf(" and %" PRIu64 " more range(s)", cut->missing_omitted);
	printf("; what needs it is unknown\n");
}

void vt_cli_print_split(struct vt_target *t)
{
	const struct vt_dump_split *sp = vt_target_split(t);

	if (!sp || !sp->nmissing)
		return;
	printf("warning: %u piece(s) of a split dump (makedumpfile --split), holding physical%s",
	       sp->npieces, sp->nheld ? "" : " nothing");
	print_ranges(sp->held, sp->nheld);
	printf("; the other pieces hold");
	print_ranges(sp->missing, sp->nmissing);
	printf(": give every piece (vmtriage COMMAND PIECE1 PIECE2 ... [VMLINUX]); what "
	       "needs them is unknown\n");
}

static void json_ranges(struct vt_json *j, const char *key, const struct vt_dump_range *r,
			size_t n)
{
	vt_json_array_begin(j, key);
	for (size_t i = 0; i < n; i++) {
		vt_json_object_begin(j, NULL);
		vt_json_hex(j, "start", r[i].start);
		vt_json_hex(j, "end", r[i].end);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
}

void vt_cli_json_split(struct vt_json *j, struct vt_target *t)
{
	const struct vt_dump_split *sp = vt_target_split(t);

	if (!sp) {
		vt_json_null(j, "split");
		return;
	}
	vt_json_object_begin(j, "split");
	vt_json_u64(j, "pieces", sp->npieces);
	json_ranges(j, "held", sp->held, sp->nheld);
	json_ranges(j, "missing", sp->missing, sp->nmissing);
	vt_json_u64(j, "omitted", sp->omitted);
	vt_json_object_end(j);
}

void vt_cli_json_cut(struct vt_json *j, struct vt_target *t)
{
	const struct vt_dump_cut *cut = vt_target_cut(t);

	if (!cut) {
		vt_json_null(j, "incomplete");
		return;
	}
	vt_json_object_begin(j, "incomplete");
	vt_json_string(j, "reason", "cut short");
	vt_json_u64(j, "file_size", cut->file_size);
	vt_json_u64(j, "expected_size", cut->need);
	json_ranges(j, "missing", cut->missing, cut->nmissing);
	vt_json_u64(j, "missing_omitted", cut->missing_omitted);
	vt_json_object_end(j);
}

void vt_cli_json_xlat_steps(struct vt_json *j, const char *key,
			    const struct vt_xlat_path *path)
{
	vt_json_array_begin(j, key);
	for (unsigned i = 0; i < path->nsteps; i++) {
		vt_json_object_begin(j, NULL);
		vt_json_string(j, "level", path->steps[i].level);
		vt_json_hex(j, "table", path->steps[i].table_paddr);
		vt_json_u64(j, "index", path->steps[i].index);
		vt_json_hex(j, "entry", path->steps[i].entry);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
}

struct vt_error *vt_cli_parse_addr(struct vt_symbols *s, const char *text,
				   uint64_t *ret)
{
	char name[256];
	const char *plus;
	uint64_t off = 0;
	char *end;
	size_t len;
	struct vt_error *err;

	errno = 0;
	*ret = strtoull(text, &end, 0);
	if (!errno && *text && !*end && *text != '-')
		return NULL;
	if (!s)
		return vt_error_create(VT_ERR_USAGE, "'%s' is not a number", text);
	plus = strchr(text, '+');
	len = plus ? (size_t)(plus - text) : strlen(text);
	if (plus) {
		errno = 0;
		off = strtoull(plus + 1, &end, 0);
		if (errno || *end || !plus[1])
			return vt_error_create(VT_ERR_USAGE, "bad offset in '%s'", text);
	}
	if (len == 0 || len >= sizeof(name))
		return vt_error_create(VT_ERR_USAGE, "bad address '%s'", text);
	memcpy(name, text, len);
	name[len] = '\0';
	err = vt_symbols_lookup(s, name, ret);
	if (!err)
		*ret += off;
	return err;
}
