/*
 * kallsyms decoded from the dump: kernels >= 6.0 list the tables in
 * VMCOREINFO (kallsyms_names, _num_syms, _token_table, _token_index,
 * _offsets + _relative_base, or _addresses). Names are token-compressed:
 * each entry is a length (one byte, or two when the first has bit 7 set,
 * for "big" symbols since 6.1) then that many token indexes; the first
 * expanded character is the symbol's type letter.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"
#include "symbols/finders.h"
#include "symbols/strmap.h"

#define MAX_SYMS (4u << 20)
#define MAX_NAMES_BYTES (64u << 20)
#define NAMES_CHUNK (256u << 10)

struct ksym {
	uint64_t addr;
	uint32_t name;		/* offset into names */
};

struct kallsyms_finder {
	char *names;		/* "Tname\0Tname\0..." (type letter first) */
	struct ksym *syms;	/* sorted by address */
	uint32_t nsyms;
	struct vt_strmap by_name;	/* name -> index into syms */
	struct vt_finder finder;
};

static struct vt_error *vi_sym(struct vt_target *t, const char *name,
			       uint64_t *ret)
{
	return vt_vmcoreinfo_symbol(vt_target_vmcoreinfo(t), name, ret);
}

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Read the whole token table: 256 NUL-terminated strings. */
static struct vt_error *read_tokens(struct vt_target *t, uint64_t table_va,
				    uint64_t index_va, char **table_ret,
				    uint16_t *index, size_t *table_len)
{
	unsigned char raw[512];
	size_t max = 0, len;
	struct vt_error *err;
	char *table;

	err = vt_target_read_kv(t, index_va, raw, sizeof(raw));
	if (err)
		return vt_error_prefix(err, "kallsyms_token_index");
	for (int i = 0; i < 256; i++) {
		index[i] = vt_load16(raw + 2 * i, vt_target_info(t)->big_endian);
		if (index[i] > max)
			max = index[i];
	}
	len = max + 256;	/* the last token is short; bound its read */
	table = malloc(len + 1);
	if (!table)
		return &vt_enomem;
	err = vt_target_read_kv(t, table_va, table, len);
	if (err) {
		free(table);
		return vt_error_prefix(err, "kallsyms_token_table");
	}
	table[len] = '\0';
	*table_ret = table;
	*table_len = len;
	return NULL;
}

struct names_reader {
	struct vt_target *t;
	uint64_t va;
	unsigned char buf[NAMES_CHUNK];
	uint64_t buf_start;	/* offset of buf[0] in the stream */
	size_t buf_len;
};

static struct vt_error *names_byte(struct names_reader *r, uint64_t off,
				   unsigned char *ret)
{
	if (off < r->buf_start || off >= r->buf_start + r->buf_len) {
		struct vt_error *err;

		if (off >= MAX_NAMES_BYTES)
			return vt_error_create(VT_ERR_FORMAT,
					       "kallsyms_names longer than %u bytes",
					       MAX_NAMES_BYTES);
		r->buf_start = off;
		r->buf_len = sizeof(r->buf);
		err = vt_target_read_kv(r->t, r->va + off, r->buf, r->buf_len);
		/* The stream may end just before a page that is not there. */
		if (vt_error_catch(&err, VT_ERR_FAULT) || vt_error_catch(&err, VT_ERR_NODATA)) {
			r->buf_len = 4096 - ((r->va + off) & 4095);
			err = vt_target_read_kv(r->t, r->va + off, r->buf,
						r->buf_len);
		}
		if (err) {
			r->buf_len = 0;
			return vt_error_prefix(err, "kallsyms_names");
		}
	}
	*ret = r->buf[off - r->buf_start];
	return NULL;
}

static struct vt_error *decode(struct kallsyms_finder *kf, struct vt_target *t)
{
	uint64_t names_va, num_va, table_va, index_va, offsets_va = 0, base_va = 0,
		 addrs_va = 0, base = 0, off = 0;
	uint16_t index[256];
	uint8_t toklen[256];
	char *tokens = NULL;
	size_t tokens_len = 0, names_len = 0, names_cap = 0;
	struct names_reader *r = NULL;
	bool be = vt_target_info(t)->big_endian;
	bool abs_percpu = vt_target_info(t)->arch_ops->kallsyms_abs_percpu;
	uint32_t num;
	struct vt_error *err;

