/*
 * Rendering the memory-map picture (picture.h) as SVG and as an HTML page.
 *
 * Scale: every boundary of every band and finding cuts the address space;
 * each piece gets a width growing with log2 of its size, so a 4 KiB hole
 * stays visible next to a TiB of nothing, and every range still starts
 * and ends exactly at its cuts. Addresses are labelled at the cuts.
 * Nothing is loaded from elsewhere: colours and text are attributes, the
 * hatching is an inline <pattern>, the font is the generic sans-serif.
 */
#include "report/picture.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define W 1380			/* drawing width, px */
#define X0 170			/* plot left (band names before it) */
#define X1 (W - 40)
#define Y0 70			/* first band */
#define BH 30			/* band height */
#define GAP 8
#define AXIS 96			/* room for the rotated address labels */
#define CHAR_W 6.4		/* average glyph width at 11px */

static const struct {
	const char *fill, *name, *meaning;
} styles[VT_PIC_NSTYLES] = {
	[VT_PIC_BOOT] = { "#43a047", "boot memory", "present, online sections created at boot (SECTION_IS_EARLY)" },
	[VT_PIC_HOTADDED] = { "#1e88e5", "hot-added", "present, online sections added by memory hotplug" },
	[VT_PIC_OFFLINE] = { "#ffb300", "offline", "present sections whose memory is offline" },
	[VT_PIC_DEVICE] = { "#8e24aa", "ZONE_DEVICE", "sections of device memory (pmem, HMM)" },
	[VT_PIC_HOLE] = { "#eceff1", "hole", "no memory section" },
	[VT_PIC_REMOVED] = { "url(#vt-hatch-removed)", "hot-removed", "no section now, but the LMB was assigned at boot or in an older device-tree generation" },
	[VT_PIC_EMPTY_SLOT] = { "url(#vt-hatch-empty)", "empty hotplug range", "no section in a hotplug range (SRAT hotplug window, unassigned LMB): hot-removed or never added" },
	[VT_PIC_ZONE_DMA] = { "#b3e5fc", "zone DMA", "zone span" },
	[VT_PIC_ZONE_DMA32] = { "#81d4fa", "zone DMA32", "zone span" },
	[VT_PIC_ZONE_NORMAL] = { "#4fc3f7", "zone Normal", "zone span" },
	[VT_PIC_ZONE_MOVABLE] = { "#ce93d8", "zone Movable", "zone span" },
	[VT_PIC_ZONE_DEVICE] = { "#e1bee7", "zone Device", "zone span" },
	[VT_PIC_ZONE_OTHER] = { "#b0bec5", "other zone", "zone span" },
	[VT_PIC_E820_RAM] = { "#a5d6a7", "e820 RAM", "firmware map: usable RAM" },
	[VT_PIC_E820_RESERVED] = { "#bdbdbd", "e820 reserved", "firmware map: reserved" },
	[VT_PIC_E820_ACPI] = { "#fff176", "e820 ACPI/NVS", "firmware map: ACPI tables or NVS" },
	[VT_PIC_E820_PMEM] = { "#ba68c8", "e820 PMEM", "firmware map: persistent memory" },
	[VT_PIC_E820_OTHER] = { "#ef9a9a", "e820 other", "firmware map: unusable or other types" },
	[VT_PIC_MEMBLOCK] = { "#80cbc4", "memblock", "memblock.memory regions (x86: rebuilt from the boot log)" },
	[VT_PIC_LMB_OK] = { "#a5d6a7", "LMB assigned", "device tree, drmem_info and sections agree: assigned" },
	[VT_PIC_LMB_FREE] = { "url(#vt-hatch-lmb)", "LMB not assigned", "device tree, drmem_info and sections agree: not assigned" },
	[VT_PIC_LMB_FIRMWARE] = { "#90caf9", "LMB firmware", "reserved boot memory, not under DLPAR" },
	[VT_PIC_LMB_STALE] = { "#e53935", "LMB STALE", "device tree says assigned, memory gone (or the mirror): class C" },
	[VT_PIC_LMB_FLIGHT] = { "#fdd835", "LMB in flight", "DRMEM_LMB_RESERVED: a DLPAR operation was running" },
	[VT_PIC_LMB_MISMATCH] = { "#fb8c00", "LMB mismatch", "sources disagree otherwise (partly present...)" },
	[VT_PIC_LMB_UNKNOWN] = { "#cfd8dc", "LMB unknown", "a source is missing" },
	[VT_PIC_FINDING] = { "#d50000", "finding", "evidence of a fired or latent bug class, at its physical address" },
};

