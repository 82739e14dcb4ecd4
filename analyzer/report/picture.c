/*
 * The memory-map picture's model: bands of coloured physical ranges from
 * the memmap (sections, zones), the firmware maps (e820, memblock), the
 * pseries LMBs, and the report's findings located in physical memory.
 * Rendering is picture_svg.c.
 */
#include "report/picture.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "models/bootlog.h"
#include "models/lmbcheck.h"
#include "models/physmap.h"
#include "models/printk.h"

#define MAX_WINDOWS 64

/* x86 ACPI SRAT hotplug windows from the boot log. */
struct windows {
	size_t n;
	uint64_t start[MAX_WINDOWS], end[MAX_WINDOWS];
};

static void size_str(uint64_t sz, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (u < 5 && sz >= 1024 && !(sz & 1023)) {
		sz >>= 10;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64 "B", sz);
	else
		snprintf(buf, len, "%" PRIu64 "%c", sz, units[u]);
}

static struct vt_pic_band *band(struct vt_picture *pic, const char *name)
{
	struct vt_pic_band *b;

	if (pic->nbands == VT_PIC_MAX_BANDS)
		return NULL;
	b = &pic->bands[pic->nbands++];
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	return b;
}

static void __attribute__((format(printf, 6, 7)))
seg(struct vt_pic_band *b, uint64_t start, uint64_t end, int style, const char *label,
    const char *fmt, ...)
{
	struct vt_pic_seg *s;
	char sz[32];
	va_list ap;

	if (!b || end <= start)
		return;
	/* Runs of the same thing are one range (sections, LMBs). */
	if (b->n && b->segs[b->n - 1].end == start && b->segs[b->n - 1].style == style &&
	    !strcmp(b->segs[b->n - 1].label, label)) {
		s = &b->segs[b->n - 1];
		s->end = end;
	} else {
		if (b->n == b->cap) {
			size_t cap = b->cap ? 2 * b->cap : 32;
			struct vt_pic_seg *ns = realloc(b->segs, cap * sizeof(*ns));

			if (!ns)
				return;
			b->segs = ns;
			b->cap = cap;
		}
		s = &b->segs[b->n++];
		memset(s, 0, sizeof(*s));
		s->start = start;
		s->end = end;
		s->style = style;
		snprintf(s->label, sizeof(s->label), "%s", label);
	}
	size_str(s->end - s->start, sz, sizeof(sz));
	{
		char what[128];

		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		snprintf(s->title, sizeof(s->title), "%s: 0x%" PRIx64 "-0x%" PRIx64 " (%s) %s",
			 b->name, s->start, s->end, sz, what);
	}
}

static void note(struct vt_picture *pic, const char *fmt, const char *what)
{
	if (pic->nnotes < sizeof(pic->notes) / sizeof(*pic->notes))
		snprintf(pic->notes[pic->nnotes++], sizeof(pic->notes[0]), "%s: %s", fmt, what);
}

static int srat_line(void *arg, const struct vt_log_record *rec)
{
	struct windows *w = arg;
	const char *p = strstr(rec->text, "SRAT: Node");
	uint64_t a, b;

	/* "ACPI: SRAT: Node 0 PXM 0 [mem 0x100000000-0x2bfffffff] hotplug" */
	if (!p || !strstr(p, "hotplug") || !(p = strstr(p, "[mem ")) || w->n == MAX_WINDOWS)
		return 0;
	if (sscanf(p, "[mem %" SCNx64 "-%" SCNx64 "]", &a, &b) == 2 && b > a) {
		w->start[w->n] = a;
		w->end[w->n++] = b + 1;
	}
	return 0;
}

static bool lmb_was_assigned(const struct vt_lmb_row *r)
{
	if (r->boot >= 0 && (r->boot & VT_DRCONF_MEM_ASSIGNED))
		return true;
	for (unsigned i = 0; i < r->nhist; i++)
		if (r->hist[i] >= 0 && (r->hist[i] & VT_DRCONF_MEM_ASSIGNED))
			return true;
	return false;
}

