/*
 * SPARSEMEM sections and the struct page scan (include/linux/mmzone.h facts):
 * mem_section is an array of NR_SECTION_ROOTS roots, each (with
 * SPARSEMEM_EXTREME) a pointer to PAGE_SIZE / sizeof(struct mem_section)
 * sections; section_mem_map holds flag bits and the encoded mem_map
 * (mem_map - section_start_pfn), usage->subsection_map says which 2 MiB
 * subsections of a non-early section are valid.
 */
#include "models/memmap_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/byteorder.h"

#define MAX_ROOTS (1u << 20)
#define ROOT_CHUNK 512u	/* root pointers per read */
#define SUBSECTION_SHIFT 21
#define SCAN_CHUNK (1u << 20)	/* bytes of struct pages per read */

uint32_t vt_memmap_offset(struct vt_memmap *m, const char *type,
			  const char *member, uint32_t dflt, bool *known)
{
	uint64_t off;
	struct vt_error *err = vt_symbols_offsetof(m->s, type, member, &off);

	if (err) {
		vt_error_destroy(err);
		if (known)
			*known = false;
		return dflt;
	}
	if (known)
		*known = true;
	return (uint32_t)off;
}

int64_t vt_memmap_constant(struct vt_memmap *m, const char *name, int64_t dflt)
{
	int64_t v;
	struct vt_error *err = vt_symbols_constant(m->s, name, &v);

	if (err) {
		vt_error_destroy(err);
		return dflt;
	}
	return v;
}

static int64_t vi_num(struct vt_memmap *m, const char *kind, const char *name,
		      int64_t dflt)
{
	int64_t v;
	struct vt_error *err = vt_vmcoreinfo_number(vt_target_vmcoreinfo(m->t),
						   kind, name, &v);

	if (err) {
		vt_error_destroy(err);
		return dflt;
	}
	return v;
}

/*
 * The section flag bits. From v5.12 an enum in the types names each
 * (SECTION_*_BIT; SECTION_TAINT_ZONE_DEVICE_BIT only with CONFIG_ZONE_DEVICE).
 * Before, #defines the types cannot hold, whose values the kernel release
 * dates: PRESENT 0 and HAS_MEM_MAP 1 always, IS_ONLINE 2 from v4.13,
 * IS_EARLY 3 from v5.3, and the encoded mem_map above the last. A bit the
 * kernel does not have is NO_BIT.
 *
 * A v5.12+ dump without the types (no vmlinux, no BTF) still has those four
 * first in the enum; what follows them depends on the config (ZONE_DEVICE,
 * HUGETLB_PAGE_OPTIMIZE_VMEMMAP), so the device bit is not known there.
 * The encoded mem_map is the vmemmap base, or a memmap allocation minus a
 * multiple of PAGES_PER_SECTION struct pages: at least 64-byte aligned, so
 * every flag lies in its low 6 bits (sparse.c's BUILD_BUG_ON keeps
 * SECTION_MAP_LAST_BIT below the pointer's alignment).
 */
#define NO_BIT 64u

struct section_bits {
	unsigned present, mem_map, online, early, device, map_last;
	bool device_unknown;
};

static struct vt_error *section_bit(struct vt_memmap *m, const char *name, bool optional,
				    unsigned *ret)
{
	int64_t v;
	struct vt_error *err = vt_symbols_constant(m->s, name, &v);

	if (!err && (v < 0 || v >= 63))
		return vt_error_create(VT_ERR_FORMAT, "%s = %" PRId64, name, v);
	if (!err)
		*ret = (unsigned)v;
	else if (optional && vt_error_catch(&err, VT_ERR_NOT_FOUND))
		*ret = NO_BIT;
	return err;
}

static struct vt_error *section_bits(struct vt_memmap *m, struct section_bits *b)
{
	memset(b, 0, sizeof(*b));
	const char *release = vt_target_info(m->t)->release;
	int major, minor, v;
	struct vt_error *err = section_bit(m, "SECTION_MAP_LAST_BIT", false, &b->map_last);

