/* The fake dump of fake_target.h. */
#include "fake_target.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct vt_error *fake_read(void *arg, uint64_t pa, void *buf, size_t len)
{
	struct fake *f = arg;

	f->reads++;
	if (f->on_read)
		f->on_read(f, pa);
	if (pa >= FAKE_MEM_SIZE || len > FAKE_MEM_SIZE - pa)
		return vt_error_create(VT_ERR_FAULT, "0x%llx outside the fake memory",
				       (unsigned long long)pa);
	for (unsigned i = 0; i < f->nfiltered; i++)
		if (pa < f->filtered[i][1] && pa + len > f->filtered[i][0])
			return vt_error_create(VT_ERR_NODATA, "0x%llx filtered",
					       (unsigned long long)pa);
	memcpy(buf, f->mem + pa, len);
	return NULL;
}

void fake_init(struct fake *f, const char *release, uint32_t page_size)
{
	memset(f, 0, sizeof(*f));
	f->mem = calloc(1, FAKE_MEM_SIZE);
	if (!f->mem)
		abort();
	f->page_size = page_size;
	fake_vi(f, "OSRELEASE=%s", release);
	fake_vi(f, "PAGESIZE=%u", page_size);
	/* ppc64 radix: the linear map needs no table, but the root must be named */
	fake_vi(f, "SYMBOL(swapper_pg_dir)=%llx", (unsigned long long)KV(0x10000));
}

void fake_free(struct fake *f)
{
	fake_close(f);
	free(f->mem);
	f->mem = NULL;
}

void fake_vi(struct fake *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(f->vmcoreinfo + f->vi_len, sizeof(f->vmcoreinfo) - f->vi_len - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(f->vmcoreinfo) - f->vi_len - 1)
		abort();
	f->vi_len += (size_t)n;
	f->vmcoreinfo[f->vi_len++] = '\n';
	f->vmcoreinfo[f->vi_len] = '\0';
}

void fake_vi_drop(struct fake *f, const char *key)
{
	size_t klen = strlen(key);

	for (char *line = f->vmcoreinfo; *line;) {
		char *nl = strchr(line, '\n');
		size_t llen = nl ? (size_t)(nl - line) + 1 : strlen(line);

		if (!strncmp(line, key, klen) && line[klen] == '=') {
			memmove(line, line + llen, strlen(line + llen) + 1);
			f->vi_len -= llen;
			continue;
		}
		line += llen;
	}
}

void fake_put64(struct fake *f, uint64_t pa, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		f->mem[pa + i] = (unsigned char)(v >> (8 * i));
}

void fake_put32(struct fake *f, uint64_t pa, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		f->mem[pa + i] = (unsigned char)(v >> (8 * i));
}

void fake_put16(struct fake *f, uint64_t pa, uint16_t v)
{
	f->mem[pa] = (unsigned char)v;
	f->mem[pa + 1] = (unsigned char)(v >> 8);
}

void fake_puts(struct fake *f, uint64_t pa, const char *s)
{
	memcpy(f->mem + pa, s, strlen(s) + 1);
}

void fake_filter(struct fake *f, uint64_t pa, uint64_t len)
{
	if (f->nfiltered == FAKE_MAX_FILTERED)
		abort();
	f->filtered[f->nfiltered][0] = pa;
	f->filtered[f->nfiltered][1] = pa + len;
	f->nfiltered++;
}

void fake_unfilter(struct fake *f)
{
	f->nfiltered = 0;
}

struct vt_error *fake_open(struct fake *f)
{
	struct vt_target_backend b = {
		.read_phys = fake_read, .arg = f, .name = "fake", .arch = VT_ARCH_PPC64,
		.page_size = f->page_size, .ncpus = 1, .vmcoreinfo = f->vmcoreinfo,
		.vmcoreinfo_len = f->vi_len, .live = f->live,
	};
	struct vt_error *err;

	fake_close(f);
	err = vt_target_open_backend(&b, &f->t);
	if (err)
		return err;
	err = vt_symbols_create(f->t, NULL, &f->s);
	if (err) {
		vt_target_destroy(f->t);
		f->t = NULL;
	}
	return err;
}