/* Text escaped for XML and HTML alike. */
static void esc(FILE *fp, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default:
			/* control bytes are not allowed in XML 1.0 */
			fputc((unsigned char)*s < 0x20 ? ' ' : *s, fp);
		}
	}
}

struct scale {
	size_t n;			/* cuts */
	uint64_t *cut;
	double *x;			/* x of each cut */
};

/* log2 without libm: the exponent plus a linear guess of the fraction. */
static double log2ish(uint64_t v)
{
	int e = 63 - __builtin_clzll(v);

	return e + ((double)v / (double)(1ull << e) - 1.0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool scale_init(struct scale *sc, const struct vt_picture *pic)
{
	size_t cap = 2 * pic->nfindings + 2, k = 0;
	double total = 0, *w;

	for (size_t i = 0; i < pic->nbands; i++)
		cap += 2 * pic->bands[i].n;
	sc->cut = malloc(cap * sizeof(*sc->cut));
	sc->x = malloc(cap * sizeof(*sc->x));
	w = malloc(cap * sizeof(*w));
	if (!sc->cut || !sc->x || !w) {
		free(w);
		return false;
	}
	sc->cut[k++] = 0;
	for (size_t i = 0; i < pic->nbands; i++)
		for (size_t j = 0; j < pic->bands[i].n; j++) {
			sc->cut[k++] = pic->bands[i].segs[j].start;
			sc->cut[k++] = pic->bands[i].segs[j].end;
		}
	for (size_t i = 0; i < pic->nfindings; i++)
		if (pic->findings[i].phys) {
			sc->cut[k++] = pic->findings[i].start;
			sc->cut[k++] = pic->findings[i].end;
		}
	qsort(sc->cut, k, sizeof(*sc->cut), cmp_u64);
	sc->n = 0;
	for (size_t i = 0; i < k; i++)
		if (!sc->n || sc->cut[i] != sc->cut[sc->n - 1])
			sc->cut[sc->n++] = sc->cut[i];
	if (sc->n < 2)
		sc->cut[sc->n++] = 1ull << 30;	/* nothing known: an empty GiB */
	for (size_t i = 0; i + 1 < sc->n; i++) {
		uint64_t sz = sc->cut[i + 1] - sc->cut[i];

		w[i] = 2 + (sz > 4096 ? log2ish(sz) - 12 : 0);
		total += w[i];
	}
	sc->x[0] = X0;
	for (size_t i = 0; i + 1 < sc->n; i++)
		sc->x[i + 1] = sc->x[i] + w[i] / total * (X1 - X0);
	free(w);
	return true;
}

static double xof(const struct scale *sc, uint64_t a)
{
	size_t lo = 0, hi = sc->n - 1;

	if (a <= sc->cut[0])
		return sc->x[0];
	if (a >= sc->cut[hi])
		return sc->x[hi];
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (sc->cut[mid] <= a)
			lo = mid;
		else
			hi = mid;
	}
	return sc->x[lo] + (double)(a - sc->cut[lo]) / (double)(sc->cut[hi] - sc->cut[lo]) *
			   (sc->x[hi] - sc->x[lo]);
}

static void size_str(uint64_t sz, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)sz;
	int u = -1;

	while (u < 5 && v >= 1024) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64 "B", sz);
	else
		snprintf(buf, len, v < 10 && v != (int)v ? "%.1f%c" : "%.0f%c", v, units[u]);
}

static void text(FILE *fp, double x, double y, const char *anchor, const char *attrs,
		 const char *s)
{
	fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>", x, y, anchor, attrs);
	esc(fp, s);
	fputs("</text>\n", fp);
}

static void defs(FILE *fp)
{
	fputs("<defs>\n"
	      "<pattern id=\"vt-hatch-removed\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
	      "patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#ffe0b2\"/>"
	      "<rect width=\"3\" height=\"8\" fill=\"#ef6c00\"/></pattern>\n"
	      "<pattern id=\"vt-hatch-empty\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
	      "patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#fafafa\"/>"
	      "<rect width=\"2\" height=\"8\" fill=\"#ffb74d\"/></pattern>\n"
	      "<pattern id=\"vt-hatch-lmb\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
	      "patternTransform=\"rotate(-45)\"><rect width=\"8\" height=\"8\" fill=\"#fafafa\"/>"
	      "<rect width=\"2\" height=\"8\" fill=\"#b0bec5\"/></pattern>\n"
	      "</defs>\n", fp);
}

