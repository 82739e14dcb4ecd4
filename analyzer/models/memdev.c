/*
 * An xarray (include/linux/xarray.h facts): xa_head is NULL, a single entry
 * (index 0), or an internal entry ((e & 3) == 2, e > 4096) pointing at an
 * xa_node (e - 2) of XA_CHUNK_SIZE (64) slots covering 6 bits of index at
 * node->shift. Value entries have bit 0 set; memory blocks are pointers.
 */
#include "models/memdev.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define XA_CHUNK 64
#define MAX_DEPTH 12

const char *vt_memory_block_state_name(enum vt_mb_state state)
{
	switch (state) {
	case VT_MB_ONLINE: return "online";
	case VT_MB_GOING_OFFLINE: return "going-offline";
	case VT_MB_OFFLINE: return "offline";
	default: return "unknown";
	}
}

/*
 * How this kernel encodes memory_block.state: an `unsigned long` holding
 * the MEM_ONLINE (1<<0) / MEM_GOING_OFFLINE (1<<1) / MEM_OFFLINE (1<<2)
 * bits of include/linux/memory.h (#defines, so in no debug info), or, in
 * newer kernels, an `enum memory_block_state` whose values the type gives.
 */
struct state_encoding {
	uint64_t offset, size;
	int64_t online, going_offline, offline;
};

static struct vt_error *state_encoding(struct vt_symbols *s, struct state_encoding *enc)
{
	struct vt_member_info mi;
	struct vt_error *err = vt_symbols_member(s, "struct memory_block", "state", &mi);
	static const char *const names[] = { "MEM_ONLINE", "MEM_GOING_OFFLINE", "MEM_OFFLINE" };
	int64_t *vals[] = { &enc->online, &enc->going_offline, &enc->offline };

	if (err)
		return err;
	enc->offset = mi.offset;
	enc->size = mi.size;
	if (!mi.type)
		return vt_error_create(VT_ERR_NOT_FOUND,
				       "memory_block.state: type not known (no BTF/DWARF)");
	if (mi.type->kind == VT_TYPE_INT && mi.size == 8) {
		enc->online = 1;
		enc->going_offline = 2;
		enc->offline = 4;
		return NULL;
	}
	if (mi.type->kind != VT_TYPE_ENUM || (mi.size != 4 && mi.size != 8))
		return vt_error_create(VT_ERR_UNSUPPORTED,
				       "memory_block.state: %s of %" PRIu64 " bytes, an encoding "
				       "vmtriage does not know", vt_type_kind_name(mi.type->kind),
				       mi.size);
	for (int k = 0; k < 3; k++) {
		size_t i;

		for (i = 0; i < mi.type->nenumerators; i++)
			if (!strcmp(mi.type->enumerators[i].name, names[k]))
				break;
		if (i == mi.type->nenumerators)
			return vt_error_create(VT_ERR_NOT_FOUND, "enum %s has no %s",
					       mi.type->name, names[k]);
		*vals[k] = mi.type->enumerators[i].value;
	}
	return NULL;
}

static enum vt_mb_state decode_state(const struct state_encoding *enc, uint64_t v)
{
	if ((int64_t)v == enc->online)
		return VT_MB_ONLINE;
	if ((int64_t)v == enc->going_offline)
		return VT_MB_GOING_OFFLINE;
	if ((int64_t)v == enc->offline)
		return VT_MB_OFFLINE;
	return VT_MB_UNKNOWN;
}

struct walk {
	struct vt_target *t;
	struct state_encoding enc;
	uint64_t off_shift, off_slots, off_start, off_online, off_nid;
	struct vt_memory_block *blocks;
	size_t n;
	unsigned nodes;
};

static bool is_node(uint64_t e)
{
	return (e & 3) == 2 && e > 4096;
}

static struct vt_error *add_block(struct walk *w, uint64_t index, uint64_t mb)
{
	struct vt_memory_block *b;
	uint32_t v;
	uint64_t state;
	struct vt_error *err;

