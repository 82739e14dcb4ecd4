/* `vmtriage rd`: hexdump memory by kernel-virtual or physical address. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

#define MAX_RD (16u << 20)

static void hexdump(uint64_t addr, const unsigned char *buf, size_t len)
{
	for (size_t off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;

		printf("%016" PRIx64 ": ", addr + off);
		for (size_t i = 0; i < 16; i++) {
			if (i < n)
				printf("%02x", buf[off + i]);
			else
				printf("  ");
			if (i % 2)
				putchar(' ');
		}
		putchar(' ');
		for (size_t i = 0; i < n; i++)
			putchar(isprint(buf[off + i]) ? buf[off + i] : '.');
		putchar('\n');
	}
}

struct rd_opts {
	bool phys, verbose;
};

struct rd {
	const struct rd_opts *o;
	uint64_t addr, len, paddr;
	struct vt_xlat_path path;
	unsigned char *buf;
};

static void print_path(uint64_t vaddr, const struct vt_xlat_path *p)
{
	printf("virtual 0x%016" PRIx64 "\n", vaddr);
	if (p->nsteps == 0)
		printf("  direct (linear map): physical 0x%" PRIx64 "\n", p->paddr);
	for (unsigned i = 0; i < p->nsteps; i++)
		printf("  %-4s table 0x%012" PRIx64 " [%3u] = 0x%016" PRIx64 "\n",
		       p->steps[i].level, p->steps[i].table_paddr, p->steps[i].index,
		       p->steps[i].entry);
	printf("  physical 0x%" PRIx64 " (page size %" PRIu64 ")\n", p->paddr,
	       p->page_size);
}

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	static const char digits[] = "0123456789abcdef";
	const struct rd *r = data;
	char *hex = malloc(2 * r->len + 1);

	if (!hex)
		return &vt_enomem;
	for (uint64_t i = 0; i < r->len; i++) {
		hex[2 * i] = digits[r->buf[i] >> 4];
		hex[2 * i + 1] = digits[r->buf[i] & 15];
	}
	hex[2 * r->len] = '\0';
	vt_json_object_begin(j, NULL);
	vt_json_hex(j, "address", r->addr);
	vt_json_string(j, "space", r->o->phys ? "physical" : "kernel-virtual");
	if (!r->o->phys && r->o->verbose) {
		vt_json_hex(j, "physical", r->paddr);
		vt_cli_json_xlat_steps(j, "translation", &r->path);
		vt_json_u64(j, "page_size", r->path.page_size);
	}
	/* Bytes as one hex string: compact and exact. */
	vt_json_string(j, "bytes", hex);
	vt_json_object_end(j);
	free(hex);
	return NULL;
}

static struct vt_error *print_text(void *data)
{
	const struct rd *r = data;

	if (!r->o->phys && r->o->verbose)
		print_path(r->addr, &r->path);
	hexdump(r->addr, r->buf, r->len);
	return NULL;
}

/* Symbols only when the address is a name (saves the BTF load). */
static int check_rd(struct vt_cli *c)
{
	uint64_t addr;
	struct vt_error *err = vt_cli_parse_addr(NULL, c->args[0], &addr);

	c->want_symbols = err != NULL;
	vt_error_destroy(err);
	return VT_CLI_GO_ON;
}

static int run_rd(struct vt_cli *c)
{
	struct rd r = { .o = c->opts, .len = 64 };
	struct vt_error *err = vt_cli_parse_addr(c->s, c->args[0], &r.addr);
	int rc;

	if (!err && c->nargs == 2)
		err = vt_cli_parse_addr(NULL, c->args[1], &r.len);
	if (!err && (r.len == 0 || r.len > MAX_RD))
		err = vt_error_create(VT_ERR_USAGE, "LEN must be 1..%u", MAX_RD);
	r.buf = err ? NULL : malloc(r.len);
	if (!err && !r.buf)
		err = &vt_enomem;
	if (!err && !r.o->phys && r.o->verbose)
		err = vt_target_vtop(c->t, r.addr, &r.paddr, &r.path);
	if (!err)
		err = r.o->phys ? vt_target_read_phys(c->t, r.addr, r.buf, r.len) :
				  vt_target_read_kv(c->t, r.addr, r.buf, r.len);
	rc = err ? vt_cli_fail(c, err) : vt_cli_emit(c, print_json, print_text, &r);
	free(r.buf);
	return rc;
}

static const struct vt_cli_option rd_options[] = {
	{ .name = "phys", .help = "ADDR is physical", VT_CLI_BOOL(struct rd_opts, phys) },
	{ .name = "verbose", .short_name = 'v',
	  .help = "show the page-table walk that translated ADDR",
	  VT_CLI_BOOL(struct rd_opts, verbose) },
	{ 0 },
};

const struct vt_command vt_cmd_rd = {
	.name = "rd",
	.args = "ADDR [LEN]",
	.min_args = 1,
	.max_args = 2,
	.summary = "Hexdump memory at a kernel-virtual (default) or physical address",
	.help = "ADDR is a number or symbol[+offset]; LEN defaults to 64 bytes (max 16 MiB).\n",
	.options = rd_options,
	.opts_size = sizeof(struct rd_opts),
	.check = check_rd,
	.main = run_rd,
};
