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

#define MAX_SYMS (4u << 20)
#define MAX_NAMES_BYTES (64u << 20)
#define NAMES_CHUNK (256u << 10)
#define KSYM_NAME_MAX 512	/* KSYM_NAME_LEN since 6.1; names are shorter */

struct ksym {
	uint64_t addr;
	uint32_t name;		/* offset of its entry in the names stream */
	uint32_t decoded;	/* 1 + its index in decoded[], 0 = not yet */
};

/* A name's slot in by_name: the hash of its expanded name decides where. */
struct name_slot {
	uint32_t name;		/* offset of its entry in the names stream */
	uint32_t check;		/* the hash's low half; 0 = empty (1 stands for 0) */
	uint64_t value;		/* the index into syms while decoding, then the address */
};

/*
 * The names are not expanded at open: a name lookup hashes the name asked,
 * finds the slots of that hash and expands only their entries to compare;
 * an address lookup expands the one name it answers (kept in the arena).
 * Expanding all 87347 names of x86_64 6.1 into a string map cost more than
 * reading them from a compressed dump.
 */
struct kallsyms_finder {
	unsigned char *stream;	/* kallsyms_names as read */
	size_t stream_len;
	char *tokens;		/* 256 NUL-terminated strings */
	uint16_t index[256];	/* each token's start in tokens */
	struct ksym *syms;	/* sorted by address */
	uint32_t nsyms;
	struct name_slot *by_name;
	size_t cap;		/* power of two */
	const char **decoded;
	uint32_t ndecoded, decoded_cap;
	struct vt_arena *arena;
	struct vt_finder finder;
};

/* The polynomial hash of a string: h = h * HASH_BASE + c for each byte, so a
 * name's hash is also built token by token (h * BASE^len + the token's). */
#define HASH_BASE 0x100000001b3ull

static uint64_t hash_bytes(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = h * HASH_BASE + (unsigned char)s[i];
	return h;
}

static uint32_t slot_check(uint64_t h)
{
	return (uint32_t)h ? (uint32_t)h : 1;
}