void fake_close(struct fake *f)
{
	if (f->s)
		vt_symbols_destroy(f->s);
	if (f->t)
		vt_target_destroy(f->t);
	f->s = NULL;
	f->t = NULL;
}

void fake_log_init(struct fake *f, uint64_t ctl, uint64_t buf, uint32_t len)
{
	f->log_ctl = ctl;
	f->log_buf = buf;
	f->log_len = len;
	f->log_next = 0;
	fake_vi(f, "SYMBOL(log_buf)=%llx", (unsigned long long)KV(ctl));
	fake_vi(f, "SYMBOL(log_buf_len)=%llx", (unsigned long long)KV(ctl + 8));
	fake_vi(f, "SYMBOL(log_first_idx)=%llx", (unsigned long long)KV(ctl + 16));
	fake_vi(f, "SYMBOL(log_next_idx)=%llx", (unsigned long long)KV(ctl + 24));
	/* kernel/printk/printk.c (v3.5-v5.9): struct printk_log, 16 bytes */
	fake_vi(f, "SIZE(printk_log)=16");
	fake_vi(f, "OFFSET(printk_log.ts_nsec)=0");
	fake_vi(f, "OFFSET(printk_log.len)=8");
	fake_vi(f, "OFFSET(printk_log.text_len)=10");
	fake_put64(f, ctl, KV(buf));
	fake_put32(f, ctl + 8, len);
	fake_put32(f, ctl + 16, 0);
	fake_put32(f, ctl + 24, 0);
}

/* {u64 ts_nsec, u16 len, u16 text_len, u16 dict_len, u8 facility, u8 flags:5 level:3} */
void fake_log(struct fake *f, const char *text)
{
	uint16_t tlen = (uint16_t)strlen(text), len = (uint16_t)((16 + tlen + 7) & ~7);
	uint64_t at = f->log_buf + f->log_next;

	if (f->log_next + len > f->log_len)
		abort();
	fake_put64(f, at, 1000ull * (f->log_next + 1));
	fake_put16(f, at + 8, len);
	fake_put16(f, at + 10, tlen);
	fake_put16(f, at + 12, 0);
	f->mem[at + 14] = 0;
	f->mem[at + 15] = 6 << 5;
	memcpy(f->mem + at + 16, text, tlen);
	f->log_next += len;
	fake_put32(f, f->log_ctl + 24, f->log_next);
}

void fake_memmap_layout(struct fake *f)
{
	fake_vi(f, "NUMBER(SECTION_SIZE_BITS)=24");
	fake_vi(f, "NUMBER(MAX_PHYSMEM_BITS)=36");
	fake_vi(f, "SYMBOL(mem_section)=%llx", (unsigned long long)KV(FAKE_ROOTS));
	fake_vi(f, "LENGTH(mem_section)=1");
	fake_vi(f, "SIZE(mem_section)=16");
	fake_vi(f, "OFFSET(mem_section.section_mem_map)=0");
	fake_vi(f, "OFFSET(mem_section.usage)=8");
	fake_vi(f, "OFFSET(mem_section_usage.subsection_map)=0");
	fake_vi(f, "SIZE(page)=64");
	fake_vi(f, "OFFSET(page.flags)=0");
	fake_vi(f, "OFFSET(page.compound_head)=8");
	fake_vi(f, "OFFSET(page.mapping)=24");
	fake_vi(f, "OFFSET(page.private)=40");
	fake_vi(f, "OFFSET(page._mapcount)=48");
	fake_vi(f, "OFFSET(page._refcount)=52");
	fake_vi(f, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129");	/* ~0x80 */
	fake_put64(f, FAKE_ROOTS, KV(FAKE_SECS));
}

void fake_section(struct fake *f, unsigned nr, uint64_t flags, uint64_t usage)
{
	/* section_mem_map = mem_map - section_start_pfn (in struct pages) | flags */
	fake_put64(f, FAKE_SECS + 16 * nr, KV(FAKE_MEMMAP) | flags);
	fake_put64(f, FAKE_SECS + 16 * nr + 8, usage ? KV(usage) : 0);
}
