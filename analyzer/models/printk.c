/*
 * printk_ringbuffer (kernel/printk/printk_ringbuffer.h facts): a ring of
 * 2^count_bits descriptors (state in the top two bits of state_var, the id
 * below) with a parallel array of printk_info, and a data ring of
 * 2^size_bits bytes where each block starts with its descriptor id (one
 * unsigned long) followed by the text. A block that would wrap is stored
 * at the start of the ring instead; lpos values carry the wrap count above
 * size_bits. Walk ids from tail_id to head_id and keep committed or
 * finalized descriptors whose id matches.
 */
#include "models/printk.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"

#define DESC_STATE_SHIFT 62
#define DESC_ID_MASK ((1ull << DESC_STATE_SHIFT) - 1)
#define DESC_COMMITTED 1
#define DESC_FINALIZED 2
#define MAX_COUNT_BITS 24
#define MAX_SIZE_BITS 30

struct layout {
	uint64_t dr, dr_count_bits, dr_descs, dr_infos, dr_head, dr_tail;
	uint64_t tr, tr_size_bits, tr_data;
	uint64_t desc_size, d_state, d_text, lp_begin, lp_next;
	uint64_t info_size, i_seq, i_ts, i_text_len, i_caller;
};

static struct vt_error *off(struct vt_symbols *s, const char *type,
			    const char *member, uint64_t *ret)
{
	return vt_symbols_offsetof(s, type, member, ret);
}

static struct vt_error *load_layout(struct vt_symbols *s, struct layout *l)
{
	struct vt_error *err;

	if ((err = off(s, "struct printk_ringbuffer", "desc_ring", &l->dr)) ||
	    (err = off(s, "struct printk_ringbuffer", "text_data_ring", &l->tr)) ||
	    (err = off(s, "struct prb_desc_ring", "count_bits", &l->dr_count_bits)) ||
	    (err = off(s, "struct prb_desc_ring", "descs", &l->dr_descs)) ||
	    (err = off(s, "struct prb_desc_ring", "infos", &l->dr_infos)) ||
	    (err = off(s, "struct prb_desc_ring", "head_id", &l->dr_head)) ||
	    (err = off(s, "struct prb_desc_ring", "tail_id", &l->dr_tail)) ||
	    (err = off(s, "struct prb_data_ring", "size_bits", &l->tr_size_bits)) ||
	    (err = off(s, "struct prb_data_ring", "data", &l->tr_data)) ||
	    (err = vt_symbols_sizeof(s, "struct prb_desc", &l->desc_size)) ||
	    (err = off(s, "struct prb_desc", "state_var", &l->d_state)) ||
	    (err = off(s, "struct prb_desc", "text_blk_lpos", &l->d_text)) ||
	    (err = off(s, "struct prb_data_blk_lpos", "begin", &l->lp_begin)) ||
	    (err = off(s, "struct prb_data_blk_lpos", "next", &l->lp_next)) ||
	    (err = vt_symbols_sizeof(s, "struct printk_info", &l->info_size)) ||
	    (err = off(s, "struct printk_info", "seq", &l->i_seq)) ||
	    (err = off(s, "struct printk_info", "ts_nsec", &l->i_ts)) ||
	    (err = off(s, "struct printk_info", "text_len", &l->i_text_len)) ||
	    (err = off(s, "struct printk_info", "caller_id", &l->i_caller)))
		return err;
	if (l->desc_size < 24 || l->desc_size > 256 || l->info_size < 24 ||
	    l->info_size > 512)
		return vt_error_create(VT_ERR_FORMAT, "implausible printk struct sizes");
	return NULL;
}

/*
 * Kernels 3.5..5.9: log_buf, a ring of struct printk_log records {u64
 * ts_nsec; u16 len (whole record); u16 text_len; u16 dict_len; u8 facility;
 * u8 flags:5, level:3; ...} each followed by its text; a record whose len
 * is 0 means "wrap to the start". Valid records run from log_first_idx to
 * log_next_idx. VMCOREINFO lists all of it (SYMBOL(log_buf), ...).
 */
