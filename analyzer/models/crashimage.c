#include "models/crashimage.h"

#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"

#define FDT_MAGIC 0xd00dfeedu

const char *vt_segment_kind_name(enum vt_segment_kind k)
{
	switch (k) {
	case VT_SEG_ELFCOREHDR: return "elfcorehdr";
	case VT_SEG_FDT: return "fdt";
	case VT_SEG_UNREADABLE: return "not in dump";
	default: return "other";
	}
}

struct vt_error *vt_elfcorehdr_decode(const void *buf, size_t len,
				      struct vt_elfcorehdr *ret)
{
	const unsigned char *b = buf;
	uint64_t phoff;
	uint16_t type, phentsize, phnum;
	bool be;

	memset(ret, 0, sizeof(*ret));
	if (len < sizeof(Elf64_Ehdr) || memcmp(b, ELFMAG, SELFMAG) != 0)
		return vt_error_create(VT_ERR_FORMAT, "elfcorehdr: not an ELF header");
	if (b[EI_CLASS] != ELFCLASS64)
		return vt_error_create(VT_ERR_UNSUPPORTED, "elfcorehdr: ELF class %u, not "
				       "64-bit", b[EI_CLASS]);
	if (b[EI_DATA] != ELFDATA2LSB && b[EI_DATA] != ELFDATA2MSB)
		return vt_error_create(VT_ERR_FORMAT, "elfcorehdr: byte order %u", b[EI_DATA]);
	be = b[EI_DATA] == ELFDATA2MSB;
	type = vt_load16(b + offsetof(Elf64_Ehdr, e_type), be);
	phoff = vt_load64(b + offsetof(Elf64_Ehdr, e_phoff), be);
	phentsize = vt_load16(b + offsetof(Elf64_Ehdr, e_phentsize), be);
	phnum = vt_load16(b + offsetof(Elf64_Ehdr, e_phnum), be);
	if (type != ET_CORE)
		return vt_error_create(VT_ERR_FORMAT, "elfcorehdr: ELF type %u, not ET_CORE",
				       type);
	if (phentsize != sizeof(Elf64_Phdr))
		return vt_error_create(VT_ERR_FORMAT, "elfcorehdr: e_phentsize %u", phentsize);
	/* PN_XNUM (extended numbering) is never written by kexec: the count is real. */
	if (phoff > len || (uint64_t)phnum * phentsize > len - phoff)
		return vt_error_create(VT_ERR_FORMAT, "elfcorehdr: %u program headers at "
				       "0x%" PRIx64 " run past its %zu bytes", phnum, phoff, len);
	ret->big_endian = be;
	ret->machine = vt_load16(b + offsetof(Elf64_Ehdr, e_machine), be);
	ret->loads = calloc(phnum ? phnum : 1, sizeof(*ret->loads));
	if (!ret->loads)
		return &vt_enomem;
	for (uint16_t i = 0; i < phnum; i++) {
		const unsigned char *p = b + phoff + (size_t)i * phentsize;
		uint32_t pt = vt_load32(p + offsetof(Elf64_Phdr, p_type), be);
		struct vt_elf_load *l;

		if (pt == PT_NOTE)
			ret->nnote++;
		if (pt != PT_LOAD)
			continue;
		l = &ret->loads[ret->nload++];
		l->offset = vt_load64(p + offsetof(Elf64_Phdr, p_offset), be);
		l->vaddr = vt_load64(p + offsetof(Elf64_Phdr, p_vaddr), be);
		l->paddr = vt_load64(p + offsetof(Elf64_Phdr, p_paddr), be);
		l->filesz = vt_load64(p + offsetof(Elf64_Phdr, p_filesz), be);
		l->memsz = vt_load64(p + offsetof(Elf64_Phdr, p_memsz), be);
	}
	return NULL;
}

void vt_elfcorehdr_deinit(struct vt_elfcorehdr *h)
{
	free(h->loads);
	memset(h, 0, sizeof(*h));
}

