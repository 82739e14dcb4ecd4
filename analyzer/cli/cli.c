#include "cli/cli.h"
#include "cli/tested.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct vt_error *(*opener)(const char *, struct vt_target **) = vt_target_open;

void vt_cli_set_opener(struct vt_error *(*open)(const char *vmcore, struct vt_target **ret))
{
	opener = open ? open : vt_target_open;
}

/* The dump being read, so that every error names it (scripts match on it). */
static const char *cli_dump_path;

void vt_cli_error(struct vt_error *err)
{
	if (cli_dump_path && !strstr(err->message, cli_dump_path))
		fprintf(stderr, "vmtriage: %s: %s\n", cli_dump_path, err->message);
	else
		fprintf(stderr, "vmtriage: %s\n", err->message);
	vt_error_destroy(err);
}

void vt_cli_usage(const struct vt_command *cmd, FILE *fp)
{
	fprintf(fp, "Usage: vmtriage %s %s\n\n%s\n", cmd->name, cmd->args,
		cmd->summary);
	if (cmd->help && *cmd->help)
		fprintf(fp, "\n%s", cmd->help);
	fprintf(fp,
		"\nCommon options:\n"
		"  --json       machine-readable output\n"
		"  --force      use a VMLINUX that does not match the dump\n"
		"  --no-btf     ignore BTF (types from DWARF or VMCOREINFO only)\n"
		"  -h, --help   this help\n");
	/* Commands with other exit statuses say so in their own help. */
	if (!cmd->help || !strstr(cmd->help, "Exit status"))
		fprintf(fp, "\nExit status: 0 success, 2 error.\n");
}

/* A vmlinux is an ELF executable; a vmcore is an ELF core or not ELF. */
static bool looks_like_vmlinux(const char *path)
{
	unsigned char h[EI_NIDENT + 2];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	uint16_t type;

	if (fd < 0)
		return false;
	n = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (n < (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG) != 0)
		return false;
	type = h[EI_DATA] == ELFDATA2MSB ? (uint16_t)(h[EI_NIDENT] << 8 | h[EI_NIDENT + 1]) :
	       (uint16_t)(h[EI_NIDENT + 1] << 8 | h[EI_NIDENT]);
	return type == ET_EXEC || type == ET_DYN;
}

int vt_cli_parse(const struct vt_command *cmd, int argc, char **argv,
		 unsigned allow, struct vt_cli_common *ret)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "phys", no_argument, NULL, 'p' },
		{ "no-btf", no_argument, NULL, 'B' },
		{ "sections", no_argument, NULL, 'S' },
		{ "ranges", no_argument, NULL, 'R' },
		{ "pfn", required_argument, NULL, 'P' },
		{ "plugin", required_argument, NULL, 'G' },
		{ "pid", required_argument, NULL, 'I' },
		{ "kernel", no_argument, NULL, 'K' },
		{ "summary", no_argument, NULL, 'Y' },
		{ "raw", no_argument, NULL, 'W' },
		{ "boot", no_argument, NULL, 'O' },
		{ "html", required_argument, NULL, 'H' },
		{ "svg", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(ret, 0, sizeof(*ret));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 'j': ret->json = true; break;
		case 'f': ret->force = true; break;
		case 'B': ret->no_btf = true; break;
		case 'v': ret->verbose = true; break;
		case 'p':
			if (!(allow & VT_OPT_PHYS))
				goto bad;
			ret->phys = true;
			break;
		case 'S':
			if (!(allow & VT_OPT_SECTIONS))
				goto bad;
			ret->sections = true;
			break;
		case 'R':
			if (!(allow & VT_OPT_RANGES))
				goto bad;
			ret->ranges = true;
			break;
		case 'P':
			if (!(allow & VT_OPT_PFN))
				goto bad;
			ret->pfn = optarg;
			break;
		case 'G':
			if (!(allow & VT_OPT_PLUGIN))
				goto bad;
			ret->plugin = optarg;
			break;
		case 'I':
			if (!(allow & VT_OPT_PID))
				goto bad;
			ret->pid = optarg;
			break;
		case 'K':
			if (!(allow & VT_OPT_KERNEL))
				goto bad;
			ret->kernel = true;
			break;
		case 'Y':
			if (!(allow & VT_OPT_SUMMARY))
				goto bad;
			ret->summary = true;
			break;
		case 'W':
			if (!(allow & VT_OPT_RAW))
				goto bad;
			ret->raw = true;
			break;
		case 'O':
			if (!(allow & VT_OPT_BOOT))
				goto bad;
			ret->boot = true;
			break;
		case 'H':
		case 'V':
			if (!(allow & VT_OPT_PICTURE))
				goto bad;
			*(c == 'H' ? &ret->html : &ret->svg) = optarg;
			break;
		case 'h':
			vt_cli_usage(cmd, stdout);
			return VT_EXIT_OK;
		default:
			goto bad;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vmtriage %s: missing VMCORE\n", cmd->name);
		vt_cli_usage(cmd, stderr);
		return VT_EXIT_ERROR;
	}
	ret->vmcore = argv[optind++];
	if (optind < argc && looks_like_vmlinux(argv[optind]))
		ret->vmlinux = argv[optind++];
	ret->nargs = argc - optind;
	ret->args = argv + optind;
	return -1;
bad:
	fprintf(stderr, "vmtriage %s: unknown option '%s'\n", cmd->name,
		argv[optind - 1]);
	vt_cli_usage(cmd, stderr);
	return VT_EXIT_ERROR;
}

int vt_cli_open(const struct vt_cli_common *c, bool want_symbols,
		struct vt_target **t_ret, struct vt_symbols **s_ret)
{
	struct vt_symbols_options opts = {
		.vmlinux = c->vmlinux, .force = c->force, .no_btf = c->no_btf,
	};
	struct vt_error *err = opener(c->vmcore, t_ret);

	cli_dump_path = c->vmcore;
	if (err) {
		vt_cli_error(err);
		return VT_EXIT_ERROR;
	}
	{
		const struct vt_target_info *ti = vt_target_info(*t_ret);

		if (vt_tested_is_newer(ti->arch, ti->release))
			fprintf(stderr, "vmtriage: warning: %s: kernel %s is newer than any "
				"tested on %s (newest: %s); a layout that moved gives "
				"'unknown' naming what is missing\n", c->vmcore, ti->release,
				vt_arch_name(ti->arch), vt_tested_newest(ti->arch));
	}
	if (!want_symbols)
		return -1;
	err = vt_symbols_create(*t_ret, &opts, s_ret);
	if (err) {
		vt_cli_error(err);
		vt_target_destroy(*t_ret);
		*t_ret = NULL;
		return VT_EXIT_ERROR;
	}
	return -1;
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