	if (!vt_error_catch(&err, VT_ERR_NOT_FOUND)) {
		if (!err)
			err = section_bit(m, "SECTION_MARKED_PRESENT_BIT", false, &b->present);
		if (!err)
			err = section_bit(m, "SECTION_HAS_MEM_MAP_BIT", false, &b->mem_map);
		if (!err)
			err = section_bit(m, "SECTION_IS_ONLINE_BIT", false, &b->online);
		if (!err)
			err = section_bit(m, "SECTION_IS_EARLY_BIT", false, &b->early);
		if (!err)
			err = section_bit(m, "SECTION_TAINT_ZONE_DEVICE_BIT", true, &b->device);
		return err;
	}
	if (!vt_release_version(release, &major, &minor))
		return vt_error_create(VT_ERR_NOT_FOUND, "SECTION_MAP_LAST_BIT: not in the "
				       "types, and no kernel release to date the #defines");
	v = major * 1000 + minor;
	b->present = 0;
	if (v >= 5012) {
		b->mem_map = 1;
		b->online = 2;
		b->early = 3;
		b->device = NO_BIT;
		b->device_unknown = true;
		b->map_last = 6;
		return NULL;
	}
	b->mem_map = 1;
	b->online = v >= 4013 ? 2 : NO_BIT;
	b->early = v >= 5003 ? 3 : NO_BIT;
	b->device = NO_BIT;
	b->map_last = v >= 5003 ? 4 : v >= 4013 ? 3 : 2;
	return NULL;
}

static bool has_bit(uint64_t coded, unsigned bit)
{
	return bit < NO_BIT && (coded >> bit & 1);
}

static bool is_kernel_address(const struct vt_memmap *m, uint64_t a)
{
	return a >= vt_target_info(m->t)->arch_ops->kernel_space_start;
}

static struct vt_error *load_sections(struct vt_memmap *m)
{
	const struct vt_vmcoreinfo *vi = vt_target_vmcoreinfo(m->t);
	struct vt_memmap_geometry *g = &m->geo;
	uint64_t roots_addr, sec_size, per_root, nroots, nr_mem_sections, cap = 0;
	uint64_t off_usage, off_submap, map_mask;
	int64_t max_phys, len;
	struct section_bits bits;
	unsigned char *root_buf = NULL, roots[ROOT_CHUNK][8];
	struct vt_error *err;
	bool usage_known, submap_known;

	g->section_size_bits = (unsigned)vi_num(m, "NUMBER", "SECTION_SIZE_BITS", 0);
	max_phys = vi_num(m, "NUMBER", "MAX_PHYSMEM_BITS", 0);
	if (g->section_size_bits < g->page_shift || g->section_size_bits > 40 ||
	    max_phys <= g->section_size_bits || max_phys > 64)
		return vt_error_create(VT_ERR_UNSUPPORTED,
			"VMCOREINFO lacks sane SECTION_SIZE_BITS/MAX_PHYSMEM_BITS (%u/%" PRId64
			"): not a SPARSEMEM kernel?", g->section_size_bits, max_phys);
	g->pages_per_section = 1ull << (g->section_size_bits - g->page_shift);
	g->subsections_per_section = g->section_size_bits > SUBSECTION_SHIFT ?
		1u << (g->section_size_bits - SUBSECTION_SHIFT) : 1;
	if (g->subsections_per_section > 64)
		return vt_error_create(VT_ERR_UNSUPPORTED, "more than 64 subsections per section");
	sec_size = (uint64_t)vi_num(m, "SIZE", "mem_section", 0);
	if (sec_size < 16 || sec_size > 64)
		return vt_error_create(VT_ERR_FORMAT, "SIZE(mem_section) = %" PRIu64, sec_size);
	nr_mem_sections = 1ull << (max_phys - g->section_size_bits);
	/* makedumpfile's rule: the root count tells EXTREME from classic. */
	len = vi_num(m, "LENGTH", "mem_section", 0);
	per_root = vt_target_info(m->t)->page_size / sec_size;
	if (len > 0 && (uint64_t)len * per_root == nr_mem_sections) {
		g->extreme = true;
	} else if (len > 0 && (uint64_t)len == nr_mem_sections) {
		g->extreme = false;
		per_root = 1;
	} else {
		return vt_error_create(VT_ERR_UNSUPPORTED,
			"LENGTH(mem_section) = %" PRId64 " fits neither SPARSEMEM layout "
			"(%" PRIu64 " sections)", len, nr_mem_sections);
	}
	nroots = (uint64_t)len;
	if (nroots > MAX_ROOTS)
		return vt_error_create(VT_ERR_FORMAT, "%" PRIu64 " section roots", nroots);
	err = vt_vmcoreinfo_symbol(vi, "mem_section", &roots_addr);
	if (err)
		return vt_error_prefix(err, "VMCOREINFO SYMBOL(mem_section)");

