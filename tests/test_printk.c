/*
 * The pre-5.10 log_buf ring on a fake little-endian ppc64 target (whose
 * linear map needs no page tables): records, the wrap marker, the first/next
 * indexes, and corrupt records. The 5.10+ ring is tested on real dumps.
 */
#include <stdio.h>
#include <string.h>

#include "core/byteorder.h"
#include "models/printk.h"
#include "target/target.h"
#include "symbols/symbols.h"
#include "unit.h"

#define MEM_SIZE (1u << 20)
#define KV(pa) (0xc000000000000000ull + (pa))
#define BUF 0x20000u
#define BUF_LEN 256u

static unsigned char mem[MEM_SIZE];

static struct vt_error *read_mem(void *arg, uint64_t pa, void *buf, size_t len)
{
	if (pa >= MEM_SIZE || len > MEM_SIZE - pa)
		return vt_error_create(VT_ERR_NODATA, "outside the fake memory");
	memcpy(buf, mem + pa, len);
	return NULL;
}

static void put64(uint64_t pa, uint64_t v) { for (int i = 0; i < 8; i++) mem[pa + i] = v >> (8 * i); }
static void put32(uint64_t pa, uint32_t v) { for (int i = 0; i < 4; i++) mem[pa + i] = v >> (8 * i); }
static void put16(uint64_t pa, uint16_t v) { mem[pa] = v & 0xff; mem[pa + 1] = v >> 8; }

/* A record at idx: 16-byte header {ts, len, text_len, dict_len, fac, flags/level}. */
static uint32_t record(uint32_t idx, uint64_t ts, const char *text, unsigned level)
{
	uint16_t tlen = (uint16_t)strlen(text), len = (uint16_t)((16 + tlen + 7) & ~7);

	put64(BUF + idx, ts);
	put16(BUF + idx + 8, len);
	put16(BUF + idx + 10, tlen);
	put16(BUF + idx + 12, 0);
	mem[BUF + idx + 14] = 0;
	mem[BUF + idx + 15] = (unsigned char)(level << 5);
	memcpy(mem + BUF + idx + 16, text, tlen);
	return idx + len;
}

struct got {
	char text[8][64];
	uint64_t ts[8];
	unsigned level[8];
	int n;
};

static int collect(void *arg, const struct vt_log_record *r)
{
	struct got *g = arg;

	if (g->n < 8) {
		snprintf(g->text[g->n], sizeof(g->text[0]), "%s", r->text);
		g->ts[g->n] = r->ts_nsec;
		g->level[g->n] = r->level;
	}
	g->n++;
	return 0;
}

static struct vt_error *read_log(struct got *g, uint64_t *skipped)
{
	static const char vmcoreinfo[] =
		"OSRELEASE=5.4.0-test\n"
		"PAGESIZE=65536\n"
		"SYMBOL(swapper_pg_dir)=c000000000010000\n"
		"SYMBOL(log_buf)=c000000000001000\n"
		"SYMBOL(log_buf_len)=c000000000001008\n"
		"SYMBOL(log_first_idx)=c000000000001010\n"
		"SYMBOL(log_next_idx)=c000000000001018\n"
		"SIZE(printk_log)=16\n"
		"OFFSET(printk_log.ts_nsec)=0\n"
		"OFFSET(printk_log.len)=8\n"
		"OFFSET(printk_log.text_len)=10\n";
	struct vt_target_backend b = {
		.read_phys = read_mem, .name = "fake", .arch = VT_ARCH_PPC64,
		.page_size = 65536, .vmcoreinfo = vmcoreinfo,
		.vmcoreinfo_len = sizeof(vmcoreinfo) - 1,
	};
	struct vt_target *t;
	struct vt_symbols *s;
	struct vt_error *err = vt_target_open_backend(&b, &t);

	if (err)
		return err;
	err = vt_symbols_create(t, NULL, &s);
	if (!err) {
		memset(g, 0, sizeof(*g));
		err = vt_log_read(t, s, collect, g, skipped);
		vt_symbols_destroy(s);
	}
	vt_target_destroy(t);
	return err;
}

int main(void)
{
	struct got g;
	uint64_t skipped;
	uint32_t idx, first;

	put64(0x1000, KV(BUF));
	put32(0x1008, BUF_LEN);
	/* Older records near the end, a wrap marker, newer ones at the start. */
	first = 128;
	idx = record(first, 1000, "old one", 6);
	idx = record(idx, 2000, "old two\n", 4);
	put16(BUF + idx + 8, 0);			/* wrap marker */
	idx = record(0, 3000, "new three", 3);
	idx = record(idx, 4000, "new four", 0);
	put32(0x1010, first);
	put32(0x1018, idx);

	CHECK_OK(read_log(&g, &skipped));
	CHECK(g.n == 4 && skipped == 0);
	CHECK(!strcmp(g.text[0], "old one") && g.ts[0] == 1000 && g.level[0] == 6);
	CHECK(!strcmp(g.text[1], "old two"));	/* trailing newline dropped */
	CHECK(!strcmp(g.text[2], "new three") && g.level[2] == 3);
	CHECK(!strcmp(g.text[3], "new four") && g.ts[3] == 4000);

	/* Empty log: first == next. */
	put32(0x1010, idx);
	CHECK_OK(read_log(&g, &skipped));
	CHECK(g.n == 0);

	/* A record claiming to run past the buffer stops the walk, counted. */
	put32(0x1010, 0);
	put16(BUF + 8, 0x7000);
	CHECK_OK(read_log(&g, &skipped));
	CHECK(g.n == 0 && skipped == 1);

	/* Indexes past the buffer: refused, not followed. */
	put32(0x1010, 5000);
	CHECK_ERR(read_log(&g, &skipped), VT_ERR_FORMAT);
	/* A cycle of len-0 markers at every index cannot loop forever. */
	memset(mem + BUF, 0, BUF_LEN);
	put32(0x1010, 0);
	put32(0x1018, 8);
	CHECK_OK(read_log(&g, &skipped));
	CHECK(g.n == 0);
	return unit_done("test_printk");
}