/* What a range without a present section is: hole, hot-removed, empty slot. */
static void gap(struct vt_pic_band *b, uint64_t start, uint64_t end,
		const struct vt_lmb_check *lc, const struct windows *w)
{
	uint64_t cut = start;

	while (cut < end) {
		uint64_t next = end;
		int style = VT_PIC_HOLE;
		const char *label = "hole", *why = "no memory section";

		for (size_t i = 0; lc && i < lc->n; i++) {
			const struct vt_lmb_row *r = &lc->rows[i];

			if (r->base > cut && r->base < next)
				next = r->base;
			if (cut >= r->base && cut < r->base + r->size) {
				if (r->base + r->size < next)
					next = r->base + r->size;
				if (lmb_was_assigned(r)) {
					style = VT_PIC_REMOVED;
					label = "hot-removed";
					why = "no memory section; the LMB was assigned earlier "
					      "(boot FDT or an older device-tree generation)";
				} else {
					style = VT_PIC_EMPTY_SLOT;
					label = "empty LMB";
					why = "no memory section; the LMB was never assigned";
				}
			}
		}
		for (size_t i = 0; w && i < w->n; i++) {
			if (w->start[i] > cut && w->start[i] < next)
				next = w->start[i];
			if (cut >= w->start[i] && cut < w->end[i]) {
				if (w->end[i] < next)
					next = w->end[i];
				if (style == VT_PIC_HOLE) {
					style = VT_PIC_EMPTY_SLOT;
					label = "hotplug, empty";
					why = "no memory section inside an ACPI SRAT hotplug window: "
					      "hot-removed or never added";
				}
			}
		}
		seg(b, cut, next, style, label, "%s", why);
		cut = next;
	}
}

static void sections_band(struct vt_picture *pic, struct vt_memmap *m, uint64_t top,
			  const struct vt_lmb_check *lc, const struct windows *w)
{
	const struct vt_memmap_geometry *g = vt_memmap_geometry(m);
	const struct vt_section *sec;
	size_t ns = vt_memmap_sections(m, &sec);
	struct vt_pic_band *b = band(pic, "memory sections");
	uint64_t bytes = g->pages_per_section << g->page_shift, prev = 0;

	for (size_t i = 0; i < ns; i++) {
		uint64_t a = sec[i].nr * bytes;
		unsigned f = sec[i].flags;

		if (a > prev)
			gap(b, prev, a, lc, w);
		if (f & VT_SECTION_ZONE_DEVICE)
			seg(b, a, a + bytes, VT_PIC_DEVICE, "ZONE_DEVICE", "present, device memory");
		else if (!(f & VT_SECTION_ONLINE))
			seg(b, a, a + bytes, VT_PIC_OFFLINE, "offline", "present, not online");
		else if (f & VT_SECTION_EARLY)
			seg(b, a, a + bytes, VT_PIC_BOOT, "boot memory", "online, early (boot) sections");
		else
			seg(b, a, a + bytes, VT_PIC_HOTADDED, "hot-added", "online, hot-added sections");
		prev = a + bytes;
	}
	if (top > prev)
		gap(b, prev, top, lc, w);
}