static void segment(FILE *fp, const struct scale *sc, const struct vt_pic_seg *s, double y)
{
	double x0 = xof(sc, s->start), x1 = xof(sc, s->end), w = x1 - x0;
	char sz[32], both[80];
	bool dark = s->style == VT_PIC_BOOT || s->style == VT_PIC_HOTADDED ||
		    s->style == VT_PIC_DEVICE || s->style == VT_PIC_LMB_STALE;

	fprintf(fp, "<rect class=\"seg\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" "
		"fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"1\" data-start=\"0x%" PRIx64
		"\" data-end=\"0x%" PRIx64 "\"><title>", x0, y, w > 0.5 ? w : 0.5, BH,
		styles[s->style].fill, s->start, s->end);
	esc(fp, s->title);
	fputs("</title></rect>\n", fp);
	size_str(s->end - s->start, sz, sizeof(sz));
	snprintf(both, sizeof(both), "%s %s", s->label, sz);
	/* The label when it fits; the tooltip and the HTML tables have the rest. */
	if (w > CHAR_W * (double)strlen(both) + 6)
		text(fp, x0 + w / 2, y + BH / 2 + 4, "middle", dark ?
		     "font-size=\"11\" fill=\"#ffffff\"" : "font-size=\"11\" fill=\"#212121\" stroke=\"#ffffff\" stroke-width=\"3\" "
		     "paint-order=\"stroke\"", both);
	else if (w > CHAR_W * (double)strlen(s->label) + 6)
		text(fp, x0 + w / 2, y + BH / 2 + 4, "middle", dark ?
		     "font-size=\"11\" fill=\"#ffffff\"" : "font-size=\"11\" fill=\"#212121\" stroke=\"#ffffff\" stroke-width=\"3\" "
		     "paint-order=\"stroke\"",
		     s->label);
}

static void used_styles(const struct vt_picture *pic, bool *used)
{
	memset(used, 0, VT_PIC_NSTYLES * sizeof(*used));
	for (size_t i = 0; i < pic->nbands; i++)
		for (size_t j = 0; j < pic->bands[i].n; j++)
			used[pic->bands[i].segs[j].style] = true;
	used[VT_PIC_FINDING] = pic->nfindings > 0;
}

