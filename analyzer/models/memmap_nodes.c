/*
 * Nodes, zones, page-flag names and the decoding of one struct page.
 *
 * Zone and node of a page come from page->flags (include/linux/
 * page-flags-layout.h): from the top, SECTION (0 bits with VMEMMAP), NODE
 * (NODES_SHIFT bits), ZONE (order_base_2(MAX_NR_ZONES) bits). NODES_SHIFT is
 * log2(MAX_NUMNODES) = log2(LENGTH(node_data)); MAX_NR_ZONES is the
 * node_zones array length (or __MAX_NR_ZONES). The result is then checked by
 * sampling: the decoded zone of sampled pages must span their pfn; if fewer
 * than 90% agree, the node width that agrees best is taken instead and the
 * agreement is reported (geometry.zone_agreement).
 */
#include "models/memmap_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"

static unsigned order_base_2(uint64_t n)
{
	unsigned b = 0;

	while ((1ull << b) < n)
		b++;
	return b;
}

/* A member that may be unknown (VT_OFF_UNKNOWN): 0 then. */
static inline __attribute__((always_inline)) uint64_t
opt64(const unsigned char *raw, uint32_t off, bool be)
{
	return off == VT_OFF_UNKNOWN ? 0 : vt_load64(raw + off, be);
}

/* What decoding a struct page needs, copied out of the memmap: locals the
 * compiler keeps in registers over a run of pages. */
struct decoder {
	uint32_t flags, head, mapping, index, private_, mapcount, refcount, psz;
	unsigned zone_shift, node_shift;
	uint64_t zone_mask, node_mask;
};

static struct decoder decoder_of(const struct vt_memmap *m)
{
	const struct vt_memmap_geometry *g = &m->geo;

	return (struct decoder){
		.flags = m->off_flags, .head = m->off_compound_head, .mapping = m->off_mapping,
		.index = m->off_index, .private_ = m->off_private, .mapcount = m->off_mapcount,
		.refcount = m->off_refcount, .psz = g->page_struct_size,
		.zone_shift = g->zones_width ? g->zones_pgoff : 0,
		.zone_mask = g->zones_width ? (1ull << g->zones_width) - 1 : 0,
		.node_shift = g->nodes_width ? g->nodes_pgoff : 0,
		.node_mask = g->nodes_width ? (1ull << g->nodes_width) - 1 : 0,
	};
}

/*
 * Called for every struct page a scan visits: inlined once per byte order,
 * so each member is one load, and over runs of pages (callgrind: 105 -> 49
 * instructions a page).
 */
static inline __attribute__((always_inline)) void
decode_run(const struct decoder d, uint64_t pfn, uint64_t addr, const unsigned char *raw,
	   size_t n, struct vt_page *p, bool be)
{
	for (size_t i = 0; i < n; i++, p++, raw += d.psz) {
		p->pfn = pfn + i;
		p->addr = addr + i * d.psz;
		p->raw = raw;
		p->flags = vt_load64(raw + d.flags, be);
		p->compound_head = opt64(raw, d.head, be);
		p->mapping = opt64(raw, d.mapping, be);
		p->index = opt64(raw, d.index, be);
		p->private_ = opt64(raw, d.private_, be);
		p->page_type = vt_load32(raw + d.mapcount, be);
		p->mapcount = (int32_t)p->page_type;
		p->refcount = (int32_t)vt_load32(raw + d.refcount, be);
		p->zone = (int)((p->flags >> d.zone_shift) & d.zone_mask);
		p->node = (int)((p->flags >> d.node_shift) & d.node_mask);
	}
}

void vt_memmap_decode_run(const struct vt_memmap *m, uint64_t pfn, uint64_t addr,
			  const unsigned char *raw, size_t n, struct vt_page *p)
{
	if (m->be)
		decode_run(decoder_of(m), pfn, addr, raw, n, p, true);
	else
		decode_run(decoder_of(m), pfn, addr, raw, n, p, false);
}

void vt_memmap_decode(const struct vt_memmap *m, uint64_t pfn, uint64_t addr,
		      const unsigned char *raw, struct vt_page *p)
{
	vt_memmap_decode_run(m, pfn, addr, raw, 1, p);
}

