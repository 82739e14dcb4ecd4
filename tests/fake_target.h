/*
 * A fake dump for the model tests: a little-endian ppc64 target (its linear
 * map needs no page tables: kernel address KV(pa) reads physical pa) over a
 * zeroed in-memory buffer, with a VMCOREINFO text the test writes line by
 * line. The symbols layer answers SYMBOL/SIZE/OFFSET/LENGTH/NUMBER from it,
 * as it does for a dump without BTF or vmlinux. Ranges marked filtered read
 * as VT_ERR_NODATA, like pages makedumpfile dropped.
 */
#ifndef VT_TESTS_FAKE_TARGET_H
#define VT_TESTS_FAKE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbols/symbols.h"
#include "target/target.h"

#define FAKE_MEM_SIZE (8u << 20)
#define FAKE_MAX_FILTERED 8
#define KV(pa) (0xc000000000000000ull + (uint64_t)(pa))

struct fake {
	unsigned char *mem;			/* FAKE_MEM_SIZE bytes */
	char vmcoreinfo[16384];
	size_t vi_len;
	uint32_t page_size;
	unsigned nfiltered;
	uint64_t filtered[FAKE_MAX_FILTERED][2];	/* [start, end) */
	uint64_t reads;				/* read_phys calls */
	/* a running kernel's target (vt_target_info.live); on_read, when set,
	 * is called before each read: the test changes memory under a walk */
	bool live;
	void (*on_read)(struct fake *f, uint64_t pa);
	unsigned hook_count;			/* for on_read's own use */
	/* the pre-5.10 printk ring (fake_log_*) */
	uint64_t log_buf, log_ctl;
	uint32_t log_len, log_next;
	struct vt_target *t;
	struct vt_symbols *s;
};

/* Zeroed memory; VMCOREINFO with OSRELEASE, PAGESIZE and swapper_pg_dir. */
void fake_init(struct fake *f, const char *release, uint32_t page_size);
/* Close the target and free everything. */
void fake_free(struct fake *f);
/* Append one VMCOREINFO line (printf-style, no newline). */
void fake_vi(struct fake *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Remove the VMCOREINFO line whose key is key ("OFFSET(page.flags)"). */
void fake_vi_drop(struct fake *f, const char *key);
/* Little-endian stores into the fake physical memory. */
void fake_put64(struct fake *f, uint64_t pa, uint64_t v);
void fake_put32(struct fake *f, uint64_t pa, uint32_t v);
void fake_put16(struct fake *f, uint64_t pa, uint16_t v);
void fake_puts(struct fake *f, uint64_t pa, const char *s);	/* with its NUL */
/* Make [pa, pa + len) read as VT_ERR_NODATA; fake_unfilter() clears all. */
void fake_filter(struct fake *f, uint64_t pa, uint64_t len);
void fake_unfilter(struct fake *f);
/* (Re)open target and symbols over the current memory and VMCOREINFO. */
struct vt_error *fake_open(struct fake *f);
void fake_close(struct fake *f);

/*
 * The pre-5.10 printk ring (struct printk_log records in log_buf) at
 * physical buf, len bytes, its four variables at physical ctl; records are
 * appended in order, no wrap. The VMCOREINFO lines go in with fake_log_init.
 */
void fake_log_init(struct fake *f, uint64_t ctl, uint64_t buf, uint32_t len);
void fake_log(struct fake *f, const char *text);

/*
 * SPARSEMEM_EXTREME with 64 KiB pages and 16 MiB sections (ppc64's
 * geometry: FAKE_PPS pages a section, 8 subsections of 2 MiB), one root at
 * FAKE_ROOTS pointing to 4096 16-byte struct mem_section at FAKE_SECS, and
 * the 64-byte v5.4 struct page (flags 0, compound_head 8, mapping 24,
 * private 40, _mapcount 48, _refcount 52) as VMCOREINFO gives them. The
 * struct pages of section nr are at FAKE_PAGE(nr * FAKE_PPS).
 */
#define FAKE_PPS 256u
#define FAKE_ROOTS 0x20000u
#define FAKE_SECS 0x30000u
#define FAKE_MEMMAP 0x100000u
#define FAKE_PAGE(pfn) (FAKE_MEMMAP + (uint64_t)(pfn) * 64)
void fake_memmap_layout(struct fake *f);
/* Section nr: flags (bit 0 present, 1 mem_map, 2 online, 3 early), usage
 * the physical address of its mem_section_usage or 0. */
void fake_section(struct fake *f, unsigned nr, uint64_t flags, uint64_t usage);

#endif