	if ((err = section_bits(m, &bits)))
		return vt_error_prefix(err, "memory section flags");
	map_mask = ~((1ull << bits.map_last) - 1);
	g->zone_device_known = !bits.device_unknown;
	off_usage = vt_memmap_offset(m, "struct mem_section", "usage", 0, &usage_known);
	off_submap = vt_memmap_offset(m, "struct mem_section_usage", "subsection_map",
				      0, &submap_known);
	g->subsections_known = usage_known && submap_known;

	root_buf = malloc(per_root * sec_size);
	if (!root_buf)
		return &vt_enomem;
	for (uint64_t r = 0; r < nroots; r++) {
		uint64_t base;

		if (g->extreme) {
			/* The root pointers ROOT_CHUNK at a time: ppc64 4K has 2^19 of
			 * them, mostly NULL, and one read each cost 0.3 s. */
			if (r % ROOT_CHUNK == 0) {
				uint64_t n = nroots - r < ROOT_CHUNK ? nroots - r : ROOT_CHUNK;

				err = vt_target_read_kv(m->t, roots_addr + 8 * r, roots, 8 * n);
				if (err)
					goto fail;
			}
			base = vt_load64(roots[r % ROOT_CHUNK], m->be);
			if (!base)
				continue;
		} else {
			base = roots_addr + r * sec_size;
		}
		err = vt_target_read_kv(m->t, base, root_buf, per_root * sec_size);
		if (err)
			goto fail;
		for (uint64_t i = 0; i < per_root; i++) {
			const unsigned char *p = root_buf + i * sec_size;
			uint64_t coded = vt_load64(p, m->be);
			struct vt_section *s;

			if (!has_bit(coded, bits.present))
				continue;
			if (m->nsections == cap) {
				uint64_t ncap = cap ? 2 * cap : 256;
				void *n = realloc(m->sections, ncap * sizeof(*m->sections));

				if (!n) {
					err = &vt_enomem;
					goto fail;
				}
				m->sections = n;
				cap = ncap;
			}
			s = &m->sections[m->nsections++];
			memset(s, 0, sizeof(*s));
			s->nr = r * per_root + i;
			s->addr = base + i * sec_size;
			s->coded = coded;
			s->flags = VT_SECTION_PRESENT |
				(has_bit(coded, bits.mem_map) ? VT_SECTION_HAS_MEM_MAP : 0) |
				(has_bit(coded, bits.online) ? VT_SECTION_ONLINE : 0) |
				(has_bit(coded, bits.early) ? VT_SECTION_EARLY : 0) |
				(has_bit(coded, bits.device) ? VT_SECTION_ZONE_DEVICE : 0);
			/* mem_map is stored minus the section's first pfn. */
			s->mem_map = (coded & map_mask) +
				     (s->nr * g->pages_per_section) * g->page_struct_size;
			if ((s->flags & VT_SECTION_HAS_MEM_MAP) && !is_kernel_address(m, s->mem_map))
				s->flags |= VT_SECTION_BAD_MAP;
			s->usage = vt_load64(p + off_usage, m->be);
			s->subsection_map = ~0ull;
			if (g->subsections_known && s->usage) {
				struct vt_error *e = vt_target_read_u64(m->t, s->usage + off_submap,
									&s->subsection_map);
				if (e) {	/* usage unreadable: trust the section */
					vt_error_destroy(e);
					s->subsection_map = ~0ull;
				}
			}
			if (g->subsections_per_section < 64)
				s->subsection_map &= (1ull << g->subsections_per_section) - 1;
		}
	}
	free(root_buf);
	m->maps_sorted = true;
	for (size_t i = 1; i < m->nsections; i++)
		if (m->sections[i].mem_map < m->sections[i - 1].mem_map + g->pages_per_section *
		    g->page_struct_size)
			m->maps_sorted = false;
	return NULL;
fail:
	free(root_buf);
	return vt_error_prefix(err, "reading mem_section");
}