static int zone_style(const char *name)
{
	static const struct { const char *name; int style; } map[] = {
		{ "DMA", VT_PIC_ZONE_DMA }, { "DMA32", VT_PIC_ZONE_DMA32 },
		{ "Normal", VT_PIC_ZONE_NORMAL }, { "Movable", VT_PIC_ZONE_MOVABLE },
		{ "Device", VT_PIC_ZONE_DEVICE },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (!strcmp(name, map[i].name))
			return map[i].style;
	return VT_PIC_ZONE_OTHER;
}

static void zones_band(struct vt_picture *pic, struct vt_memmap *m)
{
	const struct vt_memmap_geometry *g = vt_memmap_geometry(m);
	const struct vt_node *nodes;
	size_t nn = vt_memmap_nodes(m, &nodes);
	struct vt_pic_band *b = band(pic, "zones");

	for (size_t n = 0; n < nn; n++)
		for (int z = 0; z < nodes[n].nzones; z++) {
			const struct vt_zone *zn = &nodes[n].zones[z];
			char label[48];

			if (!zn->spanned)
				continue;
			if (nn > 1)
				snprintf(label, sizeof(label), "N%d %s", nodes[n].id, zn->name);
			else
				snprintf(label, sizeof(label), "%s", zn->name);
			seg(b, zn->start_pfn << g->page_shift,
			    (zn->start_pfn + zn->spanned) << g->page_shift, zone_style(zn->name), label,
			    "node %d zone %s: %" PRIu64 " pages present, %" PRIu64 " managed",
			    nodes[n].id, zn->name, zn->present, zn->managed);
		}
}

static int e820_style(const char *type)
{
	if (!strcmp(type, "RAM"))
		return VT_PIC_E820_RAM;
	if (!strcmp(type, "reserved"))
		return VT_PIC_E820_RESERVED;
	if (!strcmp(type, "ACPI") || !strcmp(type, "NVS"))
		return VT_PIC_E820_ACPI;
	if (!strcmp(type, "PMEM") || !strcmp(type, "PRAM"))
		return VT_PIC_E820_PMEM;
	return VT_PIC_E820_OTHER;
}

static void firmware_bands(struct vt_picture *pic, struct vt_target *t, struct vt_symbols *s,
			   struct vt_models *models)
{
	struct vt_map map;
	struct vt_error *err;
	struct vt_pic_band *b;
	bool from_log;

	if (vt_target_info(t)->arch_ops->firmware_e820) {
		const struct vt_error *e820_err;
		const struct vt_map *e820 = vt_models_e820(models, &e820_err);

		if (!e820) {
			note(pic, "e820 table unreadable", e820_err->message);
		} else {
			b = band(pic, "e820");
			for (size_t i = 0; i < e820->n; i++) {
				const char *type = vt_e820_type_name(e820->entries[i].type);

				seg(b, e820->entries[i].start, e820->entries[i].end, e820_style(type),
				    type, "e820 type %u", e820->entries[i].type);
			}
		}
	}
	err = vt_memblock_memory(t, s, &map, &from_log);
	if (err) {
		note(pic, "memblock unknown", err->message);
		vt_error_destroy(err);
		return;
	}
	b = band(pic, from_log ? "memblock (boot log)" : "memblock.memory");
	for (size_t i = 0; i < map.n; i++)
		seg(b, map.entries[i].start, map.entries[i].end, VT_PIC_MEMBLOCK, "memory",
		    "region %zu, node %d", i, map.entries[i].nid);
	vt_map_deinit(&map);
}

static void lmb_band(struct vt_picture *pic, const struct vt_lmb_check *lc)
{
	struct vt_pic_band *b = band(pic, "LMBs (device tree)");

	for (size_t i = 0; i < lc->n; i++) {
		const struct vt_lmb_row *r = &lc->rows[i];
		int style;
		const char *label;

		switch (r->state) {
		case VT_LMB_FIRMWARE: style = VT_PIC_LMB_FIRMWARE; label = "firmware"; break;
		case VT_LMB_STALE_DT: style = VT_PIC_LMB_STALE; label = "STALE"; break;
		case VT_LMB_IN_FLIGHT: style = VT_PIC_LMB_FLIGHT; label = "in flight"; break;
		case VT_LMB_MISMATCH: style = VT_PIC_LMB_MISMATCH; label = "mismatch"; break;
		case VT_LMB_UNKNOWN: style = VT_PIC_LMB_UNKNOWN; label = "unknown"; break;
		default:
			if (r->dt >= 0 && (r->dt & VT_DRCONF_MEM_ASSIGNED)) {
				style = VT_PIC_LMB_OK;
				label = "assigned";
			} else {
				style = VT_PIC_LMB_FREE;
				label = "not assigned";
			}
		}
		seg(b, r->base, r->base + r->size, style, label,
		    "LMB drc 0x%08x, %s, %u/%u sections present", r->drc_index,
		    vt_lmb_state_name(r->state), r->present, r->nsections);
	}
}

static const char *field(const struct vt_evidence *e, const char *key)
{
	for (size_t i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].key, key))
			return e->fields[i].value;
	return NULL;
}

static bool num(const char *s, uint64_t *ret)
{
	char *end;

	if (!s)
		return false;
	*ret = strtoull(s, &end, 0);
	return end != s;
}

/* Where an evidence item is in physical memory, by its fields. */
static void locate(struct vt_pic_finding *f, const struct vt_evidence *e, unsigned shift)
{
	uint64_t a, b;

	if (num(field(e, "start_pfn"), &a) && num(field(e, "end_pfn"), &b) && b > a) {
		f->start = a << shift;
		f->end = b << shift;
		snprintf(f->where, sizeof(f->where), "pfn 0x%" PRIx64 "-0x%" PRIx64, a, b);
	} else if (num(field(e, "base"), &a) && num(field(e, "size"), &b) && b) {
		f->start = a;
		f->end = a + b;
		snprintf(f->where, sizeof(f->where), "LMB 0x%" PRIx64 "-0x%" PRIx64, a, a + b);
	} else if (num(field(e, "start"), &a) && num(field(e, "end"), &b) && b > a) {
		f->start = a;
		f->end = b;
		snprintf(f->where, sizeof(f->where), "0x%" PRIx64 "-0x%" PRIx64, a, b);
	} else if (num(field(e, "pfn"), &a)) {
		f->start = a << shift;
		f->end = (a + 1) << shift;
		snprintf(f->where, sizeof(f->where), "pfn 0x%" PRIx64, a);
	} else {
		/* class B: kernel pgd slots are virtual; listed, not drawn */
		snprintf(f->where, sizeof(f->where), "%s%s%s%s", field(e, "slot") ? "pgd slot " : "",
			 field(e, "slot") ? field(e, "slot") : "", field(e, "va") ? " va " : "",
			 field(e, "va") ? field(e, "va") : "");
		return;
	}
	f->phys = true;
}