	if ((err = vi_sym(t, "kallsyms_names", &names_va)) ||
	    (err = vi_sym(t, "kallsyms_num_syms", &num_va)) ||
	    (err = vi_sym(t, "kallsyms_token_table", &table_va)) ||
	    (err = vi_sym(t, "kallsyms_token_index", &index_va)))
		return vt_error_prefix(err, "VMCOREINFO lists no kallsyms tables");
	err = vi_sym(t, "kallsyms_offsets", &offsets_va);
	if (!err)
		err = vi_sym(t, "kallsyms_relative_base", &base_va);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))	/* absolute addresses instead */
		err = vi_sym(t, "kallsyms_addresses", &addrs_va);
	if (err)
		return vt_error_prefix(err, "VMCOREINFO kallsyms");
	if ((err = vt_target_read_u32(t, num_va, &num)))
		return vt_error_prefix(err, "kallsyms_num_syms");
	if (num == 0 || num > MAX_SYMS)
		return vt_error_create(VT_ERR_FORMAT,
				       "kallsyms_num_syms = %u is implausible", num);
	if (base_va && (err = vt_target_read_u64(t, base_va, &base)))
		return vt_error_prefix(err, "kallsyms_relative_base");
	if ((err = read_tokens(t, table_va, index_va, &tokens, index, &tokens_len)))
		return err;
	for (int i = 0; i < 256; i++) {
		size_t n = strnlen(tokens + index[i], tokens_len - index[i]);

		toklen[i] = n > 255 ? 255 : (uint8_t)n;
	}
	kf->syms = calloc(num, sizeof(*kf->syms));
	r = malloc(sizeof(*r));
	if (!kf->syms || !r) {
		err = &vt_enomem;
		goto out;
	}
	r->t = t;
	r->va = names_va;
	r->buf_len = 0;
	r->buf_start = 0;
	for (uint32_t i = 0; i < num; i++) {
		unsigned char b;
		unsigned len;

		if ((err = names_byte(r, off++, &b)))
			goto out;
		len = b;
		if (b & 0x80) {
			if ((err = names_byte(r, off++, &b)))
				goto out;
			len = (len & 0x7f) | ((unsigned)b << 7);
		}
		kf->syms[i].name = names_len;
		for (unsigned j = 0; j < len; j++) {
			const char *tok;
			size_t tlen;

			/* The buffered bytes directly; names_byte() refills. */
			if (off >= r->buf_start && off < r->buf_start + r->buf_len)
				b = r->buf[off - r->buf_start];
			else if ((err = names_byte(r, off, &b)))
				goto out;
			off++;
			tok = tokens + index[b];
			tlen = toklen[b];
			/* Room for a whole 16-byte copy of a short token. */
			if (names_len + (tlen > 16 ? tlen : 16) + 2 > names_cap) {
				size_t ncap = names_cap ? names_cap * 2 : (1u << 20);
				char *p;

				if (ncap > MAX_NAMES_BYTES * 4u) {
					err = vt_error_create(VT_ERR_FORMAT,
							      "kallsyms names too long");
					goto out;
				}
				p = realloc(kf->names, ncap);
				if (!p) {
					err = &vt_enomem;
					goto out;
				}
				kf->names = p;
				names_cap = ncap;
			}
			/* A short token: one fixed-size copy (the token table is
			 * read 256 bytes past its last token's start). */
			if (tlen <= 16)
				memcpy(kf->names + names_len, tok, 16);
			else
				memcpy(kf->names + names_len, tok, tlen);
			names_len += tlen;
		}
		if (names_len + 1 > names_cap) {	/* empty name at start */
			char *p = realloc(kf->names, names_cap + 4096);

			if (!p) {
				err = &vt_enomem;
				goto out;
			}
			kf->names = p;
			names_cap += 4096;
		}
		kf->names[names_len++] = '\0';
	}
	/* Addresses: relative offsets (base-relative, maybe absolute per-cpu). */
	for (uint32_t i = 0; i < num; i += 1024) {
		unsigned char raw[8 * 1024];
		uint32_t n = num - i < 1024 ? num - i : 1024;
		uint64_t va = addrs_va ? addrs_va + 8ull * i : offsets_va + 4ull * i;

		if ((err = vt_target_read_kv(t, va, raw, n * (addrs_va ? 8 : 4))))
			goto out;
		for (uint32_t j = 0; j < n; j++) {
			uint64_t a;

			if (addrs_va) {
				a = vt_load64(raw + 8 * j, be);
			} else {
				int32_t o = (int32_t)vt_load32(raw + 4 * j, be);

				if (!abs_percpu)
					a = base + (uint32_t)o;
				else if (o >= 0)
					a = (uint64_t)o;
				else
					a = base - 1 - o;
			}
			kf->syms[i + j].addr = a;
		}
	}
	kf->nsyms = num;
	/* Names first (strmap keeps the first), then sort by address. */
	if (!vt_strmap_reserve(&kf->by_name, num)) {
		err = &vt_enomem;
		goto out;
	}
	for (uint32_t i = 0; i < num; i++) {
		const char *name = kf->names + kf->syms[i].name;

		if (*name && !vt_strmap_add(&kf->by_name, name + 1, i)) {
			err = &vt_enomem;
			goto out;
		}
	}
	/* The map holds pre-sort indexes; store addresses there instead. */
	for (size_t s = 0; s < kf->by_name.cap; s++)
		if (kf->by_name.slots[s].key)
			kf->by_name.slots[s].value =
				kf->syms[kf->by_name.slots[s].value].addr;
	/* kallsyms is in address order already (scripts/kallsyms sorts it);
	 * the stable sort only runs when it is not. */
	for (uint32_t i = 1; i < num; i++)
		if (kf->syms[i].addr < kf->syms[i - 1].addr) {
			qsort(kf->syms, num, sizeof(*kf->syms), cmp_ksym);
			break;
		}