/* A struct page member every decode needs: missing is an error naming it. */
static struct vt_error *required(struct vt_memmap *m, const char *member, uint32_t *ret)
{
	uint64_t off;
	struct vt_error *err = vt_symbols_offsetof(m->s, "struct page", member, &off);

	if (err)
		return vt_error_prefix(err, "struct page.%s", member);
	if (off + 4 > m->geo.page_struct_size)
		return vt_error_create(VT_ERR_FORMAT, "struct page.%s at %" PRIu64
				       " is past sizeof(struct page) %u", member, off,
				       m->geo.page_struct_size);
	*ret = (uint32_t)off;
	return NULL;
}

/* A member only some decodes need: *known says whether it was found. */
static struct vt_error *optional(struct vt_memmap *m, const char *member, uint32_t *ret,
				 bool *known)
{
	struct vt_error *err = required(m, member, ret);

	*known = !err;
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		*ret = VT_OFF_UNKNOWN;
	return err;
}

static struct vt_error *load_page_layout(struct vt_memmap *m)
{
	const struct vt_target_info *ti = vt_target_info(m->t);
	uint64_t size;
	bool known;
	struct vt_error *err = vt_symbols_sizeof(m->s, "struct page", &size);

	if (err)
		return vt_error_prefix(err, "size of struct page");
	if (size < 32 || size > 256)
		return vt_error_create(VT_ERR_FORMAT, "sizeof(struct page) = %" PRIu64, size);
	m->geo.page_struct_size = (uint32_t)size;
	if ((err = required(m, "flags", &m->off_flags)) ||
	    (err = required(m, "_refcount", &m->off_refcount)))
		return err;
	/* page_type shares a word with _mapcount (union); either names it. */
	if ((err = optional(m, "page_type", &m->off_mapcount, &known)))
		return err;
	if (!known && (err = required(m, "_mapcount", &m->off_mapcount)))
		return err;
	if ((err = optional(m, "compound_head", &m->off_compound_head,
			    &m->geo.compound_head_known)) ||
	    (err = optional(m, "mapping", &m->off_mapping, &known)) ||
	    (err = optional(m, "index", &m->off_index, &known)) ||
	    (err = optional(m, "private", &m->off_private, &known)))
		return err;
	return vt_pagetype_detect(m->s, vt_target_vmcoreinfo(m->t), ti->release, &m->pt);
}

struct vt_error *vt_memmap_create(struct vt_target *t, struct vt_symbols *s,
				  struct vt_memmap **ret)
{
	struct vt_memmap *m = calloc(1, sizeof(*m));
	struct vt_error *err;

	if (!m)
		return &vt_enomem;
	m->t = t;
	m->s = s;
	m->be = vt_target_info(t)->big_endian;
	m->geo.page_shift = __builtin_ctz(vt_target_info(t)->page_size);
	if ((err = load_page_layout(m)) || (err = load_sections(m)))
		goto fail;
	vt_memmap_load_flag_names(m);
	if ((err = vt_memmap_load_nodes(m)))
		goto fail;
	*ret = m;
	return NULL;
fail:
	vt_memmap_destroy(m);
	return vt_error_prefix(err, "memmap");
}

void vt_memmap_destroy(struct vt_memmap *m)
{
	if (!m)
		return;
	free(m->sections);
	free(m->nodes);
	free(m->buf);
	free(m);
}