	if (w->n >= VT_MAX_MEMORY_BLOCKS)
		return vt_error_create(VT_ERR_FORMAT, "more than %d memory blocks",
				       VT_MAX_MEMORY_BLOCKS);
	b = &w->blocks[w->n];
	memset(b, 0, sizeof(*b));
	b->id = index;
	b->addr = mb;
	if (!(err = vt_target_read_u64(w->t, mb + w->off_start, &b->start_section_nr))) {
		if (w->enc.size == 8) {
			err = vt_target_read_u64(w->t, mb + w->enc.offset, &state);
		} else {
			err = vt_target_read_u32(w->t, mb + w->enc.offset, &v);
			state = v;
		}
	}
	if (err)
		return vt_error_prefix(err, "memory_block 0x%" PRIx64, mb);
	b->state_raw = state;
	b->state = decode_state(&w->enc, state);
	if (!vt_error_failed(vt_target_read_u32(w->t, mb + w->off_nid, &v)))
		b->nid = (int)v;
	if (!vt_error_failed(vt_target_read_u32(w->t, mb + w->off_online, &v)))
		b->online_type = (int)v;
	w->n++;
	return NULL;
}

static struct vt_error *walk_node(struct walk *w, uint64_t node, uint64_t base, int depth)
{
	unsigned char shift;
	uint64_t slots[XA_CHUNK];
	struct vt_error *err;

	if (depth > MAX_DEPTH || ++w->nodes > 100000)
		return vt_error_create(VT_ERR_FORMAT, "memory_blocks xarray too deep or cyclic");
	if ((err = vt_target_read_kv(w->t, node + w->off_shift, &shift, 1)) ||
	    (err = vt_target_read_kv(w->t, node + w->off_slots, slots, sizeof(slots))))
		return err;
	if (shift > 58 || shift % 6)
		return vt_error_create(VT_ERR_FORMAT, "xa_node 0x%" PRIx64 " has shift %u",
				       node, shift);
	for (unsigned i = 0; i < XA_CHUNK; i++) {
		uint64_t e = vt_target_info(w->t)->big_endian ? __builtin_bswap64(slots[i]) : slots[i];
		uint64_t index = base + ((uint64_t)i << shift);

		if (!e || (e & 1))
			continue;
		if (is_node(e) && shift > 0)
			err = walk_node(w, e - 2, index, depth + 1);
		else if ((e & 3) == 0)
			err = add_block(w, index, e);
		if (err)
			return err;
	}
	return NULL;
}

struct vt_error *vt_memory_blocks_read(struct vt_target *t, struct vt_symbols *s,
				       struct vt_memory_block **ret, size_t *nret)
{
	struct walk w = { .t = t };
	uint64_t xa, off_head, head;
	struct vt_error *err;

	if ((err = vt_symbols_lookup(s, "memory_blocks", &xa)) ||
	    (err = vt_symbols_offsetof(s, "struct xarray", "xa_head", &off_head)) ||
	    (err = vt_symbols_offsetof(s, "struct xa_node", "shift", &w.off_shift)) ||
	    (err = vt_symbols_offsetof(s, "struct xa_node", "slots", &w.off_slots)) ||
	    (err = vt_symbols_offsetof(s, "struct memory_block", "start_section_nr",
				       &w.off_start)) ||
	    (err = state_encoding(s, &w.enc)) ||
	    (err = vt_symbols_offsetof(s, "struct memory_block", "online_type", &w.off_online)) ||
	    (err = vt_symbols_offsetof(s, "struct memory_block", "nid", &w.off_nid)) ||
	    (err = vt_target_read_u64(t, xa + off_head, &head)))
		return vt_error_prefix(err, "memory block devices");
	w.blocks = calloc(VT_MAX_MEMORY_BLOCKS, sizeof(*w.blocks));
	if (!w.blocks)
		return &vt_enomem;
	if (is_node(head))
		err = walk_node(&w, head - 2, 0, 0);
	else if (head && (head & 3) == 0)
		err = add_block(&w, 0, head);
	if (err) {
		free(w.blocks);
		return vt_error_prefix(err, "memory_blocks");
	}
	*ret = w.blocks;
	*nret = w.n;
	return NULL;
}