static struct vt_error *log_buf_read(struct vt_target *t, struct vt_symbols *s,
				     vt_log_fn fn, void *arg, uint64_t *skipped_ret)
{
	bool be = vt_target_info(t)->big_endian;
	uint64_t buf_var, buf, len_var, first_var, next_var, hsize, o_ts, o_len, o_text,
		 skipped = 0;
	uint32_t buf_len, idx, next;
	unsigned char hdr[64];
	char *text;
	struct vt_error *err;

	if ((err = vt_symbols_lookup(s, "log_buf", &buf_var)) ||
	    (err = vt_symbols_lookup(s, "log_buf_len", &len_var)) ||
	    (err = vt_symbols_lookup(s, "log_first_idx", &first_var)) ||
	    (err = vt_symbols_lookup(s, "log_next_idx", &next_var)) ||
	    (err = vt_symbols_sizeof(s, "struct printk_log", &hsize)) ||
	    (err = vt_symbols_offsetof(s, "struct printk_log", "ts_nsec", &o_ts)) ||
	    (err = vt_symbols_offsetof(s, "struct printk_log", "len", &o_len)) ||
	    (err = vt_symbols_offsetof(s, "struct printk_log", "text_len", &o_text)) ||
	    (err = vt_target_read_u64(t, buf_var, &buf)) ||
	    (err = vt_target_read_u32(t, len_var, &buf_len)) ||
	    (err = vt_target_read_u32(t, first_var, &idx)) ||
	    (err = vt_target_read_u32(t, next_var, &next)))
		return vt_error_prefix(err, "log_buf");
	if (hsize < 16 || hsize > sizeof(hdr) || o_text + 2 > hsize || buf_len < hsize ||
	    buf_len > (1u << 30) || idx >= buf_len || next >= buf_len)
		return vt_error_create(VT_ERR_FORMAT, "log_buf: implausible layout or indexes");
	text = malloc(VT_LOG_MAX_TEXT + 1);
	if (!text)
		return &vt_enomem;
	/* Each step moves forward or wraps once per lap: bound by the size. */
	for (uint64_t steps = 0, seq = 0; idx != next && steps < buf_len / 8 + 2; steps++) {
		struct vt_log_record rec = { .text = text };
		uint16_t rlen, tlen;

		if (idx + hsize > buf_len) {	/* no room for a header: wrapped */
			idx = 0;
			continue;
		}
		err = vt_target_read_kv(t, buf + idx, hdr, hsize);
		if (err) {
			vt_error_destroy(err);
			skipped++;
			break;
		}
		rlen = vt_load16(hdr + o_len, be);
		if (rlen == 0) {		/* the wrap marker */
			idx = 0;
			continue;
		}
		tlen = vt_load16(hdr + o_text, be);
		if (rlen < hsize || idx + rlen > buf_len || hsize + tlen > rlen ||
		    tlen > VT_LOG_MAX_TEXT) {
			skipped++;
			break;		/* corrupt: the chain cannot be followed */
		}
		rec.seq = seq++;
		rec.ts_nsec = vt_load64(hdr + o_ts, be);
		rec.facility = hdr[o_text + 4];
		rec.level = be ? hdr[o_text + 5] & 7 : hdr[o_text + 5] >> 5;
		err = vt_target_read_kv(t, buf + idx + hsize, text, tlen);
		if (err) {
			vt_error_destroy(err);
			skipped++;
		} else {
			rec.len = tlen;
			while (rec.len && text[rec.len - 1] == '\n')
				rec.len--;
			text[rec.len] = '\0';
			if (fn(arg, &rec))
				break;
		}
		idx += rlen;
	}
	free(text);
	if (skipped_ret)
		*skipped_ret = skipped;
	return NULL;
}