bool vt_memmap_big_endian(const struct vt_memmap *m)
{
	return m->be;
}

size_t vt_memmap_sections(const struct vt_memmap *m, const struct vt_section **ret)
{
	*ret = m->sections;
	return m->nsections;
}

size_t vt_memmap_nodes(const struct vt_memmap *m, const struct vt_node **ret)
{
	*ret = m->nodes;
	return m->nnodes;
}

const struct vt_memmap_geometry *vt_memmap_geometry(const struct vt_memmap *m)
{
	return &m->geo;
}

const struct vt_section *vt_memmap_section_of(const struct vt_memmap *m,
					      uint64_t pfn)
{
	uint64_t nr = pfn >> (m->geo.section_size_bits - m->geo.page_shift);
	size_t lo = 0, hi = m->nsections;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->sections[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nsections && m->sections[lo].nr == nr ? &m->sections[lo] : NULL;
}

static bool section_pfn_valid(const struct vt_memmap *m, const struct vt_section *s,
			      uint64_t pfn)
{
	unsigned sub;

	if (!(s->flags & VT_SECTION_HAS_MEM_MAP) || (s->flags & VT_SECTION_BAD_MAP))
		return false;
	if (s->flags & VT_SECTION_EARLY)
		return true;
	sub = (unsigned)((pfn & (m->geo.pages_per_section - 1)) >>
			 (SUBSECTION_SHIFT - m->geo.page_shift));
	return (s->subsection_map >> sub) & 1;
}

bool vt_memmap_pfn_valid(const struct vt_memmap *m, uint64_t pfn)
{
	const struct vt_section *s = vt_memmap_section_of(m, pfn);

	return s && section_pfn_valid(m, s, pfn);
}

struct vt_error *vt_memmap_page_addr(const struct vt_memmap *m, uint64_t pfn,
				     uint64_t *ret)
{
	const struct vt_section *s = vt_memmap_section_of(m, pfn);

	if (!s || !section_pfn_valid(m, s, pfn))
		return vt_error_create(VT_ERR_NOT_FOUND,
				       "pfn 0x%" PRIx64 " is not valid (no memmap)", pfn);
	*ret = s->mem_map + (pfn - s->nr * m->geo.pages_per_section) *
			    m->geo.page_struct_size;
	return NULL;
}

/* The pfn whose struct page holds addr; its offset in it in *off. */
static struct vt_error *pfn_within(const struct vt_memmap *m, uint64_t addr, uint64_t *pfn_ret,
				   uint64_t *off)
{
	uint64_t span = m->geo.pages_per_section * m->geo.page_struct_size;
	size_t i = 0;

	/* Memmaps in section order (vmemmap): the last starting at or below
	 * addr is the only candidate; else every section is tried. */
	if (m->maps_sorted && m->nsections) {
		size_t lo = 0, hi = m->nsections;

		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;

			if (m->sections[mid].mem_map <= addr)
				lo = mid;
			else
				hi = mid;
		}
		i = lo;
	}
	for (; i < m->nsections; i++) {
		const struct vt_section *s = &m->sections[i];

		if (addr >= s->mem_map && addr - s->mem_map < span) {
			*pfn_ret = s->nr * m->geo.pages_per_section +
				   (addr - s->mem_map) / m->geo.page_struct_size;
			*off = (addr - s->mem_map) % m->geo.page_struct_size;
			return NULL;
		}
	}
	return vt_error_create(VT_ERR_NOT_FOUND,
			       "0x%" PRIx64 " is not in any section's memmap", addr);
}

struct vt_error *vt_memmap_pfn_of(const struct vt_memmap *m, uint64_t addr,
				  uint64_t *pfn_ret)
{
	uint64_t off;
	struct vt_error *err = pfn_within(m, addr, pfn_ret, &off);

	if (!err && off)
		err = vt_error_create(VT_ERR_NOT_FOUND, "0x%" PRIx64 " is %" PRIu64 " bytes into "
				      "the struct page of pfn 0x%" PRIx64 ", not at its start",
				      addr, off, *pfn_ret);
	return err;
}