static size_t slot_home(uint64_t h, size_t cap)
{
	return (size_t)((h * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

/*
 * The name of the entry at off in the names stream, without its type
 * letter, into buf (cap bytes, NUL-terminated; longer names cut). False
 * when the entry runs past the stream.
 */
static bool expand(const struct kallsyms_finder *kf, uint32_t off, char *buf, size_t cap)
{
	size_t len, n = 0;
	bool first = true;

	if (off >= kf->stream_len)
		return false;
	len = kf->stream[off++];
	if (len & 0x80) {
		if (off >= kf->stream_len)
			return false;
		len = (len & 0x7f) | ((size_t)kf->stream[off++] << 7);
	}
	if (len > kf->stream_len - off)
		return false;
	for (size_t j = 0; j < len; j++) {
		const char *tok = kf->tokens + kf->index[kf->stream[off + j]];

		if (first && *tok) {	/* the type letter */
			tok++;
			first = false;
		}
		for (; *tok && n + 1 < cap; tok++)
			buf[n++] = *tok;
	}
	buf[n] = '\0';
	return true;
}

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

/*
 * Append the names stream from off on to kf->stream, NAMES_CHUNK at a
 * time; the stream may end just before a page that is not there.
 */
static struct vt_error *stream_more(struct kallsyms_finder *kf, struct vt_target *t,
				    uint64_t va, size_t *cap)
{
	size_t want = NAMES_CHUNK;
	unsigned char *p;
	struct vt_error *err;

	if (kf->stream_len >= MAX_NAMES_BYTES)
		return vt_error_create(VT_ERR_FORMAT, "kallsyms_names longer than %u bytes",
				       MAX_NAMES_BYTES);
	if (kf->stream_len + want > *cap) {
		size_t ncap = *cap ? *cap * 2 : 4 * NAMES_CHUNK;

		if (!(p = realloc(kf->stream, ncap)))
			return &vt_enomem;
		kf->stream = p;
		*cap = ncap;
	}
	err = vt_target_read_kv(t, va + kf->stream_len, kf->stream + kf->stream_len, want);
	if (vt_error_catch(&err, VT_ERR_FAULT) || vt_error_catch(&err, VT_ERR_NODATA)) {
		want = 4096 - ((va + kf->stream_len) & 4095);
		err = vt_target_read_kv(t, va + kf->stream_len, kf->stream + kf->stream_len,
					want);
	}
	if (err)
		return vt_error_prefix(err, "kallsyms_names");
	kf->stream_len += want;
	return NULL;
}

/* Whether the entry at off (its length, one or two bytes, then that many
 * token indexes) is all in the stream read so far. */
static bool entry_whole(const struct kallsyms_finder *kf, size_t off)
{
	size_t len;

	if (off >= kf->stream_len)
		return false;
	len = kf->stream[off];
	if (len & 0x80) {
		if (off + 1 >= kf->stream_len)
			return false;
		len = (len & 0x7f) | ((size_t)kf->stream[off + 1] << 7);
		off++;
	}
	return len < kf->stream_len - off;
}

/* Each name's stream offset into syms[].name and its hash into by_name
 * (value: its index); the stream is read as far as the names go. */
static struct vt_error *index_names(struct kallsyms_finder *kf, struct vt_target *t,
				    uint64_t names_va, uint32_t num)
{
	uint64_t tok_hash[256], tok_pow[256], first_hash[256], first_pow[256];
	size_t off = 0, stream_cap = 0;
	struct vt_error *err;

	for (int i = 0; i < 256; i++) {
		const char *tok = kf->tokens + kf->index[i];
		size_t n = strlen(tok);
		uint64_t pw = 1;

		for (size_t k = 0; k < n; k++)
			pw *= HASH_BASE;
		tok_hash[i] = hash_bytes(0, tok, n);
		tok_pow[i] = pw;
		/* The first token of a name starts with the type letter. */
		first_hash[i] = n ? hash_bytes(0, tok + 1, n - 1) : 0;
		first_pow[i] = n ? pw / HASH_BASE : 1;
	}
	for (kf->cap = 64; kf->cap * 3 < (size_t)num * 4; kf->cap *= 2)
		;
	kf->by_name = calloc(kf->cap, sizeof(*kf->by_name));
	if (!kf->by_name)
		return &vt_enomem;
	for (uint32_t i = 0; i < num; i++) {
		size_t len, j = 0;
		uint64_t h = 0;
		bool first = true;
		struct name_slot *slot;

		while (!entry_whole(kf, off))
			if ((err = stream_more(kf, t, names_va, &stream_cap)))
				return err;
		kf->syms[i].name = (uint32_t)off;
		len = kf->stream[off++];
		if (len & 0x80)
			len = (len & 0x7f) | ((size_t)kf->stream[off++] << 7);
		for (; j < len; j++) {
			unsigned b = kf->stream[off + j];

			if (first && *(kf->tokens + kf->index[b])) {
				h = h * first_pow[b] + first_hash[b];
				first = false;
			} else {
				h = h * tok_pow[b] + tok_hash[b];
			}
		}
		off += len;
		if (first)	/* an empty entry: no name to find */
			continue;
		/* Same-hash names keep index order along the probe: the first wins. */
		for (slot = &kf->by_name[slot_home(h, kf->cap)]; slot->check;
		     slot = slot + 1 == kf->by_name + kf->cap ? kf->by_name : slot + 1)
			;
		*slot = (struct name_slot){ kf->syms[i].name, slot_check(h), i };
	}
	return NULL;
}

static struct vt_error *decode(struct kallsyms_finder *kf, struct vt_target *t)
{
	uint64_t names_va, num_va, table_va, index_va, offsets_va = 0, base_va = 0,
		 addrs_va = 0, base = 0;
	size_t tokens_len = 0;
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
	if ((err = read_tokens(t, table_va, index_va, &kf->tokens, kf->index, &tokens_len)))
		return err;
	kf->syms = calloc(num, sizeof(*kf->syms));
	if (!kf->syms)
		return &vt_enomem;
	if ((err = index_names(kf, t, names_va, num)))
		return err;
	/* Addresses: relative offsets (base-relative, maybe absolute per-cpu). */
	for (uint32_t i = 0; i < num; i += 1024) {
		unsigned char raw[8 * 1024];
		uint32_t n = num - i < 1024 ? num - i : 1024;
		uint64_t va = addrs_va ? addrs_va + 8ull * i : offsets_va + 4ull * i;

		if ((err = vt_target_read_kv(t, va, raw, n * (addrs_va ? 8 : 4))))
			return err;
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
	/* The map holds pre-sort indexes; store addresses there instead. */
	for (size_t s = 0; s < kf->cap; s++)
		if (kf->by_name[s].check)
			kf->by_name[s].value = kf->syms[kf->by_name[s].value].addr;
	/* kallsyms is in address order already (scripts/kallsyms sorts it);
	 * the stable sort only runs when it is not. */
	for (uint32_t i = 1; i < num; i++)
		if (kf->syms[i].addr < kf->syms[i - 1].addr) {
			qsort(kf->syms, num, sizeof(*kf->syms), cmp_ksym);
			break;
		}
	return NULL;
}

static struct vt_error *ks_symbol(void *arg, const char *name, uint64_t *ret)
{
	struct kallsyms_finder *kf = arg;
	size_t len = strlen(name);
	uint64_t h = hash_bytes(0, name, len);
	uint32_t check = slot_check(h);
	char buf[KSYM_NAME_MAX];

	if (len >= sizeof(buf))
		return &vt_not_found;
	for (const struct name_slot *slot = &kf->by_name[slot_home(h, kf->cap)]; slot->check;
	     slot = slot + 1 == kf->by_name + kf->cap ? kf->by_name : slot + 1)
		if (slot->check == check && expand(kf, slot->name, buf, sizeof(buf)) &&
		    strcmp(buf, name) == 0) {
			*ret = slot->value;
			return NULL;
		}
	return &vt_not_found;
}

/* Symbol i's name, expanded once into the arena. */
static const char *ks_name(struct kallsyms_finder *kf, uint32_t i)
{
	char buf[KSYM_NAME_MAX];
	struct ksym *k = &kf->syms[i];
	const char *name;

	if (k->decoded)
		return kf->decoded[k->decoded - 1];
	if (kf->ndecoded == kf->decoded_cap) {
		uint32_t ncap = kf->decoded_cap ? 2 * kf->decoded_cap : 64;
		const char **p = realloc(kf->decoded, ncap * sizeof(*p));

		if (!p)
			return NULL;
		kf->decoded = p;
		kf->decoded_cap = ncap;
	}
	if (!expand(kf, k->name, buf, sizeof(buf)) || !(name = vt_arena_strdup(kf->arena, buf)))
		return NULL;
	kf->decoded[kf->ndecoded++] = name;
	k->decoded = kf->ndecoded;
	return name;
}

static uint64_t entry_addr(const unsigned char *b, size_t stride, size_t k)
{
	uint64_t a;

	memcpy(&a, b + k * stride, sizeof(a));
	return a;
}

bool vt_sym_floor(const void *base, size_t n, size_t stride, uint64_t addr, size_t *i,
		  uint64_t *size)
{
	const unsigned char *b = base;
	size_t lo = 0, hi = n;
	uint64_t start, next;

#define ADDR(k) entry_addr(b, stride, (k))
	/* Last entry with address <= addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ADDR(mid) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	*i = --lo;
	start = ADDR(lo);
	*size = 0;
	for (size_t k = lo + 1; k < n; k++)
		if ((next = ADDR(k)) > start) {
			*size = next - start;
			break;
		}
#undef ADDR
	/* Past the last symbol, or in a gap too wide to be this symbol's. */
	return *size && addr - start < (1u << 24);
}

static struct vt_error *ks_address(void *arg, uint64_t addr, const char **name,
				   uint64_t *start, uint64_t *size)
{
	struct kallsyms_finder *kf = arg;
	size_t i;

	if (!vt_sym_floor(kf->syms, kf->nsyms, sizeof(*kf->syms), addr, &i, size))
		return &vt_not_found;
	if (!(*name = ks_name(kf, (uint32_t)i)))
		return &vt_enomem;
	*start = kf->syms[i].addr;
	return NULL;
}

static void ks_destroy(void *arg)
{
	struct kallsyms_finder *kf = arg;

	free(kf->stream);
	free(kf->tokens);
	free(kf->syms);
	free(kf->by_name);
	free(kf->decoded);
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

	if (!kf)
		return &vt_enomem;
	kf->arena = arena;
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