void vt_memmap_load_flag_names(struct vt_memmap *m)
{
	struct vt_type *t;
	struct vt_error *err = vt_symbols_type(m->s, "enum pageflags", &t);
	int64_t nr = vt_memmap_constant(m, "__NR_PAGEFLAGS", VT_MAX_PAGEFLAGS);
	struct vt_arena *arena = vt_symbols_arena(m->s);

	if (nr > VT_MAX_PAGEFLAGS || nr <= 0)
		nr = VT_MAX_PAGEFLAGS;
	if (!err) {
		t = vt_type_unqualified(t);
		for (size_t i = 0; i < t->nenumerators; i++) {
			const struct vt_enumerator *e = &t->enumerators[i];

			if (strncmp(e->name, "PG_", 3) != 0 || e->value < 0 || e->value >= nr)
				continue;
			if (!m->flag_names[e->value])	/* the first of aliases */
				m->flag_names[e->value] = e->name + 3;
			if ((unsigned)e->value + 1 > m->nflags)
				m->nflags = (unsigned)e->value + 1;
		}
		return;
	}
	vt_error_destroy(err);
	/* No types: the few PG_* numbers VMCOREINFO carries for makedumpfile. */
	static const char *const vi_flags[] = {
		"lru", "private", "swapcache", "swapbacked", "slab", "hwpoison",
		"reserved", "head", "buddy", "offline",
	};
	for (size_t i = 0; i < sizeof(vi_flags) / sizeof(vi_flags[0]); i++) {
		char key[32];
		int64_t v;
		struct vt_error *e;

		snprintf(key, sizeof(key), "PG_%s", vi_flags[i]);
		e = vt_vmcoreinfo_number(vt_target_vmcoreinfo(m->t), "NUMBER", key, &v);
		if (e) {
			vt_error_destroy(e);
			continue;
		}
		if (v >= 0 && v < VT_MAX_PAGEFLAGS) {
			m->flag_names[v] = vt_arena_strdup(arena, vi_flags[i]);
			if ((unsigned)v + 1 > m->nflags)
				m->nflags = (unsigned)v + 1;
		}
	}
}

unsigned vt_memmap_nflags(const struct vt_memmap *m)
{
	return m->nflags;
}

const char *vt_memmap_flag_name(const struct vt_memmap *m, unsigned bit)
{
	return bit < VT_MAX_PAGEFLAGS ? m->flag_names[bit] : NULL;
}

int vt_memmap_flag_bit(const struct vt_memmap *m, const char *name)
{
	for (unsigned i = 0; i < m->nflags; i++)
		if (m->flag_names[i] && strcmp(m->flag_names[i], name) == 0)
			return (int)i;
	return -1;
}

static struct vt_error *read_u64(struct vt_memmap *m, uint64_t addr, uint64_t *ret)
{
	return vt_target_read_u64(m->t, addr, ret);
}

static struct vt_error *load_node(struct vt_memmap *m, uint64_t pgdat,
				  unsigned max_zones, struct vt_node *n)
{
	uint32_t o_zones, o_start, o_present, o_spanned, o_id, o_deferred,
		 zsize, z_start, z_spanned, z_present, z_managed, z_name;
	bool deferred_known, k_zones, k_start, k_present, k_spanned, k_id, kz[5];
	uint64_t v, zsz = 0;
	struct vt_error *err;

	o_zones = vt_memmap_offset(m, "struct pglist_data", "node_zones", 0, &k_zones);
	o_start = vt_memmap_offset(m, "struct pglist_data", "node_start_pfn", 0, &k_start);
	o_present = vt_memmap_offset(m, "struct pglist_data", "node_present_pages", 0,
				     &k_present);
	o_spanned = vt_memmap_offset(m, "struct pglist_data", "node_spanned_pages", 0,
				     &k_spanned);
	o_id = vt_memmap_offset(m, "struct pglist_data", "node_id", 0, &k_id);
	if (!k_start || !k_spanned || !k_id)
		return vt_error_create(VT_ERR_NOT_FOUND,
				       "struct pglist_data layout unknown (give the vmlinux)");
	o_deferred = vt_memmap_offset(m, "struct pglist_data", "first_deferred_pfn", 0,
				      &deferred_known);
	if ((err = vt_symbols_sizeof(m->s, "struct zone", &zsz)))
		return err;
	zsize = (uint32_t)zsz;
	z_start = vt_memmap_offset(m, "struct zone", "zone_start_pfn", 0, &kz[0]);
	z_spanned = vt_memmap_offset(m, "struct zone", "spanned_pages", 0, &kz[1]);
	z_present = vt_memmap_offset(m, "struct zone", "present_pages", 0, &kz[2]);
	z_managed = vt_memmap_offset(m, "struct zone", "managed_pages", 0, &kz[3]);
	z_name = vt_memmap_offset(m, "struct zone", "name", 0, &kz[4]);

	memset(n, 0, sizeof(*n));
	n->addr = pgdat;
	if ((err = read_u64(m, pgdat + o_start, &n->start_pfn)) ||
	    (k_present && (err = read_u64(m, pgdat + o_present, &n->present))) ||
	    (err = read_u64(m, pgdat + o_spanned, &n->spanned)))
		return err;
	{
		uint32_t id;

		if ((err = vt_target_read_u32(m->t, pgdat + o_id, &id)))
			return err;
		n->id = (int)id;
	}
	n->first_deferred_pfn = UINT64_MAX;
	if (deferred_known && !read_u64(m, pgdat + o_deferred, &v))
		n->first_deferred_pfn = v;
	n->nzones = (int)(max_zones < VT_MAX_ZONES ? max_zones : VT_MAX_ZONES);
	/* VMCOREINFO does not describe struct zone well enough: no zones. */
	if (!k_zones || !kz[0] || !kz[1] || !kz[2] || !kz[3] || !kz[4]) {
		n->nzones = 0;
		m->geo.zones_unknown = true;
	}
	for (int z = 0; z < n->nzones; z++) {
		struct vt_zone *zn = &n->zones[z];
		uint64_t za = pgdat + o_zones + (uint64_t)z * zsize, name_ptr;

		zn->index = z;
		if ((err = read_u64(m, za + z_start, &zn->start_pfn)) ||
		    (err = read_u64(m, za + z_spanned, &zn->spanned)) ||
		    (err = read_u64(m, za + z_present, &zn->present)) ||
		    (err = read_u64(m, za + z_managed, &zn->managed)) ||
		    (err = read_u64(m, za + z_name, &name_ptr)))
			return vt_error_prefix(err, "zone %d", z);
		if (!name_ptr ||
		    vt_error_failed(vt_target_read_kv(m->t, name_ptr, zn->name, sizeof(zn->name) - 1)))
			snprintf(zn->name, sizeof(zn->name), "zone%d", z);
		zn->name[sizeof(zn->name) - 1] = '\0';
		for (char *c = zn->name; *c; c++)
			if (*c < 0x20 || *c > 0x7e)
				*c = '?';
	}
	return NULL;
}