bool vt_memmap_page_within(const struct vt_memmap *m, uint64_t addr, uint64_t *pfn_ret,
			   uint64_t *off)
{
	struct vt_error *err = pfn_within(m, addr, pfn_ret, off);

	vt_error_destroy(err);
	return !err;
}

bool vt_memmap_is_page(const struct vt_memmap *m, uint64_t addr, uint64_t *pfn_ret)
{
	struct vt_error *err;
	uint64_t pfn, start;

	if ((err = vt_memmap_pfn_of(m, addr, &pfn)) || (err = vt_memmap_page_addr(m, pfn, &start))) {
		vt_error_destroy(err);
		return false;
	}
	*pfn_ret = pfn;
	return start == addr;
}

struct vt_error *vt_memmap_read_page(struct vt_memmap *m, uint64_t pfn,
				     struct vt_page *ret, unsigned char *raw)
{
	uint64_t addr;
	struct vt_error *err = vt_memmap_page_addr(m, pfn, &addr);

	if (!err)
		err = vt_target_read_kv(m->t, addr, raw, m->geo.page_struct_size);
	if (err)
		return err;
	vt_memmap_decode(m, pfn, addr, raw, ret);
	return NULL;
}

enum vt_page_type vt_memmap_page_type(const struct vt_memmap *m,
				      const struct vt_page *p)
{
	return vt_pagetype_decode(&m->pt, p->page_type);
}

const struct vt_pagetype_encoding *vt_memmap_pagetype_encoding(const struct vt_memmap *m)
{
	return &m->pt;
}

/*
 * Read the struct pages of npfns pfns at addr into buf. When the dump
 * lacks part of it (filtered), retry per 4 KiB of memmap and clear known[]
 * for the pfns whose struct pages stay missing, reporting them once.
 */
static struct vt_error *read_chunk(struct vt_memmap *m, uint64_t first_pfn,
				   uint64_t npfns, uint64_t addr, unsigned char *buf, bool *known,
				   const struct vt_memmap_scan_ops *ops, void *arg)
{
	uint32_t psz = m->geo.page_struct_size;
	struct vt_error *err = vt_target_read_kv(m->t, addr, buf, npfns * psz);

	for (uint64_t i = 0; i < npfns; i++)
		known[i] = true;
	if (!err)
		return NULL;
	if (err->code != VT_ERR_NODATA && err->code != VT_ERR_FAULT)
		return err;
	vt_error_destroy(err);
	vt_target_prefetch_cancel(m->t);	/* it may be filling buf */
	for (uint64_t i = 0; i < npfns;) {
		uint64_t a = addr + i * psz;
		/* pfns whose struct page starts in this 4 KiB of memmap */
		uint64_t end = ((a | 4095) + 1 - addr + psz - 1) / psz;

		if (end > npfns)
			end = npfns;
		if (end <= i)
			end = i + 1;
		err = vt_target_read_kv(m->t, a, buf + i * psz, (end - i) * psz);
		if (err) {
			if (ops->unknown)
				ops->unknown(arg, first_pfn + i, first_pfn + end, err);
			vt_error_destroy(err);
			for (uint64_t q = i; q < end; q++)
				known[q] = false;
		}
		i = end;
	}
	return NULL;
}

/*
 * Tell the target which struct pages the scan reads after this chunk
 * (section i from pfn offset off) into dest, so a compressed dump
 * decompresses them while this chunk is visited.
 */
static void prefetch_next(struct vt_memmap *m, size_t i, uint64_t off, uint64_t per_chunk,
			  unsigned char *dest)
{
	uint32_t psz = m->geo.page_struct_size;

	for (; i < m->nsections; i++, off = 0) {
		const struct vt_section *s = &m->sections[i];
		uint64_t n = m->geo.pages_per_section - off;

		if (!(s->flags & VT_SECTION_HAS_MEM_MAP) || (s->flags & VT_SECTION_BAD_MAP) ||
		    off >= m->geo.pages_per_section)
			continue;
		vt_target_prefetch_kv(m->t, s->mem_map + off * psz,
				      (n < per_chunk ? n : per_chunk) * psz, dest);
		return;
	}
}

