/*
 * An xarray (include/linux/xarray.h facts): xa_head is NULL, a single entry
 * (index 0), or an internal entry ((e & 3) == 2, e > 4096) pointing at an
 * xa_node (e - 2) of XA_CHUNK_SIZE (64) slots covering 6 bits of index at
 * node->shift. Value entries have bit 0 set; memory blocks are pointers.
 */
#include "memdev.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define XA_CHUNK 64
#define MAX_DEPTH 12

const char *vt_memory_block_state_name(uint64_t state)
{
	switch (state) {
	case 1: return "online";
	case 2: return "going-offline";
	case 4: return "offline";
	default: return "unknown";
	}
}

struct walk {
	struct vt_target *t;
	uint64_t off_shift, off_slots, off_start, off_state, off_online, off_nid;
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
	struct vt_error *err;

	if (w->n >= VT_MAX_MEMORY_BLOCKS)
		return vt_error_create(VT_ERR_FORMAT, "more than %d memory blocks",
				       VT_MAX_MEMORY_BLOCKS);
	b = &w->blocks[w->n];
	memset(b, 0, sizeof(*b));
	b->id = index;
	b->addr = mb;
	if ((err = vt_target_read_u64(w->t, mb + w->off_start, &b->start_section_nr)) ||
	    (err = vt_target_read_u64(w->t, mb + w->off_state, &b->state)))
		return vt_error_prefix(err, "memory_block 0x%" PRIx64, mb);
	if (!vt_target_read_u32(w->t, mb + w->off_nid, &v))
		b->nid = (int)v;
	if (!vt_target_read_u32(w->t, mb + w->off_online, &v))
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
	    (err = vt_symbols_offsetof(s, "struct memory_block", "state", &w.off_state)) ||
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
