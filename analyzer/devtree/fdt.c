/*
 * Flattened device tree (FDT) blobs, per the devicetree specification
 * (v0.4, chapter 5): a big-endian header (magic 0xd00dfeed), a memory
 * reservation block, a structure block of tokens (BEGIN_NODE, END_NODE,
 * PROP, NOP, END) and a strings block.
 *
 * Why our own reader and not libfdt (Debian libfdt-dev): we only walk a
 * blob once, read-only, into the same tree the live walker builds, and the
 * blobs come from dumps, so they may be truncated or overwritten. We want
 * to keep whatever precedes the damage and say where it is; libfdt's
 * fdt_check_full() is all-or-nothing and its iterators stop with a bare
 * error code, so we would wrap it in as much code as this reader is
 * (~250 bounded lines, unit-tested on broken blobs). It also spares users
 * and CI a build dependency that has no pkg-config file to find it by.
 */
#include "devtree/devtree_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"

#define FDT_MAGIC	0xd00dfeedu
#define FDT_BEGIN_NODE	1
#define FDT_END_NODE	2
#define FDT_PROP	3
#define FDT_NOP		4
#define FDT_END		9
#define FDT_HDR_SIZE	40		/* v17 header */
#define FDT_MAX_SIZE	(32u << 20)	/* largest blob we read from a dump */
#define FDT_MAX_RSV	1024

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

static void read_rsvmap(struct vt_dt *dt, const unsigned char *b, uint32_t total,
			uint32_t off)
{
	size_t n = 0;

	if (off % 8 || off >= total) {
		vt_dt_problem(dt, "FDT: reservation map offset 0x%x out of the blob", off);
		return;
	}
	dt->rsv = calloc(FDT_MAX_RSV, sizeof(*dt->rsv));
	if (!dt->rsv)
		return;
	for (uint64_t p = off; ; p += 16) {
		uint64_t a, sz;

		if (p + 16 > total) {
			vt_dt_problem(dt, "FDT: reservation map runs off the blob");
			break;
		}
		a = vt_be64(b + p);
		sz = vt_be64(b + p + 8);
		if (!a && !sz)
			break;
		if (n >= FDT_MAX_RSV) {
			vt_dt_problem(dt, "FDT: more than %d reservations (cut)", FDT_MAX_RSV);
			break;
		}
		dt->rsv[n].addr = a;
		dt->rsv[n].size = sz;
		n++;
	}
	dt->nrsv = n;
}

