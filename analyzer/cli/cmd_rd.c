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

static void print_path(uint64_t vaddr, const struct vt_xlat_path *p, bool json,
		       struct vt_json *j)
{
	if (json) {
		vt_cli_json_xlat_steps(j, "translation", p);
		vt_json_u64(j, "page_size", p->page_size);
		return;
	}
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

static int run_rd(int argc, char **argv)
{
	struct vt_cli_common c;
	struct vt_target *t;
	struct vt_symbols *s = NULL;
	struct vt_xlat_path path;
	uint64_t addr, len = 64, paddr;
	unsigned char *buf;
	struct vt_error *err;
	int rc = vt_cli_parse(&vt_cmd_rd, argc, argv, VT_OPT_PHYS, &c);
	struct vt_json j;

	if (rc >= 0)
		return rc;
	if (c.nargs < 1 || c.nargs > 2) {
		fprintf(stderr, "vmtriage rd: need ADDR [LEN]\n");
		return VT_EXIT_ERROR;
	}
	/* Symbols only when the address is a name (saves the BTF load). */
	err = vt_cli_parse_addr(NULL, c.args[0], &addr);
	if ((rc = vt_cli_open(&c, err != NULL, &t, &s)) >= 0) {
		vt_error_destroy(err);
		return rc;
	}
	if (err) {
		vt_error_destroy(err);
		err = vt_cli_parse_addr(s, c.args[0], &addr);
	}
	if (!err && c.nargs == 2)
		err = vt_cli_parse_addr(NULL, c.args[1], &len);
	if (!err && (len == 0 || len > MAX_RD))
		err = vt_error_create(VT_ERR_USAGE, "LEN must be 1..%u", MAX_RD);
	buf = err ? NULL : malloc(len);
	if (!err && !buf)
		err = &vt_enomem;
	if (!err && !c.phys && c.verbose)
		err = vt_target_vtop(t, addr, &paddr, &path);
	if (!err)
		err = c.phys ? vt_target_read_phys(t, addr, buf, len) :
			       vt_target_read_kv(t, addr, buf, len);
	if (err) {
		vt_cli_error(err);
		rc = VT_EXIT_ERROR;
	} else if (c.json) {
		vt_json_init(&j, stdout, true);
		vt_json_object_begin(&j, NULL);
		vt_json_hex(&j, "address", addr);
		vt_json_string(&j, "space", c.phys ? "physical" : "kernel-virtual");
		if (!c.phys && c.verbose) {
			vt_json_hex(&j, "physical", paddr);
			print_path(addr, &path, true, &j);
		}
		/* Bytes as one hex string: compact and exact. */
		fprintf(stdout, ",\n  \"bytes\": \"");
		for (uint64_t i = 0; i < len; i++)
			fprintf(stdout, "%02x", buf[i]);
		fprintf(stdout, "\"\n}\n");
		rc = VT_EXIT_OK;
	} else {
		if (!c.phys && c.verbose)
			print_path(addr, &path, false, NULL);
		hexdump(addr, buf, len);
		rc = VT_EXIT_OK;
	}
	free(buf);
	vt_symbols_destroy(s);
	vt_target_destroy(t);
	return rc;
}

const struct vt_command vt_cmd_rd = {
	.name = "rd",
	.args = "VMCORE [VMLINUX] ADDR [LEN] [--phys] [--verbose] [--json]",
	.summary = "Hexdump memory at a kernel-virtual (default) or physical address",
	.help = "ADDR is a number or symbol[+offset]; LEN defaults to 64 bytes (max 16 MiB).\n"
		"  --phys       ADDR is physical\n"
		"  --verbose    show the page-table walk that translated ADDR\n",
	.run = run_rd,
};