/* Decode an elfcorehdr read from physical (phys) or kernel-virtual memory. */
static void read_hdr(struct vt_target *t, struct vt_crashimage *c, uint64_t addr,
		     uint64_t size, bool phys)
{
	unsigned char *buf;
	struct vt_error *err;

	if (size > VT_ELFCOREHDR_MAX)
		size = VT_ELFCOREHDR_MAX;
	buf = malloc(size ? size : 1);
	if (!buf) {
		snprintf(c->hdr_err, sizeof(c->hdr_err), "out of memory");
		return;
	}
	err = phys ? vt_target_read_phys(t, addr, buf, size) :
		     vt_target_read_kv(t, addr, buf, size);
	if (!err)
		err = vt_elfcorehdr_decode(buf, size, &c->hdr);
	free(buf);
	if (err) {
		snprintf(c->hdr_err, sizeof(c->hdr_err), "elfcorehdr at 0x%" PRIx64 ": %s",
			 addr, err->message);
		vt_error_destroy(err);
		return;
	}
	c->have_hdr = true;
}

static void classify(struct vt_target *t, struct vt_crashimage *c, size_t i)
{
	struct vt_kexec_segment *sg = &c->seg[i];
	unsigned char head[EI_NIDENT + 2];
	struct vt_error *err = vt_target_read_phys(t, sg->mem, head, sizeof(head));
	bool be;

	if (err) {
		vt_error_destroy(err);
		sg->kind = VT_SEG_UNREADABLE;
		return;
	}
	be = head[EI_DATA] == ELFDATA2MSB;
	if (!memcmp(head, ELFMAG, SELFMAG) && vt_load16(head + EI_NIDENT, be) == ET_CORE) {
		sg->kind = VT_SEG_ELFCOREHDR;
		if (c->hdr_seg < 0) {
			c->hdr_seg = (int)i;
			read_hdr(t, c, sg->mem, sg->bufsz ? sg->bufsz : sg->memsz, true);
		}
	} else if (vt_be32(head) == FDT_MAGIC) {
		sg->kind = VT_SEG_FDT;
		if (c->fdt_seg < 0) {
			c->fdt_seg = (int)i;
			err = vt_dt_read_fdt_phys(t, sg->mem, sg->memsz, &c->fdt);
			if (err) {
				snprintf(c->fdt_err, sizeof(c->fdt_err), "%s", err->message);
				vt_error_destroy(err);
			} else {
				c->fdt->source = "crash kernel FDT";
			}
		}
	}
}

size_t vt_crashimage_segments_missing(const struct vt_crashimage *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nseg; i++)
		n += c->seg[i].kind == VT_SEG_UNREADABLE;
	return n;
}

/*
 * The segments are not in the dump: a kdump vmcore leaves out the crash
 * kernel's own reservation. Such an ELF is the capture kernel's
 * /proc/vmcore, made from that very elfcorehdr: the kernel keeps its
 * PT_LOADs one for one (only their file offsets and the notes change).
 * Only for an ELF dump that misses a segment; else nothing is claimed.
 */
static void hdr_from_dump(struct vt_target *t, struct vt_crashimage *c)
{
	struct vt_elfcorehdr hdr;
	void *buf;
	size_t len;
	struct vt_error *err;

	if (!vt_crashimage_segments_missing(c) || strcmp(vt_target_info(t)->format, "elf") != 0)
		return;
	if ((err = vt_target_elf_headers(t, &buf, &len))) {
		vt_error_destroy(err);
		return;
	}
	err = vt_elfcorehdr_decode(buf, len, &hdr);
	free(buf);
	if (err) {
		vt_error_destroy(err);
		return;
	}
	vt_elfcorehdr_deinit(&c->hdr);
	c->hdr = hdr;
	c->hdr_seg = VT_HDR_FROM_DUMP;
	c->have_hdr = true;
	c->hdr_err[0] = '\0';
}

const char *vt_crashimage_hdr_source(const struct vt_crashimage *c)
{
	return c->hdr_seg == -2 ? "kimage->elf_headers" :
	       c->hdr_seg == VT_HDR_FROM_DUMP ? "this dump's own PT_LOADs: the segments (the "
		       "crash kernel's reservation) are not in it, so it is the capture kernel's "
		       "/proc/vmcore, made from that elfcorehdr" : "segment";
}

struct vt_error *vt_crashimage_read(struct vt_target *t, struct vt_symbols *s,
				    struct vt_crashimage *ret)
{
	uint64_t var, img, o_nr, o_seg, segsize, o_buf, o_bufsz, o_mem, o_memsz;
	unsigned char raw[64];
	bool be = vt_target_info(t)->big_endian;
	struct vt_error *err;