/* Walk the structure block; stops at the first damage, keeping what was read. */
static bool walk_struct(struct vt_dt *dt, const unsigned char *b, size_t sbeg,
			size_t send, size_t strbeg, size_t strend)
{
	struct vt_dt_node *stack[VT_DT_MAX_DEPTH];
	struct vt_dt_prop **tail[VT_DT_MAX_DEPTH];
	int depth = 0;
	bool closed = false;
	size_t pos = sbeg;

	while (pos + 4 <= send) {
		uint32_t tok = vt_be32(b + pos);
		size_t at = pos;

		pos += 4;
		switch (tok) {
		case FDT_NOP:
			continue;
		case FDT_BEGIN_NODE: {
			const unsigned char *nul = memchr(b + pos, '\0', send - pos);
			char name[VT_DT_MAX_NAME];
			size_t len;
			struct vt_dt_node *n;

			if (closed) {
				vt_dt_problem(dt, "FDT: node after the root at 0x%zx", at);
				return false;
			}
			if (!nul) {
				vt_dt_problem(dt, "FDT: node name at 0x%zx has no NUL", pos);
				return false;
			}
			len = (size_t)(nul - (b + pos));
			if (len >= VT_DT_MAX_NAME)
				vt_dt_problem(dt, "FDT: node name at 0x%zx longer than %d (cut)",
					      pos, VT_DT_MAX_NAME - 1);
			snprintf(name, sizeof(name), "%.*s", (int)len, (const char *)b + pos);
			pos = align4(pos + len + 1);
			if (depth >= VT_DT_MAX_DEPTH) {
				vt_dt_problem(dt, "FDT: deeper than %d levels at 0x%zx (cut)",
					      VT_DT_MAX_DEPTH, at);
				return false;
			}
			if (dt->nnodes >= VT_DT_MAX_NODES) {
				vt_dt_problem(dt, "FDT: more than %d nodes (cut)", VT_DT_MAX_NODES);
				return false;
			}
			n = vt_dt_node_add(dt, depth ? stack[depth - 1] : NULL, name, at);
			if (!n)
				return false;
			stack[depth] = n;
			tail[depth] = &n->props;
			depth++;
			continue;
		}
		case FDT_END_NODE:
			if (!depth) {
				vt_dt_problem(dt, "FDT: END_NODE without a node at 0x%zx", at);
				return false;
			}
			if (--depth == 0)
				closed = true;
			continue;
		case FDT_PROP: {
			uint32_t len, nameoff, have;
			const unsigned char *nul;
			struct vt_dt_node *n;
			char name[VT_DT_MAX_NAME];

			if (!depth) {
				vt_dt_problem(dt, "FDT: property outside a node at 0x%zx", at);
				return false;
			}
			if (pos + 8 > send) {
				vt_dt_problem(dt, "FDT: property header at 0x%zx runs off the "
					      "structure block", at);
				return false;
			}
			len = vt_be32(b + pos);
			nameoff = vt_be32(b + pos + 4);
			pos += 8;
			n = stack[depth - 1];
			if (len > send - pos) {
				vt_dt_problem(dt, "FDT: %s: property at 0x%zx has length %u, past "
					      "the structure block", n->path, at, len);
				return false;
			}
			nul = nameoff < strend - strbeg ?
				memchr(b + strbeg + nameoff, '\0', strend - strbeg - nameoff) : NULL;
			if (!nul) {
				vt_dt_problem(dt, "FDT: %s: property at 0x%zx: name offset 0x%x "
					      "not a string in the strings block", n->path, at,
					      nameoff);
				snprintf(name, sizeof(name), "?nameoff@%x", nameoff);
			} else {
				snprintf(name, sizeof(name), "%s",
					 (const char *)b + strbeg + nameoff);
			}
			have = len > VT_DT_MAX_VALUE ? VT_DT_MAX_VALUE : len;
			if (!vt_dt_prop_add(dt, &tail[depth - 1], name, b + pos, have, len, at))
				return false;
			if (len == 4 && (!strcmp(name, "phandle") ||
					 !strcmp(name, "linux,phandle")))
				n->phandle = vt_be32(b + pos);
			pos = align4(pos + len);
			continue;
		}
		case FDT_END:
			if (depth || !closed)
				vt_dt_problem(dt, "FDT: END inside an open node at 0x%zx", at);
			return true;
		default:
			vt_dt_problem(dt, "FDT: bad token 0x%x at 0x%zx", tok, at);
			return false;
		}
	}
	vt_dt_problem(dt, "FDT: structure block ends without END");
	return true;
}

struct vt_error *vt_dt_from_fdt(const void *blob, size_t len, struct vt_dt **ret)
{
	const unsigned char *b = blob;
	uint32_t total, off_struct, off_strings, off_rsv, version, last_comp,
		 size_strings, size_struct;
	size_t send;
	struct vt_dt *dt;