/* Milliseconds on clock c (VMTRIAGE_SCAN_TIMING). */
static double clock_ms(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * VMTRIAGE_SCAN_TIMING=1: the scan's own wall and CPU time (all threads) on
 * stderr, for bench/memmap.py (a process's start-up dwarfs it on small dumps).
 */
static void scan_timing(const double began[2])
{
	if (getenv("VMTRIAGE_SCAN_TIMING"))
		fprintf(stderr, "vmtriage: memmap scan %.3f ms, cpu %.3f ms\n",
			clock_ms(CLOCK_MONOTONIC) - began[0],
			clock_ms(CLOCK_PROCESS_CPUTIME_ID) - began[1]);
}

struct vt_error *vt_memmap_scan(struct vt_memmap *m,
				const struct vt_memmap_scan_ops *ops, void *arg)
{
	const double began[2] = { clock_ms(CLOCK_MONOTONIC), clock_ms(CLOCK_PROCESS_CPUTIME_ID) };
	uint32_t psz = m->geo.page_struct_size;
	uint64_t per_chunk = SCAN_CHUNK / psz, total = 0, done = 0, reported = 0;
	struct vt_page *pages;
	unsigned char *buf;
	unsigned half = 0;
	bool *known;
	struct vt_error *err = NULL;

	/* Two halves: one visited while the next chunk is read into the other. */
	if (!m->buf) {
		m->buf = malloc(2 * per_chunk * psz);
		if (!m->buf)
			return &vt_enomem;
		m->buf_size = 2 * per_chunk * psz;
	}
	pages = malloc(per_chunk * sizeof(*pages));
	known = malloc(per_chunk * sizeof(*known));
	if (!pages || !known) {
		err = &vt_enomem;
		goto out;
	}
	for (size_t i = 0; i < m->nsections; i++)
		total += m->geo.pages_per_section;
	for (size_t i = 0; i < m->nsections && !err; i++) {
		const struct vt_section *s = &m->sections[i];
		uint64_t start = s->nr * m->geo.pages_per_section;

		if (!(s->flags & VT_SECTION_HAS_MEM_MAP) || (s->flags & VT_SECTION_BAD_MAP)) {
			done += m->geo.pages_per_section;
			continue;
		}
		for (uint64_t off = 0; off < m->geo.pages_per_section; off += per_chunk) {
			uint64_t n = m->geo.pages_per_section - off, nvalid = 0;

			if (n > per_chunk)
				n = per_chunk;
			buf = m->buf + half * per_chunk * psz;
			err = read_chunk(m, start + off, n, s->mem_map + off * psz, buf, known,
					 ops, arg);
			if (err)
				break;
			half = !half;
			prefetch_next(m, i, off + per_chunk, per_chunk,
				      m->buf + half * per_chunk * psz);
			/* runs of known valid pfns, decoded at once */
			for (uint64_t j = 0, k; j < n; j = k + 1) {
				for (k = j; k < n && known[k] &&
					    section_pfn_valid(m, s, start + off + k); k++)
					;
				vt_memmap_decode_run(m, start + off + j,
						     s->mem_map + (off + j) * psz,
						     buf + j * psz, k - j, pages + nvalid);
				nvalid += k - j;
			}
			if (nvalid && ops->visit && ops->visit(arg, pages, nvalid))
				goto out;
			done += n;
			if (ops->progress) {
				ops->progress(arg, done, total);
				reported = done;
			}
		}
	}
	/* Sections without a memmap are counted done but not reported one by
	 * one: when the last ones are such, say the scan reached total. */
	if (!err && ops->progress && reported != done)
		ops->progress(arg, done, total);
out:
	vt_target_prefetch_cancel(m->t);	/* m->buf is ours again */
	free(pages);
	free(known);
	scan_timing(began);
	return err;
}