static unsigned max_nr_zones(struct vt_memmap *m)
{
	struct vt_type *t;
	struct vt_member *mem;
	uint64_t bits;
	struct vt_error *err = vt_symbols_type(m->s, "struct pglist_data", &t);

	if (!err)
		err = vt_type_member(t, "node_zones", &bits, &mem);
	if (!err && mem->type && vt_type_unqualified(mem->type)->kind == VT_TYPE_ARRAY)
		return (unsigned)vt_type_unqualified(mem->type)->length;
	vt_error_destroy(err);
	return (unsigned)vt_memmap_constant(m, "__MAX_NR_ZONES", 4);
}

/* Fraction of sampled pages whose decoded zone spans their pfn. */
static double zone_agreement(struct vt_memmap *m)
{
	unsigned char raw[256];
	unsigned good = 0, all = 0;

	for (size_t i = 0; i < m->nsections; i++) {
		uint64_t base = m->sections[i].nr * m->geo.pages_per_section;

		for (uint64_t j = 0; j < m->geo.pages_per_section; j += m->geo.pages_per_section / 8) {
			struct vt_page p;
			struct vt_error *err = vt_memmap_read_page(m, base + j, &p, raw);

			if (err) {
				vt_error_destroy(err);
				continue;
			}
			for (size_t n = 0; n < m->nnodes; n++) {
				const struct vt_node *nd = &m->nodes[n];

				if (nd->id != p.node || p.zone >= nd->nzones)
					continue;
				all++;
				good += p.pfn >= nd->zones[p.zone].start_pfn &&
					p.pfn < nd->zones[p.zone].start_pfn + nd->zones[p.zone].spanned;
				break;
			}
		}
	}
	return all ? (double)good / all : 0.0;
}

/*
 * The NUMA node array: node_data[] (x86 lists SYMBOL and LENGTH in
 * VMCOREINFO; elsewhere the symbol comes from the symbol finders) and which
 * slots to read. Without LENGTH, the slots are the bits of node_online_map
 * (nodemask_t, SIZE(nodemask_t) * 8 bits: an upper bound of MAX_NUMNODES;
 * the node field's width is then checked by sampling). *len 0: no NUMA
 * array (contig_page_data).
 */