static void findings(struct vt_picture *pic, const struct vt_picture_result *r, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		if (r[i].res->verdict < VT_LATENT)
			continue;
		for (size_t k = 0; k < r[i].res->nevidence; k++) {
			const struct vt_evidence *e = &r[i].res->evidence[k];
			struct vt_pic_finding *f;
			size_t o = 0;

			if (pic->nfindings == pic->findings_cap) {
				size_t cap = pic->findings_cap ? 2 * pic->findings_cap : 16;
				struct vt_pic_finding *nf = realloc(pic->findings, cap * sizeof(*nf));

				if (!nf)
					return;
				pic->findings = nf;
				pic->findings_cap = cap;
			}
			f = &pic->findings[pic->nfindings++];
			memset(f, 0, sizeof(*f));
			f->cls = r[i].p->bug_class;
			snprintf(f->plugin, sizeof(f->plugin), "%s", r[i].p->name);
			snprintf(f->verdict, sizeof(f->verdict), "%s", vt_verdict_name(r[i].res->verdict));
			snprintf(f->kind, sizeof(f->kind), "%s", e->kind);
			for (size_t j = 0; j < e->nfields && o + 1 < sizeof(f->detail); j++)
				o += (size_t)snprintf(f->detail + o, sizeof(f->detail) - o, "%s%s=%s",
						      j ? " " : "", e->fields[j].key, e->fields[j].value);
			locate(f, e, pic->page_shift);
		}
	}
}

struct vt_error *vt_picture_build(struct vt_target *t, struct vt_symbols *s,
				  struct vt_models *models, const struct vt_picture_result *r,
				  size_t nr, struct vt_picture *ret)
{
	const struct vt_target_info *ti = vt_target_info(t);
	const struct vt_error *merr;
	struct vt_memmap *m = vt_models_memmap(models, &merr);
	const struct vt_lmb_check *lc = NULL;
	struct windows w = { 0 };
	uint64_t top = 0;

	memset(ret, 0, sizeof(*ret));
	ret->page_shift = 12;
	while ((1u << ret->page_shift) < ti->page_size && ret->page_shift < 30)
		ret->page_shift++;
	snprintf(ret->title, sizeof(ret->title), "Physical memory of %s", ti->path);
	snprintf(ret->subtitle, sizeof(ret->subtitle), "%s, %s, %u KiB pages", vt_arch_name(ti->arch),
		 *ti->release ? ti->release : "release unknown", ti->page_size / 1024);
	if (ti->arch_ops->pseries_lmbs) {
		const struct vt_error *err;

		lc = vt_models_lmb_check(models, &err);
		if (!lc)
			note(ret, "device-tree LMBs unknown", err->message);
		else if (!lc->have_node)
			lc = NULL;
	} else if (ti->arch_ops->srat_in_log) {
		vt_error_destroy(vt_log_read(t, s, srat_line, &w, NULL));
	}
	firmware_bands(ret, t, s, models);
	if (lc)
		lmb_band(ret, lc);
	if (m) {
		/* The sections band spans everything the other sources know of. */
		for (size_t i = 0; i < ret->nbands; i++)
			for (size_t k = 0; k < ret->bands[i].n; k++)
				if (ret->bands[i].segs[k].end > top)
					top = ret->bands[i].segs[k].end;
		for (size_t i = 0; i < w.n; i++)
			if (w.end[i] > top)
				top = w.end[i];
		/* Memory first: move the firmware bands below it. */
		{
			struct vt_pic_band fw[VT_PIC_MAX_BANDS];
			size_t nfw = ret->nbands;

			memcpy(fw, ret->bands, nfw * sizeof(*fw));
			ret->nbands = 0;
			sections_band(ret, m, top, lc, &w);
			zones_band(ret, m);
			for (size_t i = 0; i < nfw && ret->nbands < VT_PIC_MAX_BANDS; i++)
				ret->bands[ret->nbands++] = fw[i];
		}
	} else {
		note(ret, "no memmap", "memory sections and zones are not drawn");
	}
	findings(ret, r, nr);
	return NULL;
}

void vt_picture_deinit(struct vt_picture *pic)
{
	for (size_t i = 0; i < pic->nbands; i++)
		free(pic->bands[i].segs);
	free(pic->findings);
	memset(pic, 0, sizeof(*pic));
}