struct vt_error *vt_log_read(struct vt_target *t, struct vt_symbols *s,
			     vt_log_fn fn, void *arg, uint64_t *skipped_ret)
{
	bool be = vt_target_info(t)->big_endian;
	uint64_t prb_var, prb, descs, infos, head, tail, data, skipped = 0;
	uint32_t count_bits, size_bits;
	unsigned char desc[256], info[512];
	char *text = NULL;
	struct layout l;
	struct vt_error *err;

	err = vt_symbols_lookup(s, "prb", &prb_var);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND)) {	/* before 5.10: the log_buf ring */
		err = log_buf_read(t, s, fn, arg, skipped_ret);
		if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
			return vt_error_create(VT_ERR_NOT_FOUND, "kernel log: neither prb (v5.10+) "
					       "nor log_buf is a known symbol");
		return err;
	}
	if (err)
		return err;
	if ((err = load_layout(s, &l)) ||
	    (err = vt_target_read_u64(t, prb_var, &prb)) ||
	    (err = vt_target_read_u32(t, prb + l.dr + l.dr_count_bits, &count_bits)) ||
	    (err = vt_target_read_u64(t, prb + l.dr + l.dr_descs, &descs)) ||
	    (err = vt_target_read_u64(t, prb + l.dr + l.dr_infos, &infos)) ||
	    (err = vt_target_read_u64(t, prb + l.dr + l.dr_head, &head)) ||
	    (err = vt_target_read_u64(t, prb + l.dr + l.dr_tail, &tail)) ||
	    (err = vt_target_read_u32(t, prb + l.tr + l.tr_size_bits, &size_bits)) ||
	    (err = vt_target_read_u64(t, prb + l.tr + l.tr_data, &data)))
		return vt_error_prefix(err, "printk ring buffer");
	if (count_bits > MAX_COUNT_BITS || size_bits > MAX_SIZE_BITS || size_bits < 4)
		return vt_error_create(VT_ERR_FORMAT,
				       "printk ring buffer: count_bits %u, size_bits %u",
				       count_bits, size_bits);
	text = malloc(VT_LOG_MAX_TEXT + 1);
	if (!text)
		return &vt_enomem;
	uint64_t count = 1ull << count_bits, size = 1ull << size_bits;

	head &= DESC_ID_MASK;
	tail &= DESC_ID_MASK;
	/* At most one lap of the descriptor ring, whatever the ids say. */
	for (uint64_t n = 0, id = tail; n < count; n++, id = (id + 1) & DESC_ID_MASK) {
		uint64_t idx = id & (count - 1), sv, begin, next, b, e;
		struct vt_log_record rec;
		uint16_t text_len;
		unsigned state;

		err = vt_target_read_kv(t, descs + idx * l.desc_size, desc, l.desc_size);
		if (!err)
			err = vt_target_read_kv(t, infos + idx * l.info_size, info, l.info_size);
		if (err) {
			vt_error_destroy(err);
			skipped++;
			goto next;
		}
		sv = vt_load64(desc + l.d_state, be);
		state = (unsigned)(sv >> DESC_STATE_SHIFT);
		if ((sv & DESC_ID_MASK) != id ||
		    (state != DESC_COMMITTED && state != DESC_FINALIZED)) {
			skipped++;
			goto next;
		}
		begin = vt_load64(desc + l.d_text + l.lp_begin, be);
		next = vt_load64(desc + l.d_text + l.lp_next, be);
		text_len = vt_load16(info + l.i_text_len, be);
		rec.seq = vt_load64(info + l.i_seq, be);
		rec.ts_nsec = vt_load64(info + l.i_ts, be);
		rec.caller_id = vt_load32(info + l.i_caller, be);
		/* flags:5 and level:3 share the byte after facility */
		rec.facility = info[l.i_text_len + 2];
		rec.level = be ? info[l.i_text_len + 3] & 7 : info[l.i_text_len + 3] >> 5;
		rec.text = text;
		rec.len = 0;
		text[0] = '\0';
		if (!(begin & 1) && text_len) {		/* bit 0 set: no data */
			b = begin & (size - 1);
			e = next & (size - 1);
			/* A block that would wrap starts at the ring's start. */
			if ((begin >> size_bits) != (next >> size_bits))
				b = 0;
			if (e == 0 || e <= b)
				e = size;
			if (b + 8 + text_len > e || text_len > VT_LOG_MAX_TEXT) {
				skipped++;
				goto next;
			}
			err = vt_target_read_kv(t, data + b + 8, text, text_len);
			if (err) {
				vt_error_destroy(err);
				skipped++;
				goto next;
			}
			rec.len = text_len;
			while (rec.len && text[rec.len - 1] == '\n')
				rec.len--;
			text[rec.len] = '\0';
		}
		if (fn(arg, &rec))
			break;
next:
		if (id == head)
			break;
	}
	free(text);
	if (skipped_ret)
		*skipped_ret = skipped;
	return NULL;
}