	*ret = NULL;
	if (len < FDT_HDR_SIZE)
		return vt_error_create(VT_ERR_FORMAT, "FDT: %zu bytes, shorter than its "
				       "header", len);
	if (vt_be32(b) != FDT_MAGIC)
		return vt_error_create(VT_ERR_FORMAT, "FDT: bad magic 0x%08x", vt_be32(b));
	total = vt_be32(b + 4);
	off_struct = vt_be32(b + 8);
	off_strings = vt_be32(b + 12);
	off_rsv = vt_be32(b + 16);
	version = vt_be32(b + 20);
	last_comp = vt_be32(b + 24);
	size_strings = vt_be32(b + 32);
	size_struct = vt_be32(b + 36);
	if (total < FDT_HDR_SIZE || total > len)
		return vt_error_create(VT_ERR_FORMAT, "FDT: totalsize %u, have %zu bytes",
				       total, len);
	/* v16 is the oldest layout with unit names only (and what dtc writes
	 * as last_comp_version); older ones store full paths. */
	if (version < 16 || last_comp > 17)
		return vt_error_create(VT_ERR_UNSUPPORTED, "FDT: version %u (last "
				       "compatible %u)", version, last_comp);
	send = version >= 17 ? (size_t)off_struct + size_struct : total;
	if (off_struct % 4 || off_struct >= total || send > total)
		return vt_error_create(VT_ERR_FORMAT, "FDT: structure block 0x%x+0x%x "
				       "outside totalsize %u", off_struct, size_struct, total);
	if (off_strings > total || size_strings > total - off_strings)
		return vt_error_create(VT_ERR_FORMAT, "FDT: strings block 0x%x+0x%x "
				       "outside totalsize %u", off_strings, size_strings, total);
	dt = vt_dt_alloc("FDT", 0);
	if (!dt)
		return &vt_enomem;
	dt->fdt_version = version;
	dt->fdt_totalsize = total;
	dt->fdt_boot_cpuid = vt_be32(b + 28);
	read_rsvmap(dt, b, total, off_rsv);
	if (!walk_struct(dt, b, off_struct, send, off_strings,
			 (size_t)off_strings + size_strings) && !dt->root) {
		vt_dt_destroy(dt);
		return vt_error_create(VT_ERR_FORMAT, "FDT: no root node");
	}
	if (!dt->root) {
		vt_dt_destroy(dt);
		return vt_error_create(VT_ERR_FORMAT, "FDT: no root node");
	}
	*ret = dt;
	return NULL;
}

typedef struct vt_error *(*read_fn)(struct vt_target *t, uint64_t addr, void *buf,
				    size_t len);

static struct vt_error *read_fdt(struct vt_target *t, read_fn read, uint64_t addr,
				 uint64_t maxlen, const char *source, struct vt_dt **ret)
{
	unsigned char hdr[FDT_HDR_SIZE];
	unsigned char *blob;
	uint32_t total;
	struct vt_error *err;

	*ret = NULL;
	if ((err = read(t, addr, hdr, sizeof(hdr))))
		return vt_error_prefix(err, "%s header at 0x%" PRIx64, source, addr);
	if (vt_be32(hdr) != FDT_MAGIC)
		return vt_error_create(VT_ERR_FORMAT, "%s at 0x%" PRIx64 ": bad magic "
				       "0x%08x", source, addr, vt_be32(hdr));
	total = vt_be32(hdr + 4);
	if (total < FDT_HDR_SIZE || total > FDT_MAX_SIZE || total > maxlen)
		return vt_error_create(VT_ERR_FORMAT, "%s at 0x%" PRIx64 ": totalsize %u "
				       "(limit %" PRIu64 ")", source, addr, total,
				       maxlen < FDT_MAX_SIZE ? maxlen : FDT_MAX_SIZE);
	blob = malloc(total);
	if (!blob)
		return &vt_enomem;
	err = read(t, addr, blob, total);
	if (!err)
		err = vt_dt_from_fdt(blob, total, ret);
	free(blob);
	if (err)
		return vt_error_prefix(err, "%s at 0x%" PRIx64, source, addr);
	(*ret)->source = source;
	(*ret)->addr = addr;
	return NULL;
}

struct vt_error *vt_dt_read_boot(struct vt_target *t, struct vt_symbols *s,
				 struct vt_dt **ret)
{
	uint64_t var, blob;
	struct vt_error *err;

	*ret = NULL;
	if ((err = vt_symbols_lookup(s, "initial_boot_params", &var)))
		return vt_error_prefix(err, "no initial_boot_params symbol");
	if ((err = vt_target_read_u64(t, var, &blob)))
		return vt_error_prefix(err, "reading initial_boot_params");
	if (!blob)
		return vt_error_create(VT_ERR_NOT_FOUND, "initial_boot_params is NULL");
	return read_fdt(t, vt_target_read_kv, blob, FDT_MAX_SIZE,
			"boot FDT (initial_boot_params)", ret);
}

struct vt_error *vt_dt_read_fdt_phys(struct vt_target *t, uint64_t paddr,
				     uint64_t maxlen, struct vt_dt **ret)
{
	return read_fdt(t, vt_target_read_phys, paddr, maxlen, "FDT", ret);
}