	memset(ret, 0, sizeof(*ret));
	ret->hdr_seg = ret->fdt_seg = -1;
	if ((err = vt_symbols_lookup(s, "kexec_crash_image", &var)))
		return vt_error_prefix(err, "kexec_crash_image (no kexec support, or no "
				       "data symbols: give the vmlinux)");
	if ((err = vt_target_read_u64(t, var, &img)))
		return vt_error_prefix(err, "reading kexec_crash_image");
	ret->kimage = img;
	if (!img)
		return NULL;
	ret->loaded = true;
	if ((err = vt_symbols_offsetof(s, "struct kimage", "nr_segments", &o_nr)) ||
	    (err = vt_symbols_offsetof(s, "struct kimage", "segment", &o_seg)) ||
	    (err = vt_symbols_sizeof(s, "struct kexec_segment", &segsize)) ||
	    (err = vt_symbols_offsetof(s, "struct kexec_segment", "buf", &o_buf)) ||
	    (err = vt_symbols_offsetof(s, "struct kexec_segment", "bufsz", &o_bufsz)) ||
	    (err = vt_symbols_offsetof(s, "struct kexec_segment", "mem", &o_mem)) ||
	    (err = vt_symbols_offsetof(s, "struct kexec_segment", "memsz", &o_memsz)))
		return vt_error_prefix(err, "struct kimage layout (give the vmlinux)");
	if (segsize > sizeof(raw) || o_memsz + 8 > segsize)
		return vt_error_create(VT_ERR_UNSUPPORTED, "struct kexec_segment of %" PRIu64
				       " bytes", segsize);
	if ((err = vt_target_read_u64(t, img + o_nr, &ret->nr_segments)))
		return vt_error_prefix(err, "kimage 0x%" PRIx64, img);
	ret->nseg = ret->nr_segments > VT_KEXEC_SEGMENT_MAX ? VT_KEXEC_SEGMENT_MAX :
		    (size_t)ret->nr_segments;
	for (size_t i = 0; i < ret->nseg; i++) {
		struct vt_kexec_segment *sg = &ret->seg[i];

		err = vt_target_read_kv(t, img + o_seg + i * segsize, raw, segsize);
		if (err)
			return vt_error_prefix(err, "kimage 0x%" PRIx64 " segment %zu", img, i);
		sg->buf = vt_load64(raw + o_buf, be);
		sg->bufsz = vt_load64(raw + o_bufsz, be);
		sg->mem = vt_load64(raw + o_mem, be);
		sg->memsz = vt_load64(raw + o_memsz, be);
		classify(t, ret, i);
	}
	/* kexec_file_load keeps its own copy of the headers (kimage->elf_headers). */
	if (!ret->have_hdr) {
		uint64_t o_eh, o_ehsz, eh = 0, ehsz = 0;

		if ((err = vt_symbols_offsetof(s, "struct kimage", "elf_headers", &o_eh)) ||
		    (err = vt_symbols_offsetof(s, "struct kimage", "elf_headers_sz", &o_ehsz)) ||
		    (err = vt_target_read_u64(t, img + o_eh, &eh)) ||
		    (err = vt_target_read_u64(t, img + o_ehsz, &ehsz)))
			vt_error_destroy(err);	/* older kernel, or unreadable: segments only */
		else if (eh && ehsz) {
			ret->hdr_err[0] = '\0';
			ret->hdr_seg = -2;
			read_hdr(t, ret, eh, ehsz, false);
		}
	}
	if (!ret->have_hdr)
		hdr_from_dump(t, ret);
	if (!ret->have_hdr && !ret->hdr_err[0])
		snprintf(ret->hdr_err, sizeof(ret->hdr_err), "no elfcorehdr among %zu "
			 "segment(s)", ret->nseg);
	if (ret->fdt_seg < 0 && !ret->fdt_err[0]) {
		size_t missing = vt_crashimage_segments_missing(ret);

		if (missing)
			snprintf(ret->fdt_err, sizeof(ret->fdt_err), "unknown: %zu of %zu "
				 "segment(s) are not in the dump", missing, ret->nseg);
		else
			snprintf(ret->fdt_err, sizeof(ret->fdt_err), "no FDT segment");
	}
	return NULL;
}

void vt_crashimage_deinit(struct vt_crashimage *c)
{
	vt_elfcorehdr_deinit(&c->hdr);
	vt_dt_destroy(c->fdt);
	c->fdt = NULL;
}