void vt_picture_svg(const struct vt_picture *pic, FILE *fp, bool standalone)
{
	struct scale sc = { 0 };
	bool used[VT_PIC_NSTYLES];
	size_t nused = 0, k = 0;
	double yf = Y0 + (double)pic->nbands * (BH + GAP), ya = yf + BH + 8, last = -100;
	int height;

	if (!scale_init(&sc, pic)) {
		free(sc.cut);
		free(sc.x);
		return;
	}
	used_styles(pic, used);
	for (int i = 0; i < VT_PIC_NSTYLES; i++)
		nused += used[i];
	height = (int)ya + AXIS + 30 + (int)((nused + 3) / 4) * 20 + 10;
	/* The namespace is a name, not a URL that is fetched; inline SVG in HTML needs none. */
	fprintf(fp, "<svg %sviewBox=\"0 0 %d %d\" ", standalone ?
		"xmlns=\"http://www.w3.org/2000/svg\" " : "", W, height);
	/* In a page: as wide as the window, so nothing scrolls sideways. */
	if (standalone)
		fprintf(fp, "width=\"%d\" height=\"%d\" ", W, height);
	else
		fputs("style=\"width: 100%; height: auto;\" ", fp);
	fputs("font-family=\"sans-serif\" role=\"img\" aria-label=\"physical memory map\">\n", fp);
	defs(fp);
	fprintf(fp, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W, height);
	text(fp, 10, 26, "start", "font-size=\"17\" font-weight=\"bold\"", pic->title);
	text(fp, 10, 46, "start", "font-size=\"12\" fill=\"#455a64\"", pic->subtitle);
	text(fp, X1, 46, "end", "font-size=\"11\" fill=\"#607d8b\"",
	     "scale: piecewise, each range's width grows with log2 of its size");
	for (size_t i = 0; i < pic->nbands; i++) {
		const struct vt_pic_band *b = &pic->bands[i];
		double y = Y0 + (double)i * (BH + GAP);

		fprintf(fp, "<g class=\"band\" data-band=\"");
		esc(fp, b->name);
		fputs("\">\n", fp);
		text(fp, X0 - 8, y + BH / 2 + 4, "end", "font-size=\"12\" font-weight=\"bold\"", b->name);
		fprintf(fp, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" "
			"stroke=\"#cfd8dc\"/>\n", X0, y, X1 - X0, BH);
		for (size_t j = 0; j < b->n; j++)
			segment(fp, &sc, &b->segs[j], y);
		fputs("</g>\n", fp);
	}
	/* Findings: a column through every band, and a marker in their own band. */
	text(fp, X0 - 8, yf + BH / 2 + 4, "end", "font-size=\"12\" font-weight=\"bold\" fill=\"#d50000\"",
	     "findings");
	fprintf(fp, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"#fff8f8\" "
		"stroke=\"#ffcdd2\"/>\n", X0, yf, X1 - X0, BH);
	for (size_t i = 0; i < pic->nfindings; i++) {
		const struct vt_pic_finding *f = &pic->findings[i];
		double x0, x1;
		char n[32];

		if (!f->phys)
			continue;
		k++;
		x0 = xof(&sc, f->start);
		x1 = xof(&sc, f->end);
		if (x1 - x0 < 4) {
			x0 = (x0 + x1) / 2 - 2;
			x1 = x0 + 4;
		}
		fprintf(fp, "<g class=\"finding\" data-class=\"%c\" data-plugin=\"%s\" data-kind=\"%s\" "
			"data-start=\"0x%" PRIx64 "\" data-end=\"0x%" PRIx64 "\" data-index=\"%zu\">"
			"<title>", f->cls, f->plugin, f->kind, f->start, f->end, i + 1);
		fprintf(fp, "#%zu class %c %s %s: ", i + 1, f->cls, f->plugin, f->verdict);
		esc(fp, f->where);
		fputs(" — ", fp);
		esc(fp, f->detail);
		fprintf(fp, "</title>\n<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"#d50000\" fill-opacity=\"0.16\" stroke=\"#d50000\" stroke-width=\"1.5\"/>\n"
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"#d50000\"/>\n",
			x0, Y0 - 4, x1 - x0, yf - Y0 + 4, x0, yf, x1 - x0, BH);
		snprintf(n, sizeof(n), "%c#%zu", f->cls, i + 1);
		/* Label beside the marker when it is too narrow to hold it. */
		text(fp, x1 - x0 > CHAR_W * (double)strlen(n) + 4 ? (x0 + x1) / 2 : x1 + 3,
		     yf + BH / 2 + 4, x1 - x0 > CHAR_W * (double)strlen(n) + 4 ? "middle" : "start",
		     x1 - x0 > CHAR_W * (double)strlen(n) + 4 ?
		     "font-size=\"11\" font-weight=\"bold\" fill=\"#ffffff\"" :
		     "font-size=\"11\" font-weight=\"bold\" fill=\"#d50000\"", n);
		fputs("</g>\n", fp);
	}
	if (!k)
		text(fp, X0 + 8, yf + BH / 2 + 4, "start", "font-size=\"11\" fill=\"#757575\"",
		     pic->nfindings ? "no finding has a physical address (see the table)" :
		     "no fired or latent finding");
	/* Address axis: a tick and a rotated label at every cut that has room. */
	for (size_t i = 0; i < sc.n; i++) {
		char a[24];

		fprintf(fp, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#90a4ae\" "
			"stroke-width=\"0.6\"/>\n", sc.x[i], Y0, sc.x[i], ya + 4);
		if (sc.x[i] - last < 13 && i + 1 != sc.n)
			continue;
		last = sc.x[i];
		snprintf(a, sizeof(a), "0x%" PRIx64, sc.cut[i]);
		fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#37474f\" "
			"text-anchor=\"end\" transform=\"rotate(-40 %.1f %.1f)\">%s</text>\n",
			sc.x[i] + 3, ya + 14, sc.x[i] + 3, ya + 14, a);
	}
	/* Legend: the styles used. */
	k = 0;
	for (int i = 0; i < VT_PIC_NSTYLES; i++) {
		double x, y;

		if (!used[i])
			continue;
		x = 10 + (double)(k % 4) * 340;
		y = ya + AXIS + 20 + (double)(k / 4) * 20;
		k++;
		fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"13\" fill=\"%s\" "
			"stroke=\"#90a4ae\"/>\n", x, y - 11, styles[i].fill);
		text(fp, x + 28, y, "start", "font-size=\"11\"", styles[i].name);
	}
	fputs("</svg>\n", fp);
	free(sc.cut);
	free(sc.x);
}