static struct vt_error *node_array(struct vt_memmap *m, uint64_t *arr, int64_t *len,
				   uint64_t online[VT_MAX_NODES / 64])
{
	const struct vt_vmcoreinfo *vi = vt_target_vmcoreinfo(m->t);
	uint64_t mask_addr, mask_size;
	struct vt_error *err;

	*len = 0;
	err = vt_vmcoreinfo_symbol(vi, "node_data", arr);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		err = vt_symbols_lookup(m->s, "node_data", arr);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return NULL;
	if (err)
		return err;
	memset(online, 0xff, VT_MAX_NODES / 8);
	err = vt_vmcoreinfo_number(vi, "LENGTH", "node_data", len);
	if (!err && (*len <= 0 || *len > VT_MAX_NODES))
		return vt_error_create(VT_ERR_FORMAT, "LENGTH(node_data) = %" PRId64, *len);
	if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return err;
	err = vt_vmcoreinfo_symbol(vi, "node_online_map", &mask_addr);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		err = vt_symbols_lookup(m->s, "node_online_map", &mask_addr);
	if (!err)
		err = vt_symbols_sizeof(m->s, "nodemask_t", &mask_size);
	if (!err && (mask_size == 0 || mask_size > VT_MAX_NODES / 8))
		return vt_error_create(VT_ERR_FORMAT, "sizeof(nodemask_t) = %" PRIu64, mask_size);
	memset(online, 0, VT_MAX_NODES / 8);
	if (!err)
		err = vt_target_read_kv(m->t, mask_addr, online, mask_size);
	if (err)
		return vt_error_prefix(err, "node_data without LENGTH: node_online_map");
	for (unsigned i = 0; i < mask_size / 8; i++)
		online[i] = vt_load64((unsigned char *)&online[i], vt_target_info(m->t)->big_endian);
	*len = (int64_t)mask_size * 8;
	return NULL;
}

struct vt_error *vt_memmap_load_nodes(struct vt_memmap *m)
{
	uint64_t arr, pgdat, online[VT_MAX_NODES / 64];
	int64_t len = 0;
	unsigned zones = max_nr_zones(m);
	struct vt_error *err;

	m->nodes = calloc(VT_MAX_NODES, sizeof(*m->nodes));
	if (!m->nodes)
		return &vt_enomem;
	if ((err = node_array(m, &arr, &len, online)))
		return err;
	if (len > 0) {
		for (int64_t i = 0; i < len; i++) {
			if (!(online[i / 64] >> (i % 64) & 1))
				continue;
			if ((err = vt_target_read_u64(m->t, arr + 8 * i, &pgdat)))
				return vt_error_prefix(err, "node_data[%" PRId64 "]", i);
			if (!pgdat)
				continue;
			if ((err = load_node(m, pgdat, zones, &m->nodes[m->nnodes])))
				return vt_error_prefix(err, "node %" PRId64, i);
			m->nnodes++;
		}
		m->geo.nodes_width = order_base_2((uint64_t)len);
	} else {
		vt_error_destroy(err);
		err = vt_symbols_lookup(m->s, "contig_page_data", &pgdat);
		if (vt_error_catch(&err, VT_ERR_NOT_FOUND)) {
			/* No data symbols (a kernel without KALLSYMS_ALL and no
			 * vmlinux): sections and pages still read; zones and
			 * nodes are unknown and what needs them says so. */
			m->geo.nodes_unknown = m->geo.zones_unknown = true;
			m->geo.max_nr_zones = zones;
			m->geo.nodes_width = m->geo.zones_width = 0;
			m->geo.nodes_pgoff = m->geo.zones_pgoff = 64;
			return NULL;
		}
		if (err)
			return err;
		if ((err = load_node(m, pgdat, zones, &m->nodes[0])))
			return vt_error_prefix(err, "contig_page_data");
		m->nnodes = 1;
		m->geo.nodes_width = 0;
	}
	m->geo.max_nr_zones = zones;
	m->geo.zones_width = order_base_2(zones);
	m->geo.nodes_pgoff = 64 - m->geo.nodes_width;
	m->geo.zones_pgoff = m->geo.nodes_pgoff - m->geo.zones_width;
	if (m->geo.zones_unknown) {
		m->geo.zones_width = 0;
		return NULL;
	}
	m->geo.zone_agreement = zone_agreement(m);
	if (m->geo.zone_agreement < 0.9) {
		unsigned best_w = m->geo.nodes_width;
		double best = m->geo.zone_agreement;

		for (unsigned w = 0; w <= 12; w++) {
			double a;

			m->geo.nodes_width = w;
			m->geo.nodes_pgoff = 64 - w;
			m->geo.zones_pgoff = m->geo.nodes_pgoff - m->geo.zones_width;
			a = zone_agreement(m);
			if (a > best) {
				best = a;
				best_w = w;
			}
		}
		m->geo.nodes_width = best_w;
		m->geo.nodes_pgoff = 64 - best_w;
		m->geo.zones_pgoff = m->geo.nodes_pgoff - m->geo.zones_width;
		m->geo.zone_agreement = best;
	}
	return NULL;
}