out:
	free(tokens);
	free(r);
	return err;
}

static struct vt_error *ks_symbol(void *arg, const char *name, uint64_t *ret)
{
	struct kallsyms_finder *kf = arg;

	return vt_strmap_get(&kf->by_name, name, ret) ? NULL : &vt_not_found;
}

static struct vt_error *ks_address(void *arg, uint64_t addr, const char **name,
				   uint64_t *start, uint64_t *size)
{
	struct kallsyms_finder *kf = arg;
	uint32_t lo = 0, hi = kf->nsyms;

	/* Last symbol with address <= addr. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (kf->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return &vt_not_found;
	lo--;
	*name = kf->names + kf->syms[lo].name + 1;
	*start = kf->syms[lo].addr;
	*size = 0;
	for (uint32_t i = lo + 1; i < kf->nsyms; i++)
		if (kf->syms[i].addr > kf->syms[lo].addr) {
			*size = kf->syms[i].addr - kf->syms[lo].addr;
			break;
		}
	/* Past the last symbol, or in a gap too wide to be this symbol's. */
	if (*size == 0 || addr - *start >= (1u << 24))
		return &vt_not_found;
	return NULL;
}

static void ks_destroy(void *arg)
{
	struct kallsyms_finder *kf = arg;

	free(kf->names);
	free(kf->syms);
	vt_strmap_deinit(&kf->by_name);
	free(kf);
}

static const struct vt_finder_ops kallsyms_ops = {
	.name = "kallsyms",
	.symbol = ks_symbol,
	.address = ks_address,
	.destroy = ks_destroy,
};

struct vt_error *vt_kallsyms_finder_create(struct vt_target *t,
					   struct vt_arena *arena,
					   struct vt_finder **ret)
{
	struct kallsyms_finder *kf = calloc(1, sizeof(*kf));
	struct vt_error *err;

	(void)arena;
	if (!kf)
		return &vt_enomem;
	vt_strmap_init(&kf->by_name);
	err = decode(kf, t);
	if (err) {
		ks_destroy(kf);
		return err;
	}
	kf->finder.ops = &kallsyms_ops;
	kf->finder.arg = kf;
	kf->finder.runtime_addresses = true;
	*ret = &kf->finder;
	return NULL;
}