static void html_findings(const struct vt_picture *pic, FILE *fp)
{
	fputs("<h2>Findings</h2>\n", fp);
	if (!pic->nfindings) {
		fputs("<p>No fired or latent finding.</p>\n", fp);
		return;
	}
	fputs("<table><tr><th>#</th><th>class</th><th>plugin</th><th>verdict</th><th>kind</th>"
	      "<th>where</th><th>drawn</th><th>evidence</th></tr>\n", fp);
	for (size_t i = 0; i < pic->nfindings; i++) {
		const struct vt_pic_finding *f = &pic->findings[i];

		fprintf(fp, "<tr class=\"%s\"><td>%zu</td><td>%c</td><td>", f->verdict, i + 1, f->cls);
		esc(fp, f->plugin);
		fputs("</td><td>", fp);
		esc(fp, f->verdict);
		fputs("</td><td>", fp);
		esc(fp, f->kind);
		fputs("</td><td class=\"mono\">", fp);
		esc(fp, f->where);
		fprintf(fp, "</td><td>%s</td><td class=\"mono\">",
			f->phys ? "yes" : "no (virtual)");
		esc(fp, f->detail);
		fputs("</td></tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

void vt_picture_html(const struct vt_picture *pic, FILE *fp)
{
	bool used[VT_PIC_NSTYLES];

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", fp);
	esc(fp, pic->title);
	fputs("</title>\n<style>\n"
	      "body { font-family: sans-serif; margin: 12px 18px; color: #212121; }\n"
	      "h1 { font-size: 20px; margin: 4px 0; } h2 { font-size: 16px; margin: 18px 0 6px; }\n"
	      "table { border-collapse: collapse; font-size: 12px; }\n"
	      "th, td { border: 1px solid #cfd8dc; padding: 3px 6px; text-align: left; vertical-align: top; }\n"
	      "th { background: #eceff1; } .mono { font-family: monospace; }\n"
	      "tr.fired td { background: #ffebee; } tr.latent td { background: #fff8e1; }\n"
	      ".swatch { display: inline-block; width: 22px; height: 12px; border: 1px solid #90a4ae; }\n"
	      ".note { color: #6d4c41; }\n"
	      "</style></head><body>\n", fp);
	/* The picture carries the title; the page adds how to read it. */
	vt_picture_svg(pic, fp, false);
	fputs("<p>Hover a range for its addresses and what it is; findings are numbered as "
	      "in the table below.</p>\n", fp);
	for (size_t i = 0; i < pic->nnotes; i++) {
		fputs("<p class=\"note\">Not drawn: ", fp);
		esc(fp, pic->notes[i]);
		fputs("</p>\n", fp);
	}
	html_findings(pic, fp);
	used_styles(pic, used);
	fputs("<h2>Legend</h2>\n<table><tr><th></th><th>range</th><th>meaning</th></tr>\n", fp);
	for (int i = 0; i < VT_PIC_NSTYLES; i++) {
		if (!used[i])
			continue;
		/* url(#...) fills resolve to the picture's <defs> in the same page. */
		fprintf(fp, "<tr><td><svg width=\"24\" height=\"14\">");
		fprintf(fp, "<rect width=\"24\" height=\"14\" fill=\"%s\" stroke=\"#90a4ae\"/></svg>"
			"</td><td>%s</td><td>", styles[i].fill, styles[i].name);
		esc(fp, styles[i].meaning);
		fputs("</td></tr>\n", fp);
	}
	fputs("</table>\n<h2>Ranges</h2>\n<table><tr><th>band</th><th>start</th><th>end</th>"
	      "<th>size</th><th>what</th></tr>\n", fp);
	for (size_t i = 0; i < pic->nbands; i++)
		for (size_t j = 0; j < pic->bands[i].n; j++) {
			const struct vt_pic_seg *s = &pic->bands[i].segs[j];
			char sz[32];

			size_str(s->end - s->start, sz, sizeof(sz));
			fputs("<tr><td>", fp);
			esc(fp, pic->bands[i].name);
			fprintf(fp, "</td><td class=\"mono\">0x%016" PRIx64 "</td><td class=\"mono\">0x%016"
				PRIx64 "</td><td>%s</td><td>", s->start, s->end, sz);
			esc(fp, s->label);
			fputs("</td></tr>\n", fp);
		}
	fputs("</table>\n</body></html>\n", fp);
}
